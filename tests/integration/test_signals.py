"""SIGINT and SIGTERM stop a real `gobuild build` at once: every go process group is killed, no
compile is reported as a failure or retried, the scratch folder and temporary files are gone,
and the exit status is 128 + the signal. What a build killed with SIGKILL leaves (it cannot
clean up) is removed by the next build.

The build runs with an empty GOCACHE, so it is still compiling when the signal arrives; the
test waits for that observable event (a `compile` process below gobuild in /proc), not a time.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.fixtures_build import copy_example, go_builds, go_shim, gobuild


def processes() -> dict[int, tuple[int, int, str, str]]:
    """Every process: pid → (parent pid, process group, state, command name), from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                text = handle.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        found[int(entry)] = (int(fields[1]), int(fields[2]), fields[0], name)
    return found


def descendants(root: int) -> dict[int, tuple[int, int, str, str]]:
    table = processes()
    below = {root}
    changed = True
    while changed:
        changed = False
        for pid, (parent, *_rest) in table.items():
            if parent in below and pid not in below:
                below.add(pid)
                changed = True
    return {pid: info for pid, info in table.items() if pid in below and pid != root}


def wait_for_compile(proc: subprocess.Popen[str], deadline: float = 300) -> set[int]:
    """Waits until a `compile` process runs below gobuild; returns the go process groups."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        below = descendants(proc.pid)
        if any(name == "compile" and state != "Z" for _, _, state, name in below.values()):
            return {group for _, group, _, _ in below.values() if group != os.getpgid(proc.pid)}
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.02)  # polling /proc for the event, not waiting out a time
    raise AssertionError("no compile process appeared")


def alive_in(groups: set[int]) -> list[str]:
    """Processes of these groups that still run (zombies have stopped)."""
    table = processes()
    ps = subprocess.run(["ps", "-eo", "pid=,pgid=,stat=,comm="], capture_output=True, text=True, check=True)
    listed = [line.split() for line in ps.stdout.splitlines()]
    from_ps = [f"{p[0]} {p[3]}" for p in listed if int(p[1]) in groups and not p[2].startswith("Z")]
    from_proc = [f"{pid} {name}" for pid, (_, group, state, name) in table.items() if group in groups and state != "Z"]
    return sorted(set(from_ps + from_proc))


def leftovers(project: Path) -> list[str]:
    dist = project / "dist"
    names = [p.name for p in dist.iterdir()] if dist.is_dir() else []
    inner = [p.name for p in (dist / ".gobuild").iterdir()] if (dist / ".gobuild").is_dir() else []
    return [n for n in names + inner if n.startswith(".gobuild-scratch-") or n.endswith(".tmp")]


@pytest.fixture
def slow_build(tmp_path: Path) -> tuple[Path, dict[str, str], Path]:
    """A project, an environment whose build cache is empty (a slow build), and the go shim's log."""
    project = copy_example(tmp_path / "shop")
    env, log = go_shim(tmp_path)
    (tmp_path / "tmp").mkdir()  # TMPDIR: nothing may be left there either
    return project, {**env, "GOCACHE": str(tmp_path / "empty-gocache"), "GOFLAGS": "-modcacherw",
                     "TMPDIR": str(tmp_path / "tmp")}, log


def warm(env: dict[str, str]) -> dict[str, str]:
    """The same environment with the machine's own build cache: the build after is quick."""
    return {k: v for k, v in env.items() if k != "GOCACHE"}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_build_and_every_go_process(slow_build: tuple[Path, dict[str, str], Path],
                                                      signum: signal.Signals) -> None:
    project, env, log = slow_build
    proc = subprocess.Popen([sys.executable, "-m", "gobuild", "build", "-C", str(project)], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    groups = wait_for_compile(proc)
    assert groups, "go runs in process groups of its own"
    sent = time.monotonic()
    os.kill(proc.pid, signum)
    _, stderr = proc.communicate(timeout=120)
    print(f"{signum.name}: gobuild exited {time.monotonic() - sent:.2f} s after the signal")
    assert proc.returncode == 128 + signum, stderr
    assert f"interrupted by {signum.name}" in stderr
    assert "FAIL" not in stderr and "Traceback" not in stderr
    assert alive_in(groups) == []
    assert leftovers(project) == []
    assert list(Path(env["TMPDIR"]).iterdir()) == []  # go's work folders were in the scratch folder
    builds = go_builds(log)
    assert 1 <= len(builds) <= 2  # one `go build` per group (amd64, arm64), none retried per package
    assert not any(re.search(r"/g\d+/t\d+/ ", line) for line in builds)
    assert f"interrupted by {signum.name}" in (project / "dist/gobuild.log").read_text()
    # The next build finishes the work.
    again = gobuild("build", "-C", str(project), env=warm(env))
    assert again.returncode == 0, again.stderr
    assert "5 zips" in again.stderr


def test_what_a_killed_build_left_is_removed_by_the_next(slow_build: tuple[Path, dict[str, str], Path]) -> None:
    project, env, _ = slow_build
    proc = subprocess.Popen([sys.executable, "-m", "gobuild", "build", "-C", str(project)], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    groups = wait_for_compile(proc)
    proc.kill()  # SIGKILL: gobuild cannot clean up
    proc.communicate(timeout=60)
    for group in groups:  # its go processes are orphans now; stop them as an operator would
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
    left = leftovers(project)
    assert any(n.startswith(".gobuild-scratch-") for n in left)
    dead_temp = project / "dist" / ".orders-arm64.zip.x1y2z3w4.tmp"
    dead_temp.write_bytes(b"half a zip")  # as a killed write_atomic leaves it
    again = gobuild("build", "-C", str(project), env=warm(env))
    assert again.returncode == 0, again.stderr
    assert leftovers(project) == []
