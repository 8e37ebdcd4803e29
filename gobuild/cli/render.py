"""Reporter implementations: a rich live table on a terminal, plain lines otherwise,
nothing on screen for --json, and the shared log file written through concurrent-log-handler.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from concurrent_log_handler import ConcurrentRotatingFileHandler
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from gobuild.report import RecordingReporter, Reporter, TeeReporter

LOG_NAME = "gobuild.log"


def reporters(stack: ExitStack, out_dir: Path, command: str, *, as_json: bool,
              quiet: bool = False) -> tuple[Reporter, RecordingReporter]:
    """The reporter a command hands to the core: the log file, a recorder (warnings for --json),
    and the screen: nothing with --json, a live table on a terminal, plain lines otherwise."""
    log = LogReporter(out_dir, command)
    stack.callback(log.close)
    recorder = RecordingReporter()
    chosen: list[Reporter] = [recorder, log]
    if as_json:
        pass  # stdout carries the JSON document; nothing else is printed
    elif sys.stderr.isatty() and not quiet:
        chosen.append(stack.enter_context(LiveReporter(Console(stderr=True, highlight=False))))
    else:
        chosen.append(PlainReporter(Console(stderr=True, highlight=False, soft_wrap=True), quiet=quiet))
    return TeeReporter(*chosen), recorder


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{size} B"


class PlainReporter:
    """One line per event on stderr: for pipes, CI logs and `make`."""

    def __init__(self, console: Console, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet

    def started(self, task: str, detail: str = "") -> None:
        pass

    def progress(self, task: str, detail: str) -> None:
        pass

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None:
        if ok and self.quiet:
            return
        extra = ""
        if "size" in fields:
            extra = f"  {human_size(int(fields['size']))}"
        if "seconds" in fields:
            extra += f"  {fields['seconds']:.1f}s"
        mark = "[green]ok[/green]  " if ok else "[red]FAIL[/red]"
        self.console.print(f"{mark} {escape(task):<28} {escape(detail)}{extra}")
        if not ok and fields.get("output"):
            self.console.print(_indent(str(fields["output"])), markup=False, highlight=False)

    def warning(self, message: str) -> None:
        self.console.print(f"[yellow]warning:[/yellow] {escape(message)}")


class LiveReporter(PlainReporter):
    """A rich table with a line per task (state, time, size), redrawn as work goes on."""

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.rows: dict[str, tuple[str, float, str]] = {}
        self.live = Live(self._table(), console=console, refresh_per_second=8, transient=False)
        self.failures: list[tuple[str, str]] = []

    def __enter__(self) -> LiveReporter:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.update(self._table())
        self.live.__exit__(None, None, None)
        for task, output in self.failures:
            self.console.print(f"[red]── {escape(task)} ──[/red]")
            self.console.print(output.rstrip(), markup=False, highlight=False)

    def _table(self) -> Table:
        table = Table(box=None, show_header=True, header_style="bold")
        for column in ("target", "state", "time", "size"):
            table.add_column(column)
        for task, (state, started, size) in self.rows.items():
            elapsed = f"{time.monotonic() - started:.1f}s" if started else ""
            table.add_row(task, state, elapsed, size)
        return table

    def started(self, task: str, detail: str = "") -> None:
        self.rows[task] = (f"[cyan]{escape(detail)}[/cyan]", time.monotonic(), "")
        self.live.update(self._table())

    def progress(self, task: str, detail: str) -> None:
        _, started, size = self.rows.get(task, ("", time.monotonic(), ""))
        self.rows[task] = (f"[cyan]{escape(detail)}[/cyan]", started, size)
        self.live.update(self._table())

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None:
        _, started, _ = self.rows.get(task, ("", time.monotonic(), ""))
        state = f"[green]{escape(detail)}[/green]" if ok else f"[red]{escape(detail)}[/red]"
        size = human_size(int(fields["size"])) if "size" in fields else ""
        self.rows[task] = (state, 0.0, size)
        if not ok and fields.get("output"):
            self.failures.append((task, str(fields["output"])))
        self.live.update(self._table())

    def warning(self, message: str) -> None:
        self.console.print(f"[yellow]warning:[/yellow] {escape(message)}")


class LogReporter:
    """Appends every event to out_dir/gobuild.log; safe with several gobuild processes at once.

    Lines are collected and written in one record at close(): one lock round-trip per run
    instead of one per event (concurrent-log-handler locks the file for every record).
    """

    def __init__(self, out_dir: Path, command: str) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.prefix = f"pid={os.getpid()} {command}"
        self.lines: list[str] = []
        self.logger = logging.getLogger(f"gobuild.{command}.{os.getpid()}.{id(self)}")
        self.logger.propagate = False
        self.logger.setLevel(logging.INFO)
        self.handler = ConcurrentRotatingFileHandler(
            str(out_dir / LOG_NAME), maxBytes=5 * 1024 * 1024, backupCount=2, encoding="utf-8"
        )
        self.handler.setFormatter(logging.Formatter("%(message)s"))
        self.logger.addHandler(self.handler)

    def add(self, text: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self.lines.append(f"{stamp} {self.prefix} {text}")

    def close(self) -> None:
        if self.lines:
            self.logger.info("\n".join(self.lines))
            self.lines = []
        self.logger.removeHandler(self.handler)
        self.handler.close()

    def started(self, task: str, detail: str = "") -> None:
        self.add(f"{task} started {detail}")

    def progress(self, task: str, detail: str) -> None:
        self.add(f"{task} {detail}")

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None:
        output = fields.pop("output", "")
        items = " ".join(f"{k}={v}" for k, v in sorted(fields.items()))
        self.add(f"{task} {'ok' if ok else 'FAILED'} {detail} {items}")
        if output:
            self.add(f"{task} output:\n{output}")

    def warning(self, message: str) -> None:
        self.add(f"warning: {message}")


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines())
