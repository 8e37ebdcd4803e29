"""The gobuild benchmark: one command, tables of ratios measured in the same run.

    python bench/run.py [--functions N] [--only SECTION,...] [--markdown] [--save FILE | --load FILE]

Sections (all run by default, in this order):
  build    12 functions x 2 arches, each run from an empty GOCACHE: the floor (one grouped
           `go build -o DIR` per arch), the naive loop (one go build per function, then zip -X -9)
           and a cold `gobuild build`, as ratios to the floor.
  fleet    N functions (default 24), half of them for both arches (bench/fleet.py). Cold, each from
           an empty GOCACHE: the floor, the naive loop, `sam build` (aws-sam-cli, provided.al2023 +
           BuildMethod go1.x) plain and with --cached --parallel, GoReleaser building the same
           targets into zips, gobuild; each against the physical limit (bench/limit.py).
  incremental  the same fleet, warm: gobuild no-op, one function changed, the shared package
           changed, each next to a warm grouped `go build` after the same change; and a cache hit:
           a second clone with an empty GOCACHE building with --cache s3://... (local SeaweedFS).
  package  packaging the fleet's binaries: gobuild.build.package.zip_bytes (libdeflate) against
           zipfile at zlib level 9; same inputs, time and total size.
  scale    200 functions (--scale-functions), 300 zips: a cold build and a shared-package change
           against the limit and the floor, with where gobuild's time went (bench/probe.py).
  large    500 functions (--large-functions): the gobuild process's own peak memory, the no-op,
           one function changed next to a warm go build, and the cold build against the limit.
           (`memory` is accepted as another name for it.)
  shards   the scale fleet as 4 shards built one after another, each from an empty GOCACHE and
           filling an S3 cache, then `gobuild merge` and `gobuild publish --dry-run`: each shard's
           time, the merge, the critical path 4 CI runners would see; and a fifth runner that
           gets every zip from the cache, with the downloads it ran at once.
  correctness  after six kinds of edit, what gobuild, `sam build --cached` and GoReleaser rebuilt
           against what a clean build says changed (--correctness-functions, bench/correctness.py).
  publish  bench/bench_publish.py, run as is.

Peers are installed on first use into ~/.cache/gobuild-bench ($GOBUILD_BENCH_CACHE); one that
cannot be installed is shown as skipped with the reason. Timings are wall seconds on this machine;
repeated runs show their median. "CPU s" is user + system time of the tool and its children,
"own MB" the peak RSS of the tool's own process, "tree MB" the peak sum of RSS over all its
processes (go compile/link children included), sampled.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import docs, fleet, peers, report
from bench import measure as measure_module
from bench.common import (
    CACHE_BUCKET,
    FLOOR,
    NAIVE,
    SAM_GOFLAGS,
    Bench,
    cores,
    gobuild_build,
    gobuild_env,
    gobuild_has,
    grouped_go_build,
    install_gobuild,
    naive_loop,
    one_line,
    zips_of,
)
from bench.limit import Limit, busy, digests, limit_of
from bench.measure import CommandFailed, Sample, Usage, fresh_env, load_average, machine, measure, run
from bench.report import Section, Target

COLD_TARGET = 1.15
NOOP_SECONDS, NOOP_RATIO = 0.3, 0.25
CHANGED_RATIO = 1.2
PACKAGE_SPEEDUP = 5.0


# --- sections ---------------------------------------------------------------------------

def section_build(bench: Bench) -> Section:
    project = fleet.generate(bench.work / "fleet12", functions=12)
    run(["go", "mod", "download"], cwd=project, env=bench.base_env)
    arches = fleet.arches_of(project)
    floor = grouped_go_build(project, arches, bench.cold_env("b-floor"), bench.work / "b-out-floor")
    naive = naive_loop(project, arches, bench.cold_env("b-naive"), bench.work / "b-out-naive")
    cold = gobuild_build(project, gobuild_env(bench, bench.cold_env("b-gobuild")))
    limit = limit_of(floor.cpu, sorted(digests(bench.work / "b-out-floor")))
    rows = (
        Sample.of(FLOOR, [floor], limit=limit.seconds),
        Sample.of(NAIVE, [naive], limit=limit.seconds),
        Sample.of("gobuild build, cold", [cold], limit=limit.seconds),
    )
    ratio = cold.seconds / floor.seconds
    return Section(
        name="build", title=f"build: {len(arches)} functions x 2 arches = {zips_of(arches)} zips, each run "
                            "from an empty GOCACHE",
        rows=rows, floor=FLOOR, limit_column=True, notes=(limit.describe(), busy("the floor", floor.cpu, floor.seconds)),
        targets=(Target(name="cold gobuild <= 1.15 x floor (12 x 2)", met=ratio <= COLD_TARGET,
                        detail=f"{cold.seconds:.2f} s = {ratio:.2f} x floor {floor.seconds:.2f} s"),),
    )


def _sam(bench: Bench, project: Path, arches: dict[str, list[str]], limit: float) -> list[Sample]:
    labels = ("sam build, cold", "sam build --cached --parallel, cold")
    tool = peers.ensure_sam(bench.base_env)
    if isinstance(tool, peers.Skipped):
        return [Sample.skipped(label, tool.reason) for label in labels]
    fleet.sam_template(project, arches)
    rows = []
    for label, flags in zip(labels, ([], ["--cached", "--parallel"])):
        name = "sam-cached" if flags else "sam"
        env = {**peers.sam_env(bench.cold_env(name)), "CGO_ENABLED": "0", "GOFLAGS": SAM_GOFLAGS}
        argv = [str(tool.path), "build", "--template-file", "template.yaml",
                "--build-dir", str(bench.work / name / "build"), *flags]
        if flags:
            argv += ["--cache-dir", str(bench.work / name / "cache")]
        try:
            usage = measure(argv, cwd=project, env=env, label=label)
        except CommandFailed as failure:
            rows.append(Sample.skipped(label, f"sam build failed: {one_line(str(failure))}"))
            continue
        built = len(list((bench.work / name / "build").glob("*/bootstrap")))
        rows.append(Sample.of(label, [usage], note=f"{tool.version}; {built} bootstrap files, no zips", limit=limit))
    return rows


def _goreleaser(bench: Bench, project: Path, arches: dict[str, list[str]], limit: float) -> Sample:
    label = "goreleaser release --snapshot (zips)"
    tool = peers.ensure_goreleaser(bench.base_env)
    if isinstance(tool, peers.Skipped):
        return Sample.skipped(label, tool.reason)
    fleet.goreleaser_config(project, arches)
    fleet.git_commit(project, bench.base_env)
    env = bench.cold_env("goreleaser")
    try:
        usage = measure([str(tool.path), "release", "--snapshot", "--clean", "--skip=validate"],
                        cwd=project, env=env, label=label)
    except CommandFailed as failure:
        return Sample.skipped(label, f"goreleaser failed: {one_line(str(failure))}")
    zips = len(list((project / "gr-dist").glob("*.zip")))
    return Sample.of(label, [usage], note=f"goreleaser {tool.version}; {zips} zips", limit=limit)


def section_fleet(bench: Bench) -> Section:
    peers_project = fleet.generate(bench.work / "fleet", functions=bench.functions,
                                   both_arches=bench.functions // 2)
    run(["go", "mod", "download"], cwd=peers_project, env=bench.base_env)
    project = fleet.copy_sources(peers_project, bench.work / "fleet-gobuild")
    arches = fleet.arches_of(peers_project)
    bench.fleet_project, bench.gobuild_project = peers_project, project
    # The peers are installed before anything is timed, so an install never overlaps a run.
    peers.ensure_goreleaser(bench.base_env)
    peers.ensure_sam(bench.base_env)

    bench.gobuild_cache = bench.work / "gocache" / "f-gobuild"
    floor = grouped_go_build(peers_project, arches, bench.cold_env("f-floor"), peers_project / "out-floor")
    cold = gobuild_build(project, gobuild_env(bench, bench.cold_env("f-gobuild")))
    limit = limit_of(floor.cpu, sorted(digests(peers_project / "out-floor")))
    naive = naive_loop(peers_project, arches, bench.cold_env("f-naive"), peers_project / "out-naive")
    rows = [Sample.of(FLOOR, [floor], limit=limit.seconds),
            Sample.of(NAIVE, [naive], limit=limit.seconds),
            *_sam(bench, peers_project, arches, limit.seconds),
            _goreleaser(bench, peers_project, arches, limit.seconds),
            Sample.of("gobuild build, cold", [cold], limit=limit.seconds)]
    bench.cold_floor, bench.cold_gobuild = floor, cold.seconds

    ratio = cold.seconds / floor.seconds
    measured_peers = [r for r in rows[1:-1] if r.seconds is not None]
    behind = [r.label for r in measured_peers if r.seconds is not None and r.seconds <= cold.seconds]
    skipped = [r.label for r in rows if r.seconds is None]
    ahead_detail = (f"gobuild {cold.seconds:.2f} s; peers: "
                    + ", ".join(f"{r.label.split(',')[0].split(':')[0]} {r.seconds:.2f} s" for r in measured_peers if r.seconds)
                    + (f"; skipped: {', '.join(skipped)}" if skipped else ""))
    return Section(
        name="fleet",
        title=f"fleet, cold: {len(arches)} functions ({bench.functions // 2} for both arches) = "
              f"{zips_of(arches)} zips, each tool from an empty GOCACHE",
        rows=tuple(rows), floor=FLOOR, limit_column=True,
        notes=(limit.describe(), busy("the floor", floor.cpu, floor.seconds),
               ("sam build stops at bootstrap files: it zips later, in sam package/deploy, so its time "
                "here leaves out the zipping the others do.")),
        targets=(
            Target(name=f"cold gobuild <= 1.15 x floor ({len(arches)} functions)", met=ratio <= COLD_TARGET,
                   detail=f"{cold.seconds:.2f} s = {ratio:.2f} x floor {floor.seconds:.2f} s"),
            Target(name="cold gobuild ahead of every peer",
                   met=(not behind) if measured_peers else None,
                   detail=(f"NOT ahead of: {', '.join(behind)}; " if behind else "") + ahead_detail),
        ),
    )


def section_incremental(bench: Bench) -> Section:
    if bench.fleet_project is None or bench.gobuild_project is None:
        section_fleet(bench)
    assert bench.fleet_project and bench.gobuild_project and bench.gobuild_cache and bench.cold_floor
    peers_project, project = bench.fleet_project, bench.gobuild_project
    arches = fleet.arches_of(peers_project)
    go_env = fresh_env(bench.base_env, bench.work / "gocache" / "f-floor")  # warm after the cold floor
    gb_env = gobuild_env(bench, fresh_env(bench.base_env, bench.gobuild_cache))
    out = peers_project / "out-floor"

    def pair(times: int, change: Callable[[Path, int], None] | None) -> tuple[list[Usage], list[Usage], Limit]:
        """Runs the warm grouped go build and gobuild after the same change, alternating; the
        limit: the go build's CPU and compressing the binaries it changed."""
        go_runs, gb_runs, compress = [], [], []
        for i in range(times):
            if change is not None:
                change(peers_project, 100 + i)
                change(project, 100 + i)
            before = digests(out)
            go_runs.append(grouped_go_build(peers_project, arches, go_env, out))
            gb_runs.append(gobuild_build(project, gb_env))
            changed = [p for p, d in digests(out).items() if before.get(p) != d]
            compress.append(limit_of(0.0, changed).compress_cpu)
        cpus = [u.cpu or 0.0 for u in go_runs]
        limit = Limit(compile_cpu=statistics.median(cpus), compress_cpu=statistics.median(compress),
                      cores=cores(), binaries=len(changed))
        return go_runs, gb_runs, limit

    first_noop = gobuild_build(project, gb_env)  # the cold run already built everything
    noop_go, noop, _ = pair(bench.noop_repeat, None)
    one_go, one, one_limit = pair(bench.repeat, lambda p, i: fleet.touch_function(p, "fn001", i))
    shared_go, shared, shared_limit = pair(max(1, bench.repeat - 1), fleet.touch_shared)
    rows = [
        Sample.of(FLOOR + ", cold", [bench.cold_floor], note="from the fleet table"),
        Sample.of("grouped go build, warm, nothing changed", noop_go),
        Sample.of("gobuild build, first no-op after the cold build", [first_noop]),
        Sample.of("gobuild build, no-op", noop, warm=noop_go),
        Sample.of("grouped go build, warm, fn001 changed", one_go, limit=one_limit.seconds),
        Sample.of("gobuild build, one function changed (fn001, 2 zips)", one, warm=one_go, limit=one_limit.seconds),
        Sample.of("grouped go build, warm, shared package changed", shared_go, limit=shared_limit.seconds),
        Sample.of("gobuild build, shared package changed (every zip)", shared, warm=shared_go,
                  limit=shared_limit.seconds),
        *_cache_hit(bench, project),
    ]
    noop_s, noop_ratio = statistics.median(u.seconds for u in noop), _ratio(noop, noop_go)
    one_ratio = _ratio(one, one_go)
    n = len(arches)
    return Section(
        name="incremental", title=f"incremental: the same {n} functions, warm GOCACHE; each gobuild run next "
                                  "to a warm grouped go build after the same change",
        rows=tuple(rows), floor=FLOOR + ", cold", warm_column=True, limit_column=True,
        notes=(("a warm grouped go build re-links only binaries whose inputs changed (Go's build ID check "
                "on the files in -o DIR), and zips nothing."),
               f"fn001 changed: {one_limit.describe()}", f"shared package changed: {shared_limit.describe()}"),
        targets=(
            Target(name=f"no-op <= {NOOP_SECONDS} s ({n} functions)", met=noop_s <= NOOP_SECONDS,
                   detail=f"{noop_s:.2f} s (median of {len(noop)})"),
            Target(name=f"no-op <= {NOOP_RATIO} x warm grouped go build", met=noop_ratio <= NOOP_RATIO,
                   detail=f"{noop_ratio:.2f} x ({noop_s:.2f} s / {statistics.median(u.seconds for u in noop_go):.2f} s)"),
            Target(name=f"one function changed <= {CHANGED_RATIO} x warm grouped go build",
                   met=one_ratio <= CHANGED_RATIO,
                   detail=f"{one_ratio:.2f} x ({statistics.median(u.seconds for u in one):.2f} s / "
                          f"{statistics.median(u.seconds for u in one_go):.2f} s)"),
        ),
    )


