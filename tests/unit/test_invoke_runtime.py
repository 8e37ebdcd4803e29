"""The pure parts of running a function: HTTP chunk parsing, waiting rules and Lambda's wording."""

from __future__ import annotations

import base64
import io
import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from gobuild.errors import EXIT_ENVIRONMENT, ToolError
from gobuild.invoke.chunked import BodyError, read_chunked
from gobuild.invoke.inputs import InvokeTarget
from gobuild.invoke.logtail import TAIL_CHARS, TAIL_LINES, LogTail, dropped_marker
from gobuild.invoke.results import (
    Cancelled,
    InvocationResult,
    ProcessExited,
    TimedOut,
    describe_error,
    exit_reason,
    report_document,
    wait_for_answer,
    wait_until_ready,
)
from gobuild.invoke.runtime_api import (
    ERROR_BODY_TRAILER,
    ERROR_TYPE_HEADER,
    InitFailed,
    Invocation,
    InvocationFailed,
    NextRequested,
    Responded,
    _response_event,
    error_document,
)
from gobuild.invoke.taskroot import runner_command

# ─── HTTP chunked bodies (Go's client sends every post this way) ────────────────────────


def test_chunked_body_and_trailers() -> None:
    stream = io.BytesIO(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nLambda-Runtime-Function-Error-Type: X\r\n\r\nNEXT")
    body, trailers = read_chunked(stream, limit=100)
    assert body == b"hello world"
    assert trailers == {"lambda-runtime-function-error-type": "X"}
    assert stream.read() == b"NEXT"  # the next request on the connection is untouched


def test_chunked_body_without_trailers() -> None:
    assert read_chunked(io.BytesIO(b"0\r\n\r\n"), limit=0) == (b"", {})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"zz\r\n", "bad chunk size"),
        (b"5\r\nhel", "truncated chunk"),
        (b"5\r\nhelloXX0\r\n\r\n", "truncated chunk"),
        (b"3\r\nabc\r\n", "truncated chunk size line"),
        (b"0\r\nno-colon\r\n\r\n", "bad trailer line"),
    ],
)
def test_malformed_chunked_bodies(raw: bytes, message: str) -> None:
    with pytest.raises(BodyError, match=message):
        read_chunked(io.BytesIO(raw), limit=100)


def test_chunked_body_over_the_limit_is_read_to_its_end() -> None:
    stream = io.BytesIO(b"6\r\nabcdef\r\n2\r\ngh\r\n0\r\n\r\nNEXT")
    with pytest.raises(BodyError) as caught:
        read_chunked(stream, limit=5)
    assert caught.value.too_large and caught.value.drained
    assert stream.read() == b"NEXT"  # the connection can go on


def test_chunked_body_past_the_discard_limit_stops_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import gobuild.invoke.chunked

    monkeypatch.setattr(gobuild.invoke.chunked, "DISCARD_LIMIT", 8)
    with pytest.raises(BodyError) as caught:
        read_chunked(io.BytesIO(b"6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n"), limit=5)
    assert caught.value.too_large and not caught.value.drained


def test_a_huge_chunk_is_read_in_pieces_and_only_the_limit_kept() -> None:
    size = 10 * 1024 * 1024

    class Recording(io.BytesIO):
        largest = 0

        def read(self, n: int | None = -1, /) -> bytes:
            Recording.largest = max(Recording.largest, n or 0)
            return super().read(n)

    stream = Recording(f"{size:x}\r\n".encode() + b"x" * size + b"\r\n0\r\n\r\n")
    with pytest.raises(BodyError) as caught:
        read_chunked(stream, limit=100)
    assert caught.value.too_large and caught.value.drained
    assert Recording.largest <= 1024 * 1024  # never the whole 10 MiB chunk at once


def test_a_response_with_error_trailers_is_a_failure() -> None:
    body = base64.b64encode(error_document("Runtime.Stream", "broke")).decode()
    event = _response_event("id", b"partial", "application/json",
                            {ERROR_TYPE_HEADER.lower(): "Runtime.Stream", ERROR_BODY_TRAILER.lower(): body}, 1.0)
    assert event == InvocationFailed(request_id="id", error_type="Runtime.Stream",
                                     payload=b'{"errorMessage":"broke","errorType":"Runtime.Stream"}', at=1.0)
    plain = _response_event("id", b"{}", "application/json", {}, 2.0)
    assert plain == Responded(request_id="id", payload=b"{}", content_type="application/json", at=2.0)


def test_invocation_headers_are_the_ones_lambda_sends() -> None:
    invocation = Invocation(request_id="r-1", payload=b"{}", deadline_ms=1700000000123,
                            function_arn="arn:aws:lambda:us-east-1:012345678912:function:orders", trace_id="Root=1-a")
    assert invocation.headers() == {
        "Lambda-Runtime-Aws-Request-Id": "r-1",
        "Lambda-Runtime-Deadline-Ms": "1700000000123",
        "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:012345678912:function:orders",
        "Lambda-Runtime-Trace-Id": "Root=1-a",
        "Content-Type": "application/json",
    }


