"""`gobuild diff` of two large zips: one Go program built twice with one small code change.

    python bench/bench_diff.py [--arch amd64] [--ldflags ""] [--runs 7]

testdata/diff/big (an HTTP service answering JSON: net/http, encoding/json and much of the
standard library) is built with the real Go toolchain for --arch with --ldflags (default: none,
so symbols and DWARF stay and each zip is about 9 MB; pass --ldflags="-s -w" for what gobuild
builds by default), once as it is and once with its handler answering http.StatusTeapot instead
of http.StatusBadRequest. Each binary is zipped by gobuild's own zip writer.

Then `python -m gobuild diff A B` runs --runs times as a user runs it: a new process each time,
interpreter start-up and imports included (from compiled bytecode, as after `pip install`: the
children get their own PYTHONPYCACHEPREFIX and a first, unmeasured run fills it), stdout to a
pipe. Printed: the best and median wall time and CPU time (user + system) of those processes,
the CPU time of gobuild.diff.compare() alone in this process, and the first lines the command
printed. Target: under 0.5 s. On a shared, loaded machine wall time includes waiting for a
core; the CPU time is what the diff costs.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from gobuild.build.package import ZipEntry, write_zip
from gobuild.diff import compare

SOURCE = REPO / "testdata" / "diff" / "big"
CHANGE = ("http.StatusBadRequest", "http.StatusTeapot")
TARGET_SECONDS = 0.5


def build(src: Path, out: Path, arch: str, ldflags: str) -> bytes:
    """The program compiled as gobuild compiles (static, -trimpath, no VCS stamp)."""
    env = {**os.environ, "GOOS": "linux", "GOARCH": arch, "CGO_ENABLED": "0", "GOFLAGS": "", "GOWORK": "off",
           "GOTOOLCHAIN": "local"}
    subprocess.run(["go", "build", "-trimpath", "-buildvcs=false", f"-ldflags={ldflags}", "-o", str(out), "."],
                   cwd=src, env=env, check=True)
    return out.read_bytes()


def make_pair(work: Path, arch: str, ldflags: str) -> tuple[Path, Path]:
    zips = []
    for name, edit in (("before", None), ("after", CHANGE)):
        src = Path(shutil.copytree(SOURCE, work / name))
        if edit is not None:
            main = src / "main.go"
            text = main.read_text()
            assert edit[0] in text
            main.write_text(text.replace(edit[0], edit[1]))
        binary = build(src, work / f"{name}.bin", arch, ldflags)
        zips.append(write_zip(work / f"{name}.zip", [ZipEntry(name="bootstrap", data=binary, mode=0o755)]).path)
    return zips[0], zips[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="amd64", choices=("amd64", "arm64"))
    parser.add_argument("--ldflags", default="", help='linker flags, e.g. "-s -w" (default: none)')
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-diff-") as tmp:
        before, after = make_pair(Path(tmp), args.arch, args.ldflags)
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in (before, after))
        bootstrap = (Path(tmp) / "after.bin").stat().st_size / 1e6
        print(f"zips: {sizes} (bootstrap {bootstrap:.1f} MB, {args.arch}, ldflags={args.ldflags!r})")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        command = [sys.executable, "-m", "gobuild", "diff", str(before), str(after)]
        subprocess.run(command, env=env, capture_output=True, check=False)  # compiles the bytecode
        walls, cpus, output = [], [], ""
        for _ in range(args.runs):
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            walls.append(time.perf_counter() - started)
            after_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after_usage.ru_utime - usage.ru_utime + after_usage.ru_stime - usage.ru_stime)
            output = proc.stdout
            assert proc.returncode == 1, proc.stderr
        cores = []
        for _ in range(args.runs):
            started = time.process_time()
            result = compare(str(before), str(after))
            cores.append(time.process_time() - started)
        assert not result.identical
    print("gobuild diff printed:")
    for line in output.splitlines()[:4]:
        print(f"  {line}")
    verdict = "meets" if min(cpus) < TARGET_SECONDS else "misses"
    print(f"gobuild diff, whole process: wall best {min(walls):.3f} s, median {statistics.median(walls):.3f} s; "
          f"CPU best {min(cpus):.3f} s, median {statistics.median(cpus):.3f} s over {args.runs} runs "
          f"({verdict} the {TARGET_SECONDS} s target)")
    print(f"compare() in this process: CPU best {min(cores):.3f} s, median {statistics.median(cores):.3f} s")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

if __name__ == "__main__":
    main()
