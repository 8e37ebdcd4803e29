"""A Serverless Framework service's functions, and what still stands in the way of its Go
functions on provided.al2023, read from serverless.yml as it is (or as migrate would write it):
package patterns (or the older include/exclude) that leave bootstrap out of the zip or still
ship the old binary's path, and an aws-lambda-go too old for provided.*.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gobuild.lambda_facts import TARGET_RUNTIME
from gobuild.migrate.document import Document, Node
from gobuild.migrate.locate import GENERIC_BINARIES
from gobuild.migrate.model import ERROR, HANDLER, INFO, Notice
from gobuild.migrate.workspace import Workspace

# Folders a build writes binaries to: a pattern shipping one of them ships the old binaries.
BINARY_FOLDERS = ("bin", "build", "dist", "out", ".bin")
_ARTIFACT_FIX = "`gobuild migrate --build gobuild`, which sets package.artifact to each function's zip"


@dataclass(frozen=True, kw_only=True)
class ServiceFunction:
    """One entry of `functions:` with the runtime in effect (its own or the provider's)."""

    name: str
    key: Node
    node: Node
    runtime: Node | None

    @property
    def inherits_runtime(self) -> bool:
        return self.node.get("runtime") is None

    def binary(self, folder: Path) -> Path | None:
        """Where the old binary was (`handler: bin/orders` → <service>/bin/orders)."""
        handler = self.node.get("handler")
        if handler is None or not handler.is_plain_string or handler.value in GENERIC_BINARIES - {"main"}:
            return None
        return Path(os.path.normpath(folder / handler.value))

    def binary_names(self) -> tuple[str, ...]:
        handler = self.node.get("handler")
        names = [Path(handler.value).name] if handler is not None and handler.is_plain_string else []
        return tuple(n for n in dict.fromkeys([*names, self.name]) if n not in GENERIC_BINARIES)


def service_functions(doc: Document) -> list[ServiceFunction]:
    """Every function of the service, in file order."""
    provider = doc.root.get("provider")
    shared = provider.get("runtime") if provider is not None and provider.is_map else None
    functions = doc.root.get("functions")
    if functions is None or not functions.is_map:
        return []
    return [
        ServiceFunction(name=key.value, key=key, node=node, runtime=node.get("runtime") or shared)
        for key, node in functions.entries
        if node.is_map
    ]


@dataclass(frozen=True, kw_only=True)
class _Pattern:
    """One packaging pattern, as Serverless applies it: `exclude` items are negated patterns."""

    key: str  # patterns, include or exclude
    listing: Node  # the list it is in
    item: Node
    pattern: str
    negated: bool


def check_service(doc: Document, workspace: Workspace, *, line_of: Callable[[int], int]) -> list[Notice]:
    """Notes about a service's Go functions (provided.al2023 with handler bootstrap, and no
    package.artifact): packaging that leaves bootstrap out or still ships the old binaries,
    and an aws-lambda-go too old for provided.*."""
    functions = [
        f
        for f in service_functions(doc)
        if f.runtime is not None
        and f.runtime.value == TARGET_RUNTIME
        and (handler := f.node.get("handler")) is not None
        and handler.value == HANDLER
    ]
    service_package = _map(doc.root.get("package"))
    built = _make_outputs(doc.path.parent, workspace)
    excluding: dict[int, tuple[_Pattern, list[str]]] = {}
    old_binaries: dict[int, tuple[_Pattern, list[str]]] = {}
    for function in functions:
        own = _map(function.node.get("package"))
        if _artifact(own) or _artifact(service_package):
            continue
        patterns = [*_patterns(service_package), *_patterns(own)]
        responsible = _excluder(patterns)
        if responsible is not None:
            excluding.setdefault(id(responsible.listing), (responsible, []))[1].append(function.name)
            continue
        for pattern in patterns:
            if not pattern.negated and _ships_old_binary(pattern.pattern, built):
                old_binaries.setdefault(id(pattern.item), (pattern, []))[1].append(function.name)
    notices = [
        Notice(
            file=doc.path,
            line=line_of(p.listing.start),
            message=f"{', '.join(names)}: package.{p.key} ({doc.written(p.listing)}) leave out bootstrap, "
            "the file handler bootstrap runs from the zip's root",
            replacement=f"package.patterns that ship bootstrap at the root (or {_ARTIFACT_FIX})",
            level=ERROR,
        )
        for p, names in excluding.values()
    ]
    notices += [
        Notice(
            file=doc.path,
            line=line_of(p.item.start),
            message=f"{', '.join(names)}: package.{p.key} ships {p.pattern}, where the old "
            f"{'binaries were' if p.pattern.endswith('*') else 'binary was'}; handler bootstrap runs "
            "the file bootstrap from the zip's root",
            replacement="build each function's binary as bootstrap and ship it at the root of its "
            f"own zip (package.individually), or run {_ARTIFACT_FIX}",
            level=INFO,
        )
        for p, names in old_binaries.values()
    ]
    if functions:
        note = workspace.lambda_note(workspace.root_for(None, doc.path.parent))
        notices += [note] if note else []
    return notices


def _map(node: Node | None) -> Node | None:
    return node if node is not None and node.is_map else None


def _artifact(settings: Node | None) -> bool:
    return settings is not None and settings.get("artifact") is not None


def _patterns(settings: Node | None) -> list[_Pattern]:
    """A package's patterns in the order Serverless applies them: exclude, include, patterns."""
    found: list[_Pattern] = []
    for key in ("exclude", "include", "patterns"):
        listing = settings.get(key) if settings is not None else None
        if listing is None or listing.kind != "seq":
            continue
        for item in listing.items:
            if item.kind != "scalar":
                continue
            text = item.value.strip()
            negated = key == "exclude" or text.startswith("!")
            found.append(_Pattern(key=key, listing=listing, item=item, pattern=text.lstrip("!"), negated=negated))
    return found


def _excluder(patterns: list[_Pattern]) -> _Pattern | None:
    """The pattern that leaves bootstrap out in the end (Serverless includes every file, then
    applies the patterns in order), or None when bootstrap is shipped."""
    responsible: _Pattern | None = None
    for pattern in patterns:
        if glob(pattern.pattern).fullmatch(HANDLER):
            responsible = pattern if pattern.negated else None
    return responsible


def _ships_old_binary(pattern: str, built: set[str]) -> bool:
    """A pattern naming where binaries were built: a folder such as bin/, or what a Makefile's
    `go build -o` writes."""
    path = pattern.removeprefix("./")
    if glob(pattern).fullmatch(HANDLER):
        return False
    in_binary_folder = "/" in path and path.split("/", 1)[0] in BINARY_FOLDERS
    return in_binary_folder or any(glob(pattern).fullmatch(b) for b in built)


def _make_outputs(folder: Path, workspace: Workspace) -> set[str]:
    """What the Makefiles of the service's folder write with `go build -o`, relative to it."""
    outputs: set[str] = set()
    for makefile in workspace.makefiles(folder):
        for build in makefile.go_builds():
            path = build.output_path
            if path is not None and folder in path.parents:
                outputs.add(path.relative_to(folder).as_posix())
    return outputs


def glob(pattern: str) -> re.Pattern[str]:
    """A Serverless (globby) pattern as a regular expression over paths relative to the service."""
    pattern = pattern.removeprefix("./")
    parts = re.split(r"(\*\*/?|\*|\?)", pattern)
    regex = "".join(
        "(?:.*/)?" if part == "**/" else ".*" if part == "**" else "[^/]*" if part == "*"
        else "[^/]" if part == "?" else re.escape(part)
        for part in parts
    )
    return re.compile(regex)
