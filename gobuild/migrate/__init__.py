"""`gobuild migrate`: find the Go Lambda functions on go1.x or provided.al2 and move them to
provided.al2023.

`migrate` is pure: it reads files and returns a MigrationReport (the changes, the notices
about what it saw but would not rewrite, and every file's new text). `write_report` is the
only thing that writes, each file atomically. `render_*` turn a report into text.
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from gobuild.errors import MigrateError, UsageError
from gobuild.files import write_atomic
from gobuild.lambda_facts import MANIFEST_NAME
from gobuild.migrate import makefile, sam, scan, serverless, terraform
from gobuild.migrate.functions import append_functions
from gobuild.migrate.model import (
    BUILD_MODES,
    LAMBDA_ARCHES,
    TARGET_RUNTIME,
    Change,
    FileResult,
    FileUpdate,
    MakeTarget,
    ManifestFunction,
    MigrateOptions,
    MigrationReport,
    Notice,
    TemplateSyntaxError,
)

__all__ = [
    "Change",
    "FileUpdate",
    "MigrateOptions",
    "MigrationReport",
    "Notice",
    "TemplateSyntaxError",
    "find_files",
    "migrate",
    "render_diff",
    "render_document",
    "render_output",
    "render_text",
    "write_report",
]

# Folders that hold dependencies, build output or tool state, never sources to migrate.
SKIPPED_FOLDERS = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "vendor",
    ".aws-sam",
    "cdk.out",
    ".terraform",
    ".serverless",
    "dist",
    "__pycache__",
    ".venv",
    "venv",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
}
# Larger files are generated (lock files, bundles); skipping them keeps a repo walk fast.
MAX_FILE_SIZE = 2 * 1024 * 1024


def check_options(options: MigrateOptions) -> None:
    """Rejects option values migrate does not know, naming the valid ones."""
    if options.runtime != TARGET_RUNTIME:
        raise UsageError(
            f"--to {options.runtime!r} is not supported", f"the only target is {TARGET_RUNTIME}"
        )
    if options.arch is not None and options.arch not in LAMBDA_ARCHES:
        raise UsageError(f"--arch {options.arch!r} is not one of {', '.join(LAMBDA_ARCHES)}")
    if options.build not in BUILD_MODES:
        raise UsageError(f"--build {options.build!r} is not one of {', '.join(BUILD_MODES)}")


def migrate(paths: Sequence[Path], options: MigrateOptions) -> MigrationReport:
    """Reads every file under `paths` and returns what migrating them would change.
    Writes nothing. Raises UsageError for a missing path and TemplateSyntaxError (exit 2)
    for a file that does not parse, naming file and line."""
    check_options(options)
    files = find_files(paths)
    explicit = {_absolute(path) for path in paths if _absolute(path).is_file()}
    results = [
        result
        for path in files
        if (result := migrate_file(path, options, explicit=path in explicit))
    ]
    return _assemble(results, files_seen=len(files))


def find_files(paths: Sequence[Path]) -> list[Path]:
    """The files named, and the files under the folders named (sorted, skipping build output
    and dependency folders), as absolute paths without resolving symlinks."""
    found: list[Path] = []
    for given in paths:
        path = _absolute(given)
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(_walk(path))
        elif path.exists():
            raise UsageError(f"{given}: not a regular file or a folder")
        else:
            raise UsageError(
                f"{given}: no such file or directory",
                "pass a template, a serverless.yml, a .tf file or a folder",
            )
    return list(dict.fromkeys(found))


def _walk(folder: Path) -> Iterator[Path]:
    for current, folders, names in os.walk(folder):
        folders[:] = sorted(name for name in folders if name not in SKIPPED_FOLDERS)
        for name in sorted(names):
            path = Path(current) / name
            if path.is_file() and path.stat().st_size <= MAX_FILE_SIZE:
                yield path


def migrate_file(
    path: Path, options: MigrateOptions, *, explicit: bool = False
) -> FileResult | None:
    """Migrates one file by its format; None when it holds nothing migrate knows about."""
    text = _read(path, strict=explicit)
    if text is None:
        return None
    if path.name in serverless.FILE_NAMES and serverless.is_serverless(text):
        return serverless.migrate_serverless(path=path, text=text, options=options)
    if path.suffix == ".tf":
        return (
            terraform.migrate_terraform(path=path, text=text, options=options)
            if terraform.mentions_lambda(text)
            else None
        )
    if path.suffix in (".yaml", ".yml", ".json", ".template") and sam.is_template(text):
        return sam.migrate_template(path=path, text=text, options=options)
    notices = scan.scan(path=path, text=text)
    return FileResult(path=path, old_text=text, new_text=text, notices=notices) if notices else None


def _read(path: Path, *, strict: bool) -> str | None:
    """The file as text with its line endings as they are; None for binary files found by a
    folder walk (a file named on the command line must be text)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if not strict:
            return None
        line = data[: error.start].count(b"\n") + 1
        raise TemplateSyntaxError(
            f"{path}:{line}: not UTF-8 text", "save the file as UTF-8"
        ) from None


