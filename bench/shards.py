"""Past one machine: the scale fleet built as 4 shards, merged and published (dry run), and a
runner that gets every zip from the shared cache.

Each shard is what one CI runner does with the README's matrix: a fresh clone, an empty
GOCACHE, `gobuild build --shard K/4 --cache s3://...` (so the shards fill the cache). The
shards run one after another on this machine, so each has the cores to itself. Then a
publishing runner receives the shards' dist/ folders (copied, as a CI artifact download
would; not timed), runs `gobuild merge` and `gobuild publish --dry-run`. The critical path
4 runners would see is the slowest shard plus the merge. Last, a fifth runner (fresh clone,
empty GOCACHE) builds with --cache and gets every zip from SeaweedFS; bench/probe.py counts
the GetObject calls it had in flight at once.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import fleet
from bench.common import (
    CACHE_BUCKET,
    FLOOR,
    Bench,
    cores,
    gobuild_build,
    gobuild_env,
    gobuild_has,
    one_line,
    plural,
)
from bench.measure import CommandFailed, Sample, Usage, gobuild, probed, run
from bench.report import Section

SHARDS = 4


@contextmanager
def s3_server(data: Path, env: dict[str, str]) -> Iterator[tuple[dict[str, str], str] | str]:
    """SeaweedFS on 127.0.0.1 with the benchmark's bucket: (client environment, endpoint), or why not."""
    from gobuild.locals3 import S3Server, S3ServerError

    try:
        server = S3Server(data)
        server.start()
    except S3ServerError as error:
        yield f"SeaweedFS did not start: {one_line(str(error))}"
        return
    try:
        server.create_bucket(CACHE_BUCKET)
        yield {**server.client_env(env), "AWS_ENDPOINT_URL": server.endpoint_url}, server.endpoint_url
    finally:
        server.stop()


def section_shards(bench: Bench) -> Section | None:
    n = bench.scale_functions
    project = bench.scale_project
    if project is None:
        project = fleet.generate(bench.work / f"scale{n}", functions=n, both_arches=n // 2)
        run(["go", "mod", "download"], cwd=project, env=bench.base_env)
        bench.scale_project = project
    arches = fleet.arches_of(project)
    zips = sum(len(a) for a in arches.values())
    title = (f"shards: {n} functions = {zips} zips as {SHARDS} shards one after another, each a fresh clone "
             "with an empty GOCACHE filling the S3 cache; then merge and publish --dry-run")
    env = gobuild_env(bench, bench.base_env)
    missing = [o for c, o in (("build", "--shard"), ("build", "--cache"), ("merge", "--output"),
                              ("publish", "--dry-run")) if not gobuild_has(env, c, o)]
    if missing:
        return Section(name="shards", title=title, rows=(Sample.skipped("shards", f"gobuild lacks {', '.join(missing)}"),),
                       floor="")
    rows: list[Sample] = []
    notes: list[str] = []
    with s3_server(bench.work / "s3-shards", env) as server:
        if isinstance(server, str):
            return Section(name="shards", title=title, rows=(Sample.skipped("shards", server),), floor="")
        s3_env, endpoint = server
        url = f"s3://{CACHE_BUCKET}/shards/"
        try:
            single = bench.scale_cold
            if single is None:
                clone = fleet.copy_sources(project, bench.work / "single")
                single = gobuild_build(clone, gobuild_env(bench, bench.cold_env("single"))).seconds
            rows.append(Sample.of("one machine: gobuild build, cold (all targets)", [Usage(seconds=single)],
                                  note="from the scale table" if bench.scale_cold is not None else ""))
            shards: list[Usage] = []
            for k in range(1, SHARDS + 1):
                clone = fleet.copy_sources(project, bench.work / f"shard{k}")
                shard_env = {**s3_env, "GOCACHE": str(bench.work / "gocache" / f"shard{k}")}
                usage = gobuild_build(clone, shard_env, "--shard", f"{k}/{SHARDS}", "--cache", url)
                shards.append(usage)
                built = len(list((clone / "dist").glob("*.zip")))
                rows.append(Sample.of(f"shard {k}/{SHARDS}: gobuild build --shard {k}/{SHARDS} --cache", [usage],
                                      note=f"{plural(built, 'zip')}, uploaded to the cache"))
            publisher = fleet.copy_sources(project, bench.work / "publisher")
            indexes = []
            for k in range(1, SHARDS + 1):  # what actions/download-artifact would put there: not timed
                dest = publisher / "shards" / f"dist-{k}"
                shutil.copytree(bench.work / f"shard{k}" / "dist", dest,
                                ignore=shutil.ignore_patterns(".gobuild", "gobuild.log"))
                indexes.append(str(dest / "artifacts.json"))
            merge = gobuild(["merge", "-C", str(publisher), *indexes], cwd=publisher, env=s3_env, label="gobuild merge")
            rows.append(Sample.of(f"gobuild merge ({SHARDS} artifacts.json)", [merge]))
            dry = gobuild(["publish", "-C", str(publisher), "--dry-run", "--bucket", CACHE_BUCKET,
                           "--endpoint-url", endpoint], cwd=publisher, env=s3_env, label="gobuild publish --dry-run")
            rows.append(Sample.of("gobuild publish --dry-run (merged dist)", [dry]))
            slowest = max(u.seconds for u in shards)
            critical = slowest + merge.seconds
            rows.append(Sample.of(f"critical path with {SHARDS} runners: slowest shard + merge",
                                  [Usage(seconds=critical)],
                                  note=f"{critical / single:.2f} x one machine; + publish --dry-run: "
                                       f"{critical + dry.seconds:.2f} s"))
            hit_clone = fleet.copy_sources(project, bench.work / "cache-hit")
            hit_env = {**s3_env, "GOCACHE": str(bench.work / "gocache" / "cache-hit")}
            hit, summary = probed(["build", "-C", str(hit_clone), "-q", "--cache", url], cwd=hit_clone, env=hit_env,
                                  s3=True)
            got = summary.get("s3", {}).get("GetObject", {})
            rows.append(Sample.of("cache hit: fresh clone, empty GOCACHE, gobuild build --cache", [hit],
                                  note=f"{len(list((hit_clone / 'dist').glob('*.zip')))} zips; "
                                       f"{got.get('calls', 0)} GetObject calls, at most "
                                       f"{got.get('peak_in_flight', 0)} in flight at once"))
            notes.append(f"download concurrency of the cache-hit runner: {got.get('peak_in_flight', 0)} "
                         f"GetObject calls in flight at most (gobuild build -j defaults to the {plural(cores(), 'core')})")
        except CommandFailed as failure:
            rows.append(Sample.skipped("shards", f"failed: {one_line(str(failure))}"))
    notes.append("shard times include uploading their zips to the cache, as the README's CI matrix does; "
                 "SeaweedFS on 127.0.0.1")
    return Section(name="shards", title=title, rows=tuple(rows), floor=rows[0].label if rows else FLOOR,
                   floor_name="one machine", notes=tuple(notes))