def _ratio(runs: list[Usage], against: list[Usage]) -> float:
    return statistics.median(u.seconds for u in runs) / statistics.median(u.seconds for u in against)


def _cache_hit(bench: Bench, project: Path) -> list[Sample]:
    """A clone fills the S3 cache; a second clone with an empty GOCACHE builds from it."""
    from bench.shards import s3_server

    fill_label = "gobuild --cache, fill: new clone, warm GOCACHE (uploads)"
    hit_label = "gobuild --cache, hit: second clone, empty GOCACHE"
    env = gobuild_env(bench, fresh_env(bench.base_env, bench.gobuild_cache or bench.work / "gocache" / "x"))
    if not gobuild_has(env, "build", "--cache"):
        reason = "`gobuild build` has no --cache option yet"
        return [Sample.skipped(fill_label, reason), Sample.skipped(hit_label, reason)]
    with s3_server(bench.work / "s3-incremental", env) as server:
        if isinstance(server, str):
            return [Sample.skipped(hit_label, server)]
        s3_env, _ = server
        url = f"s3://{CACHE_BUCKET}/fleet/"
        try:
            fill_clone = fleet.copy_sources(project, bench.work / "clone-fill")
            fill = gobuild_build(fill_clone, s3_env, "--cache", url)
            hit_clone = fleet.copy_sources(project, bench.work / "clone-hit")
            hit = gobuild_build(hit_clone, fresh_env(s3_env, bench.work / "gocache" / "clone-hit"), "--cache", url)
        except CommandFailed as failure:
            return [Sample.skipped(hit_label, f"gobuild --cache failed: {one_line(str(failure))}")]
        zips = len(list((hit_clone / "dist").glob("*.zip")))
        return [Sample.of(fill_label, [fill]),
                Sample.of(hit_label, [hit], note=f"{zips} zips from the cache, SeaweedFS on 127.0.0.1")]


