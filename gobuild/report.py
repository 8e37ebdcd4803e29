"""The one interface through which the core reports; the CLI renders it.

The core never prints. It calls a Reporter: `started` when a unit of work (a task, named
e.g. "orders/arm64") begins, `progress` for intermediate states, `finished` when it ends,
`warning` for anything the user should read. `fields` carry structured data (sizes,
paths, hashes) that the JSON and log renderers keep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class Reporter(Protocol):
    def started(self, task: str, detail: str = "") -> None: ...

    def progress(self, task: str, detail: str) -> None: ...

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None: ...

    def warning(self, message: str) -> None: ...


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


@dataclass
class Event:
    kind: str
    task: str
    detail: str = ""
    ok: bool | None = None
    fields: dict[str, Any] = field(default_factory=dict)


class RecordingReporter:
    """Keeps every event in order; used by tests and by the JSON renderer."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def started(self, task: str, detail: str = "") -> None:
        self.events.append(Event("started", task, detail))

    def progress(self, task: str, detail: str) -> None:
        self.events.append(Event("progress", task, detail))

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None:
        self.events.append(Event("finished", task, detail, ok, dict(fields)))

    def warning(self, message: str) -> None:
        self.events.append(Event("warning", "", message))

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
