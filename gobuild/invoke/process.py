"""One execution environment: a Runtime API server and the bootstrap process using it, with its
output pumped line by line to the session's log.
"""

from __future__ import annotations

import math
import os
import queue
import re
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from gobuild.invoke.results import ProcessExited
from gobuild.invoke.runtime_api import (
    RuntimeAPI,
)

_STOP_GRACE = 0.5  # seconds between SIGTERM and SIGKILL when a session ends
_MAX_LOG_LINE = 256 * 1024

LogSink = Callable[[str], None]



class Environment:
    """One execution environment: a Runtime API server and the bootstrap process using it."""

    def __init__(self, *, on_line: LogSink) -> None:
        self._events: queue.Queue[object] = queue.Queue()
        self.api = RuntimeAPI(self._events.put)
        self.api.__enter__()
        self._on_line = on_line
        self._process: subprocess.Popen[bytes] | None = None
        self._pump: LogPump | None = None
        self._watcher: threading.Thread | None = None
        self._memory: int | None = None
        self._stopped = False

    def start(self, command: list[str], *, cwd: Path, environment: dict[str, str]) -> None:
        """Starts the bootstrap in its own process group; OSError if exec fails."""
        self._process = subprocess.Popen(
            command,
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so a timeout kills the children it started too
        )
        assert self._process.stdout is not None
        self._pump = LogPump(self._process.stdout, self._on_line)
        self._watcher = threading.Thread(target=self._watch, name="bootstrap-watcher", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        assert self._process is not None
        returncode = self._process.wait()
        self._events.put(ProcessExited(returncode=returncode, at=time.monotonic()))

    def next_event(self, timeout: float) -> object | None:
        try:
            return self._events.get(timeout=max(timeout, 0))
        except queue.Empty:
            return None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def max_memory_mb(self) -> int | None:
        """The process's peak resident memory (VmHWM), rounded up to MB; kept after it exits."""
        if self._process is not None and self._process.poll() is None:
            try:
                status = Path(f"/proc/{self._process.pid}/status").read_text()
            except OSError:
                return self._memory
            match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
            if match:
                self._memory = math.ceil(int(match.group(1)) / 1024)
        return self._memory

    def sync_logs(self) -> None:
        """Waits until everything the process wrote so far has reached the log sink."""
        if self._pump is not None:
            self._pump.sync()

    def stop(self, *, kill: bool) -> None:
        """Ends the process (SIGKILL, or SIGTERM first with a short grace) and the server; once."""
        if self._stopped:
            return
        self._stopped = True
        process = self._process
        if process is not None and process.poll() is None:
            self._signal_group(process, signal.SIGKILL if kill else signal.SIGTERM)
            try:
                process.wait(timeout=None if kill else _STOP_GRACE)
            except subprocess.TimeoutExpired:
                self._signal_group(process, signal.SIGKILL)
                process.wait()
        if self._pump is not None:
            self._pump.close()
        self.api.close()

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
        try:
            os.killpg(process.pid, signum)  # the group start_new_session made: ours alone
        except (ProcessLookupError, PermissionError):
            pass


class LogPump:
    """Reads the process's output line by line on a thread and hands each line on.

    `sync()` makes the thread read everything already in the pipe before returning, so
    the lines written before a response are attributed to that invocation.
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
        self._closed = False
        self._buffer = b""
        self._thread = threading.Thread(target=self._run, name="bootstrap-logs", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
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
        while True:
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
            self._buffer += chunk
            *lines, self._buffer = self._buffer.split(b"\n")
            for line in lines:
                self._emit(line)
            if len(self._buffer) > _MAX_LOG_LINE:
                self._emit(self._buffer)
                self._buffer = b""

    def _emit(self, line: bytes) -> None:
        self._on_line(line.decode("utf-8", "replace").rstrip("\r"))

    def sync(self, timeout: float = 2.0) -> None:
        with self._cond:
            if self._finished:
                return
            self._requested += 1
            target = self._requested
            os.write(self._wake_write, b"x")
            self._cond.wait_for(lambda: self._served >= target or self._finished, timeout)

    def close(self) -> None:
        """Waits briefly for the rest of the output, then releases the pipes."""
        self._thread.join(timeout=2.0)
        if not self._thread.is_alive() and not self._closed:
            self._closed = True
            self._stream.close()
            os.close(self._wake_read)
            os.close(self._wake_write)
