"""Plain reporters: one line per finished task on stderr (pipes, CI logs, `make`), and the
shared log file written through concurrent-log-handler. rich and the log handler are imported
when first needed. gobuild.cli.output chooses between these and the live table.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gobuild.lines import result_line

if TYPE_CHECKING:
    from rich.console import Console

    from gobuild.cli.app import LazyConsole

LOG_NAME = "gobuild.log"


class PlainReporter:
    """One line per event on stderr: for pipes, CI logs and `make`."""

    def __init__(self, console: Console | LazyConsole, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        # A result and the output under it are printed together: groups finish on several threads.
        self._lock = threading.Lock()

    def started(self, task: str, detail: str = "") -> None:
        pass

    def progress(self, task: str, detail: str) -> None:
        pass

    def tally(self, task: str, *, done: int, total: int, unit: str, done_bytes: int = 0,
              total_bytes: int = 0) -> None:
        pass  # plain output stays one line per result: bars are for terminals (gobuild.cli.live)

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None:
        if ok and self.quiet:
            return
        from rich.text import Text

        size, seconds = fields.get("size"), fields.get("seconds")
        line = Text(
            result_line(
                task,
                ok,
                detail,
                size=None if size is None else int(size),
                seconds=None if seconds is None else float(seconds),
            )
        )
        line.stylize("green" if ok else "red", 0, 4)
        with self._lock:
            self.console.print(line)
            if not ok and fields.get("output"):
                self.console.print(_indent(str(fields["output"])), markup=False, highlight=False)
            if not ok and fields.get("hint"):
                self.console.print(_indent(f"hint: {fields['hint']}"), markup=False, highlight=False)

    def warning(self, message: str) -> None:
        from rich.markup import escape

        with self._lock:
            self.console.print(f"[yellow]warning:[/yellow] {escape(message)}")


class LogReporter:
    """Appends every event to out_dir/gobuild.log; safe with several gobuild processes at once.

    Lines are collected and written in one record at close(): one lock round-trip per run
    instead of one per event (concurrent-log-handler locks the file for every record). The
    handler's module is imported in the background once compiling starts, while the process
    waits on go, instead of before the first compile. A run in which every task was up to date
    changed nothing and appends nothing, as the no-op fast path does not.
    """

    def __init__(self, out_dir: Path, command: str) -> None:
        self.path = out_dir / LOG_NAME
        self.prefix = f"pid={os.getpid()} {command}"
        self.lines: list[str] = []
        self.preload: threading.Thread | None = None
        self.changed = False  # anything besides "up to date" happened

    def add(self, text: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self.lines.append(f"{stamp} {self.prefix} {text}")

    def close(self) -> None:
        """Appends the run's lines to the log; a log that cannot be written costs only a warning."""
        if not self.lines or not self.changed:
            return
        try:
            self._append()
        except OSError as error:
            from gobuild.cli.app import err_console

            err_console.print(f"warning: cannot append to {self.path}: {error.strerror or error}",
                              markup=False, highlight=False)

    def _append(self) -> None:
        from concurrent_log_handler import ConcurrentRotatingFileHandler

        self.path.parent.mkdir(parents=True, exist_ok=True)

        logger = logging.getLogger(f"gobuild.log.{os.getpid()}.{id(self)}")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        handler = ConcurrentRotatingFileHandler(
            str(self.path), maxBytes=5 * 1024 * 1024, backupCount=2, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        try:
            logger.info("\n".join(self.lines))
            self.lines = []
        finally:
            logger.removeHandler(handler)
            handler.close()

    def started(self, task: str, detail: str = "") -> None:
        self.add(f"{task} started {detail}")

    def progress(self, task: str, detail: str) -> None:
        self.add(f"{task} {detail}")
        self.changed = True
        if detail == "compiling" and self.preload is None:
            self.preload = threading.Thread(
                target=importlib.import_module, args=("concurrent_log_handler",), daemon=True
            )
            self.preload.start()

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None:
        output = fields.pop("output", "")
        hint = fields.pop("hint", "")
        items = " ".join(f"{k}={v}" for k, v in sorted(fields.items()))
        self.add(f"{task} {'ok' if ok else 'FAILED'} {detail} {items}")
        if output:
            self.add(f"{task} output:\n{output.rstrip()}")
        if hint:
            self.add(f"{task} hint: {hint}")
        self.changed = self.changed or not ok or detail != "up to date"

    def tally(self, task: str, *, done: int, total: int, unit: str, done_bytes: int = 0,
              total_bytes: int = 0) -> None:
        pass  # the log keeps what happened to each task, not how far a job had come

    def warning(self, message: str) -> None:
        self.add(f"warning: {message}")
        if message.startswith("interrupted"):
            self.changed = True


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines())
