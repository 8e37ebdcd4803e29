"""`gobuild invoke` leaves nothing behind: no process, however it was started, and no task root.

Each case runs the real CLI on a Python bootstrap that, in its handler, starts a child, a child
in a new session (setsid), an orphaned grandchild, a daemon (setsid, then its parent exits) and a
forked copy of itself; then it answers, crashes, hangs past the timeout, or waits for a signal.
After gobuild exits, /proc must hold no process that carries the case's mark in its command line,
runs from the case's TMPDIR, or has its current folder there; and TMPDIR must be empty.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import IO

import pytest

from gobuild.invoke.rootdir import PREFIX
from tests.integration.test_invoke_session import script_zip

SPAWNER = """
import subprocess
MARK = os.environ["LEAK_MARK"]
SLEEP = "import time; time.sleep(600)"
PARENT = "import os, subprocess, sys; {} subprocess.Popen([sys.executable, '-c', sys.argv[1], sys.argv[2]])"

def spawn_all():
    subprocess.Popen([sys.executable, "-c", SLEEP, MARK + "-child"])
    subprocess.Popen([sys.executable, "-c", SLEEP, MARK + "-setsid"], start_new_session=True)
    # The middle process starts a grandchild and exits: the grandchild is an orphan.
    subprocess.run([sys.executable, "-c", PARENT.format(""), SLEEP, MARK + "-orphan"])
    # The classic daemon: a new session, a grandchild in it, and its parent gone.
    subprocess.run([sys.executable, "-c", PARENT.format("os.setsid();"), SLEEP, MARK + "-daemon"])
    if os.fork() == 0:  # a copy of the bootstrap itself, never exec'd
        time.sleep(600)
        os._exit(0)

def marked():  # the marked processes running now (not gobuild, whose --env holds the bare mark)
    found = []
    for name in os.listdir("/proc"):
        try:
            with open("/proc/" + name + "/cmdline", "rb") as handle:
                if (MARK + "-").encode() in handle.read():
                    found.append(name)
        except OSError:
            pass
    return found

while True:
    _, headers, event = call("invocation/next")
    rid = headers["Lambda-Runtime-Aws-Request-Id"]
    then = json.loads(event)["then"]
    if then == "count":  # what a fresh process sees of the ones before it
        call("invocation/" + rid + "/response", json.dumps(len(marked())).encode())
        continue
    spawn_all()
    log("spawned", len(marked()))
    if then == "crash":
        sys.exit(3)
    if then == "hang":
        time.sleep(600)
    call("invocation/" + rid + "/response", b'"answered"')
"""


def leftovers(temp: Path, mark: str) -> list[str]:
    """Processes that carry `mark`, or run from or in `temp`: `ps` as /proc tells it."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue  # gone while we looked, or not ours to read
        if mark in cmdline or str(temp) in cmdline or cwd.startswith(str(temp)):
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
            found.append(f"{entry.name} [{state}] {cmdline.strip()} (cwd {cwd})")
    return found


