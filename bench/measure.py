"""Timing and memory helpers shared by the benchmarks."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SELF_RSS = Path(__file__).with_name("selfrss.py")


@dataclass(frozen=True, kw_only=True)
class Sample:
    """One measured run: wall seconds and, when known, the peak RSS of the main process."""

    label: str
    seconds: float
    peak_mb: float | None = None
    note: str = ""


def run(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], label: str = "") -> float:
    """Runs a command, failing loudly; returns its wall time in seconds."""
    start = time.perf_counter()
    proc = subprocess.run(list(argv), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{label or argv[0]} failed ({proc.returncode}):\n{proc.stdout.decode(errors='replace')[-4000:]}")
    return elapsed


def gobuild(args: Sequence[str], *, cwd: Path, env: Mapping[str, str], label: str) -> Sample:
    """Runs the gobuild CLI in a child process that reports its own peak RSS (not its children's)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
        seconds = run([sys.executable, str(SELF_RSS), report.name, *args], cwd=cwd, env=env, label=label)
        text = Path(report.name).read_text().strip()
    return Sample(label=label, seconds=seconds, peak_mb=float(text) / 1024 if text else None)


def fresh_env(base: Mapping[str, str], cache: Path) -> dict[str, str]:
    """The environment with its own (empty) GOCACHE, so a run is cold."""
    env = dict(base)
    env["GOCACHE"] = str(cache)
    env["GOFLAGS"] = ""
    return env


def children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def table(rows: Sequence[Sample], floor: float, floor_name: str) -> str:
    """A plain text table with each row's ratio to the floor."""
    width = max(len(r.label) for r in rows) + 2
    lines = [f"{'run':<{width}}{'seconds':>9}{'× ' + floor_name:>16}{'peak MB':>10}  note"]
    for r in rows:
        peak = f"{r.peak_mb:.0f}" if r.peak_mb is not None else "-"
        ratio = f"{r.seconds / floor:.2f}" if r.seconds else "-"
        lines.append(f"{r.label:<{width}}{r.seconds:>9.2f}{ratio:>16}{peak:>10}  {r.note}")
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    go = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} cores, {cpu}; {go}; Python {sys.version.split()[0]}"
