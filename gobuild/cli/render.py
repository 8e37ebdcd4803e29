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

    def started(self, task: str, detail: str = "") -> None:
        pass

    def progress(self, task: str, detail: str) -> None:
        pass

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
        self.console.print(line)
        if not ok and fields.get("output"):
            self.console.print(_indent(str(fields["output"])), markup=False, highlight=False)

    def warning(self, message: str) -> None:
        from rich.markup import escape

        self.console.print(f"[yellow]warning:[/yellow] {escape(message)}")


class LogReporter:
    """Appends every event to out_dir/gobuild.log; safe with several gobuild processes at once.

    Lines are collected and written in one record at close(): one lock round-trip per run
    instead of one per event (concurrent-log-handler locks the file for every record). The
    handler's module is imported in the background once compiling starts, while the process
    waits on go, instead of before the first compile.
    """

    def __init__(self, out_dir: Path, command: str) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.path = out_dir / LOG_NAME
        self.prefix = f"pid={os.getpid()} {command}"
        self.lines: list[str] = []
        self.preload: threading.Thread | None = None

    def add(self, text: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self.lines.append(f"{stamp} {self.prefix} {text}")

    def close(self) -> None:
        if not self.lines:
            return
        from concurrent_log_handler import ConcurrentRotatingFileHandler

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
        if detail == "compiling" and self.preload is None:
            self.preload = threading.Thread(
                target=importlib.import_module, args=("concurrent_log_handler",), daemon=True
            )
            self.preload.start()

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
