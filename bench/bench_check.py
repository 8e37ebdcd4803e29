"""`gobuild check` on a 50-function SAM template with local zips: is it fast enough for a hook?

    python bench/bench_check.py [--functions 50] [--runs 5]

The example's healthcheck is compiled once per architecture with the real Go toolchain
(GOOS=linux, CGO_ENABLED=0, -trimpath, -ldflags="-s -w", -tags lambda.norpc); each function
gets its own zip (gobuild.build.package.write_zip) holding that binary as `bootstrap` plus a
`fleet.json` naming it, so no two zips are alike and every one is verified. The template has
Globals and one AWS::Serverless::Function per zip, half arm64, half x86_64. Each run is
`python -m gobuild check template.yaml` in a fresh process, as a pre-commit hook runs it: wall
time from start to exit, and the CPU time of the process. "cold" runs start with no remembered
verdicts (every zip is verified: the first run after a build); "warm" runs find the verdicts the
previous run left (the zips did not change: every later commit).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from gobuild.build.package import MODE_EXECUTABLE, ZipEntry, write_zip
from gobuild.files import RACY_SECONDS

ARCHES = {"amd64": "x86_64", "arm64": "arm64"}
TODAY = "2026-11-28"


def go_binaries(work: Path) -> tuple[dict[str, bytes], str]:
    """The example healthcheck compiled for each Lambda architecture, and the Go version."""
    env = {**os.environ, "GOOS": "linux", "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false", "GOTOOLCHAIN": "local"}
    binaries = {}
    for arch in ARCHES:
        out = work / f"bootstrap-{arch}"
        subprocess.run(["go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags=-s -w", "-o", str(out),
                        "./cmd/healthcheck"], cwd=REPO / "testdata", env={**env, "GOARCH": arch}, check=True)
        binaries[arch] = out.read_bytes()
    version = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, check=True).stdout.strip()
    return binaries, version


def make_project(root: Path, functions: int, binaries: dict[str, bytes]) -> int:
    """dist/fnNN-ARCH.zip for each function and a template.yaml naming them; returns total bytes."""
    dist = root / "dist"
    dist.mkdir(parents=True)
    lines = [
        "AWSTemplateFormatVersion: '2010-09-09'", "Transform: AWS::Serverless-2016-10-31",
        "Globals:", "  Function:", "    Runtime: provided.al2023", "    Handler: bootstrap", "    Timeout: 10",
        "    MemorySize: 256", "    Environment:", "      Variables:", "        STAGE: bench", "Resources:",
    ]
    total = 0
    for index in range(functions):
        arch = list(ARCHES)[index % 2]
        name = f"fn{index:02d}"
        label = json.dumps({"function": name, "arch": arch}).encode()
        zipped = write_zip(dist / f"{name}-{arch}.zip", [
            ZipEntry(name="bootstrap", data=binaries[arch], mode=MODE_EXECUTABLE),
            ZipEntry(name="fleet.json", data=label),
        ])
        total += zipped.size
        lines += [f"  Fn{index:02d}Function:", "    Type: AWS::Serverless::Function", "    Properties:",
                  f"      CodeUri: dist/{name}-{arch}.zip", f"      Architectures: [{ARCHES[arch]}]"]
    (root / "template.yaml").write_text("\n".join(lines) + "\n")
    return total


def one_run(root: Path, verdicts: Path, *extra: str) -> tuple[float, float, dict[str, object]]:
    """Wall and CPU seconds of one `gobuild check --json` process, and its document."""
    env = {**os.environ, "GOBUILD_CHECK_CACHE": str(verdicts)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "gobuild", "check", "--json", "--today", TODAY, *extra,
                           "template.yaml"], cwd=root, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"gobuild check failed ({proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gobuild-bench-check-") as tmp:
        work = Path(tmp)
        binaries, go_version = go_binaries(work)
        total = make_project(work / "project", args.functions, binaries)
        time.sleep(RACY_SECONDS)  # a zip written this instant is never remembered; hooks run later
        one_run(work / "project", work / "none.json", "--no-cache")  # warm the page and bytecode caches
        rows = []
        for jobs in ("1", "4"):
            cold = [one_run(work / "project", work / f"cold-{jobs}-{i}.json", "--jobs", jobs) for i in range(args.runs)]
            rows.append((f"cold, --jobs {jobs}", cold))
        warm_store = work / "warm.json"
        one_run(work / "project", warm_store)
        rows.append(("warm, --jobs 4", [one_run(work / "project", warm_store) for _ in range(args.runs)]))
    load = os.getloadavg()[0]
    print(f"template: {args.functions} functions, {args.functions} zips ({total / 1e6:.1f} MB, {go_version}); "
          f"{os.cpu_count()} CPUs, load average {load:.1f}; {args.runs} runs each")
    print(f"{'run':<16} {'wall median':>12} {'wall best':>10} {'CPU median':>11} {'functions ok':>13}")
    for label, runs in rows:
        walls, cpus, summary = [r[0] for r in runs], [r[1] for r in runs], runs[-1][2]["summary"]
        assert isinstance(summary, dict)
        print(f"{label:<16} {statistics.median(walls):>11.2f}s {min(walls):>9.2f}s {statistics.median(cpus):>10.2f}s "
              f"{summary['ok']:>13}")


if __name__ == "__main__":
    main()
