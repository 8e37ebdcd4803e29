"""Runs a function zip locally the way Lambda (provided.al2023) would.

    target = resolve_target("orders", manifest_path=..., arch=None, host_arch="amd64")
    with InvokeSession(target=target, settings=settings, log_sink=print_line) as session:
        result = session.invoke(b'{"item": "x", "quantity": 2}')

A session unpacks the zip into a temporary task root (no entry may escape it, no symlink
is followed while writing), serves the Runtime API on 127.0.0.1 and starts `bootstrap`
with Lambda's environment. Invocations reuse the running process as a warm Lambda does;
after a crash or a timeout the next invocation starts a fresh process (a cold start).
Failures are results, shaped as Lambda reports them (Runtime.InvalidEntrypoint,
Runtime.ExitError, Sandbox.Timedout, the function's own errorType); only problems with the
input or the host (a bad zip, a missing qemu) raise.

The function's output and the platform lines Lambda writes (START, END, REPORT, timeouts)
go to `log_sink` line by line as they come, as they would reach the function's log stream; a
result keeps only the last lines of its invocation (logtail.py), so memory stays bounded.

Nothing outlives a session: the bootstrap runs under gobuild's reaper (reaper.py), which kills
everything it started, and the task root is removed on every path. `interrupt()` (from a signal
handler) makes a waiting session raise Interrupted; leaving the `with` block then cleans up.
"""

from __future__ import annotations

import dataclasses
import math
import secrets
import stat
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gobuild.errors import InvokeError
from gobuild.invoke.inputs import InvokeTarget
from gobuild.invoke.logtail import LogTail
from gobuild.invoke.process import Environment, LogSink
from gobuild.invoke.results import (
    Answer,
    Cancelled,
    Interrupted,
    InvocationResult,
    InvokeSettings,
    ProcessExited,
    describe_error,
    exit_reason,
    wait_for_answer,
    wait_until_ready,
)
from gobuild.invoke.rootdir import TaskRootDir, remove_stale
from gobuild.invoke.runtime_api import (
    InitFailed,
    Invocation,
    InvocationFailed,
    NextRequested,
    Responded,
    error_document,
)
from gobuild.invoke.taskroot import (
    FUNCTION_VERSION,
    bootstrap_arch,
    entrypoint_problem,
    exec_error,
    lacks_runtime_client,
    lambda_environment,
    log_stream_name,
    old_lambda_go,
    runner_command,
    trace_id,
    unpack_zip,
)
from gobuild.lambda_facts import AWS_LAMBDA_GO
from gobuild.report import NullReporter, Reporter

ACCOUNT_ID = "012345678912"  # the account AWS's own emulator puts in function ARNs
INVALID_ENTRYPOINT = "Runtime.InvalidEntrypoint"
EXIT_ERROR = "Runtime.ExitError"
TIMED_OUT = "Sandbox.Timedout"


# ─── Running ──────────────────────────────────────────────────────────────────────────


