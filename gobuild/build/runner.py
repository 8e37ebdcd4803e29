"""Runs a Plan: decides what is up to date, compiles the rest in parallel groups, and packages
each binary as soon as its group finishes, so zipping overlaps the next group's compilation.

Up to date means: the target's inputs fingerprint (gobuild.build.fingerprint) equals the one
recorded in artifacts.json and the zip on disk still has the recorded hash. Unchanged
files are recognised by stat without reading them, so a no-op build runs no `go` command
besides one `go env`. While the inputs' load key is unchanged (only function bodies were
edited), the new fingerprint is computed from the inputs `go list` reported last time and
compilation starts at once. A group that fails is retried one package at a time (Go's cache
makes this cheap) so each failing function gets its own compiler output and the others
still produce zips.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from gobuild.build import artifacts as artifacts_file
from gobuild.build.artifacts import Artifact, ArtifactsFile
from gobuild.build.fingerprint import State, fingerprint, list_inputs, load_key, load_state
from gobuild.build.gotool import GoTool, build_argv, module_path, probe, run
from gobuild.build.package import (
    MODE_EXECUTABLE,
    ZipEntry,
    code_sha256,
    contents_digest,
    file_mode,
    write_zip,
    zip_timestamp,
)
from gobuild.errors import GobuildError
from gobuild.manifest import Manifest
from gobuild.plan import Group, Target, exec_name, make_plan, settings_for
from gobuild.report import Reporter

if TYPE_CHECKING:
    from gobuild.build.proof import Expected


@dataclass(frozen=True, kw_only=True)
class CachedZip:
    """A zip from the shared cache, proven to be what its target builds, in a temporary file
    beside the target's zip; the digests were computed from its bytes, not taken from the cache."""

    path: Path
    size: int
    sha256: str  # hex
    contents_sha256: str


class ArtifactCache(Protocol):
    """A store of zips keyed by inputs fingerprint, shared between machines."""

    def get(self, fingerprint: str, expected: Expected, reporter: Reporter) -> CachedZip | None: ...

    def put(self, fingerprint: str, artifact: Artifact, path: Path, reporter: Reporter) -> None: ...


@dataclass(frozen=True, kw_only=True)
class Failure:
    """A target that did not build, with the command and output to replay."""

    target: Target
    output: str


@dataclass(frozen=True, kw_only=True)
class Consulted:
    """What a build read and wrote, by path: what lets a later no-op be answered from stat."""

    sources: tuple[str, ...]  # the manifest, the files and package folders behind the fingerprints
    outputs: tuple[str, ...]  # the zips and artifacts.json
    go: tuple[str, str, str]  # the go binary, the folder it ran in, its version
    since: float  # when the build started reading


@dataclass(frozen=True, kw_only=True)
class BuildResult:
    """What a build produced: the artifacts of the selected targets, failures, and counts."""

    artifacts: tuple[Artifact, ...]
    failures: tuple[Failure, ...]
    go_version: str
    manifest_path: Path
    compiled: int = 0
    up_to_date: int = 0
    from_cache: int = 0
    ignored_env: tuple[str, ...] = ()
    consulted: Consulted | None = None

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    """Choices from the command line."""

    jobs: int
    fail_fast: bool = False
    cache: ArtifactCache | None = None


def build(manifest: Manifest, targets: tuple[Target, ...], options: BuildOptions,
          reporter: Reporter, environ: Mapping[str, str]) -> BuildResult:
    """Brings the targets' zips up to date and writes artifacts.json; compile errors are in the result."""
    module_dirs = sorted({t.function.module_dir for t in targets})
    go = probe(environ, module_dirs[0])
    for ignored in go.ignored_env:
        reporter.warning(ignored_env_warning(ignored))
    index_path = artifacts_file.artifacts_path(manifest.out_dir)
    runner = _Runner(go, manifest, reporter, zip_timestamp(dict(environ)), _previous(index_path),
                     load_state(manifest.out_dir, manifest.root), options)
    current = [a for a in (runner.check(t) for t in targets) if a is not None]
    stale = [t for t in targets if t.key not in {a.key for a in current}]
    fresh, failures = runner.run(stale, {d: module_path(d) for d in module_dirs}) if stale else ([], [])
    failed = {f.target.key for f in failures}
    for failure in failures:
        # A stale zip must never look current: remove it with its index entry.
        (manifest.out_dir / failure.target.zip_name).unlink(missing_ok=True)
    names = {(f.name, a) for f in manifest.functions for a in f.architectures}
    _write_index(index_path, names, [*current, *fresh], failed, go)
    runner.state.save()
    consulted = Consulted(
        sources=(str(manifest.path), *runner.state.consulted(targets)),
        outputs=(str(index_path), *(str(manifest.out_dir / t.zip_name) for t in targets)),
        go=(go.path, str(module_dirs[0]), go.version), since=runner.state.hashes.started,
    )
    return BuildResult(
        artifacts=tuple(sorted([*current, *fresh], key=lambda a: a.key)), failures=tuple(failures),
        go_version=go.version, manifest_path=manifest.path, compiled=runner.compiled,
        up_to_date=runner.skipped, from_cache=runner.cached, ignored_env=go.ignored_env, consulted=consulted,
    )


