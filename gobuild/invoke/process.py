"""One execution environment: a Runtime API server and the bootstrap process using it, with its
output pumped line by line to the session's log.

The bootstrap runs under gobuild's reaper (reaper.py), which owns it and everything it starts:
when the environment stops, when the bootstrap exits, or when gobuild dies, all of it is killed.
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from gobuild.errors import ToolError
from gobuild.invoke.logtail import MAX_LINE_BYTES
from gobuild.invoke.results import Cancelled, ProcessExited
from gobuild.invoke.runtime_api import RuntimeAPI

STOP_GRACE = 0.5  # seconds between SIGTERM and SIGKILL when a session ends
REAPER = Path(__file__).with_name("reaper.py")
_REAPER_MARGIN = 10.0  # seconds the reaper may take past the grace before it is killed itself
# Seconds without progress after which the log pump is no longer waited for: a slow stderr
# still makes progress and is waited for, a stuck one or a writer out of the reaper's reach not.
PUMP_IDLE = 2.0
WAIT_SLICE = 0.25  # seconds: the longest the main thread blocks before a signal handler can run

LogSink = Callable[[str], None]


class Environment:
    """One execution environment: a Runtime API server and the bootstrap process using it."""

    def __init__(self, *, on_line: LogSink, grace: float = STOP_GRACE) -> None:
        # SimpleQueue: its put() is safe in a signal handler (wake), where a lock could deadlock.
        self._events: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._on_line = on_line
        self._grace = grace
        self._process: subprocess.Popen[bytes] | None = None
        self._status: IO[bytes] | None = None
        self._pump: LogPump | None = None
        self._watcher: threading.Thread | None = None
        self._memory: int | None = None
        self.pid: int | None = None  # the bootstrap's, once it runs
        self.api = RuntimeAPI(self._events.put)
        self.api.__enter__()

    def start(self, command: list[str], *, cwd: Path, environment: Mapping[str, str]) -> None:
        """Starts the bootstrap under the reaper; OSError (its errno) if exec fails."""
        status_read, status_write = os.pipe()
        env_read, env_write = os.pipe()
        self._status = os.fdopen(status_read, "rb")
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(REAPER), str(status_write), str(env_read), str(self._grace),
                 "--", *command],
                cwd=cwd,
                env={},  # the reaper's own; the bootstrap's goes through env_read
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(status_write, env_read),
                start_new_session=True,  # a terminal's Ctrl-C is for gobuild, which then stops it
            )
        except OSError as error:
            os.close(env_write)
            raise ToolError(f"cannot start {sys.executable or 'python'} to run the bootstrap: {error.strerror}",
                            hint="gobuild runs each bootstrap under a small Python process of its own") from None
        finally:
            os.close(status_write)
            os.close(env_read)
        assert self._process.stdout is not None
        self._pump = LogPump(self._process.stdout, self._on_line)
        with open(env_write, "wb") as channel:
            try:
                channel.write(b"".join(f"{name}={value}".encode() + b"\0" for name, value in environment.items()))
            except BrokenPipeError:
                pass  # the reaper failed; its first status line says so
        first = self._status.readline().decode("ascii", "replace").split()
        if first[:1] == ["pid"]:
            self.pid = int(first[1])
        else:
            self._process.wait()
            if first[:1] == ["exec"]:
                number = int(first[1])
                raise OSError(number, os.strerror(number))
            raise ToolError(f"gobuild's process reaper ({REAPER}) ended before it started the bootstrap "
                            f"(exit status {self._process.returncode})")
        self._watcher = threading.Thread(target=self._watch, name="bootstrap-watcher", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        assert self._process is not None and self._status is not None
        returncode = self._process.wait()
        exited = time.monotonic()
        for line in self._status.read().decode("ascii", "replace").splitlines():
            if line.startswith("exit "):
                returncode = os.waitstatus_to_exitcode(int(line.split()[1]))
        self._events.put(ProcessExited(returncode=returncode, at=exited))

    def next_event(self, timeout: float) -> object | None:
        """The next event, or None after `timeout` seconds or less (callers wait until their deadline)."""
        try:
            # Short slices: a signal that lands just before the wait begins is handled within one.
            return self._events.get(timeout=min(max(timeout, 0), WAIT_SLICE))
        except queue.Empty:
            return None

    def wake(self) -> None:
        """Makes a wait for this environment's next event return Cancelled; safe in a signal handler."""
        self._events.put(Cancelled())

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def max_memory_mb(self) -> int | None:
        """The bootstrap's peak resident memory (VmHWM), rounded up to MB; kept after it exits."""
        if self.pid is not None and self.alive:
            try:
                status = Path(f"/proc/{self.pid}/status").read_text()
            except OSError:
                return self._memory
            match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
            if match:
                self._memory = math.ceil(int(match.group(1)) / 1024)
        return self._memory

    def sync_logs(self, *, cancelled: Callable[[], bool] = lambda: False) -> None:
        """Waits until everything the process wrote so far has reached the log sink."""
        if self._pump is not None:
            self._pump.sync(cancelled=cancelled)

    def stop(self, *, kill: bool) -> None:
        """Ends the bootstrap and everything it started (SIGKILL, or SIGTERM first with a short
        grace), then the output pump and the server. Each step is idempotent, so a second call
        finishes whatever an interrupted first one left."""
        process = self._process
        if process is not None:
            self._end(process, kill=kill)
        if self._watcher is not None:
            self._watcher.join()
        if self._pump is not None:
            self._pump.close()
        if self._status is not None:
            self._status.close()
        self.api.close()

    def _end(self, process: subprocess.Popen[bytes], *, kill: bool) -> None:
        control = process.stdin
        assert control is not None
        if not control.closed:
            with contextlib.suppress(OSError):  # the reaper is done already
                control.write(b"k" if kill else b"t")
                control.flush()
            with contextlib.suppress(OSError):
                control.close()
        try:
            process.wait(timeout=self._grace + _REAPER_MARGIN)
        except subprocess.TimeoutExpired:
            # Never expected: the reaper is stuck. Kill it and the bootstrap's session with it.
            for group in (process.pid, self.pid):
                if group is not None:
                    with contextlib.suppress(OSError):
                        os.killpg(group, signal.SIGKILL)
            process.wait()


