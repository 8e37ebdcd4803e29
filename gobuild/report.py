"""The one interface through which the core reports; the CLI renders it.

The core never prints. It calls a Reporter: `started` when a unit of work (a task, named
e.g. "orders/arm64") begins, `progress` for intermediate states, `finished` when it ends,
`warning` for anything the user should read, and `tally` for how far a long job that can
be counted (objects, bytes) has come. `fields` carry structured data (sizes, paths, hashes)
that the JSON and log renderers keep. Only a terminal shows tallies: as rich progress bars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class Reporter(Protocol):
    def started(self, task: str, detail: str = "") -> None: ...

    def progress(self, task: str, detail: str) -> None: ...

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None: ...

    def warning(self, message: str) -> None: ...

    def tally(self, task: str, *, done: int, total: int, unit: str, done_bytes: int = 0,
              total_bytes: int = 0) -> None: ...


class NullReporter:
    """Discards everything."""

    def started(self, task: str, detail: str = "") -> None:
        pass

    def progress(self, task: str, detail: str) -> None:
        pass

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None:
        pass

    def warning(self, message: str) -> None:
        pass

    def tally(self, task: str, *, done: int, total: int, unit: str, done_bytes: int = 0,
              total_bytes: int = 0) -> None:
        pass


@dataclass
class Event:
    kind: str
    task: str
    detail: str = ""
    ok: bool | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Tally:
    """How far a counted job has come: `done` of `total` `unit` ("object", "zip"), and of
    `total_bytes` bytes when the job moves bytes (0: it does not say)."""

    task: str
    done: int
    total: int
    unit: str
    done_bytes: int = 0
    total_bytes: int = 0


class RecordingReporter:
    """Keeps every event in order; used by tests and by the JSON renderer."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.tallies: list[Tally] = []

    def started(self, task: str, detail: str = "") -> None:
        self.events.append(Event("started", task, detail))

    def progress(self, task: str, detail: str) -> None:
        self.events.append(Event("progress", task, detail))

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None:
        self.events.append(Event("finished", task, detail, ok, dict(fields)))

    def warning(self, message: str) -> None:
        self.events.append(Event("warning", "", message))

    def tally(self, task: str, *, done: int, total: int, unit: str, done_bytes: int = 0,
              total_bytes: int = 0) -> None:
        self.tallies.append(Tally(task=task, done=done, total=total, unit=unit, done_bytes=done_bytes,
                                  total_bytes=total_bytes))

    def warnings(self) -> list[str]:
        return [e.detail for e in self.events if e.kind == "warning"]


class TeeReporter:
    """Sends every event to several reporters (e.g. the screen and the log file)."""

    def __init__(self, *reporters: Reporter) -> None:
        self.reporters = reporters

    def started(self, task: str, detail: str = "") -> None:
        for r in self.reporters:
            r.started(task, detail)

    def progress(self, task: str, detail: str) -> None:
        for r in self.reporters:
            r.progress(task, detail)

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None:
        for r in self.reporters:
            r.finished(task, ok, detail, **fields)

    def warning(self, message: str) -> None:
        for r in self.reporters:
            r.warning(message)

    def tally(self, task: str, *, done: int, total: int, unit: str, done_bytes: int = 0,
              total_bytes: int = 0) -> None:
        for r in self.reporters:
            r.tally(task, done=done, total=total, unit=unit, done_bytes=done_bytes, total_bytes=total_bytes)