def _assemble(results: list[FileResult], *, files_seen: int) -> MigrationReport:
    changes: list[Change] = []
    notices: list[Notice] = []
    updates: list[FileUpdate] = []
    steps: list[str] = []
    for result in results:
        changes.extend(result.changes)
        notices.extend(result.notices)
        steps.extend(result.steps)
        if result.new_text != result.old_text:
            updates.append(
                FileUpdate(path=result.path, before=result.old_text, after=result.new_text)
            )
    functions = [function for result in results for function in result.functions]
    targets = [target for result in results for target in result.make_targets]
    for update, added, found in [*_manifest_updates(functions), *_makefile_updates(targets)]:
        updates.extend([update] if update else [])
        changes.extend(added)
        notices.extend(found)
    order = {result.path: index for index, result in enumerate(results)}

    def place(item: Change | Notice) -> tuple[int, int]:
        return order.get(item.file, len(order)), item.line

    changes.sort(key=place)
    notices.sort(key=place)
    to_make = [notice for notice in notices if notice.replacement]
    if to_make:
        steps.append(
            f"Make the replacements the {len(to_make)} note(s) above give: "
            "migrate did not guess them."
        )
    if updates:
        steps.append("Test each function on provided.al2023 before deploying it.")
    return MigrationReport(
        changes=tuple(changes),
        notices=tuple(notices),
        updates=tuple(updates),
        next_steps=tuple(dict.fromkeys(steps)),
        files_seen=files_seen,
    )


# A follow-up file: its update (None when unchanged), the changes in it, notes about it.
_FollowUp = tuple[FileUpdate | None, list[Change], list[Notice]]


def _manifest_updates(functions: list[ManifestFunction]) -> Iterator[_FollowUp]:
    """Appends the functions to the gobuild.toml of each module root they belong to."""
    for root, group in _grouped(functions, key=lambda f: f.root):
        path = root / MANIFEST_NAME
        before = path.read_text(encoding="utf-8") if path.is_file() else None
        after, added, notices = append_functions(path, before, group)
        if after is None:
            yield None, [], notices
            continue
        first_line = (before or "").count("\n") + 1
        changes = [
            Change(
                file=path,
                line=_table_line(after, function.name, first_line),
                old="",
                new=f"[[function]] {function.name} = {function.package} "
                f"({', '.join(function.architectures)})",
            )
            for function in added
        ]
        yield FileUpdate(path=path, before=before, after=after), changes, notices


def _makefile_updates(targets: list[MakeTarget]) -> Iterator[_FollowUp]:
    """Adds the build-<LogicalId> targets to the Makefile of each code folder."""
    for directory, group in _grouped(targets, key=lambda t: t.directory):
        path = directory / "Makefile"
        before = path.read_text(encoding="utf-8") if path.is_file() else None
        after, added, notices = makefile.add_targets(path, before, group)
        if after is None:
            yield None, [], notices
            continue
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
        yield FileUpdate(path=path, before=before, after=after), changes, notices


def _grouped(items: Iterable[Any], *, key: Any) -> list[tuple[Any, list[Any]]]:
    groups: dict[Any, list[Any]] = {}
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


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


# ---------------------------------------------------------------- writing