def _fleet_binaries(bench: Bench) -> list[Path]:
    if bench.fleet_project is None:
        project = fleet.generate(bench.work / "fleet", functions=bench.functions, both_arches=bench.functions // 2)
        run(["go", "mod", "download"], cwd=project, env=bench.base_env)
        grouped_go_build(project, fleet.arches_of(project), bench.cold_env("f-floor"), project / "out-floor")
        bench.fleet_project = project
    return sorted(p for p in (bench.fleet_project / "out-floor").glob("*/*") if p.is_file())


def section_package(bench: Bench) -> Section:
    from gobuild.build.package import DEFLATE_LEVEL, MODE_EXECUTABLE, ZipEntry, zip_bytes

    binaries = [p.read_bytes() for p in _fleet_binaries(bench)]

    def with_libdeflate() -> int:
        return sum(len(zip_bytes([ZipEntry(name="bootstrap", data=b, mode=MODE_EXECUTABLE)])) for b in binaries)

    def with_zlib9() -> int:
        total = 0
        for data in binaries:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
                info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = (0o100755 << 16)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data, compresslevel=9)
            total += len(buffer.getvalue())
        return total

    def timed(action: Callable[[], int]) -> tuple[float, float, int]:
        start, cpu = time.perf_counter(), time.thread_time()
        size = action()
        return time.perf_counter() - start, time.thread_time() - cpu, size

    lib_runs, zlib_runs = [], []
    for _ in range(max(1, bench.repeat - 1)):  # alternate, so load from other work hits both alike
        zlib_runs.append(timed(with_zlib9))
        lib_runs.append(timed(with_libdeflate))
    raw = sum(len(b) for b in binaries)
    zlib_size, lib_size = zlib_runs[0][2], lib_runs[0][2]
    zlib_cpu = statistics.median(c for _, c, _ in zlib_runs)
    lib_cpu = statistics.median(c for _, c, _ in lib_runs)
    zlib_row = Sample.of("zipfile, zlib level 9", [Usage(seconds=s, cpu=c) for s, c, _ in zlib_runs],
                         note=f"{zlib_size / 1e6:.1f} MB")
    lib_row = Sample.of(f"gobuild.build.package.zip_bytes, libdeflate level {DEFLATE_LEVEL}",
                        [Usage(seconds=s, cpu=c) for s, c, _ in lib_runs],
                        note=f"{lib_size / 1e6:.1f} MB ({100 * (lib_size / zlib_size - 1):+.2f}% vs zlib 9)")
    speedup = (zlib_row.seconds or 0) / (lib_row.seconds or 1)
    return Section(
        name="package", title=f"package: {len(binaries)} fleet binaries ({raw / 1e6:.0f} MB), one zip each, "
                              "in this process, one thread",
        rows=(zlib_row, lib_row), floor="zipfile, zlib level 9", floor_name="zlib 9",
        targets=(Target(name=f"packaging >= {PACKAGE_SPEEDUP:.0f} x faster than zlib 9, no larger",
                        met=speedup >= PACKAGE_SPEEDUP and lib_size <= zlib_size,
                        detail=f"{speedup:.1f} x faster ({lib_row.seconds:.2f} s vs {zlib_row.seconds:.2f} s wall; "
                               f"{zlib_cpu / lib_cpu:.1f} x in CPU time); {lib_size} vs {zlib_size} bytes"),),
    )


