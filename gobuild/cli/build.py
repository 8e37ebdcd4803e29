"""`gobuild init`, `gobuild build` and `gobuild merge`.

Core modules are imported inside the commands, so that `gobuild build` with nothing to do
does not pay for boto3 and friends at start-up.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gobuild.cli.app import (
    HERE,
    MANIFEST,
    DirOption,
    ManifestOption,
    app,
    err_console,
    manifest_file,
    print_json,
    run,
)
from gobuild.errors import BuildError, UsageError, VerifyError
from gobuild.lines import plural

if TYPE_CHECKING:
    from gobuild.build.runner import BuildResult
    from gobuild.manifest import Manifest
    from gobuild.report import RecordingReporter

JOBS = os.cpu_count() or 2
CHANGED = ("zipped", "from cache")  # the runner's details for a zip this run wrote


@app.command("init")
def init_command(
    directory: DirOption = HERE,
    manifest: ManifestOption = MANIFEST,
    arch: Annotated[list[str], typer.Option("--arch", help="Architectures for every function.")] = ["arm64"],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing manifest.")] = False,
    all_mains: Annotated[
        bool, typer.Option("--all-mains", help="Every main package, not only those that import aws-lambda-go.")
    ] = False,
    example: Annotated[
        bool, typer.Option("--example", help="Print the annotated example manifest (every key), write nothing.")
    ] = False,
) -> None:
    """Write a gobuild.toml for the module's Lambda functions: every main package that imports
    aws-lambda-go, wherever it lives (in every module of a go.work workspace)."""
    if example:
        from gobuild import example_manifest

        typer.echo(example_manifest(), nl=False)
        return
    from gobuild import discover
    from gobuild.files import write_atomic
    from gobuild.lines import plural
    from gobuild.manifest import parse_manifest

    path = manifest_file(directory, manifest)

    def action() -> None:
        if path.exists() and not force:
            raise UsageError(f"{path} already exists", hint="edit it, or pass --force to replace it")
        found = discover.discover(directory.resolve(), all_mains=all_mains)
        text = discover.render(found, tuple(arch))
        parse_manifest(text, path=path.resolve())  # refuse (and write nothing) if it would not load
        write_atomic(path, text.encode())
        for note in found.notes:
            err_console.print(f"note: {note}", markup=False, highlight=False)
        names = ", ".join(f.name for f in found.found)
        err_console.print(f"wrote {path} with {plural(len(found.found), 'function')}: {names}", markup=False,
                          highlight=False)

    run(action)


@app.command("build")
def build_command(
    directory: DirOption = HERE,
    manifest: ManifestOption = MANIFEST,
    only: Annotated[list[str], typer.Option("--only", help="Build only this function (repeatable).")] = [],
    arch: Annotated[str | None, typer.Option("--arch", help="Build only this architecture.")] = None,
    jobs: Annotated[int, typer.Option("-j", "--jobs", min=1, help="Parallel go build groups.")] = JOBS,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print only failures.")] = False,
    fail_fast: Annotated[bool, typer.Option("--fail-fast", help="Stop starting groups after a failure.")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="Run `gobuild verify` on every artifact.")] = False,
    cache: Annotated[str | None, typer.Option("--cache", help="Shared cache, s3://bucket/prefix.")] = None,
    shard: Annotated[str | None, typer.Option("--shard", help="Build part K of N of the targets (K/N).")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the manifest and list the targets; build nothing.")
    ] = False,
) -> None:
    """Cross-compile every function and write reproducible zips and dist/artifacts.json."""
    from gobuild.build.merge import parse_shard
    from gobuild.build.merge import shard as take_shard
    from gobuild.build.processes import Interrupted
    from gobuild.build.record import record_noop
    from gobuild.build.runner import BuildOptions, build
    from gobuild.cli.output import reporters, stopped_by_signals
    from gobuild.lines import plural
    from gobuild.manifest import load_manifest
    from gobuild.noop import selection_key
    from gobuild.plan import select_targets

    def action() -> None:
        loaded = load_manifest(manifest_file(directory, manifest))
        targets = select_targets(loaded, only=only, arch=arch)
        if shard:
            k, n = parse_shard(shard)
            everything = len(targets)
            targets = take_shard(targets, k, n)
            if not targets and not as_json:
                # A CI matrix may have more shards than targets: those shards build nothing.
                err_console.print(f"shard {k}/{n} has no targets ({plural(everything, 'target')} in {n} shards): "
                                  "nothing to build")
        if dry_run:  # the manifest loaded and the selection holds: say what a build would do
            for target in [] if quiet else targets:
                err_console.print(f"{target.label:<28} {target.function.package}", markup=False)
            if not quiet:
                err_console.print(f"{loaded.path}: {plural(len(targets), 'target')} to build; nothing built")
            return
        try:
            with ExitStack() as stack:
                reporter, recorder = reporters(stack, loaded.out_dir, "build", as_json=as_json, quiet=quiet)
                options = BuildOptions(jobs=jobs, fail_fast=fail_fast, cache=_cache(loaded, cache))
                with stopped_by_signals(reporter):
                    result = build(loaded, targets, options, reporter, os.environ)
        except Interrupted as stop:
            # Every go process is gone and nothing half-written is left: say so and exit 128+N.
            err_console.print(f"[red]interrupted[/red] by {stop.name}: stopped, finished zips kept")
            raise typer.Exit(stop.exit_code) from None
        if result.ok and not shard:
            record_noop(
                loaded, result, targets, selection_key(str(manifest_file(directory, manifest)), only, arch), os.environ
            )
        problems = _verify(loaded, result) if verify and result.artifacts else {}
        if as_json:
            print_json(build_document(result, recorder, problems, verified=len(result.artifacts) if verify else 0))
        elif not quiet:
            err_console.print(summary(result, loaded.out_dir))
        if not result.ok:
            names = ", ".join(f.target.label for f in result.failures)
            raise BuildError(f"{len(result.failures)} of {len(targets)} targets failed: {names}")
        if problems:
            raise VerifyError(
                f"{plural(len(problems), 'artifact')} would not run on Lambda: {', '.join(sorted(problems))}",
                hint="run `gobuild verify` on them for the details",
            )

    run(action)


def summary(result: BuildResult, out_dir: Path) -> str:
    from gobuild.lines import build_summary

    return build_summary(
        zips=len(result.artifacts),
        out_dir=str(out_dir),
        go_version=result.go_version,
        built=result.compiled,
        from_cache=result.from_cache,
        up_to_date=result.up_to_date,
        failed=len(result.failures),
    )


def _cache(loaded: Manifest, url: str | None) -> Any:
    chosen = url or loaded.cache.url
    if not chosen:
        return None
    from gobuild.build.cache import S3Cache, signing_key

    settings = loaded.cache
    return S3Cache(chosen, endpoint_url=settings.endpoint_url, region=settings.region, profile=settings.profile,
                   key=signing_key(os.environ))


def _verify(loaded: Manifest, result: BuildResult) -> dict[str, list[str]]:
    """Runs verify on every artifact; returns label → error messages for those that fail."""
    from gobuild.check.verify import verify_zip

    problems: dict[str, list[str]] = {}
    for artifact in result.artifacts:
        report = verify_zip(loaded.out_dir / artifact.path, arch=artifact.arch)
        if report.has_errors:
            label = f"{artifact.name}/{artifact.arch}"
            problems[label] = [f"{f.code}: {f.message}" for f in report.findings if f.severity == "error"]
            for message in problems[label]:
                err_console.print(f"[red]verify[/red] {label}: {message}", markup=True, highlight=False)
    return problems


def build_document(
    result: BuildResult, recorder: RecordingReporter, problems: dict[str, list[str]], *, verified: int
) -> dict[str, Any]:
    return {
        "ok": result.ok and not problems,
        "go_version": result.go_version,
        "manifest": str(result.manifest_path),
        "artifacts": [a.__dict__ for a in result.artifacts],
        "failures": [
            {"name": f.target.function.name, "arch": f.target.arch, "output": f.output, "hint": f.hint}
            for f in result.failures
        ],
        "counts": {"built": result.compiled, "from_cache": result.from_cache, "up_to_date": result.up_to_date},
        # name/arch of each zip this run wrote: compiled to new bytes, or taken from the cache
        "changed": sorted(e.task for e in recorder.events if e.kind == "finished" and e.detail in CHANGED),
        "verified": verified,
        "verify_errors": problems,
        "warnings": recorder.warnings(),
    }


@app.command("merge")
def merge_command(
    inputs: Annotated[
        list[Path], typer.Argument(metavar="ARTIFACTS_JSON", help="artifacts.json of each shard (zips beside each).")
    ],
    directory: DirOption = HERE,
    manifest: ManifestOption = MANIFEST,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Merged index (default: out_dir/artifacts.json).")
    ] = None,
) -> None:
    """Join the artifacts.json of `build --shard` runs into one, refusing overlaps and gaps."""
    from gobuild.build.artifacts import artifacts_path
    from gobuild.build.merge import merge
    from gobuild.manifest import load_manifest

    def action() -> None:
        loaded = load_manifest(manifest_file(directory, manifest))
        dest = output or artifacts_path(loaded.out_dir)
        merged = merge(loaded, inputs, dest)
        shards, artifacts = plural(len(inputs), "shard"), plural(len(merged.artifacts), "artifact")
        err_console.print(f"merged {shards}: {artifacts} in {dest}")

    run(action)