# ─── Waiting, driven by a scripted clock and event list ─────────────────────────────────


class Script:
    """Events that arrive at given times; the clock advances as next_event waits."""

    def __init__(self, events: list[object]) -> None:
        self.events = events
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def next_event(self, timeout: float) -> object | None:
        if not self.events:
            self.now += timeout
            return None
        event = self.events.pop(0)
        self.now = max(self.now, getattr(event, "at", self.now))
        return event


def ready(events: list[object], deadline: float = 10.0) -> object:
    script = Script(events)
    return wait_until_ready(script.next_event, deadline=deadline, clock=script.clock)


def answer(events: list[object], deadline: float = 3.0) -> object:
    script = Script(events)
    return wait_for_answer(script.next_event, request_id="mine", deadline=deadline, clock=script.clock)


def test_init_ends_when_the_runtime_asks_for_work() -> None:
    nxt = NextRequested(at=0.2)
    assert ready([Responded(request_id="x", payload=b"", content_type="", at=0.1), nxt]) is nxt


def test_init_error_and_exit_end_init() -> None:
    failed = InitFailed(error_type="Runtime.X", payload=b"{}", at=0.1)
    assert ready([failed]) is failed
    exited = ProcessExited(returncode=2, at=0.1)
    assert ready([exited]) is exited


def test_init_past_its_deadline_is_a_timeout() -> None:
    assert ready([], deadline=1.0) == TimedOut()
    assert ready([NextRequested(at=10.5)], deadline=10.0) == TimedOut()


def test_only_the_answer_for_this_request_counts() -> None:
    other = Responded(request_id="other", payload=b"1", content_type="", at=0.1)
    mine = Responded(request_id="mine", payload=b"2", content_type="", at=0.2)
    assert answer([NextRequested(at=0.0), other, mine]) is mine
    failed = InvocationFailed(request_id="mine", error_type="", payload=b"{}", at=0.3)
    assert answer([failed]) is failed


def test_a_next_request_heard_before_the_answer_is_kept() -> None:
    # The answer is acknowledged before it is announced: the runtime's next request can come first.
    early = NextRequested(at=0.2)
    mine = Responded(request_id="mine", payload=b"2", content_type="", at=0.1)
    script = Script([early, mine])
    asked: list[NextRequested] = []
    assert wait_for_answer(script.next_event, request_id="mine", deadline=3.0, clock=script.clock,
                           asked=asked) is mine
    assert asked == [early]


def test_an_exit_while_waiting_is_the_outcome() -> None:
    exited = ProcessExited(returncode=3, at=1.0)
    assert answer([exited]) is exited


@pytest.mark.parametrize(
    "late",
    [
        Responded(request_id="mine", payload=b"{}", content_type="", at=3.001),
        InvocationFailed(request_id="mine", error_type="", payload=b"{}", at=3.5),
        ProcessExited(returncode=0, at=3.2),
    ],
)
def test_anything_after_the_deadline_is_a_timeout(late: object) -> None:
    # e.g. aws-lambda-go's context expires with the deadline and posts "deadline exceeded" after it
    assert answer([late]) == TimedOut()


def test_silence_until_the_deadline_is_a_timeout() -> None:
    assert answer([]) == TimedOut()


def test_an_interrupt_ends_either_wait() -> None:
    assert ready([Cancelled()]) == Cancelled()
    assert answer([NextRequested(at=0.0), Cancelled()]) == Cancelled()


# ─── The log a result keeps ─────────────────────────────────────────────────────────────


def test_a_short_log_is_kept_whole() -> None:
    tail = LogTail(max_lines=3, max_chars=100)
    for line in ("START", "hello", "END"):
        tail.add(line)
    assert tail.lines() == ("START", "hello", "END")


def test_past_the_line_bound_the_oldest_go_and_a_marker_says_so() -> None:
    tail = LogTail(max_lines=2, max_chars=100)
    for number in range(5):
        tail.add(f"line {number}")
    first, *kept = tail.lines()
    assert kept == ["line 3", "line 4"]
    assert first.startswith("[gobuild] 3 earlier log lines (18 characters) not kept here: a result keeps the last ")


def test_past_the_size_bound_the_oldest_go() -> None:
    tail = LogTail(max_lines=100, max_chars=10)
    for line in ("aaaa", "bbbb", "cccc"):
        tail.add(line)
    assert tail.lines()[1:] == ("bbbb", "cccc")
    assert tail.lines()[0].startswith("[gobuild] 1 earlier log line (4 characters)")
    tail.add("x" * 25)  # longer than the whole budget: cut to it
    assert tail.lines()[1:] == ("x" * 10,)
    assert (tail.dropped_lines, tail.dropped_chars) == (3, 12)


def test_the_marker_names_the_documented_bounds() -> None:
    assert f"the last {TAIL_LINES} lines and at most {TAIL_CHARS} characters" in dropped_marker(2, 5)


