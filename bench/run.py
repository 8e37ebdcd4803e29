"""The gobuild benchmark: one command, a table of ratios measured in the same run.

    python bench/run.py [--functions N] [--only build,...]

Sections:
  build  (issue 2) 12 functions × 2 arches, all from an empty GOCACHE: the naive loop
         (one go build per function, then zip -X -9), the floor (one grouped go build -o DIR
         per arch) and a cold `gobuild build`, as ratios to the floor.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import fleet  # noqa: E402
from bench.measure import Sample, fresh_env, gobuild, machine, run, table  # noqa: E402

GO_FLAGS = ["-trimpath", "-buildvcs=false", "-tags=lambda.norpc", "-ldflags=-s -w"]


def naive_loop(project: Path, arches: dict[str, list[str]], env: dict[str, str], out: Path) -> float:
    """What teams write today: one go build per function and arch, then zip -X -9."""
    total = 0.0
    for name, archs in arches.items():
        for arch in archs:
            work = out / f"{name}-{arch}"
            work.mkdir(parents=True)
            build_env = {**env, "GOOS": "linux", "GOARCH": arch, "CGO_ENABLED": "0"}
            total += run(["go", "build", *GO_FLAGS, "-o", str(work / "bootstrap"), f"./cmd/{name}"],
                         cwd=project, env=build_env, label="naive go build")
            total += run(["zip", "-X", "-9", "-q", str(out / f"{name}-{arch}.zip"), "bootstrap"],
                         cwd=work, env=env, label="zip")
    return total


def floor(project: Path, arches: dict[str, list[str]], env: dict[str, str], out: Path) -> float:
    """One grouped go build -o DIR per arch: the least work Go can do."""
    total = 0.0
    for arch in ("amd64", "arm64"):
        packages = [f"./cmd/{n}" for n, a in arches.items() if arch in a]
        if packages:
            build_env = {**env, "GOOS": "linux", "GOARCH": arch, "CGO_ENABLED": "0"}
            total += run(["go", "build", *GO_FLAGS, "-o", str(out / arch) + "/", *packages],
                         cwd=project, env=build_env, label="grouped go build")
    return total


def section_build(work: Path, base_env: dict[str, str]) -> str:
    project = fleet.generate(work / "fleet12", functions=12)
    run(["go", "mod", "download"], cwd=project, env=base_env)
    arches = fleet.arches_of(project)
    rows: list[Sample] = []
    t = floor(project, arches, fresh_env(base_env, work / "cache-floor"), work / "out-floor")
    rows.append(Sample(label="(b) grouped go build per arch (floor)", seconds=t))
    t = naive_loop(project, arches, fresh_env(base_env, work / "cache-naive"), work / "out-naive")
    rows.append(Sample(label="(a) naive loop: go build + zip -X -9", seconds=t))
    sample = gobuild(["build", "-C", str(project), "-q"], cwd=project,
                     env=fresh_env(base_env, work / "cache-gobuild"), label="(c) gobuild build, cold")
    rows.append(sample)
    n = sum(len(a) for a in arches.values())
    header = f"build: {len(arches)} functions, {n} zips, each run from an empty GOCACHE"
    return header + "\n" + table(rows, rows[0].seconds, "floor") + "\ntarget: (c) <= 1.15 x floor"


SECTIONS = {"build": section_build}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gobuild-bench-"))
    base_env = {**os.environ, "GOFLAGS": ""}
    print(f"machine: {machine()}", flush=True)
    try:
        for name in args.only.split(","):
            print("\n" + SECTIONS[name](work, base_env), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
