"""Which reporter a command hands to the core: the log file and a recorder always; on screen,
nothing with --json, a live table on a terminal (gobuild.cli.live), plain lines otherwise
(gobuild.cli.render)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType

from gobuild.cli.render import LogReporter, PlainReporter
from gobuild.report import RecordingReporter, Reporter, TeeReporter


def reporters(
    stack: ExitStack, out_dir: Path, command: str, *, as_json: bool, quiet: bool = False
) -> tuple[Reporter, RecordingReporter]:
    """The reporter for the core, and the recorder whose warnings --json documents carry."""
    log = LogReporter(out_dir, command)
    stack.callback(log.close)
    recorder = RecordingReporter()
    chosen: list[Reporter] = [recorder, log]
    if as_json:
        pass  # stdout carries the JSON document; nothing else is printed
    elif sys.stderr.isatty() and not quiet:
        from rich.console import Console

        from gobuild.cli.live import LiveReporter

        chosen.append(stack.enter_context(LiveReporter(Console(stderr=True, highlight=False))))
    else:
        from gobuild.cli.app import err_console

        chosen.append(PlainReporter(err_console, quiet=quiet))
    return TeeReporter(*chosen), recorder


@contextmanager
def stopped_by_signals(reporter: Reporter) -> Iterator[None]:
    """SIGINT and SIGTERM raise Interrupted in the main thread while the block runs (the build
    then kills its go processes and cleans up on the way out); the handlers are restored after."""
    from gobuild.build.processes import Interrupted

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except Interrupted as stop:
        reporter.warning(f"interrupted by {stop.name}")
        raise
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
