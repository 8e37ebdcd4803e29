"""Runs a Plan: groups compile in parallel (bounded by jobs), each binary is packaged as
soon as its group finishes, so zipping overlaps the next group's compilation.

A group that fails is retried one package at a time (Go's cache makes this cheap) so each
failing function gets its own compiler output and the others still produce zips.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
import time
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from gobuild import artifacts as artifacts_file
from gobuild.artifacts import Artifact, ArtifactsFile
from gobuild.errors import GobuildError
from gobuild.gotool import GoTool, build_argv, module_path, probe, run
from gobuild.manifest import Manifest
from gobuild.package import MODE_EXECUTABLE, ZipEntry, file_mode, sha256_file, write_zip, zip_timestamp
from gobuild.plan import Group, Plan, Target, exec_name, make_plan
from gobuild.report import Reporter


@dataclass(frozen=True, kw_only=True)
class Failure:
    """A target that did not build, with the command and output to replay."""

    target: Target
    output: str


@dataclass(frozen=True, kw_only=True)
class BuildResult:
    """What a build produced: fresh artifacts, failures, and the artifacts.json it wrote."""

    artifacts: tuple[Artifact, ...]
    failures: tuple[Failure, ...]
    go_version: str
    manifest_path: Path

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    """Choices from the command line."""

    jobs: int
    fail_fast: bool = False


def build(manifest: Manifest, targets: tuple[Target, ...], options: BuildOptions,
          reporter: Reporter, environ: Mapping[str, str]) -> BuildResult:
    """Compiles and packages the targets; writes artifacts.json; never raises for a compile error."""
    module_dirs = sorted({t.function.module_dir for t in targets})
    go = probe(environ, module_dirs[0])
    for ignored in go.ignored_env:
        reporter.warning(f"{ignored} from the environment is ignored: builds must not depend on it")
    plan = make_plan(targets, {d: module_path(d) for d in module_dirs})
    epoch = zip_timestamp(dict(environ))
    index_path = artifacts_file.artifacts_path(manifest.out_dir)
    previous = _previous(index_path)
    runner = _Runner(go, manifest, plan, reporter, epoch, previous, options)
    fresh, failures = runner.run()
    failed = {f.target.key for f in failures}
    for failure in failures:
        # A stale zip must never look current: remove it with its index entry.
        (manifest.out_dir / failure.target.zip_name).unlink(missing_ok=True)
    names = {(f.name, a) for f in manifest.functions for a in f.architectures}
    with artifacts_file.locked(manifest.out_dir):
        # Re-read under the lock: another gobuild (make -j) may have written meanwhile.
        current = _previous(index_path)
        kept = [a for a in (current.artifacts if current else ()) if a.key in names]
        document = ArtifactsFile(
            artifacts=artifacts_file.merged(kept, fresh, failed),
            go_version=go.version,
            ignored_env=go.ignored_env,
        )
        if not artifacts_file.save(index_path, document):
            index_path.touch()  # same bytes; the new mtime says the sources were checked
    return BuildResult(artifacts=tuple(fresh), failures=tuple(failures), go_version=go.version,
                       manifest_path=manifest.path)


def _previous(path: Path) -> ArtifactsFile | None:
    try:
        return artifacts_file.load(path)
    except GobuildError:  # missing or unreadable: everything is rebuilt
        return None


class _Runner:
    """Holds what every group's worker needs; one instance per build."""

    def __init__(self, go: GoTool, manifest: Manifest, plan: Plan, reporter: Reporter, epoch: int,
                 previous: ArtifactsFile | None, options: BuildOptions) -> None:
        self.go = go
        self.manifest = manifest
        self.plan = plan
        self.reporter = reporter
        self.epoch = epoch
        self.previous = previous
        self.options = options
        self.stop = threading.Event()

    def run(self) -> tuple[list[Artifact], list[Failure]]:
        fresh: list[Artifact] = []
        failures: list[Failure] = []
        with tempfile.TemporaryDirectory(prefix="gobuild-") as scratch, \
                ThreadPoolExecutor(max_workers=max(1, self.options.jobs)) as pool:
            pending: set[Future[tuple[list[Artifact], list[Failure]]]] = {
                pool.submit(self.group, group, Path(scratch) / f"g{i}")
                for i, group in enumerate(self.plan.groups)
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

    def group(self, group: Group, out: Path) -> tuple[list[Artifact], list[Failure]]:
        if self.stop.is_set():
            return [], [Failure(target=t, output="skipped: --fail-fast after an earlier failure") for t in group.targets]
        for target in group.targets:
            self.reporter.started(target.label, "compiling")
        started = time.monotonic()
        outcome = self.compile(group, out)
        built: list[Artifact] = []
        failures: list[Failure] = []
        for target, result in outcome.items():
            if isinstance(result, Failure):
                failures.append(result)
                self.reporter.finished(target.label, False, "failed", output=result.output)
                continue
            self.reporter.progress(target.label, "packaging")
            artifact, rewritten = self.package(target, result, group)
            built.append(artifact)
            self.reporter.finished(
                target.label, True, "zipped" if rewritten else "unchanged", size=artifact.size,
                seconds=round(time.monotonic() - started, 2), path=artifact.path, sha256=artifact.sha256,
            )
        return built, failures

    def compile(self, group: Group, out: Path) -> dict[Target, Path | Failure]:
        settings = group.settings
        module = module_path(settings.module_dir)
        env = self.go.env_for(settings)
        out.mkdir(parents=True)
        done = run(build_argv(self.go, settings, [t.function.package for t in group.targets], out),
                   cwd=settings.module_dir, env=env)
        binaries = {t: out / exec_name(module, t.function.package) for t in group.targets}
        if done.returncode == 0:
            return dict(binaries)
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

    def package(self, target: Target, binary: Path, group: Group) -> tuple[Artifact, bool]:
        data = binary.read_bytes()
        binary_sha256 = hashlib.sha256(data).hexdigest()
        entries = [ZipEntry(name="bootstrap", data=data, mode=MODE_EXECUTABLE)]
        entries += [ZipEntry(name=i.target, data=i.source.read_bytes(), mode=file_mode(i.source))
                    for i in target.function.include]
        inputs = hashlib.sha256(b"".join(
            e.name.encode() + b"\0" + hashlib.sha256(e.data).digest() + bytes([e.mode & 0xFF]) for e in entries
        ) + str(self.epoch).encode()).hexdigest()
        dest = self.manifest.out_dir / target.zip_name
        old = self.previous.find(*target.key) if self.previous else None
        if old and old.inputs == inputs and _file_sha256(dest) == old.sha256:
            return _with(old, target, group), False  # the binary and includes are the same: keep the zip
        written = write_zip(dest, entries, epoch=self.epoch)
        artifact = Artifact(
            name=target.function.name, arch=target.arch, package=target.function.package,
            path=target.zip_name, size=written.size, sha256=written.sha256,
            code_sha256=written.code_sha256, binary_sha256=binary_sha256, inputs=inputs,
            settings=group.settings.as_record(),
        )
        return artifact, True


def _with(old: Artifact, target: Target, group: Group) -> Artifact:
    return Artifact(**{**old.__dict__, "package": target.function.package, "settings": group.settings.as_record()})


def _file_sha256(path: Path) -> str | None:
    try:
        return sha256_file(path)
    except FileNotFoundError:
        return None
