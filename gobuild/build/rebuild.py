"""The second build of `gobuild build --check-reproducible`: the same targets, built again from
a scratch copy of the project (gobuild.build.varied) in an environment that differs in what
reproducible-builds.org's reprotest varies and what applies to a Go build:

    build path   another absolute path (and file system) for the sources
    GOCACHE      an empty build cache, so that every package is compiled again
    TZ, locale   another time zone (UTC+14, or UTC-12) and LANG/LC_ALL/LANGUAGE
    umask        077 (or 002 when the caller's is 077): files are created with other modes
    HOME         an empty home folder (GOPROXY and the other module settings are passed as
                 the first build read them, so no `go env -w` setting is lost)
    PATH         one more folder on it
    environment  one more variable, and every variable ldflags read through {env:NAME} changed
    mtimes       every file and folder of the copy dated 2010-01-01
    file order   folders list their names in another order, where the file system allows it
    CPUs         `go build -p 1` and GOMAXPROCS=1, one group at a time
    ASLR         go runs with address-space randomisation off (setarch -R), where allowed

Not varied: the clock (Go records no build time and gobuild dates zip entries from
SOURCE_DATE_EPOCH; varying it needs libfaketime), the user and group, the host and domain
name and the kernel version (each needs root or a namespace). The zips are compared by
gobuild.diff.reproducible, which explains any difference.
"""

from __future__ import annotations

import os
import platform
import shlex
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gobuild import stamp
from gobuild.build import varied
from gobuild.build.gotool import PASSTHROUGH, GoTool, probe
from gobuild.build.outcome import BuildOptions, BuildResult
from gobuild.build.processes import Processes
from gobuild.build.runner import build
from gobuild.errors import GobuildError
from gobuild.lambda_facts import artifact_name
from gobuild.manifest import Manifest, load_manifest
from gobuild.plan import Target
from gobuild.report import Reporter

# Passed as the first build read them: where modules come from. GOCACHE is the one varied.
_NOT_PASSED = frozenset({"GOCACHE", "GOTMPDIR", "GOROOT", "GOBIN", "GOTELEMETRYDIR"})
_OUTPUT_NAMES = ("artifacts.json", "published", "gobuild.log", ".gobuild")
TIME_ZONES = ("RPT-14", "RPT+12")  # POSIX TZ strings: no tz database needed
LOCALES = ("fr_CH.UTF-8", "C")
# reprotest's "environment": one variable more (not GOBUILD_*, which gobuild keeps from go).
EXTRA_VARIABLE = "REPRODUCIBLE_REBUILD"


@dataclass(frozen=True, kw_only=True)
class Variation:
    """One thing the rebuild changed (or could not), as the first build had it and the rebuild."""

    name: str
    first: str
    rebuild: str
    varied: bool = True
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "first": self.first, "rebuild": self.rebuild, "varied": self.varied,
                "note": self.note}


@dataclass(frozen=True, kw_only=True)
class Rebuild:
    """The second build: its result, where its zips are, and what differed from the first."""

    result: BuildResult
    out_dir: Path
    variations: tuple[Variation, ...]