class LogPump:
    """Reads the process's output line by line on a thread and hands each line on.

    `sync()` makes the thread read everything already in the pipe before returning, so
    the lines written before a response are attributed to that invocation. Lines longer
    than MAX_LINE_BYTES are handed on in pieces: at most that much is ever held.
    """

    def __init__(self, stream: IO[bytes], on_line: LogSink) -> None:
        self._stream = stream
        self._fd = stream.fileno()
        os.set_blocking(self._fd, False)
        self._on_line = on_line
        self._wake_read, self._wake_write = os.pipe()
        self._cond = threading.Condition()
        self._requested = 0
        self._served = 0
        self._finished = False
        self._abandoned = False
        self._closed = False
        self._buffer = b""
        self._progress = time.monotonic()  # when a line last reached the sink (or bytes came)
        self._thread = threading.Thread(target=self._run, name="bootstrap-logs", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._abandoned:
                readable, _, _ = select.select([self._fd, self._wake_read], [], [])
                with self._cond:
                    wanted = self._requested
                if self._wake_read in readable:
                    os.read(self._wake_read, 4096)
                ended = self._drain()
                with self._cond:
                    self._served = max(self._served, wanted)
                    if ended:
                        self._finished = True
                    self._cond.notify_all()
                if ended:
                    return
        finally:
            with self._cond:
                self._finished = True
                self._cond.notify_all()

    def _drain(self) -> bool:
        """Reads all that is available; True at end of file."""
        while not self._abandoned:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                return False
            except OSError:
                chunk = b""
            if not chunk:
                if self._buffer:
                    self._emit(self._buffer)
                    self._buffer = b""
                return True
            self._progress = time.monotonic()
            self._buffer += chunk
            *lines, self._buffer = self._buffer.split(b"\n")
            for line in lines:
                while len(line) > MAX_LINE_BYTES:
                    self._emit(line[:MAX_LINE_BYTES])
                    line = line[MAX_LINE_BYTES:]
                self._emit(line)
            while len(self._buffer) > MAX_LINE_BYTES:
                self._emit(self._buffer[:MAX_LINE_BYTES])
                self._buffer = self._buffer[MAX_LINE_BYTES:]
        return True

    def _emit(self, line: bytes) -> None:
        self._on_line(line.decode("utf-8", "replace").rstrip("\r"))
        self._progress = time.monotonic()

    def _stalled(self) -> bool:
        return time.monotonic() - self._progress > PUMP_IDLE

    def sync(self, *, cancelled: Callable[[], bool] = lambda: False) -> None:
        """Returns once all that is in the pipe now has reached the sink, unless the pump stalls
        (PUMP_IDLE) or `cancelled()` says to stop waiting."""
        with self._cond:
            if self._finished:
                return
            self._requested += 1
            target = self._requested
            os.write(self._wake_write, b"x")
            self._progress = max(self._progress, time.monotonic())
            while not (self._served >= target or self._finished or self._stalled() or cancelled()):
                self._cond.wait(WAIT_SLICE)

    def close(self) -> None:
        """Waits for the rest of the output while it flows, then stops reading and releases the pipes."""
        if self._closed:
            return
        self._progress = max(self._progress, time.monotonic())
        while self._thread.is_alive() and not self._stalled():
            self._thread.join(timeout=WAIT_SLICE)
        if self._thread.is_alive():
            # A writer outside the reaper's reach keeps the pipe open, or stderr takes nothing: stop.
            self._abandoned = True
            os.write(self._wake_write, b"x")
            self._thread.join(timeout=PUMP_IDLE)
        if not self._thread.is_alive():
            self._closed = True
            self._stream.close()
            os.close(self._wake_read)
            os.close(self._wake_write)
