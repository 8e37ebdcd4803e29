"""The work of one build: decide which targets are up to date, then for each group of the rest
read its inputs (`go list`), take what the cache has, compile, and zip each binary as soon as
its group finishes, so zipping overlaps the next group's compilation.

Every target ends in exactly one state: up to date, from cache, built, or failed with Go's
output. A target go list cannot load fails with Go's message while the rest of its group
still builds; a group whose `go build` fails is retried one package at a time (Go's cache
makes this cheap) so each failing function gets its own compiler output. A signal stops
every go process at once (gobuild.build.processes): no retry, no failure line, and the
scratch folder (binaries, go's work folders) is removed on the way out.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from pathlib import Path

from gobuild.build.artifacts import Artifact, ArtifactsFile
from gobuild.build.fingerprint import State, fingerprint, load_key
from gobuild.build.golist import Listing, cgo_files, cgo_hint, go_sum_hint, list_inputs
from gobuild.build.gotool import GoTool, build_argv
from gobuild.build.linkwatch import unchanged, watch, watchable
from gobuild.build.outcome import BuildOptions, Failure
from gobuild.build.package import MODE_EXECUTABLE, ZipEntry, code_sha256, contents_digest, file_mode, write_zip
from gobuild.build.processes import Interrupted
from gobuild.build.scratch import Scratch
from gobuild.errors import BuildError
from gobuild.manifest import Manifest
from gobuild.plan import Group, Target, exec_name, make_plan, settings_for
from gobuild.report import Reporter

Outcome = tuple[list[Artifact], list[Failure]]
# Twice the cores: compression then gets its share of the CPU beside the linkers of the groups'
# go builds, so zips keep up with links instead of piling up until the last link ends.
ZIP_THREADS = 2 * (os.cpu_count() or 2)


class GroupRunner:
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
        # Each target ends in exactly one: compiled, skipped (up to date), cached, or failed.
        self.compiled = self.skipped = self.cached = 0
        self.lock = threading.Lock()
        self.zipper: ThreadPoolExecutor  # the packaging pool, open while run() runs
        self.changed: set[tuple[str, str]] = set()
        self.known: dict[tuple[str, str], str] = {}  # fingerprints decided without go list
        self.finished: list[Artifact] = []  # zips written so far: kept if the build is interrupted

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
        inputs_fingerprint = fingerprint(target, settings, inputs, self.state.hashes, self.go.version, self.epoch,
                                         zig_version=self.go.zig.version if self.go.zig else None)
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
        return replace(old, package=target.function.package,
                       settings=settings_for(target).artifact_record(inputs_fingerprint))

    def run(self, targets: list[Target], module_paths: dict[Path, str]) -> Outcome:
        """Builds the stale targets, group by group in parallel, in a scratch folder in out_dir."""
        plan = make_plan(targets, module_paths)
        fresh: list[Artifact] = []
        failures: list[Failure] = []
        with Scratch(self.manifest.out_dir) as scratch, \
                ThreadPoolExecutor(max_workers=max(1, self.options.jobs)) as pool, \
                ThreadPoolExecutor(max_workers=ZIP_THREADS, thread_name_prefix="zip") as self.zipper:
            (scratch / "gotmp").mkdir()
            self.go = replace(self.go, tmpdir=str(scratch / "gotmp"))  # go's work folders go with the scratch
            try:
                pending: set[Future[Outcome]] = {
                    pool.submit(self.group, group, scratch / f"g{i}", module_paths[group.settings.module_dir])
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
            except BaseException as error:
                # A signal (or an error): kill every go process group now, start nothing more,
                # so the pools below close at once.
                self.go.processes.stop(error.signum if isinstance(error, Interrupted) else signal.SIGTERM)
                pool.shutdown(wait=False, cancel_futures=True)
                self.zipper.shutdown(wait=False, cancel_futures=True)
                raise
        return fresh, failures

    def group(self, group: Group, out: Path, module: str) -> Outcome:
        """Reads a group's inputs, answers what it can from up-to-date zips and the cache, and
        compiles and zips the rest."""
        if self.stop.is_set():
            skipped = "skipped: --fail-fast after an earlier failure"
            return [], [Failure(target=t, output=skipped) for t in group.targets]
        # The go build runs on this one-thread pool, so that this thread can hand on its binaries.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="go-build") as side:
            return self._group(group, out, module, side)

    def _group(self, group: Group, out: Path, module: str, side: ThreadPoolExecutor) -> Outcome:
        for target in group.targets:
            self.reporter.started(target.label, "reading inputs")
        prints = {t: self.known[t.key] for t in group.targets if t.key in self.known}
        compiling: Future[dict[Target, Path | Failure]] | None = None
        built: list[Artifact] = []
        failures: list[Failure] = []
        listing: Listing | None = None
        if len(prints) < len(group.targets):
            if self.options.cache is None and all(t.key in self.changed for t in group.targets) \
                    and not group.settings.per_target:
                # Every target is known to need compiling and there is no cache to ask first:
                # compile while `go list` reads the inputs for the new fingerprints (unless
                # the ldflags stamp the fingerprint itself).
                compiling = side.submit(self.compile, _linked(group, {}), out, module)
            try:
                listing = list_inputs(self.go, group.settings, group.targets)
            except BuildError as error:  # go list failed for the whole group: bad input or a missing go propagate
                return [], [self.failed(t, error.output or error.message, None) for t in group.targets]
            for target in group.targets:
                if target in listing.errors:
                    hint = self.cgo_hint(listing.cgo_files(target), group) or \
                        go_sum_hint(listing.errors[target], group.settings.module_dir)
                    failures.append(self.failed(target, listing.errors[target], hint))
                    continue
                inputs = listing.inputs[target]
                hashes = self.state.hashes
                self.state.remember(target, inputs, load_key(target, group.settings, inputs, hashes, self.go.version))
                prints[target] = fingerprint(target, group.settings, inputs, hashes, self.go.version, self.epoch,
                                             zig_version=self.go.zig.version if self.go.zig else None)
                artifact = self.up_to_date(target, prints[target])
                if artifact:
                    built.append(artifact)
        done = {a.key for a in built} | {f.target.key for f in failures}
        for target in (t for t in group.targets if t.key not in done):
            cached = self.from_cache(target, prints[target], group, module)
            if isinstance(cached, Failure):
                failures.append(cached)
            elif cached is not None:
                built.append(cached)
        done = {a.key for a in built} | {f.target.key for f in failures}
        todo = tuple(t for t in group.targets if t.key not in done)
        if not todo:
            return built, failures
        started = time.monotonic()
        for target in todo:
            self.reporter.progress(target.label, "compiling")
        out.mkdir(parents=True, exist_ok=True)  # before watchable() looks at it
        compiling = compiling or side.submit(self.compile, _linked(replace(group, targets=todo), prints), out, module)
        early: dict[Target, Future[Artifact | Failure]] = {}
        stats: dict[Target, list[int]] = {}
        if watchable(out, self.go.tmpdir, dict(self.go.base_env).get("GOCACHE")):
            names = {exec_name(module, t.function.package): t for t in todo}

            def hand_on(target: Target, binary: Path) -> None:
                early[target] = self.zipper.submit(self.package_one, target, binary, group, prints[target], started)

            stats = watch(compiling, out, names, hand_on)
        compiled = compiling.result()
        packaging: list[Future[Artifact | Failure]] = []
        for target in todo:
            result = compiled[target]
            handed = early.get(target)
            if handed is not None and unchanged(out / exec_name(module, target.function.package), stats[target]):
                packaging.append(handed)  # packaged while later links ran: those bytes are final
            elif isinstance(result, Failure):
                hint = self.cgo_hint(self.cgo_candidates(target, listing), group)
                failures.append(self.failed(target, result.output, hint))
            else:
                if handed is not None and isinstance(handed.result(), Artifact):
                    with self.lock:  # changed after it was handed on: its final bytes are packaged again
                        self.compiled -= 1
                packaging.append(self.zipper.submit(self.package_one, target, result, group, prints[target], started))
        for future in packaging:
            outcome = future.result()
            if isinstance(outcome, Failure):
                failures.append(outcome)
            else:
                built.append(outcome)
        return built, failures

    def failed(self, target: Target, output: str, hint: str | None) -> Failure:
        """A target that did not build, reported with Go's output (and the hint, if any)."""
        self.reporter.finished(target.label, False, "failed", output=output, **({"hint": hint} if hint else {}))
        return Failure(target=target, output=output, hint=hint)

    def cgo_hint(self, files: list[str], group: Group) -> str | None:
        """The hint for a static target whose files that import "C" were left out (none for cgo ones)."""
        return cgo_hint(files, group.settings.module_dir) if group.settings.cgo is None else None

    def cgo_candidates(self, target: Target, listing: Listing | None) -> list[str]:
        """Files of the target left out of the build that import "C", from this run's go list
        or, when it did not run, from the inputs recorded at the last one."""
        if listing is not None and target in listing.closures:
            return listing.cgo_files(target)
        recorded = self.state.inputs(target)
        return cgo_files(recorded[0].excluded) if recorded else []

    def package_one(self, target: Target, binary: Path, group: Group, inputs_fingerprint: str,
                    started: float) -> Artifact | Failure:
        """Packages one binary (on the packaging pool, so every core compresses) and reports it."""
        self.reporter.progress(target.label, "packaging")
        try:
            artifact, rewritten = self.package(target, binary, group, inputs_fingerprint)
        except (OSError, ValueError) as error:  # a full disk, an unwritable out_dir, a binary too large
            where = getattr(error, "filename", None) or self.manifest.out_dir / target.zip_name
            reason = getattr(error, "strerror", None) or str(error)
            return self.failed(target, f"cannot write {where}: {reason}\n", None)
        with self.lock:
            self.compiled += 1
            self.finished.append(artifact)
        self.reporter.finished(
            target.label, True, "zipped" if rewritten else "unchanged", size=artifact.size,
            seconds=round(time.monotonic() - started, 2), path=artifact.path, sha256=artifact.sha256,
        )
        return artifact

    def compile(self, group: Group, out: Path, module: str) -> dict[Target, Path | Failure]:
        """`go build` for a group; after a failure, each package alone for its own output."""
        settings = group.settings
        env = self.go.env_for(settings)
        out.mkdir(parents=True, exist_ok=True)
        done = self.go.run(build_argv(self.go, settings, [t.function.package for t in group.targets], out),
                           cwd=settings.module_dir, env=env)
        if done.returncode == 0:
            return {t: out / exec_name(module, t.function.package) for t in group.targets}
        if len(group.targets) == 1:
            return {group.targets[0]: Failure(target=group.targets[0], output=done.replay())}
        results: dict[Target, Path | Failure] = {}
        for i, target in enumerate(group.targets):
            single = out / f"t{i}"
            single.mkdir(exist_ok=True)
            again = self.go.run(build_argv(self.go, settings, [target.function.package], single),
                                cwd=settings.module_dir, env=env)
            binary = single / exec_name(module, target.function.package)
            results[target] = binary if again.returncode == 0 else Failure(target=target, output=again.replay())
        return results

    def from_cache(self, target: Target, inputs_fingerprint: str, group: Group,
                   module: str) -> Artifact | Failure | None:
        """The zip from the shared cache, moved into out_dir, when the cache has this fingerprint
        and proves the zip is what this target builds (gobuild.build.proof)."""
        if self.options.cache is None:
            return None
        from gobuild.build.proof import Expected  # only builds with a cache read zips back

        dest = self.manifest.out_dir / target.zip_name
        expected = Expected(target=target, settings=group.settings.linked(inputs_fingerprint), module=module,
                            go_version=self.go.version, epoch=self.epoch, dest=dest)
        cached = self.options.cache.get(inputs_fingerprint, expected, self.reporter)
        if cached is None:
            return None
        try:
            os.replace(cached.path, dest)
        except OSError as error:
            Path(cached.path).unlink(missing_ok=True)
            return self.failed(target, f"cannot write {dest}: {error.strerror or error}\n", None)
        self.state.hashes.remember(str(dest), cached.sha256)
        artifact = Artifact(
            name=target.function.name, arch=target.arch, package=target.function.package, path=target.zip_name,
            size=cached.size, sha256=cached.sha256, code_sha256=code_sha256(bytes.fromhex(cached.sha256)),
            contents_sha256=cached.contents_sha256, inputs=inputs_fingerprint,
            settings=group.settings.artifact_record(inputs_fingerprint),
        )
        with self.lock:
            self.cached += 1
            self.finished.append(artifact)
        self.reporter.finished(target.label, True, "from cache", size=artifact.size, path=artifact.path,
                               sha256=artifact.sha256)
        return artifact

    def package(self, target: Target, binary: Path, group: Group, inputs_fingerprint: str) -> tuple[Artifact, bool]:
        """The target's zip: rewritten only when its entries changed; stored in the cache."""
        data = binary.read_bytes()
        entries = [ZipEntry(name="bootstrap", data=data, mode=MODE_EXECUTABLE)]
        entries += [ZipEntry(name=i.target, data=i.source.read_bytes(), mode=file_mode(i.source))
                    for i in target.function.include]
        contents = contents_digest([(e.name, e.mode, hashlib.sha256(e.data).digest()) for e in entries], self.epoch)
        dest = self.manifest.out_dir / target.zip_name
        old = self.previous.find(*target.key) if self.previous else None
        if old and old.contents_sha256 == contents and self.state.hashes.file(str(dest)) == old.sha256:
            # Same binary, includes and timestamp: the zip on disk is already right; skip compression.
            artifact = replace(old, inputs=inputs_fingerprint, package=target.function.package,
                               settings=group.settings.artifact_record(inputs_fingerprint))
            rewritten = False
        else:
            written = write_zip(dest, entries, epoch=self.epoch)
            self.state.hashes.remember(str(dest), written.sha256)
            artifact = Artifact(
                name=target.function.name, arch=target.arch, package=target.function.package,
                path=target.zip_name, size=written.size, sha256=written.sha256,
                code_sha256=written.code_sha256, contents_sha256=contents, inputs=inputs_fingerprint,
                settings=group.settings.artifact_record(inputs_fingerprint),
            )
            rewritten = True
        if self.options.cache is not None:
            self.options.cache.put(inputs_fingerprint, artifact, dest, self.reporter)
        return artifact, rewritten


def _linked(group: Group, prints: dict[Target, str]) -> Group:
    """The group as `go build` links it: ldflags placeholders resolved. A group whose ldflags
    stamp {inputs} holds one target (gobuild.plan), whose fingerprint fills it in."""
    return replace(group, settings=group.settings.linked(prints.get(group.targets[0], "")))
