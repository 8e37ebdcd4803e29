"""The physical limit of a build scenario on this machine, and where a gobuild run's time went.

limit = (compile CPU + compression CPU) / cores, where compile CPU is the user + system time of
the floor (one grouped `go build -o DIR/` per arch, children included) for the scenario, and
compression CPU is gobuild's own zip writer (gobuild.build.package.zip_bytes) run in this
process on the very binaries the floor produced. No build that compiles with Go and compresses
every binary can finish sooner on these cores, so `× limit` says how much of the machine a tool
leaves unused or spends on other work.

The breakdown comes from bench/probe.py, which runs gobuild in-process and times its phases.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import cores
from bench.report import Table


@dataclass(frozen=True, kw_only=True)
class Limit:
    """A scenario's least possible wall time on this machine, and what it is made of."""

    compile_cpu: float
    compress_cpu: float
    cores: int
    binaries: int

    @property
    def seconds(self) -> float:
        return (self.compile_cpu + self.compress_cpu) / self.cores

    def describe(self) -> str:
        return (f"limit {self.seconds:.2f} s = (compile CPU {self.compile_cpu:.1f} s + compression CPU "
                f"{self.compress_cpu:.1f} s for {self.binaries} binaries) / {self.cores} cores")


def busy(label: str, cpu: float | None, seconds: float) -> str:
    """How many cores a run kept busy on average: below the core count, the rest was idle or
    taken by other work on the machine, and no tool could reach the limit then."""
    if not cpu or not seconds:
        return f"{label}: CPU time not measured"
    return (f"{label} kept {cpu / seconds:.2f} of {cores()} cores busy on average (CPU s / seconds); "
            "fewer than all of them means other work shared the machine or the build could not use them")


def compression_cpu(binaries: Sequence[Path]) -> float:
    """CPU seconds gobuild's zip writer spends on these binaries (one zip each, as gobuild makes
    them), measured per thread on every core at once; reading the files is not counted."""
    from gobuild.build.package import MODE_EXECUTABLE, ZipEntry, zip_bytes

    def one(path: Path) -> float:
        data = path.read_bytes()
        start = time.thread_time()
        zip_bytes([ZipEntry(name="bootstrap", data=data, mode=MODE_EXECUTABLE)])
        return time.thread_time() - start

    with ThreadPoolExecutor(max_workers=cores()) as pool:
        return sum(pool.map(one, binaries))


def limit_of(compile_cpu: float | None, binaries: Sequence[Path], *, compress_cpu: float | None = None) -> Limit:
    """The limit for a scenario whose floor took `compile_cpu` and whose zips hold `binaries`."""
    measured = compression_cpu(binaries) if compress_cpu is None else compress_cpu
    return Limit(compile_cpu=compile_cpu or 0.0, compress_cpu=measured, cores=cores(), binaries=len(binaries))


def changed_binaries(before: Mapping[Path, bytes], out: Path) -> list[Path]:
    """The binaries under `out` whose bytes differ from `before` (path → sha256 digest)."""
    import hashlib

    return [p for p in sorted(out.glob("*/*")) if p.is_file() and before.get(p) != hashlib.sha256(p.read_bytes()).digest()]


def digests(out: Path) -> dict[Path, bytes]:
    """sha256 of every binary under out/ARCH/."""
    import hashlib

    return {p: hashlib.sha256(p.read_bytes()).digest() for p in sorted(out.glob("*/*")) if p.is_file()}


# --- the breakdown of one probed gobuild run -------------------------------------------------

PHASES = (
    # (key in the probe's summary, label, what it covers)
    ("startup", "start-up", "interpreter, imports, manifest, plan: until the first go command"),
    ("go:env", "go env / version", "asking go for its settings"),
    ("go:list", "go list", "child wall while any go list runs; CPU: go's and the parsing"),
    ("hashing", "hashing", "file, fingerprint, load-key and contents digests"),
    ("go:build", "compile (go build)", "child wall while any go build runs; CPU: go's"),
    ("compression", "compression", "zip_bytes (libdeflate), summed over threads"),
    ("zip-write", "zip write + digest", "writing each zip, its sha256"),
    ("cache", "shared cache", "S3 GetObject/PutObject of --cache"),
    ("index", "index writes", "artifacts.json, state.json, the no-op record"),
)


def breakdown_table(title: str, summary: Mapping[str, Any]) -> Table:
    """The phases of one probed run: calls, wall seconds, CPU seconds; and what is left, which
    is scheduling (waiting for a free worker or core, thread hand-offs)."""
    phases: Mapping[str, Mapping[str, float]] = summary.get("phases", {})
    wall = float(summary["wall"])
    rows: list[tuple[str, ...]] = []
    for key, label, what in PHASES:
        phase = phases.get(key)
        if key == "startup":
            rows.append((label, "-", f"{summary.get('startup', 0.0):.2f}", "-", "-", what))
            continue
        if not phase or not phase.get("calls"):
            continue
        share = f"{100 * phase['union'] / wall:.0f}%" if wall else "-"
        rows.append((label, f"{phase['calls']:.0f}", f"{phase['union']:.2f}", f"{phase['cpu']:.2f}", share, what))
    idle = float(summary.get("idle", 0.0))
    rows.append(("scheduling (estimated)", "-", f"{idle:.2f}", "-", f"{100 * idle / wall:.0f}%" if wall else "-",
                 "wall with none of the above running: waiting between phases"))
    rows.append(("total", "-", f"{wall:.2f}", f"{summary.get('cpu', 0.0):.2f}", "100%",
                 "wall of the gobuild process; CPU: its own + its go children"))
    missing = summary.get("missing") or []
    notes = [
        (f"critical path: {summary.get('before_compile', 0.0):.2f} s before the first go build starts, "
         f"{summary.get('compile_span', 0.0):.2f} s from its start to the last one's end, "
         f"{summary.get('after_compile', 0.0):.2f} s after it (packaging the last binaries, index writes)"),
        ("wall s is the time during which at least one call of the phase was running (phases overlap, "
         "so they do not add up to the total); CPU s is summed over threads and go processes"),
    ]
    if missing:
        notes.append("not instrumented (renamed in this gobuild?): " + ", ".join(missing))
    return Table(title=title, header=("phase", "calls", "wall s", "CPU s", "% of wall", "covers"),
                 rows=tuple(rows), notes=tuple(notes))
