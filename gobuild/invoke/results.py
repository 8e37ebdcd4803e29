"""Waiting for the runtime's answers, and the results they become, worded as Lambda words them.
"""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gobuild.invoke.inputs import DEFAULT_REGION, InvokeTarget
from gobuild.invoke.runtime_api import (
    InitFailed,
    InvocationFailed,
    NextRequested,
    Responded,
)
from gobuild.lambda_facts import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, INIT_TIMEOUT

# ─── Waiting for the runtime ──────────────────────────────────────────────────────────


@dataclass(frozen=True, kw_only=True)
class ProcessExited:
    """The bootstrap process ended (returncode < 0: killed by that signal)."""

    returncode: int
    at: float


@dataclass(frozen=True)
class TimedOut:
    """The deadline passed first."""


@dataclass(frozen=True)
class Cancelled:
    """The session was interrupted while it waited (InvokeSession.interrupt)."""


class Interrupted(Exception):
    """Raised by a session that was interrupted: it stopped waiting, and closing it stops everything."""


EventSource = Callable[[float], object | None]  # waits up to N seconds; None if nothing came
Ready = NextRequested | InitFailed | ProcessExited | TimedOut | Cancelled
Answer = Responded | InvocationFailed | ProcessExited | TimedOut | Cancelled


def wait_until_ready(next_event: EventSource, *, deadline: float, clock: Callable[[], float]) -> Ready:
    """Waits for the runtime to ask for work (init over / previous invocation complete)."""
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            return TimedOut()
        event = next_event(remaining)
        if isinstance(event, Cancelled):
            return event
        if isinstance(event, (NextRequested, InitFailed, ProcessExited)):
            return TimedOut() if event.at > deadline else event


def wait_for_answer(
    next_event: EventSource, *, request_id: str, deadline: float, clock: Callable[[], float],
    asked: list[NextRequested] | None = None,
) -> Answer:
    """Waits for the runtime's response or error for `request_id`, its exit, or the deadline.

    An answer that arrived after the deadline counts as a timeout, as on Lambda. The runtime's
    next request can be heard before its answer (the answer is acknowledged before it is
    announced, and the runtime asks again at once): such a NextRequested goes into `asked`.
    """
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            return TimedOut()
        event = next_event(remaining)
        if isinstance(event, Cancelled):
            return event
        if isinstance(event, NextRequested) and asked is not None:
            asked.append(event)
        if isinstance(event, (Responded, InvocationFailed)) and event.request_id == request_id:
            return TimedOut() if event.at > deadline else event
        if isinstance(event, ProcessExited):
            return TimedOut() if event.at > deadline else event


def exit_reason(returncode: int) -> str:
    """How Lambda words a runtime exit: 'Runtime exited with error: exit status 3'."""
    if returncode == 0:
        return "Runtime exited without providing a reason"
    if returncode > 0:
        return f"Runtime exited with error: exit status {returncode}"
    try:
        name = signal.strsignal(-returncode) or f"signal {-returncode}"
    except ValueError:
        name = f"signal {-returncode}"
    return f"Runtime exited with error: signal: {name[:1].lower()}{name[1:]}"


def describe_error(payload: bytes, fallback_type: str) -> tuple[str, str]:
    """errorType and errorMessage of an error document; the fallback type when it has none."""
    try:
        document = json.loads(payload)
    except ValueError:
        document = None
    if isinstance(document, dict):
        error_type = document.get("errorType")
        message = document.get("errorMessage")
        return (
            error_type if isinstance(error_type, str) and error_type else fallback_type or "Unhandled",
            message if isinstance(message, str) else "",
        )
    return fallback_type or "Unhandled", payload.decode("utf-8", "replace")


# ─── Results ──────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, kw_only=True)
class InvocationResult:
    """One invocation as Lambda's Invoke API would answer it, plus what its logs and timing were."""

    request_id: str
    payload: bytes  # the response, or Lambda's error document
    content_type: str = "application/json"
    error_type: str | None = None  # None for a successful response
    error_message: str | None = None
    duration_ms: float = 0.0
    init_duration_ms: float | None = None  # set when this invocation started the process
    cold_start: bool = False
    max_memory_mb: int | None = None
    logs: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error_type is None

    def summary(self) -> str:
        """One line: the error type and message, or 'ok'."""
        if self.ok:
            return "ok"
        return f"{self.error_type}: {self.error_message}" if self.error_message else str(self.error_type)


def report_document(target: InvokeTarget, arch: str | None, results: Sequence[InvocationResult]) -> dict[str, Any]:
    """The --json report: the function, and each invocation's response, error, timing and logs."""
    return {
        "function": target.function_name,
        "zip": str(target.zip_path),
        "arch": arch,
        "ok": all(r.ok for r in results),
        "invocations": [
            {
                "request_id": r.request_id,
                "ok": r.ok,
                "response": _payload_value(r.payload),
                "error": None if r.ok else {"errorType": r.error_type, "errorMessage": r.error_message},
                "cold_start": r.cold_start,
                "duration_ms": round(r.duration_ms, 2),
                "init_duration_ms": None if r.init_duration_ms is None else round(r.init_duration_ms, 2),
                "max_memory_mb": r.max_memory_mb,
                "logs": list(r.logs),
            }
            for r in results
        ],
    }


def _payload_value(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        return payload.decode("utf-8", "replace")


@dataclass(frozen=True, kw_only=True)
class InvokeSettings:
    """How to run: Lambda's configuration values and what the host offers."""

    host_arch: str
    timeout: float = DEFAULT_TIMEOUT
    init_timeout: float = INIT_TIMEOUT
    region: str = DEFAULT_REGION
    env: tuple[tuple[str, str], ...] = ()
    find_program: Callable[[str], str | None] = field(default=shutil.which)

    @property
    def memory_mb(self) -> int:
        """128 MB as Lambda's default, unless --env AWS_LAMBDA_FUNCTION_MEMORY_SIZE says otherwise."""
        value = dict(self.env).get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        return int(value) if value.isdigit() else DEFAULT_MEMORY_MB


