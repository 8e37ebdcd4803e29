"""`gobuild init`, `gobuild build` and `gobuild merge`.

Core modules are imported inside the commands, so that `gobuild build` with nothing to do
does not pay for boto3 and friends at start-up.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from gobuild.cli.app import DirOption, ManifestOption, app, err_console, manifest_file, print_json, run
from gobuild.errors import BuildError, UsageError, VerifyError

if TYPE_CHECKING:
    from gobuild.build import BuildResult
    from gobuild.manifest import Manifest
    from gobuild.plan import Target
    from gobuild.report import RecordingReporter

@app.command("init")
def init_command(
    directory: Path = DirOption,
    manifest: Path = ManifestOption,
    arch: list[str] = typer.Option(["arm64"], "--arch", help="Architectures for every function."),
    force: bool = typer.Option(False, "--force", help="Replace an existing manifest."),
) -> None:
    """Write a gobuild.toml for the main packages under ./cmd/ (names keep a -lambda suffix)."""
    from gobuild import discover
    from gobuild.manifest import parse_manifest
    from gobuild.package import write_atomic

    path = manifest_file(directory, manifest)

    def action() -> None:
        if path.exists() and not force:
            raise UsageError(f"{path} already exists", hint="edit it, or pass --force to replace it")
        found = discover.discover(directory.resolve())
        text = discover.render(found, tuple(arch))
        parse_manifest(text, path=path.resolve())  # refuse (and write nothing) if it would not load
        write_atomic(path, text.encode())
        err_console.print(f"wrote {path} with {len(found)} functions: {', '.join(f.name for f in found)}")

    run(action)


@app.command("build")
def build_command(
    directory: Path = DirOption,
    manifest: Path = ManifestOption,
    only: list[str] = typer.Option([], "--only", help="Build only this function (repeatable)."),
    arch: Optional[str] = typer.Option(None, "--arch", help="Build only this architecture."),
    jobs: int = typer.Option(os.cpu_count() or 2, "-j", "--jobs", min=1, help="Parallel go build groups."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Print only failures."),
    fail_fast: bool = typer.Option(False, "--fail-fast", help="Stop starting groups after a failure."),
    verify: bool = typer.Option(False, "--verify", help="Run `gobuild verify` on every artifact."),
    cache: Optional[str] = typer.Option(None, "--cache", help="Shared cache, s3://bucket/prefix."),
    shard: Optional[str] = typer.Option(None, "--shard", help="Build part K of N of the targets (K/N)."),
) -> None:
    """Cross-compile every function and write reproducible zips and dist/artifacts.json."""
    from gobuild.build import BuildOptions, build
    from gobuild.cli.render import reporters
    from gobuild.manifest import load_manifest
    from gobuild.merge import parse_shard, shard as take_shard
    from gobuild.noop import selection_key
    from gobuild.plan import select_targets

    def action() -> None:
        loaded = load_manifest(manifest_file(directory, manifest))
        targets = select_targets(loaded, only=only, arch=arch)
        if shard:
            targets = take_shard(targets, *parse_shard(shard))
        with ExitStack() as stack:
            reporter, recorder = reporters(stack, loaded.out_dir, "build", as_json=as_json, quiet=quiet)
            options = BuildOptions(jobs=jobs, fail_fast=fail_fast, cache=_cache(loaded, cache))
            result = build(loaded, targets, options, reporter, os.environ)
        if result.ok and not shard:
            _record_noop(loaded, result, targets, selection_key(str(manifest_file(directory, manifest)), only, arch))
        problems = _verify(loaded, result) if verify and result.artifacts else {}
        if as_json:
            print_json(build_document(result, recorder, problems, verified=len(result.artifacts) if verify else 0))
        elif not quiet:
            err_console.print(summary(result, loaded.out_dir))
        if not result.ok:
            names = ", ".join(f.target.label for f in result.failures)
            raise BuildError(f"{len(result.failures)} of {len(targets)} targets failed: {names}")
        if problems:
            raise VerifyError(f"{len(problems)} artifacts would not run on Lambda: {', '.join(sorted(problems))}",
                              hint="run `gobuild verify` on them for the details")

    run(action)


def summary(result: BuildResult, out_dir: Path) -> str:
    parts = [f"{result.compiled} built"] if result.compiled else []
    if result.from_cache:
        parts.append(f"{result.from_cache} from cache")
    if result.up_to_date:
        parts.append(f"{result.up_to_date} up to date")
    return f"{len(result.artifacts)} zips in {out_dir} ({', '.join(parts) or 'nothing to do'}; {result.go_version})"


def _record_noop(loaded: Manifest, result: BuildResult, targets: tuple[Target, ...], key: str) -> None:
    """Records what this build would print if nothing changed, for the next run's fast path."""
    from gobuild.build import ignored_env_warning
    from gobuild.cli.render import plain_line
    from gobuild.noop import record

    consulted = result.consulted
    assert consulted is not None
    sizes = {a.key: a.size for a in result.artifacts}
    record(
        str(loaded.out_dir), key, environ=os.environ, go=consulted.go, sources=consulted.sources,
        outputs=consulted.outputs, since=consulted.since,
        warnings=[f"warning: {ignored_env_warning(name)}" for name in result.ignored_env],
        lines=[plain_line(t.label, True, "up to date", size=sizes[t.key]) for t in targets],
        summary=summary(replace(result, compiled=0, from_cache=0, up_to_date=len(targets)), loaded.out_dir),
    )


