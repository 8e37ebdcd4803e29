"""Which Go package a migrated function is, what gobuild calls it, and its gobuild.toml table.

Names follow `gobuild init`: a function is named after its package's folder, `-lambda`
suffix kept (./cmd/orders-lambda → orders-lambda).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gobuild.errors import ManifestError
from gobuild.lambda_facts import artifact_name
from gobuild.manifest import go_package_names, out_dir_setting, parse_toml
from gobuild.migrate.model import ManifestFunction, Notice, TemplateSyntaxError

# Handler values that name no particular binary: the go1.x default and the new one.
_GENERIC_BINARIES = {"", "main", "bootstrap", "handler"}


@dataclass(frozen=True, kw_only=True)
class GoPackage:
    """A function's main package relative to the module root, and its gobuild name."""

    package: str
    name: str
    found: bool

    def declaration(self, *, root: Path, goarch: str, source: Path, line: int) -> ManifestFunction:
        """The [[function]] table this package becomes in gobuild.toml at `root`."""
        return ManifestFunction(root=root, name=self.name, package=self.package, architectures=(goarch,),
                                source=source, line=line)


# What a notice asks the user to write when no main package was found for a function.
GUESS_REPLACEMENT = 'package = "./<folder of its main package>"'

def module_root(start: Path) -> Path:
    """The nearest folder at or above `start` that holds go.mod; `start` when none does."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "go.mod").is_file():
            return folder
    return start


def locate_package(*, root: Path, code_dir: Path | None, binary: str, fallback: str) -> GoPackage:
    """Finds the main package: the code folder itself when it is one, else cmd/<name>,
    cmd/<name>-lambda or <name> under the root, trying the binary's name and then
    `fallback`. When none exists the package is a guess (found=False) the user must check."""
    binary = Path(binary).name
    if code_dir is not None and is_main_package(code_dir) and _inside(code_dir, root):
        package = _package_path(code_dir, root)
        return GoPackage(package=package, name=_name_for(package, binary, fallback), found=True)
    names = [name for name in dict.fromkeys((binary, fallback)) if name not in _GENERIC_BINARIES]
    for name in names:
        for candidate in (root / "cmd" / name, root / "cmd" / f"{name}-lambda", root / name):
            if is_main_package(candidate):
                package = _package_path(candidate, root)
                return GoPackage(
                    package=package, name=_name_for(package, binary, fallback), found=True
                )
    guess = names[0] if names else "function"
    return GoPackage(package=f"./cmd/{guess}", name=guess, found=False)


def kebab(identifier: str) -> str:
    """OrdersFunction → orders, SendEmailLambda → send-email: a name from a logical id."""
    stem = re.sub(r"(Function|Lambda|Fn)$", "", identifier) or identifier
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", stem)
    return re.sub(r"[^A-Za-z0-9.-]+", "-", words).strip("-").lower() or "function"


def out_dir(root: Path) -> str:
    """gobuild's output folder for the manifest at `root` (`out_dir`, default dist)."""
    return out_dir_setting(root)


def artifact_path(root: Path, name: str, arch: str) -> Path:
    """Where `gobuild build` writes the zip of one function for one GOARCH."""
    return root / out_dir(root) / artifact_name(name, arch)


def relative_path(path: Path, start: Path) -> str:
    """`path` relative to `start`, with forward slashes, as templates write paths."""
    return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()


def append_functions(
    path: Path, text: str | None, functions: Sequence[ManifestFunction]
) -> tuple[str | None, list[ManifestFunction], list[Notice]]:
    """Appends a `[[function]]` table for each name the manifest text lacks, leaving the
    rest of the file byte for byte. Functions sharing a name are merged (their
    architectures joined). Returns the new text (None when nothing was added), the
    functions added, and notices about names already declared with other settings."""
    declared = _declared_functions(path, text or "")
    merged = _merge(functions)
    added = [function for function in merged if function.name not in declared]
    checked = (_already_declared(path, f, declared[f.name]) for f in merged if f.name in declared)
    notices = [notice for notice in checked if notice is not None]
    if not added:
        return None, [], notices
    tables = "".join(_table(function) for function in added)
    if text is None:
        header = "# The Go Lambda functions gobuild builds (added by `gobuild migrate`).\n"
        return header + tables, added, notices
    separator = "" if text.endswith("\n") or not text else "\n"
    return text + separator + tables, added, notices


def _already_declared(path: Path, function: ManifestFunction, declared: set[str]) -> Notice | None:
    """A notice when the manifest declares the function without an architecture it needs."""
    missing = [arch for arch in function.architectures if arch not in declared]
    if not missing:
        return None
    wanted = ", ".join(f'"{arch}"' for arch in sorted(declared | set(missing)))
    return Notice(
        file=path,
        line=1,
        message=f"{path.name} already declares {function.name!r} "
        f"without {', '.join(missing)}; left as is",
        replacement=f"architectures = [{wanted}]",
    )


def _table(function: ManifestFunction) -> str:
    arches = ", ".join(f'"{arch}"' for arch in function.architectures)
    return (
        f"\n[[function]]\n"
        f'name = "{function.name}"\n'
        f'package = "{function.package}"\n'
        f"architectures = [{arches}]\n"
    )


def _merge(functions: Sequence[ManifestFunction]) -> list[ManifestFunction]:
    """One function per name, in first-seen order, with every architecture asked for."""
    by_name: dict[str, ManifestFunction] = {}
    for function in functions:
        first = by_name.setdefault(function.name, function)
        arches = tuple(sorted(set(first.architectures) | set(function.architectures)))
        by_name[function.name] = replace(first, architectures=arches)
    return list(by_name.values())


def _declared_functions(path: Path, text: str) -> dict[str, set[str]]:
    """Names already in the manifest, each with its architectures."""
    try:
        data = parse_toml(text, str(path))
    except ManifestError as error:
        raise TemplateSyntaxError(error.message, "fix the file; nothing was changed") from None
    tables = data.get("function", [])
    declared: dict[str, set[str]] = {}
    for table in tables if isinstance(tables, list) else []:
        if isinstance(table, dict) and isinstance(table.get("name"), str):
            arches = table.get("architectures", [])
            declared[table["name"]] = (
                {str(a) for a in arches} if isinstance(arches, list) else set()
            )
    return declared


def is_main_package(folder: Path) -> bool:
    """Whether a folder holds the Go files of a `package main`."""
    return folder.is_dir() and "main" in go_package_names(folder)


def _inside(folder: Path, root: Path) -> bool:
    folder, root = folder.resolve(), root.resolve()
    return folder == root or root in folder.parents


def _package_path(folder: Path, root: Path) -> str:
    relative = relative_path(folder, root)
    return "." if relative == "." else f"./{relative}"


def _name_for(package: str, binary: str, fallback: str) -> str:
    if package != ".":
        return package.rsplit("/", 1)[-1]
    return binary if binary not in _GENERIC_BINARIES else fallback
