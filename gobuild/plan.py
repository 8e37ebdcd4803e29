"""Manifest + command-line choices → Targets (function × arch) grouped for `go build`. Pure.

Targets that share module, arch, tags, ldflags, env, cgo settings and flags are compiled by one
`go build -o DIR/ pkg…` call, so Go shares the work between them. Two packages whose
binaries would get the same name (`cmd/a/lambda`, `cmd/b/lambda`) go to different groups.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gobuild.cgo import Cgo
from gobuild.errors import UsageError
from gobuild.lambda_facts import artifact_name, require_arch
from gobuild.manifest import Function, Manifest

# Go's isVersionElement: "v" and digits, but not v0... or v1.
_MAJOR_VERSION = re.compile(r"v(?!0)(?!1$)[0-9]+")


@dataclass(frozen=True, kw_only=True)
class Target:
    """One zip to produce: a function for one architecture."""

    function: Function
    arch: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.function.name, self.arch)

    @property
    def label(self) -> str:
        return f"{self.function.name}/{self.arch}"

    @property
    def zip_name(self) -> str:
        return artifact_name(self.function.name, self.arch)


@dataclass(frozen=True, kw_only=True)
class BuildSettings:
    """Everything besides the package list that goes into one `go build` call."""

    module_dir: Path
    arch: str
    tags: tuple[str, ...]
    ldflags: str
    env: tuple[tuple[str, str], ...]
    trimpath: bool
    buildvcs: bool
    workfile: Path | None = None  # the go.work Go uses (GOWORK), or None for GOWORK=off
    cgo: Cgo | None = None  # CGO_ENABLED=1 with zig as the C compiler; None: a static CGO_ENABLED=0 build

    def as_record(self) -> dict[str, object]:
        """The settings as written to artifacts.json (no absolute paths)."""
        record: dict[str, object] = {
            "goos": "linux",
            "goarch": self.arch,
            "cgo_enabled": "0",
            "tags": list(self.tags),
            "ldflags": self.ldflags,
            "env": dict(self.env),
            "trimpath": self.trimpath,
            "buildvcs": self.buildvcs,
        }
        if self.cgo is not None:  # only then, so that static records keep their value
            record["cgo_enabled"] = "1"
            record["cgo"] = self.cgo.as_record()
        if self.workfile is not None:  # only then, so that records without a workspace keep their value
            record["gowork"] = os.path.relpath(self.workfile, self.module_dir).replace(os.sep, "/")
        return record


@dataclass(frozen=True, kw_only=True)
class Group:
    """Targets compiled together by one `go build` call."""

    settings: BuildSettings
    targets: tuple[Target, ...]


@dataclass(frozen=True, kw_only=True)
class Plan:
    """All targets, and the groups that compile them (largest first)."""

    targets: tuple[Target, ...]
    groups: tuple[Group, ...]


def settings_for(target: Target) -> BuildSettings:
    """The settings a target is built with: its function's, for its architecture."""
    f = target.function
    return BuildSettings(
        module_dir=f.module_dir,
        arch=target.arch,
        tags=f.tags,
        ldflags=f.ldflags,
        env=f.env,
        trimpath=f.trimpath,
        buildvcs=f.buildvcs,
        workfile=f.workspace,
        cgo=f.cgo,
    )


def select_targets(manifest: Manifest, *, only: Sequence[str] = (), arch: str | None = None) -> tuple[Target, ...]:
    """The targets the user asked for; unknown names or architectures are a UsageError."""
    names = {f.name for f in manifest.functions}
    for name in only:
        if name not in names:
            import difflib

            close = difflib.get_close_matches(name, sorted(names), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"functions: {', '.join(sorted(names))}"
            raise UsageError(f"--only {name}: no such function in {manifest.path.name}", hint=hint)
    wanted_arch = None
    if arch is not None:
        wanted_arch = require_arch(arch)
    targets = [
        Target(function=f, arch=a)
        for f in manifest.functions
        if not only or f.name in only
        for a in f.architectures
        if wanted_arch is None or a == wanted_arch
    ]
    if not targets:
        raise UsageError("nothing to build: no function matches --only/--arch")
    return tuple(sorted(targets, key=lambda t: t.key))


def make_plan(targets: Iterable[Target], module_paths: dict[Path, str]) -> Plan:
    """Groups targets by build settings, splitting packages whose binary names collide."""
    targets = tuple(targets)
    buckets: dict[BuildSettings, list[list[Target]]] = {}
    for target in targets:
        name = exec_name(module_paths.get(target.function.module_dir, ""), target.function.package)
        groups = buckets.setdefault(settings_for(target), [])
        for group in groups:
            taken = {exec_name(module_paths.get(t.function.module_dir, ""), t.function.package) for t in group}
            if name not in taken:
                group.append(target)
                break
        else:
            groups.append([target])
    ordered = sorted(
        (Group(settings=settings, targets=tuple(members)) for settings, lists in buckets.items() for members in lists),
        key=lambda g: (-len(g.targets), g.settings.arch, g.targets[0].key),
    )
    return Plan(targets=targets, groups=tuple(ordered))


def import_path(module_path: str, package: str) -> str:
    """The import path of a manifest package (`./cmd/orders`, or `.`) in its module."""
    return module_path if package == "." else f"{module_path}/{package[2:]}"


def exec_name(module_path: str, package: str) -> str:
    """The file name `go build -o DIR/` gives a main package's binary (Go's DefaultExecName)."""
    elements = [e for e in import_path(module_path, package).split("/") if e]
    if not elements:
        return "main"
    last = elements[-1]
    if _MAJOR_VERSION.fullmatch(last) and len(elements) > 1:
        return elements[-2]
    return last


