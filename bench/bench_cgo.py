"""What zig costs a `cgo = true` function: cold (an empty zig cache) and warm, next to the same
function built as plain Go.

    python bench/bench_cgo.py [--arch amd64|arm64] [--json]

The function is testdata/cgo's geometry (C code with libm: cbrt, pow, hypot). Its static twin,
written here, answers the same with Go's math package. Each row runs `gobuild build` (this
checkout, in a subprocess) in a fresh copy of the project; "empty GOCACHE" is a new Go cache, so
the Go standard library is compiled too, as on a first CI run. The module cache is the user's
(nothing is downloaded when it holds aws-lambda-go). CPU is the user+system time of gobuild and
every process it waited for (go, compile, zig): on a busy machine it says more than wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "testdata" / "cgo"
STATIC_TWIN = '''package main

import (
	"context"
	"math"

	"github.com/aws/aws-lambda-go/lambda"
)

type Event struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

type Reply struct {
	Hypot    float64 `json:"hypot"`
	CubeRoot float64 `json:"cube_root"`
	Power    float64 `json:"power"`
}

func handle(_ context.Context, ev Event) (Reply, error) {
	return Reply{Hypot: math.Hypot(ev.X, ev.Y), CubeRoot: math.Cbrt(ev.X), Power: math.Pow(ev.X, ev.Y)}, nil
}

func main() { lambda.Start(handle) }
'''
MANIFEST = '''out_dir = "dist"

[defaults]
architectures = ["{arch}"]

[[function]]
name = "geometry"
package = "./cmd/geometry"
cgo = true

[[function]]
name = "geometry-go"
package = "./cmd/geometry-go"
'''


def project_copy(folder: Path, arch: str) -> Path:
    """testdata/cgo with the static twin and a manifest for one architecture."""
    project = Path(shutil.copytree(PROJECT, folder, ignore=shutil.ignore_patterns("dist*")))
    (project / "cmd" / "geometry-go").mkdir()
    (project / "cmd" / "geometry-go" / "main.go").write_text(STATIC_TWIN)
    (project / "gobuild.toml").write_text(MANIFEST.format(arch=arch))
    return project


def build(project: Path, only: str, env: dict[str, str]) -> tuple[float, float]:
    """Runs `gobuild build --only NAME`; returns (wall seconds, CPU seconds of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "gobuild", "build", "-C", str(project), "--only", only],
                          env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"gobuild build --only {only} failed:\n{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def touch(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="amd64", choices=("amd64", "arm64"))
    parser.add_argument("--json", action="store_true", help="one JSON document instead of the table")
    args = parser.parse_args()
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="gobuild-bench-cgo-") as scratch:
        root = Path(scratch)
        zig_cache = root / "zig-cache"
        base = {**os.environ, "PYTHONPATH": str(REPO), "ZIG_GLOBAL_CACHE_DIR": str(zig_cache), "GOBUILD_NOOP": "0"}

        def fresh(name: str) -> tuple[Path, dict[str, str]]:
            return project_copy(root / name / "geometry", args.arch), {**base, "GOCACHE": str(root / name / "go")}

        project, env = fresh("static")
        rows.append(("static twin, empty GOCACHE", *build(project, "geometry-go", env)))
        touch(project / "cmd" / "geometry-go" / "main.go", "math.Hypot(ev.X, ev.Y)", "2 * math.Hypot(ev.X, ev.Y)")
        rows.append(("static twin, warm, main.go edited", *build(project, "geometry-go", env)))
        project, env = fresh("cold")
        rows.append(("cgo, empty GOCACHE, empty zig cache (zig cold)", *build(project, "geometry", env)))
        project, env = fresh("warm")
        rows.append(("cgo, empty GOCACHE, warm zig cache (zig warm)", *build(project, "geometry", env)))
        touch(project / "cmd" / "geometry" / "geom.c", "return hypot(x, y);", "return 2 * hypot(x, y);")
        rows.append(("cgo, warm, geom.c edited", *build(project, "geometry", env)))
        cache_mb = sum(p.stat().st_size for p in zig_cache.rglob("*") if p.is_file()) / 1e6
    if args.json:
        print(json.dumps({"arch": args.arch, "zig_cache_mb": round(cache_mb, 1),
                          "rows": [{"what": w, "wall_s": round(s, 2), "cpu_s": round(c, 2)} for w, s, c in rows]},
                         indent=2))
        return 0
    print(f"cgo function (testdata/cgo geometry) for {args.arch}; zig cache after: {cache_mb:.0f} MB")
    print(f"{'build':<50} {'wall s':>8} {'CPU s':>8}")
    for what, wall, cpu in rows:
        print(f"{what:<50} {wall:>8.1f} {cpu:>8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