def ignored_env_warning(name: str) -> str:
    return f"{name} from the environment is ignored: builds must not depend on it"


def _write_index(index_path: Path, names: set[tuple[str, str]], artifacts: list[Artifact],
                 failed: set[tuple[str, str]], go: GoTool) -> None:
    """Merges this build's artifacts into artifacts.json, keeping other functions' entries."""

    def document() -> ArtifactsFile:
        latest = _previous(index_path)
        kept = [a for a in (latest.artifacts if latest else ()) if a.key in names]
        return ArtifactsFile(artifacts=artifacts_file.merged(kept, artifacts, failed), go_version=go.version,
                             ignored_env=go.ignored_env)

    if artifacts_file.same_bytes(index_path, document()):
        index_path.touch()  # nothing to write; the new mtime says the sources were checked
        return
    with artifacts_file.locked(index_path.parent):
        # Re-read under the lock: another gobuild (make -j) may have written meanwhile.
        if not artifacts_file.save(index_path, document()):
            index_path.touch()


def _previous(path: Path) -> ArtifactsFile | None:
    try:
        return artifacts_file.load(path)
    except GobuildError:  # missing or unreadable: everything is rebuilt
        return None


class _Runner:
    """Holds what every group's worker needs; one instance per build."""

    def __init__(self, go: GoTool, manifest: Manifest, reporter: Reporter, epoch: int,
                 previous: ArtifactsFile | None, state: State, options: BuildOptions) -> None:
        self.go = go
        self.manifest = manifest
        self.reporter = reporter
        self.epoch = epoch
        self.previous = previous
        self.state = state
        self.options = options
        self.stop = threading.Event()
        # Each target ends in exactly one: compiled, skipped (up to date), or cached.
        self.compiled = self.skipped = self.cached = 0
        self.lock = threading.Lock()
        self.zipper: ThreadPoolExecutor  # the packaging pool, open while run() runs
        self.changed: set[tuple[str, str]] = set()
        self.known: dict[tuple[str, str], str] = {}  # fingerprints decided without go list

    def check(self, target: Target) -> Artifact | None:
        """Decides from the inputs recorded at the last `go list`, without running go: the
        artifact when it is up to date. When the recorded inputs still hold (their load_key is
        unchanged) the new fingerprint is known and kept for group(), which then needs no
        `go list` either."""
        recorded = self.state.inputs(target)
        if recorded is None:
            if self.previous is None or self.previous.find(*target.key) is None:
                self.changed.add(target.key)  # never built here: it will be compiled
            return None
        inputs, key = recorded
        settings = settings_for(target)
        inputs_fingerprint = fingerprint(target, settings, inputs, self.state.hashes, self.go.version, self.epoch)
        if load_key(target, settings, inputs, self.state.hashes, self.go.version) != key:
            # Imports, build constraints or file lists may have changed: ask go list again.
            if self._recorded(target, inputs_fingerprint) is None:
                self.changed.add(target.key)
            return None
        self.known[target.key] = inputs_fingerprint
        return self.up_to_date(target, inputs_fingerprint)

    def _recorded(self, target: Target, inputs_fingerprint: str) -> Artifact | None:
        """The artifact in artifacts.json when its fingerprint matches and its zip is intact."""
        old = self.previous.find(*target.key) if self.previous else None
        zip_path = self.manifest.out_dir / target.zip_name
        if old is None or old.inputs != inputs_fingerprint or self.state.hashes.file(str(zip_path)) != old.sha256:
            return None
        return old

    def up_to_date(self, target: Target, inputs_fingerprint: str) -> Artifact | None:
        """The recorded artifact when the target's fingerprint and zip are unchanged; counted and reported."""
        old = self._recorded(target, inputs_fingerprint)
        if old is None:
            # Inputs whose content changed (or a damaged zip): it will be compiled.
            self.changed.add(target.key)
            return None
        with self.lock:
            self.skipped += 1
        self.reporter.finished(target.label, True, "up to date", size=old.size, path=old.path, sha256=old.sha256)
        return replace(old, package=target.function.package, settings=settings_for(target).as_record())

    def run(self, targets: list[Target], module_paths: dict[Path, str]) -> tuple[list[Artifact], list[Failure]]:
        plan = make_plan(targets, module_paths)
        fresh: list[Artifact] = []
        failures: list[Failure] = []
        with tempfile.TemporaryDirectory(prefix="gobuild-") as scratch, \
                ThreadPoolExecutor(max_workers=max(1, self.options.jobs)) as pool, \
                ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="zip") as self.zipper:
            pending: set[Future[tuple[list[Artifact], list[Failure]]]] = {
                pool.submit(self.group, group, Path(scratch) / f"g{i}", module_paths[group.settings.module_dir])
                for i, group in enumerate(plan.groups)
            }
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    built, failed = future.result()
                    fresh += built
                    failures += failed
                if failures and self.options.fail_fast:
                    self.stop.set()
        return fresh, failures

    def group(self, group: Group, out: Path, module: str) -> tuple[list[Artifact], list[Failure]]:
        if self.stop.is_set():
            skipped = "skipped: --fail-fast after an earlier failure"
            return [], [Failure(target=t, output=skipped) for t in group.targets]
        for target in group.targets:
            self.reporter.started(target.label, "reading inputs")
        prints = {t: self.known[t.key] for t in group.targets if t.key in self.known}
        compiling: Future[dict[Target, Path | Failure]] | None = None
        built: list[Artifact] = []
        if len(prints) < len(group.targets):
            with ThreadPoolExecutor(max_workers=1) as side:
                if self.options.cache is None and all(t.key in self.changed for t in group.targets):
                    # Every target is known to need compiling and there is no cache to ask first:
                    # compile while `go list` reads the inputs for the new fingerprints.
                    compiling = side.submit(self.compile, group, out, module)
                try:
                    inputs = list_inputs(self.go, group.settings, group.targets)
                except GobuildError as error:
                    return [], [Failure(target=t, output=error.output or error.message) for t in group.targets]
            hashes = self.state.hashes
            for target in group.targets:
                self.state.remember(target, inputs[target],
                                    load_key(target, group.settings, inputs[target], hashes, self.go.version))
                prints[target] = fingerprint(target, group.settings, inputs[target], hashes, self.go.version,
                                             self.epoch)
                artifact = self.up_to_date(target, prints[target])
                if artifact:
                    built.append(artifact)
        current = {a.key for a in built}
        built += [a for a in (self.from_cache(t, prints[t], group, module) for t in group.targets
                              if t.key not in current) if a]
        todo = tuple(t for t in group.targets if t.key not in {a.key for a in built})
        if not todo:
            return built, []
        started = time.monotonic()
        for target in todo:
            self.reporter.progress(target.label, "compiling")
        failures: list[Failure] = []
        packaging: list[Future[Artifact]] = []
        compiled = compiling.result() if compiling else self.compile(replace(group, targets=todo), out, module)
        for target, result in ((t, r) for t, r in compiled.items() if t in todo):
            if isinstance(result, Failure):
                failures.append(result)
                self.reporter.finished(target.label, False, "failed", output=result.output)
            else:
                packaging.append(self.zipper.submit(self.package_one, target, result, group, prints[target], started))
        return built + [f.result() for f in packaging], failures

    def package_one(self, target: Target, binary: Path, group: Group, inputs_fingerprint: str,
                    started: float) -> Artifact:
        """Packages one binary (on the packaging pool, so every core compresses) and reports it."""
        self.reporter.progress(target.label, "packaging")
        artifact, rewritten = self.package(target, binary, group, inputs_fingerprint)
        with self.lock:
            self.compiled += 1
        self.reporter.finished(
            target.label, True, "zipped" if rewritten else "unchanged", size=artifact.size,
            seconds=round(time.monotonic() - started, 2), path=artifact.path, sha256=artifact.sha256,
        )
        return artifact

    def compile(self, group: Group, out: Path, module: str) -> dict[Target, Path | Failure]:
        settings = group.settings
        env = self.go.env_for(settings)
        out.mkdir(parents=True)
        done = run(build_argv(self.go, settings, [t.function.package for t in group.targets], out),
                   cwd=settings.module_dir, env=env)
        if done.returncode == 0:
            return {t: out / exec_name(module, t.function.package) for t in group.targets}
        if len(group.targets) == 1:
            return {group.targets[0]: Failure(target=group.targets[0], output=done.replay())}
        results: dict[Target, Path | Failure] = {}
        for i, target in enumerate(group.targets):
            single = out / f"t{i}"
            single.mkdir()
            again = run(build_argv(self.go, settings, [target.function.package], single),
                        cwd=settings.module_dir, env=env)
            binary = single / exec_name(module, target.function.package)
            results[target] = binary if again.returncode == 0 else Failure(target=target, output=again.replay())
        return results

    def from_cache(self, target: Target, inputs_fingerprint: str, group: Group, module: str) -> Artifact | None:
        """The zip from the shared cache, moved into out_dir, when the cache has this fingerprint
        and proves the zip is what this target builds (gobuild.build.proof)."""
        if self.options.cache is None:
            return None
        from gobuild.build.proof import Expected  # only builds with a cache read zips back

        dest = self.manifest.out_dir / target.zip_name
        expected = Expected(target=target, settings=group.settings, module=module, go_version=self.go.version,
                            epoch=self.epoch, dest=dest)
        cached = self.options.cache.get(inputs_fingerprint, expected, self.reporter)
        if cached is None:
            return None
        os.replace(cached.path, dest)
        self.state.hashes.remember(str(dest), cached.sha256)
        with self.lock:
            self.cached += 1
        artifact = Artifact(
            name=target.function.name, arch=target.arch, package=target.function.package, path=target.zip_name,
            size=cached.size, sha256=cached.sha256, code_sha256=code_sha256(bytes.fromhex(cached.sha256)),
            contents_sha256=cached.contents_sha256, inputs=inputs_fingerprint, settings=group.settings.as_record(),
        )
        self.reporter.finished(target.label, True, "from cache", size=artifact.size, path=artifact.path,
                               sha256=artifact.sha256)
        return artifact

    def package(self, target: Target, binary: Path, group: Group, inputs_fingerprint: str) -> tuple[Artifact, bool]:
        data = binary.read_bytes()
        entries = [ZipEntry(name="bootstrap", data=data, mode=MODE_EXECUTABLE)]
        entries += [ZipEntry(name=i.target, data=i.source.read_bytes(), mode=file_mode(i.source))
                    for i in target.function.include]
        contents = _contents_digest(entries, self.epoch)
        dest = self.manifest.out_dir / target.zip_name
        old = self.previous.find(*target.key) if self.previous else None
        if old and old.contents_sha256 == contents and self.state.hashes.file(str(dest)) == old.sha256:
            # Same binary, includes and timestamp: the zip on disk is already right; skip compression.
            artifact = replace(old, inputs=inputs_fingerprint, package=target.function.package,
                               settings=group.settings.as_record())
            rewritten = False
        else:
            written = write_zip(dest, entries, epoch=self.epoch)
            self.state.hashes.remember(str(dest), written.sha256)
            artifact = Artifact(
                name=target.function.name, arch=target.arch, package=target.function.package,
                path=target.zip_name, size=written.size, sha256=written.sha256,
                code_sha256=written.code_sha256, contents_sha256=contents, inputs=inputs_fingerprint,
                settings=group.settings.as_record(),
            )
            rewritten = True
        if self.options.cache is not None:
            self.options.cache.put(inputs_fingerprint, artifact, dest, self.reporter)
        return artifact, rewritten


def _contents_digest(entries: list[ZipEntry], epoch: int) -> str:
    """What the zip's bytes are a function of (package.contents_digest); the cache recomputes it."""
    return contents_digest(((e.name, e.mode, hashlib.sha256(e.data).digest()) for e in entries), epoch)