def write_report(report: MigrationReport) -> list[Path]:
    """Writes every update atomically (temp file in the same folder, then rename), keeping
    each file's mode. Refuses a file that changed since it was read. Returns the paths."""
    written: list[Path] = []
    for update in report.updates:
        if update.before == update.after:
            continue
        _write_atomically(update)
        written.append(update.path)
    return written


def _write_atomically(update: FileUpdate) -> None:
    target = update.path.resolve()  # write through a symlink rather than replacing it
    current = target.read_bytes().decode("utf-8") if target.exists() else None
    if current != update.before:
        raise MigrateError(
            f"{update.path}: changed since it was read; nothing written to it", "run migrate again"
        )
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else _default_mode()
    try:
        write_atomic(target, update.after.encode("utf-8"), mode=mode)
    except OSError as error:
        raise MigrateError(
            f"{update.path}: cannot write: {error.strerror}", "the file was left as it was"
        ) from None


def _default_mode() -> int:
    """The mode a new file gets from the umask, as `open` would create it."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# ---------------------------------------------------------------- rendering


def display_path(path: Path, base: Path) -> str:
    """`path` relative to `base` when it is under it; absolute otherwise."""
    try:
        return path.relative_to(_absolute(base)).as_posix()
    except ValueError:
        return str(path)


def render_diff(report: MigrationReport, base: Path) -> str:
    """A unified diff of every file the report would change or create."""
    pieces: list[str] = []
    for update in report.updates:
        if update.before == update.after:
            continue
        shown = display_path(update.path, base)
        before = _lines(update.before or "")
        after = _lines(update.after)
        source = f"a/{shown}" if update.before is not None else "/dev/null"
        pieces.extend(difflib.unified_diff(before, after, fromfile=source, tofile=f"b/{shown}"))
    return "".join(pieces)


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def render_text(report: MigrationReport, base: Path, *, mode: str) -> str:
    """The report for people: each change as file:line old → new, each notice with the
    replacement to make, a summary, then the steps left to the user."""
    lines = [_change_line(change, base) for change in report.changes]
    for notice in report.notices:
        lines.append(f"{display_path(notice.file, base)}:{notice.line}: note: {notice.message}")
        if notice.replacement:
            lines.append(f"    replace with: {notice.replacement}")
    lines.append(_summary(report, mode))
    if report.next_steps:
        lines.append("Next steps:")
        lines += [f"  {number}. {step}" for number, step in enumerate(report.next_steps, start=1)]
    return "\n".join(lines) + "\n"


def _change_line(change: Change, base: Path) -> str:
    where = f"{display_path(change.file, base)}:{change.line}"
    return f"{where}: {change.old} → {change.new}" if change.old else f"{where}: + {change.new}"


def _summary(report: MigrationReport, mode: str) -> str:
    files = len([u for u in report.updates if u.before != u.after])
    counted = f"{len(report.changes)} change(s) in {files} file(s)"
    if not report.changed:
        verdict = "nothing to change"
    elif mode == "write":
        verdict = f"{counted} written"
    else:
        verdict = f"{counted} would be made"
    return f"{verdict}; {len(report.notices)} note(s); {report.files_seen} file(s) read."


def render_output(report: MigrationReport, base: Path, *, mode: str) -> str:
    """What the command prints for a mode: in diff mode the diff, then the report."""
    text = render_text(report, base, mode=mode)
    if mode != "diff" or not report.changed:
        return text
    return render_diff(report, base) + "\n" + text


def render_document(report: MigrationReport, base: Path, *, mode: str) -> dict[str, Any]:
    """The report as one JSON-ready document (the `--json` output)."""
    document: dict[str, Any] = {
        "mode": mode,
        "changed": report.changed,
        "changes": [
            {"file": display_path(c.file, base), "line": c.line, "old": c.old, "new": c.new}
            for c in report.changes
        ],
        "notices": [
            {
                "file": display_path(n.file, base),
                "line": n.line,
                "message": n.message,
                "replacement": n.replacement,
            }
            for n in report.notices
        ],
        "files": [
            {"path": display_path(u.path, base), "created": u.before is None}
            for u in report.updates
            if u.before != u.after
        ],
        "next_steps": list(report.next_steps),
    }
    if mode == "diff":
        document["diff"] = render_diff(report, base)
    return document