def _cache(loaded: Manifest, url: str | None) -> Any:
    chosen = url or loaded.cache.url
    if not chosen:
        return None
    from gobuild.cache import S3Cache

    settings = loaded.cache
    return S3Cache(chosen, endpoint_url=settings.endpoint_url, region=settings.region, profile=settings.profile)


def _verify(loaded: Manifest, result: BuildResult) -> dict[str, list[str]]:
    """Runs verify on every artifact; returns label → error messages for those that fail."""
    from gobuild.verify import verify_zip

    problems: dict[str, list[str]] = {}
    for artifact in result.artifacts:
        report = verify_zip(loaded.out_dir / artifact.path, arch=artifact.arch)
        if report.has_errors:
            label = f"{artifact.name}/{artifact.arch}"
            problems[label] = [f"{f.code}: {f.message}" for f in report.findings if f.severity == "error"]
            for message in problems[label]:
                err_console.print(f"[red]verify[/red] {label}: {message}", markup=True, highlight=False)
    return problems


def build_document(result: BuildResult, recorder: RecordingReporter,
                   problems: dict[str, list[str]], *, verified: int) -> dict[str, Any]:
    return {
        "ok": result.ok and not problems,
        "go_version": result.go_version,
        "manifest": str(result.manifest_path),
        "artifacts": [a.__dict__ for a in result.artifacts],
        "failures": [{"name": f.target.function.name, "arch": f.target.arch, "output": f.output}
                     for f in result.failures],
        "counts": {"built": result.compiled, "from_cache": result.from_cache, "up_to_date": result.up_to_date},
        "verified": verified,
        "verify_errors": problems,
        "warnings": recorder.warnings(),
    }


@app.command("merge")
def merge_command(
    inputs: list[Path] = typer.Argument(..., help="artifacts.json of each shard (zips beside each)."),
    directory: Path = DirOption,
    manifest: Path = ManifestOption,
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Merged index [out_dir/artifacts.json]."),
) -> None:
    """Join the artifacts.json of `build --shard` runs into one, refusing overlaps and gaps."""
    from gobuild.artifacts import artifacts_path
    from gobuild.manifest import load_manifest
    from gobuild.merge import merge

    def action() -> None:
        loaded = load_manifest(manifest_file(directory, manifest))
        dest = output or artifacts_path(loaded.out_dir)
        merged = merge(loaded, inputs, dest)
        err_console.print(f"merged {len(inputs)} shards: {len(merged.artifacts)} artifacts in {dest}")

    run(action)
