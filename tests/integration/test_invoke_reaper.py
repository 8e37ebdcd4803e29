"""gobuild's process reaper on its own: its protocol with gobuild, spoken over real pipes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gobuild.invoke.process import REAPER


@dataclass
class Run:
    proc: subprocess.Popen[bytes]
    status: list[str]  # the status lines: the first one while it runs, all of them after
    output: bytes = b""

    def exit_code(self) -> int:
        (line,) = [line for line in self.status if line.startswith("exit ")]
        return os.waitstatus_to_exitcode(int(line.split()[1]))

    def end_control(self, command: bytes = b"") -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command)
        self.proc.stdin.close()


@contextmanager
def reaper(command: list[str], env: dict[str, str], grace: float = 5.0) -> Iterator[Run]:
    """Runs the reaper as Environment does; the Run has its output and status lines after."""
    status_read, status_write = os.pipe()
    env_read, env_write = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", str(REAPER), str(status_write), str(env_read), str(grace), "--", *command],
        env={}, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        pass_fds=(status_write, env_read), start_new_session=True,
    )
    os.close(status_write)
    os.close(env_read)
    with open(env_write, "wb") as channel:
        channel.write(b"".join(f"{k}={v}".encode() + b"\0" for k, v in env.items()))
    with open(status_read, "rb") as status:
        run = Run(proc=proc, status=[status.readline().decode().strip()])
        try:
            yield run
        finally:
            assert proc.stdout is not None
            run.output = proc.stdout.read()  # to its end: the reaper and all below it are gone
            proc.wait(timeout=60)
            if proc.stdin is not None:
                proc.stdin.close()
            proc.stdout.close()
            run.status.extend(line.strip() for line in status.read().decode().splitlines())


def test_an_exec_failure_is_reported_with_its_errno(tmp_path: Path) -> None:
    with reaper([str(tmp_path / "missing")], {}) as run:
        pass
    assert run.status == ["exec 2"]  # ENOENT, which the session words as Go's fork/exec does
    assert run.proc.returncode == 0


def test_the_bootstrap_gets_its_environment_and_the_reaper_none() -> None:
    with reaper(["/bin/sh", "-c", 'echo "$GREETING"; exec sleep 600'], {"GREETING": "hello=world"}) as run:
        assert run.status[0].startswith("pid ")
        # Nothing of the function's environment (LD_LIBRARY_PATH into the task root) reaches the reaper.
        assert Path(f"/proc/{run.proc.pid}/environ").read_bytes() == b""
        assert run.proc.stdout is not None
        assert run.proc.stdout.readline() == b"hello=world\n"  # the bootstrap's own
        run.end_control(b"k")
    assert run.exit_code() == -9


def test_the_bootstrap_exit_status_is_passed_on() -> None:
    with reaper(["/bin/sh", "-c", "exit 7"], {}) as run:
        pass
    assert run.exit_code() == 7


def test_end_of_the_control_line_kills_at_once() -> None:
    with reaper(["/bin/sh", "-c", "trap '' TERM; sleep 600"], {}) as run:
        run.end_control()  # as when gobuild dies, however it died
    assert run.exit_code() == -9


def test_t_asks_first_then_kills_after_the_grace() -> None:
    with reaper(["/bin/sh", "-c", "sleep 600"], {}) as run:
        run.end_control(b"t")
    assert run.exit_code() == -15  # it ended when asked
    with reaper(["/bin/sh", "-c", "trap '' TERM; echo deaf; while :; do sleep 1; done"], {}, grace=0.2) as run:
        assert run.proc.stdout is not None
        assert run.proc.stdout.readline() == b"deaf\n"  # the trap is set: now ask
        run.end_control(b"t")
    assert run.exit_code() == -9  # it ignored the ask
