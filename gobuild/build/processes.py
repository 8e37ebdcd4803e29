"""Every child process a build starts, so that one signal stops them all.

Each command runs in its own session (so its process group is its own: `go` and the compile,
asm and link processes it starts), with stdout and stderr kept apart: stdout is what gobuild
parses (`go list -json`), stderr is what Go says (`go: downloading ...`, errors). stop()
kills every running group and makes later calls raise Interrupted instead of starting anything.
"""

from __future__ import annotations

import errno
import os
import shlex
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gobuild.errors import ToolError, UsageError


class Interrupted(BaseException):
    """A signal stopped the build. A BaseException, like KeyboardInterrupt, so that no
    `except GobuildError` on the way turns it into an ordinary failure."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process a signal stopped."""
        return 128 + self.signum

    @property
    def name(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"


@dataclass(frozen=True, kw_only=True)
class Completed:
    """A finished command: its argv, exit status, and what it wrote to stdout and stderr."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """Everything the command printed: stderr, then stdout."""
        return self.stderr + self.stdout

    def replay(self, *, stdout: bool = True) -> str:
        """The command line (shell-quoted) and its output, for a failure report."""
        shown = self.stderr + (self.stdout if stdout else "")
        return "$ " + shlex.join(self.argv) + "\n" + shown


class Processes:
    """The running children of one build; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, subprocess.Popen[bytes]] = {}
        self.stopped: int | None = None  # the signal number once stop() was called

    def run(self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], hint: str | None = None) -> Completed:
        """Runs a command quietly in its own process group and returns what it printed."""
        with self._lock:
            if self.stopped is not None:
                raise Interrupted(self.stopped)
            try:
                proc = subprocess.Popen(
                    list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, start_new_session=True,
                )
            except OSError as error:
                raise _start_error(argv, env, error, hint) from None
            self._running[proc.pid] = proc
        try:
            out, err = proc.communicate()
        except BaseException:
            _kill_group(proc)
            proc.wait()
            raise
        finally:
            with self._lock:
                self._running.pop(proc.pid, None)
        if self.stopped is not None:
            raise Interrupted(self.stopped)  # killed by stop(): not a failure of the command
        return Completed(argv=tuple(argv), returncode=proc.returncode, stdout=out.decode("utf-8", "replace"),
                         stderr=err.decode("utf-8", "replace"))

    def stop(self, signum: int) -> None:
        """Kills every running process group and refuses to start more."""
        with self._lock:
            if self.stopped is None:
                self.stopped = signum
            running = list(self._running.values())
        for proc in running:
            _kill_group(proc)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)  # the session leader's pid is its group id
        else:  # pragma: no cover - Windows has no process groups to kill
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass  # already gone


def _start_error(argv: Sequence[str], env: Mapping[str, str], error: OSError,
                 hint: str | None) -> ToolError | UsageError:
    if error.errno == errno.E2BIG:
        items = [(len(a.encode()) + 1, f"argument {a[:40]!r}") for a in argv]
        items += [(len(f"{k}={v}".encode()) + 1, f"variable {k}") for k, v in env.items()]
        largest = max(items)
        return UsageError(
            f"the command line for {os.path.basename(argv[0])} is too long for this system "
            f"({sum(n for n, _ in items)} bytes of arguments and environment; the largest is "
            f"{largest[1]}, {largest[0]} bytes)",
            hint="shorten ldflags, tags or env in gobuild.toml (or the environment gobuild runs in)",
        )
    return ToolError(f"cannot run {argv[0]}: {error.strerror or error}", hint=hint)
