"""Timing, CPU and memory helpers shared by the benchmarks.

Every measured command runs in a session of its own. Its CPU time is the user + system time
of the command and every descendant it waited for (getrusage(RUSAGE_CHILDREN) before and
after: the benchmark runs one measured command at a time). While it runs, a sampler thread reads
/proc every SAMPLE_SECONDS: the high-water RSS of the command's own process (VmHWM, which
only grows, so sampling loses at most the last interval; read every 20 ms) and the sum of the RSS of every
process in the session (the tree: go compile and link children included). gobuild itself
runs under bench/selfrss.py, which reports its own exact peak RSS from getrusage.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SELF_RSS = Path(__file__).with_name("selfrss.py")
PROBE = Path(__file__).with_name("probe.py")
SAMPLE_SECONDS = 0.25
# The Python that runs gobuild: run.py points it at gobuild as a user installs it (install_gobuild).
GOBUILD_PYTHON = [sys.executable]
OWN_SAMPLE_SECONDS = 0.02
TREE_EVERY = round(SAMPLE_SECONDS / OWN_SAMPLE_SECONDS)


@dataclass(frozen=True, kw_only=True)
class Usage:
    """What one or more commands cost: wall seconds, CPU seconds (user + system, children
    included), peak RSS of the tool itself and of its tree."""

    seconds: float
    own_mb: float | None = None
    tree_mb: float | None = None
    cpu: float | None = None

    def __add__(self, other: Usage) -> Usage:
        """Commands run one after another: times add up, peaks are the larger one."""
        cpu = None if self.cpu is None and other.cpu is None else (self.cpu or 0.0) + (other.cpu or 0.0)
        return Usage(seconds=self.seconds + other.seconds, own_mb=_max(self.own_mb, other.own_mb),
                     tree_mb=_max(self.tree_mb, other.tree_mb), cpu=cpu)


def _max(a: float | None, b: float | None) -> float | None:
    values = [v for v in (a, b) if v is not None]
    return max(values) if values else None


ZERO = Usage(seconds=0.0)


@dataclass(frozen=True, kw_only=True)
class Sample:
    """One row of a table: a run (or the median of several), or a peer that was skipped."""

    label: str
    seconds: float | None  # None: skipped, see note
    own_mb: float | None = None
    tree_mb: float | None = None
    warm: float | None = None  # the matching warm grouped go build, when the target compares to it
    runs: tuple[float, ...] = ()
    note: str = ""
    cpu: float | None = None  # user + system seconds, children included (median)
    limit: float | None = None  # the physical limit of this row's scenario, seconds (see bench/limit.py)

    @classmethod
    def of(cls, label: str, usages: Sequence[Usage], *, warm: Sequence[Usage] = (), note: str = "",
           limit: float | None = None) -> Sample:
        """The median of repeated runs (peaks: the largest seen)."""
        seconds = [u.seconds for u in usages]
        cpus = [u.cpu for u in usages if u.cpu is not None]
        return cls(
            label=label, seconds=statistics.median(seconds),
            own_mb=max((u.own_mb for u in usages if u.own_mb is not None), default=None),
            tree_mb=max((u.tree_mb for u in usages if u.tree_mb is not None), default=None),
            warm=statistics.median([u.seconds for u in warm]) if warm else None,
            runs=tuple(seconds) if len(seconds) > 1 else (), note=note,
            cpu=statistics.median(cpus) if cpus else None, limit=limit,
        )

    @classmethod
    def skipped(cls, label: str, reason: str) -> Sample:
        return cls(label=label, seconds=None, note=f"skipped: {reason}")

    def as_json(self) -> dict[str, object]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Sample:
        values = dict(data)
        values["runs"] = tuple(values.get("runs") or ())  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


class CommandFailed(RuntimeError):
    """A measured command exited non-zero; the message holds the end of its output."""


def _read_status(pid: int) -> tuple[int, int] | None:
    """(VmHWM, VmRSS) in KiB, or None once the process is gone."""
    hwm = rss = 0
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmHWM:"):
                    hwm = int(line.split()[1])
                elif line.startswith(b"VmRSS:"):
                    rss = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return hwm, rss


def _session_rss_kib(session: int) -> int:
    """Sum of RSS over the processes of one session (RSS from /proc/PID/stat, in pages)."""
    total = 0
    page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                text = handle.read()
        except OSError:
            continue
        fields = text[text.rfind(b")") + 2:].split()
        # fields[0] is the state (stat field 3): session is field 6, rss field 24.
        if len(fields) > 21 and int(fields[3]) == session:
            total += int(fields[21]) * page_kib
    return total


class _Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.done = threading.Event()
        self.own_kib = 0
        self.tree_kib = 0

    def run(self) -> None:
        # The tool's own VmHWM is cheap to read: often, so short runs are seen too. The tree
        # needs a scan of /proc: every SAMPLE_SECONDS, so it does not load the machine.
        ticks = 0
        while True:
            status = _read_status(self.pid)
            if status is not None:
                self.own_kib = max(self.own_kib, status[0])
            if ticks % TREE_EVERY == TREE_EVERY // 2:
                self.tree_kib = max(self.tree_kib, _session_rss_kib(self.pid))
            ticks += 1
            if self.done.wait(OWN_SAMPLE_SECONDS):
                return


def measure(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], label: str = "") -> Usage:
    """Runs a command, failing loudly; returns its wall time, CPU time and sampled peak memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    sampler = _Sampler(proc.pid)
    sampler.start()
    output, _ = proc.communicate()
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler.done.set()
    sampler.join()
    if proc.returncode != 0:
        tail = output.decode(errors="replace")[-4000:]
        raise CommandFailed(f"{label or argv[0]} failed ({proc.returncode}): {' '.join(argv)}\n{tail}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return Usage(seconds=elapsed, own_mb=sampler.own_kib / 1024 or None, tree_mb=sampler.tree_kib / 1024 or None,
                 cpu=cpu)


