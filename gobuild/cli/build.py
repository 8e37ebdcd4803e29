"""`gobuild init` and `gobuild build`."""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Optional

import typer

from gobuild import discover
from gobuild.build import BuildOptions, BuildResult, build
from gobuild.cli.app import app, err_console, print_json, run
from gobuild.cli.render import LiveReporter, LogReporter, PlainReporter
from gobuild.errors import BuildError, UsageError
from gobuild.manifest import MANIFEST_NAME, load_manifest, parse_manifest
from gobuild.package import write_atomic
from gobuild.plan import select_targets
from gobuild.report import RecordingReporter, Reporter, TeeReporter

DirOption = typer.Option(Path("."), "-C", "--directory", help="Run as if started in this folder.")
ManifestOption = typer.Option(Path(MANIFEST_NAME), "-m", "--manifest", help="Manifest file, relative to -C.")


def manifest_file(directory: Path, manifest: Path) -> Path:
    """The manifest path that -C and -m name together."""
    return directory / manifest


@app.command("init")
def init_command(
    directory: Path = DirOption,
    manifest: Path = ManifestOption,
    arch: list[str] = typer.Option(["arm64"], "--arch", help="Architectures for every function."),
    force: bool = typer.Option(False, "--force", help="Replace an existing manifest."),
) -> None:
    """Write a gobuild.toml for the main packages under ./cmd/."""
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
) -> None:
    """Cross-compile every function and write reproducible zips and dist/artifacts.json."""

    def action() -> BuildResult:
        loaded = load_manifest(manifest_file(directory, manifest))
        targets = select_targets(loaded, only=only, arch=arch)
        recorder = RecordingReporter()
        with ExitStack() as stack:
            log = LogReporter(loaded.out_dir, "build")
            stack.callback(log.close)
            screen: Reporter
            if as_json:
                screen = recorder
            elif sys.stderr.isatty() and not quiet:
                screen = stack.enter_context(LiveReporter(err_console))
            else:
                screen = PlainReporter(err_console, quiet=quiet)
            result = build(loaded, targets, BuildOptions(jobs=jobs, fail_fast=fail_fast),
                           TeeReporter(screen, log), os.environ)
        if as_json:
            print_json(build_document(result, recorder))
        elif not quiet:
            changed = sum(1 for e in recorder.events if e.kind == "finished" and e.detail == "zipped")
            err_console.print(f"{len(result.artifacts)} zips in {loaded.out_dir} ({result.go_version})")
        if not result.ok:
            names = ", ".join(f.target.label for f in result.failures)
            raise BuildError(f"{len(result.failures)} of {len(targets)} targets failed: {names}")
        return result

    run(action)


def build_document(result: BuildResult, recorder: RecordingReporter) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "go_version": result.go_version,
        "manifest": str(result.manifest_path),
        "artifacts": [a.__dict__ for a in result.artifacts],
        "failures": [{"name": f.target.function.name, "arch": f.target.arch, "output": f.output}
                     for f in result.failures],
        "warnings": recorder.warnings(),
    }