class Case:
    """One `gobuild invoke` of the spawning bootstrap, in a TMPDIR of its own."""

    def __init__(self, tmp_path: Path) -> None:
        self.mark = f"gobuild-leak-{uuid.uuid4().hex}"
        self.temp = tmp_path / "tmp"
        self.temp.mkdir()
        self.zip_path = script_zip(tmp_path, SPAWNER)
        self.env = {**os.environ, "TMPDIR": str(self.temp)}

    def start(self, *events: str, timeout: float = 30, prefix: tuple[str, ...] = ()) -> subprocess.Popen[str]:
        flags = [flag for then in events for flag in ("-e", json.dumps({"then": then}))]
        return subprocess.Popen(
            [*prefix, sys.executable, "-m", "gobuild", "invoke", str(self.zip_path), "--json", "--timeout", str(timeout),
             "--env", f"LEAK_MARK={self.mark}", *flags],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            # SIGINT as a terminal gives it: a suite started in the background (`cmd &` in a
            # script) inherits it ignored, and invoke rightly keeps an ignored signal ignored.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )

    def assert_nothing_left(self) -> None:
        assert leftovers(self.temp, self.mark) == []
        assert list(self.temp.iterdir()) == []


def read_until(stream: IO[str], text: str) -> list[str]:
    """Reads lines until one starts with `text` (the event a test waits for); returns them all."""
    lines = []
    for line in stream:
        lines.append(line)
        if line.startswith(text):
            return lines
    raise AssertionError(f"{text!r} never came:\n{''.join(lines)}")


def test_a_normal_exit_ends_everything_the_function_started(tmp_path: Path) -> None:
    case = Case(tmp_path)
    proc = case.start("answer", "answer")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    first, second = json.loads(out)["invocations"]
    assert first["response"] == second["response"] == "answered"
    assert [line for line in first["logs"] if line.startswith("spawned")] == ["spawned 4"]
    assert not second["cold_start"]  # warm: its children were still there to be counted
    assert [line for line in second["logs"] if line.startswith("spawned")] == ["spawned 8"]
    case.assert_nothing_left()


def test_a_crash_resets_the_sandbox_before_the_next_cold_start(tmp_path: Path) -> None:
    case = Case(tmp_path)
    proc = case.start("crash", "count")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    crashed, after = json.loads(out)["invocations"]
    assert crashed["error"]["errorType"] == "Runtime.ExitError"
    # As on Lambda, nothing of the crashed process is left when the next one starts.
    assert (after["cold_start"], after["response"]) == (True, 0)
    case.assert_nothing_left()


def test_a_timeout_kills_everything_the_function_started(tmp_path: Path) -> None:
    case = Case(tmp_path)
    proc = case.start("hang", "count", timeout=2)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    timed_out, after = json.loads(out)["invocations"]
    assert timed_out["error"]["errorType"] == "Sandbox.Timedout"
    assert (after["cold_start"], after["response"]) == (True, 0)
    case.assert_nothing_left()


@pytest.mark.parametrize(("signum", "code", "word"), [(signal.SIGTERM, 143, "terminated"),
                                                      (signal.SIGINT, 130, "interrupted")])
def test_a_signal_ends_everything_and_exits_with_its_code(
    tmp_path: Path, signum: int, code: int, word: str
) -> None:
    case = Case(tmp_path)
    proc = case.start("hang")
    assert proc.stderr is not None
    seen = read_until(proc.stderr, "spawned")  # the handler has started all five
    assert leftovers(case.temp, case.mark) != []
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert out == ""
    assert err.strip().splitlines()[-1] == word
    assert "Traceback" not in "".join(seen) + err
    case.assert_nothing_left()


def test_an_ignored_hangup_stays_ignored(tmp_path: Path) -> None:
    case = Case(tmp_path)
    proc = case.start("hang", timeout=6, prefix=("nohup",))
    assert proc.stderr is not None
    read_until(proc.stderr, "spawned")
    proc.send_signal(signal.SIGHUP)
    out, err = proc.communicate(timeout=60)
    # It ran on to the function's timeout, as nohup asked, instead of stopping with 129.
    assert proc.returncode == 1, err
    assert json.loads(out)["invocations"][0]["error"]["errorType"] == "Sandbox.Timedout"
    case.assert_nothing_left()


def test_a_signal_before_the_function_runs_exits_cleanly(tmp_path: Path) -> None:
    case = Case(tmp_path)
    # gobuild reads its event from a pipe that never ends: it is still parsing its arguments.
    event_read, event_write = os.pipe()
    os.set_blocking(event_write, False)
    try:
        while True:
            os.write(event_write, b" " * 65536)
    except BlockingIOError:
        pass  # full
    proc = subprocess.Popen([sys.executable, "-m", "gobuild", "invoke", str(case.zip_path), "-e", "-"],
                            env=case.env, stdin=event_read, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    os.close(event_read)
    # The pipe has room again once gobuild has started reading it: the event to wait for.
    assert select.select([], [event_write], [], 60)[1] == [event_write]
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    os.close(event_write)
    assert (proc.returncode, out, err.strip()) == (143, "", "terminated")
    case.assert_nothing_left()


def test_sigkill_of_gobuild_still_ends_the_function_and_the_next_run_removes_the_task_root(
    tmp_path: Path,
) -> None:
    case = Case(tmp_path)
    proc = case.start("hang")
    assert proc.stderr is not None
    read_until(proc.stderr, "spawned")
    reaper = next(int(p) for p, *_ in (line.split(" ", 1) for line in leftovers(case.temp, case.mark))
                  if "reaper.py" in Path(f"/proc/{p}/cmdline").read_text())
    reaper_exit = os.pidfd_open(reaper)
    proc.kill()  # gobuild gets no chance to clean up
    proc.communicate(timeout=60)
    # The reaper sees gobuild's end (its control pipe closes), kills everything and exits.
    assert select.select([reaper_exit], [], [], 60)[0] == [reaper_exit]
    os.close(reaper_exit)
    assert leftovers(case.temp, case.mark) == []
    left = list(case.temp.iterdir())
    assert [p.name.startswith(PREFIX) for p in left] == [True]  # only the task root, no longer locked

    again = case.start("answer")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert json.loads(out)["invocations"][0]["response"] == "answered"
    case.assert_nothing_left()  # the leftover is gone too