class InvokeSession:
    """A local execution environment for one zip; invoke it as many times as needed.

    Entering unpacks the zip and checks the host can run its bootstrap (ToolError if
    qemu is needed and missing). Leaving stops the bootstrap and everything it started,
    and deletes the task root, whatever happened before.
    """

    def __init__(
        self,
        *,
        target: InvokeTarget,
        settings: InvokeSettings,
        log_sink: LogSink,
        reporter: Reporter | None = None,
    ) -> None:
        self.target = target
        self.settings = settings
        self.reporter = reporter or NullReporter()
        self._sink = log_sink
        self._tail = LogTail()
        self._lines_lock = threading.Lock()
        self._root: TaskRootDir | None = None
        self._task_root: Path | None = None
        self._interrupted = False
        self._command: list[str] = []
        self._env: Environment | None = None
        self.arch: str | None = None  # the bootstrap's architecture, once unpacked
        self._arch_mismatch = False
        self._log_stream = log_stream_name(datetime.now(timezone.utc), secrets.token_hex(16))

    @property
    def task(self) -> str:
        return f"{self.target.function_name}/{self.arch or 'unknown'}"

    @property
    def task_root(self) -> Path:
        if self._task_root is None:
            raise RuntimeError("the session has not been entered")
        return self._task_root

    def __enter__(self) -> InvokeSession:
        stale = remove_stale()
        if stale:
            self.reporter.progress(self.task, f"removed {stale} task root{'s' if stale > 1 else ''} of killed runs")
        try:
            try:
                self._root = TaskRootDir()
            except OSError as error:
                raise InvokeError(f"cannot make a task root in {tempfile.gettempdir()}: {error.strerror or error}",
                                  hint="set TMPDIR to a writable folder") from None
            self._task_root = self._root.path
            unpack_zip(self.target.zip_path, self._task_root)
            self._check_interrupted()
            bootstrap = self._task_root / "bootstrap"
            found = bootstrap_arch(bootstrap)
            self.arch = found or self.target.arch or self.settings.host_arch
            # Lambda runs an arm64 binary on x86_64 no better than exec does: "exec format error".
            self._arch_mismatch = bool(found and self.target.arch and found != self.target.arch)
            if self._arch_mismatch:
                self._command = [str(bootstrap)]
            else:
                self._command = runner_command(
                    bootstrap, arch=found, host=self.settings.host_arch, find_program=self.settings.find_program
                )
            if len(self._command) > 1:
                self.reporter.progress(self.task, f"{found} bootstrap runs through {Path(self._command[0]).name}")
            old = old_lambda_go(bootstrap)
            if old:
                self.reporter.warning(
                    f"bootstrap uses {AWS_LAMBDA_GO} {old}, which predates the Lambda Runtime API (v1.18.0): it "
                    "never asks for events, so it times out here as on Lambda; fix: "
                    f"go get {AWS_LAMBDA_GO}@latest, then rebuild")
            elif lacks_runtime_client(bootstrap):
                self.reporter.warning(
                    f"bootstrap does not use {AWS_LAMBDA_GO}: nothing in it asks for events, so it times out "
                    "here as on Lambda (GB309); fix: start the handler with lambda.Start")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stops the bootstrap and all it started, and removes the task root; safe to call twice."""
        try:
            if self._env is not None:
                # Interrupted: nothing more is asked of it, so no grace.
                self._env.stop(kill=self._interrupted)
                self._env = None
        finally:
            if self._root is not None:
                self._root.remove()
                self._root = None
                self._task_root = None

    def interrupt(self) -> None:
        """Makes the session stop waiting and raise Interrupted; safe to call from a signal handler."""
        self._interrupted = True
        if self._env is not None:
            self._env.wake()

    def _check_interrupted(self) -> None:
        if self._interrupted:
            raise Interrupted("the session was interrupted")

    def invoke(self, payload: bytes) -> InvocationResult:
        """Sends one event and waits for its outcome; never raises for a failing function."""
        self._check_interrupted()
        request_id = str(uuid.uuid4())
        with self._lines_lock:
            self._tail = LogTail()
        self.reporter.started(self.task, request_id)
        cold = self._env is None or not self._env.alive
        init_ms: float | None = None
        if cold:
            if self._env is not None:
                self._env.stop(kill=True)
                self._env = None
                self.reporter.progress(self.task, "the previous process ended: cold start")
            started = self._cold_start(request_id)
            if isinstance(started, InvocationResult):
                return self._finish(started)
            init_ms = started
        env = self._env
        assert env is not None
        self._log(f"START RequestId: {request_id} Version: {FUNCTION_VERSION}")
        begun = time.monotonic()
        deadline = begun + self.settings.timeout
        env.api.submit(Invocation(
            request_id=request_id,
            payload=payload,
            # Rounded up: the runtime's own deadline must not come before ours.
            deadline_ms=math.ceil((time.time() + self.settings.timeout) * 1000),
            function_arn=f"arn:aws:lambda:{self.settings.region}:{ACCOUNT_ID}:function:{self.target.function_name}",
            trace_id=trace_id(time.time()),
        ))
        asked: list[NextRequested] = []
        answer = wait_for_answer(env.next_event, request_id=request_id, deadline=deadline, clock=time.monotonic,
                                 asked=asked)
        duration_ms = (time.monotonic() - begun) * 1000
        if isinstance(answer, Cancelled):
            raise Interrupted("the session was interrupted")
        if isinstance(answer, (Responded, InvocationFailed)):
            # The invocation is complete when the runtime asks for the next one, as on Lambda;
            # a second of grace keeps an answer just inside the deadline from costing a cold start.
            after = asked[0] if asked else wait_until_ready(
                env.next_event, deadline=max(deadline, time.monotonic() + 1.0), clock=time.monotonic)
            if isinstance(after, Cancelled):
                raise Interrupted("the session was interrupted")
            memory = env.max_memory_mb()
            if isinstance(after, NextRequested):
                env.sync_logs(cancelled=lambda: self._interrupted)
            else:
                env.stop(kill=True)
        else:
            memory = env.max_memory_mb()
            env.stop(kill=True)  # also drains the output, so the function's last lines come first
        result = self._answer_result(request_id, answer, duration_ms, init_ms, memory)
        self._log(f"END RequestId: {request_id}")
        self._log(self._report_line(request_id, duration_ms, init_ms, memory))
        return self._finish(result)

    # Internals.

    def _cold_start(self, request_id: str) -> InvocationResult | float:
        """Starts a fresh process and waits for init; returns the init time or the failure."""
        bootstrap = self.task_root / "bootstrap"
        started = time.monotonic()
        self._log("INIT_START Runtime Version: provided:al2023")
        spawned = self._spawn(bootstrap)
        if isinstance(spawned, str):
            note = self._entrypoint_note(bootstrap, spawned)
            if note:
                self._log(note)
            return self._init_failure(request_id, INVALID_ENTRYPOINT, f"fork/exec {bootstrap}: {spawned}", started)
        # Init is timed from the exec, as Lambda does: not from the start of gobuild's reaper.
        started = time.monotonic()
        # Init may use Lambda's 10 s and then, as a retried init, the invocation's timeout.
        deadline = started + self.settings.init_timeout + self.settings.timeout
        ready = wait_until_ready(spawned.next_event, deadline=deadline, clock=time.monotonic)
        if isinstance(ready, Cancelled):
            raise Interrupted("the session was interrupted")
        if isinstance(ready, NextRequested):
            return (time.monotonic() - started) * 1000
        self._env = None
        spawned.stop(kill=True)  # drains its output too
        if isinstance(ready, InitFailed):
            error_type, message = describe_error(ready.payload, ready.error_type or "Runtime.Unknown")
            return self._init_failure(request_id, error_type, message, started, payload=ready.payload)
        if isinstance(ready, ProcessExited):
            return self._init_failure(request_id, EXIT_ERROR, exit_reason(ready.returncode), started)
        self._log(self._timeout_line(request_id))
        return self._init_failure(request_id, TIMED_OUT, self._timeout_message(), started)

    def _entrypoint_note(self, bootstrap: Path, problem: str) -> str | None:
        """A line for the log that says why Lambda's terse error happened, when we know."""
        if self._arch_mismatch:
            return f"bootstrap is built for {self.arch}, but the function's architecture is {self.target.arch}"
        if problem == "permission denied" and bootstrap.is_file():
            mode = stat.S_IMODE(bootstrap.stat().st_mode)
            return (f"bootstrap has mode {mode:04o}: Lambda runs functions as a user that does not own "
                    "the file, so others need the x bit (0755)")
        return None

    def _spawn(self, bootstrap: Path) -> Environment | str:
        """A started environment, or why exec failed (worded as Go's fork/exec error)."""
        problem = "exec format error" if self._arch_mismatch else entrypoint_problem(bootstrap)
        if problem is not None:
            return problem
        env = Environment(on_line=self._log)
        self._env = env  # from now on, close() and interrupt() reach it
        environment = lambda_environment(
            function_name=self.target.function_name,
            runtime_api=env.api.address,
            task_root=self.task_root,
            memory_mb=self.settings.memory_mb,
            region=self.settings.region,
            log_stream=self._log_stream,
            user_env=self.settings.env,
        )
        try:
            env.start(self._command, cwd=self.task_root, environment=environment)
        except OSError as error:
            self._env = None
            env.stop(kill=True)
            return exec_error(error.errno)
        self._check_interrupted()
        return env

    def _init_failure(
        self, request_id: str, error_type: str, reason: str, started: float, *, payload: bytes | None = None
    ) -> InvocationResult:
        init_ms = (time.monotonic() - started) * 1000
        message = reason if payload is not None else f"RequestId: {request_id} Error: {reason}"
        if error_type == TIMED_OUT:
            self._log(f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: timeout")
        else:
            self._log(f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: error\t"
                      f"Error Type: {error_type}")
        if payload is None and error_type != TIMED_OUT:
            self._log(message)
            self._log(error_type)
        return InvocationResult(
            request_id=request_id,
            payload=payload if payload is not None else error_document(error_type, message),
            error_type=error_type,
            error_message=message,
            init_duration_ms=init_ms,
            cold_start=True,
        )

    def _answer_result(
        self, request_id: str, answer: Answer, duration_ms: float, init_ms: float | None, memory: int | None
    ) -> InvocationResult:
        common: dict[str, Any] = {
            "request_id": request_id,
            "duration_ms": duration_ms,
            "init_duration_ms": init_ms,
            "cold_start": init_ms is not None,
            "max_memory_mb": memory,
        }
        if isinstance(answer, Responded):
            return InvocationResult(payload=answer.payload, content_type=answer.content_type or "application/json",
                                    **common)
        if isinstance(answer, InvocationFailed):
            error_type, message = describe_error(answer.payload, answer.error_type)
            return InvocationResult(payload=answer.payload, error_type=error_type, error_message=message, **common)
        if isinstance(answer, ProcessExited):
            reason = exit_reason(answer.returncode)
            self._log(f"RequestId: {request_id} Error: {reason}")
            self._log(EXIT_ERROR)
            message = f"RequestId: {request_id} Error: {reason}"
            return InvocationResult(payload=error_document(EXIT_ERROR, message), error_type=EXIT_ERROR,
                                    error_message=message, **common)
        self._log(self._timeout_line(request_id))
        message = f"RequestId: {request_id} Error: {self._timeout_message()}"
        return InvocationResult(payload=error_document(TIMED_OUT, message), error_type=TIMED_OUT,
                                error_message=message, **common)

    def _timeout_message(self) -> str:
        return f"Task timed out after {self.settings.timeout:.2f} seconds"

    def _timeout_line(self, request_id: str) -> str:
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return f"{now} {request_id} {self._timeout_message()}"

    def _report_line(self, request_id: str, duration_ms: float, init_ms: float | None,
                     memory: int | None) -> str:
        parts = [
            f"REPORT RequestId: {request_id}",
            f"Duration: {duration_ms:.2f} ms",
            f"Billed Duration: {math.ceil(duration_ms)} ms",
            f"Memory Size: {self.settings.memory_mb} MB",
        ]
        if memory is not None:
            parts.append(f"Max Memory Used: {memory} MB")
        if init_ms is not None:
            parts.append(f"Init Duration: {init_ms:.2f} ms")
        return "\t".join(parts)

    def _finish(self, result: InvocationResult) -> InvocationResult:
        with self._lines_lock:
            logs = self._tail.lines()
        result = dataclasses.replace(result, logs=logs)
        self.reporter.finished(self.task, result.ok, "" if result.ok else result.summary(),
                               request_id=result.request_id, seconds=result.duration_ms / 1000)
        return result

    def _log(self, line: str) -> None:
        # Called from the log pump thread too; the lock keeps lines whole and in order.
        with self._lines_lock:
            self._tail.add(line)
            self._sink(line)


