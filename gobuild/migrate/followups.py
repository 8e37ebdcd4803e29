"""The files a migration adds to beside the definitions: gobuild.toml in each module root, and
the Makefile in each `BuildMethod: makefile` function's CodeUri folder.

A manifest is never written unless it loads: the new text is parsed and checked with
gobuild.manifest.parse_manifest (packages exist and are main packages) before it is offered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from gobuild.errors import ManifestError
from gobuild.lambda_facts import MANIFEST_NAME
from gobuild.manifest import parse_manifest
from gobuild.migrate import makefile
from gobuild.migrate.functions import append_functions
from gobuild.migrate.inputs import read_side_file
from gobuild.migrate.limits import check_toml
from gobuild.migrate.model import (
    Change,
    FileUpdate,
    MakeTarget,
    ManifestFunction,
    Notice,
    RefusedInput,
)

T = TypeVar("T")
K = TypeVar("K")
# A follow-up file: its update (None when unchanged), the changes in it, notes about it, and
# steps left to the user.
FollowUp = tuple[FileUpdate | None, list[Change], list[Notice], list[str]]


def manifest_updates(functions: list[ManifestFunction]) -> Iterator[FollowUp]:
    """Appends the functions to the gobuild.toml of each module root they belong to."""
    for root, group in grouped(functions, key=lambda f: f.root):
        path = root / MANIFEST_NAME
        before = read_side_file(path)
        if before is not None:
            check_toml(before, path)
        after, added, notices = append_functions(path, before, group)
        if after is None:
            yield None, [], notices, []
            continue
        _check_loads(path, before, after)
        first_line = (before or "").count("\n") + 1
        changes = [
            Change(
                file=path,
                line=_table_line(after, function.name, first_line),
                old="",
                new=f"[[function]] {function.name} = {function.package}"
                + (f" in {function.module_dir}" if function.module_dir else "")
                + f" ({', '.join(function.architectures)})",
            )
            for function in added
        ]
        yield FileUpdate(path=path, before=before, after=after), changes, notices, []


def _check_loads(path: Path, before: str | None, after: str) -> None:
    """Refuses to offer a manifest that gobuild would not load, naming what is wrong."""
    try:
        parse_manifest(after, path=path)
    except ManifestError as error:
        if before is not None:
            try:
                parse_manifest(before, path=path)
            except ManifestError as existing:
                raise RefusedInput(
                    f"{path}: does not load as it is ({existing.message}); migrate adds to it only "
                    "once it loads",
                    existing.hint or "fix it, then run migrate again; nothing was written",
                ) from None
        raise RefusedInput(
            f"{path}: the manifest migrate would write does not load: {error.message}",
            "nothing was written; declare these functions by hand",
        ) from None


def makefile_updates(targets: list[MakeTarget]) -> Iterator[FollowUp]:
    """Adds the build-<LogicalId> targets to the Makefile of each code folder. A folder that
    does not exist (build output not made yet) is created by --write, and said so."""
    for directory, group in grouped(targets, key=lambda t: t.directory):
        path = directory / "Makefile"
        before = read_side_file(path)
        after, added, notices = makefile.add_targets(path, before, group)
        if after is None:
            yield None, [], notices, []
            continue
        steps = []
        if not directory.is_dir():
            steps.append(
                f"Commit {path}: its folder did not exist (build output is often ignored by git), "
                "so --write creates it to hold the Makefile `sam build` runs."
            )
        changes = [
            Change(
                file=path,
                line=_target_line(after, target.logical_id),
                old="",
                new=f"build-{target.logical_id}: "
                f"gobuild build --only {target.function} --arch {target.arch}",
            )
            for target in added
        ]
        yield FileUpdate(path=path, before=before, after=after), changes, notices, steps


def grouped(items: Iterable[T], *, key: Callable[[T], K]) -> list[tuple[K, list[T]]]:
    groups: dict[K, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return list(groups.items())


def _table_line(text: str, name: str, default: int) -> int:
    marker = f'name = "{name}"'
    offset = text.rfind(marker)
    return text.count("\n", 0, offset) + 1 if offset >= 0 else default


def _target_line(text: str, logical_id: str) -> int:
    offset = text.find(f"\nbuild-{logical_id}:")
    return text.count("\n", 0, offset + 1) + 1 if offset >= 0 else 1