def section_publish(bench: Bench) -> Section | None:
    """The publish engineer's benchmark, run as its own program; its output is shown as is."""
    script = REPO / "bench" / "bench_publish.py"
    if not script.is_file():
        return None
    done = subprocess.run([sys.executable, str(script)], cwd=REPO, env=bench.base_env, capture_output=True,
                          text=True, check=False)
    lines = (done.stdout + (done.stderr[-3000:] if done.returncode else "")).rstrip().splitlines()
    status = "" if done.returncode == 0 else f" (exit {done.returncode})"
    return Section(name="publish", title=f"publish: `python bench/bench_publish.py`, its own output{status}",
                   rows=(), floor="", output=tuple(lines))


def _sections() -> dict[str, Callable[[Bench], Section | None]]:
    from bench.correctness import section_correctness
    from bench.scale import section_large, section_scale
    from bench.shards import section_shards

    return {
        "build": section_build, "fleet": section_fleet, "incremental": section_incremental,
        "package": section_package, "scale": section_scale, "large": section_large, "shards": section_shards,
        "correctness": section_correctness, "publish": section_publish,
    }


ALIASES = {"memory": "large"}


class LoadWatcher(threading.Thread):
    """Samples the 1-minute load average every 15 s while the benchmark runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.done = threading.Event()
        self.samples: list[float] = []

    def run(self) -> None:
        while True:
            try:
                self.samples.append(float(Path("/proc/loadavg").read_text().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
            if self.done.wait(15):
                return

    def describe(self) -> str:
        if not self.samples:
            return "load average during the run: not sampled"
        return (f"1-minute load average during the run (sampled every 15 s): mean "
                f"{statistics.mean(self.samples):.1f}, max {max(self.samples):.1f}")


def main(argv: list[str] | None = None) -> int:
    sections_by_name = _sections()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--functions", type=int, default=24, help="functions in the fleet (default 24)")
    parser.add_argument("--scale-functions", type=int, default=200, help="functions in scale and shards (default 200)")
    parser.add_argument("--large-functions", "--memory-functions", type=int, default=500,
                        help="functions in the large section (default 500)")
    parser.add_argument("--correctness-functions", type=int, default=12,
                        help="functions in the correctness section (default 12)")
    parser.add_argument("--only", default=",".join(sections_by_name), help="comma-separated sections")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each cheap warm measurement")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--save", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--load", type=Path, action="append",
                        help="print results saved with --save (repeatable: runs shown one after another); run nothing")
    parser.add_argument("--docs", type=Path, help="also write the results as a Markdown page (docs/performance.md)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    render = report.markdown if args.markdown else report.text
    if args.load:
        loaded: list[Section] = []
        preamble: list[str] = []
        for number, path in enumerate(args.load, start=1):
            saved = json.loads(path.read_text())
            loaded += [Section.from_json(s) for s in saved["sections"]]
            prefix = f"run {number} ({', '.join(s['name'] for s in saved['sections'])}): " if len(args.load) > 1 else ""
            preamble += [prefix + line for line in saved["preamble"]]
        print(render(loaded, [t for s in loaded for t in s.targets], preamble))
        if args.docs:
            docs.write(args.docs, loaded, [t for s in loaded for t in s.targets], preamble)
        return 0
    chosen = [ALIASES.get(s, s) for s in args.only.split(",") if s]
    unknown = [s for s in chosen if s not in sections_by_name]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(sections_by_name)}")
    work = Path(tempfile.mkdtemp(prefix="gobuild-bench-"))
    base_env = {**os.environ, "GOFLAGS": ""}
    bench = Bench(work=work, base_env=base_env, functions=args.functions, scale_functions=args.scale_functions,
                  large_functions=args.large_functions, correctness_functions=args.correctness_functions,
                  repeat=max(1, args.repeat), noop_repeat=max(1, args.repeat) + 2)
    started = time.perf_counter()
    preamble = [f"machine: {machine()}", f"load average at start: {load_average()}"]
    watcher = LoadWatcher()
    watcher.start()
    measure_module.GOBUILD_PYTHON[0] = str(install_gobuild(work, base_env))
    preamble.append("gobuild: installed as a user installs it (pip install . into a venv of its own, bytecode "
                    "compiled), not the checkout's editable install")
    sections: list[Section] = []
    try:
        for name in chosen:
            print(f"[{time.perf_counter() - started:6.0f} s] running {name} ...", file=sys.stderr, flush=True)
            load = load_average()
            section_started = time.perf_counter()
            section = sections_by_name[name](bench)
            if section is not None:
                note = (f"load average (1, 5, 15 min) when this section started: {load}; "
                        f"section took {time.perf_counter() - section_started:.0f} s")
                sections.append(replace(section, notes=(*section.notes, note)))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    watcher.done.set()
    preamble.append(f"benchmark took {time.perf_counter() - started:.0f} s; load average at end: {load_average()}; "
                    f"{watcher.describe()}")
    print(render(sections, [t for s in sections for t in s.targets], preamble))
    if args.save:
        args.save.write_text(json.dumps({"preamble": preamble, "sections": [s.as_json() for s in sections]},
                                        indent=1))
    if args.docs:
        docs.write(args.docs, sections, [t for s in sections for t in s.targets], preamble)
    return 0


if __name__ == "__main__":
    sys.exit(main())
