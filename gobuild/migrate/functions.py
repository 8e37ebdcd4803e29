"""The [[function]] tables migrate appends to gobuild.toml, and small naming helpers.

Names follow `gobuild init`: a function is named after its package's folder, `-lambda`
suffix kept (./cmd/orders-lambda → orders-lambda).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from gobuild.errors import ManifestError
from gobuild.lambda_facts import DEFAULT_TAGS
from gobuild.manifest import parse_toml
from gobuild.migrate.limits import check_toml
from gobuild.migrate.model import ERROR, ManifestFunction, Notice, TemplateSyntaxError


def kebab(identifier: str) -> str:
    """OrdersFunction → orders, SendEmailLambda → send-email: a name from a logical id."""
    stem = re.sub(r"(Function|Lambda|Fn)$", "", identifier) or identifier
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", stem)
    return re.sub(r"[^A-Za-z0-9.-]+", "-", words).strip("-").lower() or "function"


def relative_path(path: Path, start: Path) -> str:
    """`path` relative to `start`, with forward slashes, as templates write paths."""
    return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(start))).as_posix()


def append_functions(
    path: Path, text: str | None, functions: Sequence[ManifestFunction]
) -> tuple[str | None, list[ManifestFunction], list[Notice]]:
    """Appends a `[[function]]` table for each name the manifest text lacks, leaving the
    rest of the file byte for byte. Functions sharing a name are merged (their
    architectures joined). Returns the new text (None when nothing was added), the
    functions added, and notices about names already declared with other settings."""
    declared = _declared_functions(path, text or "")
    merged, notices = _merge(path, functions)
    added = [function for function in merged if function.name not in declared]
    checked = (_already_declared(path, f, *declared[f.name]) for f in merged if f.name in declared)
    notices += [notice for notice in checked if notice is not None]
    if not added:
        return None, [], notices
    tables = "".join(_table(function) for function in added)
    if text is None:
        header = "# The Go Lambda functions gobuild builds (added by `gobuild migrate`).\n"
        return header + tables, added, notices
    separator = "" if text.endswith("\n") or not text else "\n"
    return text + separator + tables, added, notices


def _already_declared(
    path: Path, function: ManifestFunction, declared: set[str], package: str
) -> Notice | None:
    """A notice when the manifest declares the function as another package, or without an
    architecture it needs."""
    if package and package != function.where:
        return Notice(
            file=path,
            line=1,
            message=f"{path.name} declares {function.name!r} as {package}, but "
            f"{function.source.name}:{function.line} deploys {function.where}; left as is",
            replacement=f'package = "{function.package}"'
            + (f', module_dir = "{function.module_dir}"' if function.module_dir else "")
            + ", or another name for one of them",
        )
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
    lines = ["", "[[function]]", f'name = "{function.name}"']
    if function.module_dir:
        lines.append(f'module_dir = "{function.module_dir}"')
    lines += [f'package = "{function.package}"', f"architectures = [{arches}]"]
    extra = [tag for tag in function.tags if tag not in DEFAULT_TAGS]
    if extra:
        lines.append("tags = [" + ", ".join(f'"{tag}"' for tag in (*DEFAULT_TAGS, *extra)) + "]")
    return "\n".join(lines) + "\n"


def _merge(
    path: Path, functions: Sequence[ManifestFunction]
) -> tuple[list[ManifestFunction], list[Notice]]:
    """One function per name, in first-seen order, with every architecture asked for; a
    second package under a name already taken is left out with a notice."""
    by_name: dict[str, ManifestFunction] = {}
    notices: list[Notice] = []
    for function in functions:
        first = by_name.setdefault(function.name, function)
        if first.where != function.where:
            notices.append(
                Notice(
                    file=function.source,
                    line=function.line,
                    message=f"{function.where} and {first.where} are both named "
                    f"{function.name!r} (a function is named after its folder); "
                    f"{function.where} was not added to {path.name}",
                    replacement=f'a [[function]] with another name and package = "{function.package}"',
                    level=ERROR,
                )
            )
            continue
        arches = tuple(sorted(set(first.architectures) | set(function.architectures)))
        by_name[function.name] = replace(first, architectures=arches)
    return list(by_name.values()), notices


def _declared_functions(path: Path, text: str) -> dict[str, tuple[set[str], str]]:
    """Names already in the manifest, each with its architectures."""
    check_toml(text, path)
    try:
        data = parse_toml(text, str(path))
    except ManifestError as error:
        raise TemplateSyntaxError(error.message, "fix the file; nothing was changed") from None
    tables = data.get("function", [])
    defaults = data.get("defaults")
    shared_dir = defaults.get("module_dir", "") if isinstance(defaults, dict) else ""
    declared: dict[str, tuple[set[str], str]] = {}
    for table in tables if isinstance(tables, list) else []:
        if isinstance(table, dict) and isinstance(table.get("name"), str):
            arches = table.get("architectures", [])
            package = table.get("package")
            module_dir = table.get("module_dir", shared_dir)
            where = package.rstrip("/") if isinstance(package, str) else ""
            if where and isinstance(module_dir, str) and module_dir.strip("./"):
                where = f"{module_dir.rstrip('/')}:{where}"
            declared[table["name"]] = ({str(a) for a in arches} if isinstance(arches, list) else set(), where)
    return declared
