"""A live table of the build's tasks on a terminal (rich's Live), redrawn as work goes on."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from gobuild.cli.render import PlainReporter
from gobuild.lines import human_size


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
        _, _started, _ = self.rows.get(task, ("", time.monotonic(), ""))
        state = f"[green]{escape(detail)}[/green]" if ok else f"[red]{escape(detail)}[/red]"
        size = human_size(int(fields["size"])) if "size" in fields else ""
        self.rows[task] = (state, 0.0, size)
        if not ok and (fields.get("output") or fields.get("hint")):
            hint = f"\nhint: {fields['hint']}" if fields.get("hint") else ""
            self.failures.append((task, str(fields.get("output") or "").rstrip() + hint))
        self.live.update(self._table())
