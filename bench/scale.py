"""Large fleets: 200 functions against the physical limit, with where the time goes; 500 functions
for memory, the no-op and a one-function change.

scale   --scale-functions (200), half for both arches (300 zips). A cold build (empty GOCACHE for
        the floor and for gobuild) and a shared-package change (warm GOCACHE, every binary
        changes). Each gobuild run goes through bench/probe.py, which also gives the breakdown.
        The floor and gobuild build separate copies of the fleet with separate GOCACHEs.
large   --large-functions (500), half for both arches (750 zips). Cold floor and gobuild (each
        from an empty GOCACHE), the no-op, and one function changed next to a warm grouped go
        build after the same change; gobuild runs under bench/selfrss.py for its own peak RSS.
"""

from __future__ import annotations

import statistics

from bench import fleet
from bench.common import FLOOR, Bench, cores, gobuild_build, gobuild_env, grouped_go_build, zips_of
from bench.limit import Limit, breakdown_table, busy, digests, limit_of
from bench.measure import Sample, Usage, fresh_env, probed, run
from bench.report import Section, Target

LIMIT_TARGET = 1.15
FLOOR_TARGET = 1.5
MEMORY_MB = 200.0
NOOP_SECONDS = 0.1
CHANGED_RATIO = 1.2


def section_scale(bench: Bench) -> Section:
    n = bench.scale_functions
    go_project = fleet.generate(bench.work / f"scale{n}", functions=n, both_arches=n // 2)
    run(["go", "mod", "download"], cwd=go_project, env=bench.base_env)
    project = fleet.copy_sources(go_project, bench.work / f"scale{n}-gobuild")
    bench.scale_project = go_project
    arches = fleet.arches_of(go_project)
    zips = zips_of(arches)
    out = bench.work / f"scale{n}-out"
    go_env = bench.cold_env(f"s{n}-floor")
    gb_env = gobuild_env(bench, bench.cold_env(f"s{n}-gobuild"))

    floor = grouped_go_build(go_project, arches, go_env, out)
    cold, cold_summary = probed(["build", "-C", str(project), "-q"], cwd=project, env=gb_env)
    bench.scale_cold = cold.seconds
    cold_limit = limit_of(floor.cpu, sorted(digests(out)))

    fleet.touch_shared(go_project, 1)
    fleet.touch_shared(project, 1)
    before = digests(out)
    shared_go = grouped_go_build(go_project, arches, fresh_env(bench.base_env, bench.work / "gocache" / f"s{n}-floor"),
                                 out)
    changed = [p for p, d in digests(out).items() if before.get(p) != d]
    shared, shared_summary = probed(["build", "-C", str(project), "-q"], cwd=project,
                                    env=gobuild_env(bench, fresh_env(bench.base_env,
                                                                     bench.work / "gocache" / f"s{n}-gobuild")))
    shared_limit = limit_of(shared_go.cpu, changed)

    rows = (
        Sample.of(FLOOR + ", cold", [floor], limit=cold_limit.seconds),
        Sample.of("gobuild build, cold", [cold], limit=cold_limit.seconds),
        Sample.of("grouped go build, warm, shared package changed", [shared_go], limit=shared_limit.seconds),
        Sample.of("gobuild build, shared package changed", [shared], warm=[shared_go], limit=shared_limit.seconds,
                  note=f"{len(changed)} of {zips} binaries changed"),
    )
    targets = []
    for label, usage, limit, baseline, baseline_name in (
        ("cold", cold, cold_limit, floor, "the cold floor"),
        ("shared package changed", shared, shared_limit, shared_go, "a warm go build after the same change"),
    ):
        targets += [
            Target(name=f"{label}, {n} functions: <= {LIMIT_TARGET} x limit",
                   met=usage.seconds <= LIMIT_TARGET * limit.seconds,
                   detail=f"{usage.seconds:.2f} s = {usage.seconds / limit.seconds:.2f} x limit {limit.seconds:.2f} s"),
            Target(name=f"{label}, {n} functions: <= {FLOOR_TARGET} x {baseline_name} ({cores()} cores)",
                   met=usage.seconds <= FLOOR_TARGET * baseline.seconds,
                   detail=f"{usage.seconds:.2f} s = {usage.seconds / baseline.seconds:.2f} x {baseline.seconds:.2f} s"),
        ]
    return Section(
        name="scale",
        title=f"scale: {n} functions ({n // 2} for both arches) = {zips} zips; the floor and gobuild each "
              "from an empty GOCACHE, then the shared package changed",
        rows=rows, floor=FLOOR + ", cold", warm_column=True, limit_column=True,
        tables=(breakdown_table(f"where gobuild's time went: cold build, {zips} zips", cold_summary),
                breakdown_table(f"where gobuild's time went: shared package changed, {zips} zips", shared_summary)),
        notes=(f"cold: {cold_limit.describe()}", f"shared package changed: {shared_limit.describe()}",
               busy("the cold floor", floor.cpu, floor.seconds),
               "gobuild ran under bench/probe.py (its phases timed in-process); own MB is its own peak RSS"),
        targets=tuple(targets),
    )


def section_large(bench: Bench) -> Section:
    n = bench.large_functions
    go_project = fleet.generate(bench.work / f"large{n}", functions=n, both_arches=n // 2)
    run(["go", "mod", "download"], cwd=go_project, env=bench.base_env)
    project = fleet.copy_sources(go_project, bench.work / f"large{n}-gobuild")
    arches = fleet.arches_of(go_project)
    zips = zips_of(arches)
    out = bench.work / f"large{n}-out"
    go_env = bench.cold_env(f"l{n}-floor")
    gb_env = gobuild_env(bench, bench.cold_env(f"l{n}-gobuild"))

    floor = grouped_go_build(go_project, arches, go_env, out)
    cold = gobuild_build(project, gb_env)
    limit = limit_of(floor.cpu, sorted(digests(out)))
    first_noop = gobuild_build(project, gb_env)
    noops = [gobuild_build(project, gb_env) for _ in range(bench.noop_repeat)]
    one_go: list[Usage] = []
    one: list[Usage] = []
    compress: list[float] = []
    for i in range(bench.repeat):
        fleet.touch_function(go_project, "fn001", 100 + i)
        fleet.touch_function(project, "fn001", 100 + i)
        before = digests(out)
        one_go.append(grouped_go_build(go_project, arches, go_env, out))
        one.append(gobuild_build(project, gb_env))
        compress.append(limit_of(0.0, [p for p, d in digests(out).items() if before.get(p) != d]).compress_cpu)
    one_limit = Limit(compile_cpu=statistics.median(u.cpu or 0.0 for u in one_go),
                      compress_cpu=statistics.median(compress), cores=cores(), binaries=len(arches["fn001"]))

    rows = (
        Sample.of(FLOOR + ", cold", [floor], limit=limit.seconds),
        Sample.of("gobuild build, cold", [cold], limit=limit.seconds),
        Sample.of("gobuild build, first no-op after the cold build", [first_noop]),
        Sample.of("gobuild build, no-op", noops),
        Sample.of("grouped go build, warm, fn001 changed", one_go, limit=one_limit.seconds),
        Sample.of(f"gobuild build, one function changed (fn001, {len(arches['fn001'])} zips)", one, warm=one_go,
                  limit=one_limit.seconds),
    )
    peak = max(u.own_mb or 0.0 for u in [cold, first_noop, *noops, *one])
    noop_s = statistics.median(u.seconds for u in noops)
    one_ratio = statistics.median(u.seconds for u in one) / statistics.median(u.seconds for u in one_go)
    return Section(
        name="large",
        title=f"large: {n} functions ({n // 2} for both arches) = {zips} zips; own MB is the gobuild process "
              "itself (bench/selfrss.py), not its go children",
        rows=rows, floor=FLOOR + ", cold", warm_column=True, limit_column=True,
        notes=(f"cold: {limit.describe()}", f"fn001 changed: {one_limit.describe()}",
               busy("the cold floor", floor.cpu, floor.seconds)),
        targets=(
            Target(name=f"gobuild process peak <= {MEMORY_MB:.0f} MB at {n} functions", met=peak <= MEMORY_MB,
                   detail=f"{peak:.0f} MB (largest of cold build, no-ops, one-function changes)"),
            Target(name=f"no-op <= {NOOP_SECONDS} s at {n} functions", met=noop_s <= NOOP_SECONDS,
                   detail=f"{noop_s:.3f} s (median of {len(noops)})"),
            Target(name=f"one function changed <= {CHANGED_RATIO} x warm grouped go build at {n} functions",
                   met=one_ratio <= CHANGED_RATIO,
                   detail=f"{one_ratio:.2f} x ({statistics.median(u.seconds for u in one):.2f} s / "
                          f"{statistics.median(u.seconds for u in one_go):.2f} s)"),
        ),
    )
