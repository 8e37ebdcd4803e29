"""A live table of the build's tasks on a terminal (rich's Live), redrawn as work goes on,
with a rich progress bar under it for each tally (publish's objects and bytes, the zips
--check-reproducible rebuilt, the cache's downloads)."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.table import Table

from gobuild.cli.render import PlainReporter
from gobuild.lines import human_size, plural


class LiveReporter(PlainReporter):
    """A rich table with a line per task (state, time, size), redrawn as work goes on."""

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.rows: dict[str, tuple[str, float, str]] = {}
        # Drawn by self.live, never started on its own: one Live per console.
        self.bars = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[amount]}"),
                             console=console, auto_refresh=False)
        self.bar_ids: dict[str, TaskID] = {}
        self.live = Live(self._view(), console=console, refresh_per_second=8, transient=False)
        self.failures: list[tuple[str, str]] = []

    def __enter__(self) -> LiveReporter:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.update(self._view())
        self.live.__exit__(None, None, None)
        for task, output in self.failures:
            self.console.print(f"[red]── {escape(task)} ──[/red]")
            self.console.print(output.rstrip(), markup=False, highlight=False)

    def _view(self) -> RenderableType:
        """The table, and the bars under it once there are any."""
        return Group(self._table(), self.bars) if self.bar_ids else self._table()

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
        self.live.update(self._view())

    def progress(self, task: str, detail: str) -> None:
        _, started, size = self.rows.get(task, ("", time.monotonic(), ""))
        self.rows[task] = (f"[cyan]{escape(detail)}[/cyan]", started, size)
        self.live.update(self._view())

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None:
        _, _started, _ = self.rows.get(task, ("", time.monotonic(), ""))
        state = f"[green]{escape(detail)}[/green]" if ok else f"[red]{escape(detail)}[/red]"
        size = human_size(int(fields["size"])) if "size" in fields else ""
        self.rows[task] = (state, 0.0, size)
        if not ok and (fields.get("output") or fields.get("hint")):
            hint = f"\nhint: {fields['hint']}" if fields.get("hint") else ""
            self.failures.append((task, str(fields.get("output") or "").rstrip() + hint))
        self.live.update(self._view())

    def tally(self, task: str, *, done: int, total: int, unit: str, done_bytes: int = 0,
              total_bytes: int = 0) -> None:
        amount = tally_text(done=done, total=total, unit=unit, done_bytes=done_bytes, total_bytes=total_bytes)
        # The bar follows the bytes when the job moves bytes, else the count.
        completed, whole = (done_bytes, total_bytes) if total_bytes else (done, total)
        if task not in self.bar_ids:
            self.bar_ids[task] = self.bars.add_task(escape(task), total=max(whole, 1), amount=amount)
        self.bars.update(self.bar_ids[task], completed=completed, total=max(whole, 1), amount=amount)
        self.live.update(self._view())


def tally_text(*, done: int, total: int, unit: str, done_bytes: int, total_bytes: int) -> str:
    """"3/5 objects, 4.5 MB/11.0 MB": the words beside a bar."""
    text = f"{done}/{plural(total, unit)}"
    if total_bytes:
        text += f", {human_size(done_bytes)}/{human_size(total_bytes)}"
    return text