# ─── Lambda's wording ───────────────────────────────────────────────────────────────────


def test_exit_reasons_read_as_lambda_writes_them() -> None:
    assert exit_reason(3) == "Runtime exited with error: exit status 3"
    assert exit_reason(0) == "Runtime exited without providing a reason"
    assert exit_reason(-signal.SIGKILL) == "Runtime exited with error: signal: killed"
    assert exit_reason(-signal.SIGSEGV) == "Runtime exited with error: signal: segmentation fault"


def test_describe_error_reads_the_document_or_falls_back() -> None:
    assert describe_error(b'{"errorMessage":"out of stock","errorType":"errorString"}', "") == (
        "errorString", "out of stock")
    assert describe_error(b'{"errorMessage":"m"}', "Function.X") == ("Function.X", "m")
    assert describe_error(b"plain text", "") == ("Unhandled", "plain text")
    assert describe_error(b"[1]", "T") == ("T", "[1]")


def test_error_documents_are_compact_json() -> None:
    assert error_document("Runtime.ExitError", "m") == b'{"errorMessage":"m","errorType":"Runtime.ExitError"}'


# ─── Choosing how to run the bootstrap ──────────────────────────────────────────────────


def finder(found: dict[str, str]) -> Callable[[str], str | None]:
    return found.get


def test_native_bootstraps_and_scripts_run_directly() -> None:
    assert runner_command(Path("/t/bootstrap"), arch="amd64", host="amd64", find_program=finder({})) == [
        "/t/bootstrap"]
    assert runner_command(Path("/t/bootstrap"), arch=None, host="amd64", find_program=finder({})) == ["/t/bootstrap"]
    # An architecture qemu-user is not used for: exec says "exec format error", as on Lambda.
    assert runner_command(Path("/t/bootstrap"), arch="riscv64", host="amd64", find_program=finder({})) == [
        "/t/bootstrap"]


def test_arm64_on_amd64_runs_through_qemu() -> None:
    qemu = {"qemu-aarch64-static": "/usr/bin/qemu-aarch64-static", "qemu-aarch64": "/usr/bin/qemu-aarch64"}
    assert runner_command(Path("/t/bootstrap"), arch="arm64", host="amd64", find_program=finder(qemu)) == [
        "/usr/bin/qemu-aarch64-static", "/t/bootstrap"]
    assert runner_command(Path("/t/bootstrap"), arch="arm64", host="amd64",
                          find_program=finder({"qemu-aarch64": "/q"})) == ["/q", "/t/bootstrap"]
    assert runner_command(Path("/t/bootstrap"), arch="amd64", host="arm64",
                          find_program=finder({"qemu-x86_64-static": "/x"})) == ["/x", "/t/bootstrap"]


def test_missing_qemu_is_one_clear_tool_error() -> None:
    with pytest.raises(ToolError) as caught:
        runner_command(Path("/t/bootstrap"), arch="arm64", host="amd64", find_program=finder({}))
    assert str(caught.value) == (
        "bootstrap is built for arm64 and this host is amd64: qemu-aarch64-static is not installed, "
        "so it cannot run here")
    assert "apt-get install qemu-user-static" in (caught.value.hint or "")
    assert "build the function for amd64 too" in (caught.value.hint or "")
    assert caught.value.exit_code == EXIT_ENVIRONMENT


# ─── The --json report ──────────────────────────────────────────────────────────────────


def test_report_document() -> None:
    ok = InvocationResult(request_id="a", payload=b'{"total":10}', duration_ms=1.234, init_duration_ms=5.678,
                          cold_start=True, max_memory_mb=7, logs=("START", "hello"))
    bad = InvocationResult(request_id="b", payload=b'{"errorMessage":"m","errorType":"T"}', error_type="T",
                           error_message="m", duration_ms=2.0)
    text = InvocationResult(request_id="c", payload=b"not json", duration_ms=0.5)
    target = InvokeTarget(zip_path=Path("/d/orders-amd64.zip"), function_name="orders", arch="amd64")
    document = report_document(target, "amd64", [ok, bad, text])
    assert document["ok"] is False
    assert (document["function"], document["arch"], document["zip"]) == ("orders", "amd64", "/d/orders-amd64.zip")
    first, second, third = document["invocations"]
    assert first == {"request_id": "a", "ok": True, "response": {"total": 10}, "error": None, "cold_start": True,
                     "duration_ms": 1.23, "init_duration_ms": 5.68, "max_memory_mb": 7, "logs": ["START", "hello"]}
    assert second["error"] == {"errorType": "T", "errorMessage": "m"} and second["ok"] is False
    assert third["response"] == "not json"
    json.dumps(document)  # serialisable as it is


def test_result_summary() -> None:
    assert InvocationResult(request_id="a", payload=b"").summary() == "ok"
    assert InvocationResult(request_id="a", payload=b"", error_type="T", error_message="m").summary() == "T: m"
    assert InvocationResult(request_id="a", payload=b"", error_type="T", error_message="").summary() == "T"