def run(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], label: str = "") -> float:
    """Runs a command that is set-up, not measured; fails loudly; returns its wall time."""
    start = time.perf_counter()
    proc = subprocess.run(list(argv), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        tail = proc.stdout.decode(errors="replace")[-4000:]
        raise CommandFailed(f"{label or argv[0]} failed ({proc.returncode}): {' '.join(argv)}\n{tail}")
    return time.perf_counter() - start


def gobuild(args: Sequence[str], *, cwd: Path, env: Mapping[str, str], label: str = "gobuild") -> Usage:
    """Runs the gobuild CLI in a child process that reports its own exact peak RSS (not its children's)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
        usage = measure([GOBUILD_PYTHON[0], str(SELF_RSS), report.name, *args], cwd=cwd, env=env, label=label)
        text = Path(report.name).read_text().strip()
    own = float(text) / 1024 if text else usage.own_mb
    return Usage(seconds=usage.seconds, own_mb=own, tree_mb=usage.tree_mb, cpu=usage.cpu)


def probed(args: Sequence[str], *, cwd: Path, env: Mapping[str, str], s3: bool = False,
           label: str = "gobuild") -> tuple[Usage, dict[str, Any]]:
    """Runs the gobuild CLI under bench/probe.py: its usage (own peak RSS included) and the probe's
    summary of where the time went."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as report:
        flags = ["--s3"] if s3 else []
        launched = {**env, "BENCH_LAUNCHED": repr(time.time())}
        usage = measure([GOBUILD_PYTHON[0], str(PROBE), report.name, *flags, "--", *args], cwd=cwd, env=launched,
                        label=label)
        summary: dict[str, Any] = json.loads(Path(report.name).read_text())
    own = summary["peak_kib"] / 1024 if summary.get("peak_kib") else usage.own_mb
    return Usage(seconds=usage.seconds, own_mb=own, tree_mb=usage.tree_mb, cpu=usage.cpu), summary


def fresh_env(base: Mapping[str, str], cache: Path) -> dict[str, str]:
    """The environment with its own (empty) GOCACHE, so a run is cold."""
    env = dict(base)
    env["GOCACHE"] = str(cache)
    env["GOFLAGS"] = ""
    return env


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    go = subprocess.run(["go", "version"], capture_output=True, text=True, check=False).stdout.strip()
    return f"{os.cpu_count()} cores, {cpu}; {go}; Python {sys.version.split()[0]}"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"
