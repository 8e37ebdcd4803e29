"""Runs a Plan: brings the selected targets' zips up to date and records them in artifacts.json.

Up to date means: the target's inputs fingerprint (gobuild.build.fingerprint) equals the one
recorded in artifacts.json and the zip on disk still has the recorded hash. Unchanged
files are recognised by stat without reading them, so a no-op build runs no `go` command
besides one `go env`, and writes nothing (artifacts.json is rewritten only when its bytes
change). The work itself is in gobuild.build.groups. A build stopped by a signal keeps the
zips it finished (recorded in artifacts.json) and leaves no process, scratch folder or
temporary file behind; what a killed build (SIGKILL) left is removed by the next one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from gobuild import gosource
from gobuild.build import artifacts as artifacts_file
from gobuild.build.artifacts import Artifact, ArtifactsFile
from gobuild.build.fingerprint import load_state
from gobuild.build.gotool import GoTool, module_path, probe
from gobuild.build.groups import GroupRunner
from gobuild.build.outcome import ArtifactCache, BuildOptions, BuildResult, CachedZip, Consulted, Failure
from gobuild.build.package import zip_timestamp
from gobuild.build.processes import Interrupted, Processes
from gobuild.build.scratch import remove_leftovers
from gobuild.build.stamping import stamp_targets
from gobuild.build.zig import find_zig, version_warning
from gobuild.errors import BuildError, GobuildError
from gobuild.manifest import Manifest
from gobuild.plan import Target
from gobuild.report import Reporter

__all__ = ["ArtifactCache", "BuildOptions", "BuildResult", "CachedZip", "Failure", "build", "ignored_env_warning"]


def build(manifest: Manifest, targets: tuple[Target, ...], options: BuildOptions,
          reporter: Reporter, environ: Mapping[str, str]) -> BuildResult:
    """Brings the targets' zips up to date and writes artifacts.json; compile errors are in the
    result. No targets (a shard beyond their count) builds nothing and still writes a valid index."""
    out_dir = manifest.out_dir
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildError(f"out_dir {out_dir} is a file, not a folder", hint="remove it, or set out_dir to a folder")
    module_dirs = sorted({t.function.module_dir for t in targets} or {f.module_dir for f in manifest.functions})
    go = probe(environ, module_dirs[0], Processes())
    if options.go_cpus:
        go = replace(go, cpus=options.go_cpus)
    for ignored in go.ignored_env:
        reporter.warning(ignored_env_warning(ignored))
    go = with_zig(go, targets, reporter)
    targets = stamp_targets(targets, go, environ, reporter)
    remove_leftovers(out_dir)  # what builds killed with SIGKILL left: their scratch and temporary files
    index_path = artifacts_file.artifacts_path(out_dir)
    runner = GroupRunner(go, manifest, reporter, zip_timestamp(dict(environ)), _previous(index_path),
                         load_state(out_dir, manifest.root), options)
    current = [a for a in (runner.check(t) for t in targets) if a is not None]
    up_to_date = {a.key for a in current}
    stale = [t for t in targets if t.key not in up_to_date]
    names = {(f.name, a) for f in manifest.functions for a in f.architectures}
    try:
        fresh, failures = runner.run(stale, {d: module_path(d) for d in module_dirs}) if stale else ([], [])
    except Interrupted:
        try:  # keep what was finished: those zips are complete and correct
            _write_index(index_path, names, [*current, *runner.finished], set(), go)
            runner.state.save()
        except (OSError, GobuildError):
            pass
        raise
    failed = {f.target.key for f in failures}
    for failure in failures:
        # A stale zip must never look current: remove it with its index entry.
        try:
            (out_dir / failure.target.zip_name).unlink(missing_ok=True)
        except OSError:
            pass
    _write_index(index_path, names, [*current, *fresh], failed, go)
    try:
        runner.state.save()
    except OSError as error:
        reporter.warning(f"cannot save {runner.state.path}: {error.strerror or error} (the next build reads more)")
    consulted = Consulted(
        sources=(str(manifest.path), *runner.state.consulted(targets), *_workspace_files(manifest, targets),
                 *([go.zig.path] if go.zig else [])),  # a new ziglang replaces it
        outputs=(str(index_path), *(str(out_dir / t.zip_name) for t in targets), str(out_dir)),
        go=(go.path, str(module_dirs[0]), go.version), since=runner.state.hashes.started,
    )
    return BuildResult(
        artifacts=tuple(sorted([*current, *fresh], key=lambda a: a.key)), failures=tuple(failures),
        go_version=go.version, manifest_path=manifest.path, compiled=runner.compiled,
        up_to_date=runner.skipped, from_cache=runner.cached, ignored_env=go.ignored_env, consulted=consulted,
    )


def with_zig(go: GoTool, targets: tuple[Target, ...], reporter: Reporter) -> GoTool:
    """The go tool with zig as the C compiler when a target has `cgo = true` (a ToolError
    naming the function and the fix when zig is not installed); unchanged otherwise."""
    first = next((t for t in targets if t.function.cgo is not None), None)
    if first is None:
        return go
    found = find_zig(dict(go.base_env), needed_by=f"function {first.function.name}")
    warning = version_warning(found)
    if warning:
        reporter.warning(warning)
    return replace(go, zig=found)


def ignored_env_warning(name: str) -> str:
    """The warning for a GO* variable from the environment that gobuild cleared."""
    return f"{name} from the environment is ignored: builds must not depend on it"


def _workspace_files(manifest: Manifest, targets: tuple[Target, ...]) -> list[str]:
    """Every place a go.work for the targets could appear: creating one changes the build."""
    root = manifest.root.resolve()
    folders = {f for t in targets for f in gosource.workspace_folders(t.function.module_dir, root)}
    return sorted(str(folder / "go.work") for folder in folders)


def _write_index(index_path: Path, names: set[tuple[str, str]], artifacts: list[Artifact],
                 failed: set[tuple[str, str]], go: GoTool) -> None:
    """Merges this build's artifacts into artifacts.json, keeping other functions' entries;
    writes nothing (not even its mtime) when its bytes would not change."""

    def document() -> ArtifactsFile:
        latest = _previous(index_path)
        kept = [a for a in (latest.artifacts if latest else ()) if a.key in names]
        entries = artifacts_file.merged(kept, artifacts, failed)
        # The zig that built the cgo zips: this build's, or the last one's when it used none.
        zig = go.zig.version if go.zig else latest.zig_version if latest else None
        cgo = any(a.settings.get("cgo_enabled") == "1" for a in entries)
        return ArtifactsFile(artifacts=entries, go_version=go.version, ignored_env=go.ignored_env,
                             zig_version=zig if cgo else None)

    try:
        first = document()
        data = artifacts_file.render(first)
        if artifacts_file.holds(index_path, data):
            return
        with artifacts_file.locked(index_path.parent):
            # Re-read under the lock: another gobuild (make -j) may have written meanwhile.
            again = document()
            artifacts_file.save(index_path, again, data if again == first else None)
    except OSError as error:
        raise BuildError(f"cannot write {index_path}: {error.strerror or error}",
                         hint="make out_dir writable, or free space on its disk") from None


def _previous(path: Path) -> ArtifactsFile | None:
    try:
        return artifacts_file.load(path)
    except GobuildError:  # missing or unreadable: everything is rebuilt
        return None