@contextmanager
def rebuilt(manifest: Manifest, targets: Sequence[Target], first: BuildResult, reporter: Reporter,
            environ: Mapping[str, str]) -> Iterator[Rebuild]:
    """Builds the targets again from a varied copy of the project; the copy, its build cache
    and its zips are removed when the block ends, whatever ends it."""
    module_dir = targets[0].function.module_dir
    go = probe(environ, module_dir, Processes())
    root, skip = _what_to_copy(manifest, targets, first)
    work = Path(tempfile.mkdtemp(prefix="gobuild-rebuild-work-"))
    sources = varied.scratch_folder(varied.tree_size(root, skip))
    umask = 0o002 if _current_umask() == 0o077 else 0o077
    previous_umask = os.umask(umask)
    try:
        holder = sources.joinpath(*varied.DEEPER)
        holder.mkdir(parents=True)
        copy = varied.make_copy(root, holder / f"{root.name or 'project'}-rebuilt", skip)
        env, variations = _environment(environ, go, work, targets)
        copied = load_manifest(copy.root / manifest.path.relative_to(root))
        copied = replace(copied, out_dir=work / "out")
        by_name = {f.name: f for f in copied.functions}
        again = tuple(Target(function=by_name[t.function.name], arch=t.arch) for t in targets)
        cpus = os.cpu_count() or 1
        result = build(copied, again, BuildOptions(jobs=1, go_cpus=1), reporter, env)
        variations = [
            Variation(name="build path", first=str(root), rebuild=str(copy.root)),
            *variations,
            Variation(name="umask", first=f"{previous_umask:03o}", rebuild=f"{umask:03o}"),
            Variation(name="mtimes", first="as checked out", rebuild="2010-01-01 00:00:00 UTC"),
            _listing(copy),
            Variation(name="CPUs", first=f"go build -p {cpus} (GOMAXPROCS {cpus})",
                      rebuild="go build -p 1 (GOMAXPROCS 1), one group at a time", varied=cpus > 1,
                      note="" if cpus > 1 else "this machine has one CPU"),
        ]
        yield Rebuild(result=result, out_dir=copied.out_dir, variations=tuple(variations))
    finally:
        os.umask(previous_umask)
        shutil.rmtree(sources, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def _what_to_copy(manifest: Manifest, targets: Sequence[Target], first: BuildResult) -> tuple[Path, Any]:
    """The folder to copy (everything the first build read is below it) and what to leave out:
    the build's outputs in out_dir."""
    needed = {manifest.root.resolve(), *(t.function.module_dir for t in targets)}
    if first.consulted is not None:
        needed |= {Path(p) for p in first.consulted.sources}
    # -buildvcs and {module_version} ask git: the copy must be the repository's whole tree.
    if any(t.function.buildvcs or stamp.MODULE_VERSION in stamp.placeholders(t.function.ldflags) for t in targets):
        top = varied.git_top(targets[0].function.module_dir)
        if top is not None:
            needed.add(top)
    root = varied.copy_root(needed)
    out_dir = manifest.out_dir.resolve()
    zips = {artifact_name(f.name, a) for f in manifest.functions for a in f.architectures}

    def skip(path: Path) -> bool:
        if out_dir in (root, *root.parents):  # out_dir holds the sources: leave out only outputs
            return path.parent == root and (path.name in zips or path.name.startswith(_OUTPUT_NAMES))
        return path == out_dir

    return root, skip


def _environment(environ: Mapping[str, str], go: GoTool, work: Path,
                 targets: Sequence[Target]) -> tuple[dict[str, str], list[Variation]]:
    """The rebuild's environment, and the variations it makes."""
    base = dict(go.base_env)
    env = {k: v for k, v in environ.items() if not k.startswith("XDG_")}
    env.update({k: base[k] for k in PASSTHROUGH if k in base and k not in _NOT_PASSED})
    for name in ("gocache", "home", "bin"):
        (work / name).mkdir()
    env["GOCACHE"] = str(work / "gocache")
    env["HOME"] = str(work / "home")
    env["PATH"] = os.pathsep.join([environ.get("PATH", os.defpath), str(work / "bin")])
    # The first choice, or the second when the caller already has the first.
    env["TZ"] = TIME_ZONES[environ.get("TZ") == TIME_ZONES[0]]
    locale = LOCALES[environ.get("LC_ALL", environ.get("LANG")) == LOCALES[0]]
    env.update({"LANG": locale, "LC_ALL": locale, "LANGUAGE": locale.partition("_")[0]})
    env["GIT_OPTIONAL_LOCKS"] = "0"  # git in the copy reads the original repository: never writes it
    env[EXTRA_VARIABLE] = "1"
    changed = sorted({key.partition(":")[2] for t in targets for key in stamp.placeholders(t.function.ldflags)
                      if key.startswith(f"{stamp.ENV}:")})
    for name in changed:
        env[name] = f"{environ[name]}-rebuilt" if environ.get(name) else "rebuilt"
    wrapper, aslr = _without_aslr(go, work / "bin")
    env["GOBUILD_GO"] = wrapper
    variations = [
        Variation(name="GOCACHE", first=base.get("GOCACHE", "(go's default)"), rebuild="(empty) " + env["GOCACHE"]),
        Variation(name="TZ", first=environ.get("TZ", "(unset)"), rebuild=env["TZ"]),
        Variation(name="locale", first=environ.get("LC_ALL", environ.get("LANG", "(unset)")), rebuild=locale),
        Variation(name="HOME", first=environ.get("HOME", "(unset)"), rebuild=env["HOME"]),
        Variation(name="PATH", first="PATH", rebuild=f"PATH plus {work / 'bin'}"),
        Variation(name="environment", first="as given", rebuild=" ".join([f"{EXTRA_VARIABLE}=1",
                                                                    *(f"{n}={env[n]}" for n in changed)])),
        aslr,
    ]
    return env, variations


def _without_aslr(go: GoTool, folder: Path) -> tuple[str, Variation]:
    """A `go` that runs with address-space randomisation off (setarch -R), when setarch works here."""
    setarch = shutil.which("setarch")
    machine = platform.machine()
    if setarch is not None:
        try:
            done = Processes().run([setarch, machine, "-R", "true"], cwd=folder, env=dict(go.base_env))
        except GobuildError as error:
            return go.path, Variation(name="ASLR", first="on", rebuild="on", varied=False, note=error.message)
        if done.returncode == 0:
            wrapper = folder / "go"
            wrapper.write_text(f'#!/bin/sh\nexec {shlex.join([setarch, machine, "-R", go.path])} "$@"\n')
            wrapper.chmod(0o755)
            return str(wrapper), Variation(name="ASLR", first="on", rebuild="off (setarch -R)")
        why = f"setarch -R failed here: {done.output.strip() or done.returncode}"
    else:
        why = "no setarch on PATH"
    return go.path, Variation(name="ASLR", first="on", rebuild="on", varied=False, note=why)


def _listing(copy: varied.Copy) -> Variation:
    if copy.reordered:
        return Variation(name="file order", first="as the original file system lists",
                         rebuild=f"{copy.reordered} of {copy.folders} folders list their names in another order")
    why = ("its file system lists names in its own order (ext4, xfs and btrfs hash them)"
           if copy.listing == varied.OWN else "no folder has two names")
    return Variation(name="file order", first="as the original file system lists", rebuild="the same",
                     varied=False, note=f"not varied: {why}")


def _current_umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current
