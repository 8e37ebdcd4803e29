"""`gobuild migrate`: find the Go Lambda functions on go1.x or provided.al2 and move them to
provided.al2023.

`migrate` is pure: it reads files and returns a MigrationReport (the changes, the notes about
what it saw but would not rewrite or what still stands in the way, and every file's new text).
`write_report` is the only thing that writes: all the files or none. `render_*` turn a report
into text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from gobuild.errors import UsageError
from gobuild.lambda_facts import MANIFEST_NAME
from gobuild.migrate import sam, scan, serverless, terraform
from gobuild.migrate.followups import makefile_updates, manifest_updates
from gobuild.migrate.inputs import absolute, find_files, read_source
from gobuild.migrate.model import (
    BUILD_MODES,
    LAMBDA_ARCHES,
    TARGET_RUNTIME,
    Change,
    FileResult,
    FileUpdate,
    MigrateOptions,
    MigrationReport,
    Notice,
    TemplateSyntaxError,
)
from gobuild.migrate.render import render_diff, render_document, render_output, render_text
from gobuild.migrate.workspace import Workspace
from gobuild.migrate.write import write_report

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
    Writes nothing. Raises UsageError for a missing path, TemplateSyntaxError (exit 2) for a
    file that does not parse and RefusedInput (exit 2) for one migrate will not read, each
    naming file and line."""
    check_options(options)
    files = find_files(paths)
    explicit = {absolute(path) for path in paths if absolute(path).is_file()}
    workspace = Workspace(files=tuple(files))
    results: list[FileResult] = []
    for path in files:
        try:
            result = migrate_file(path, options, workspace, explicit=path in explicit)
        except TemplateSyntaxError as error:
            skipped = _templated(path, error) if path not in explicit else None
            if skipped is None:
                raise
            result = skipped
        if result is not None:
            results.append(result)
    report = _assemble(results, files_seen=len(files))
    return _manifest_step(report, paths) if options.build == "gobuild" else report


def _manifest_step(report: MigrationReport, paths: Sequence[Path]) -> MigrationReport:
    """With --build gobuild, when no gobuild.toml was written or is there, and no error note
    stands in the way of one: how to get one (the functions may already be on
    provided.al2023, which migrate leaves alone)."""
    roots = {absolute(path) if absolute(path).is_dir() else absolute(path).parent for path in paths}
    if report.errors or any(update.path.name == MANIFEST_NAME for update in report.updates) or any(
            (root / MANIFEST_NAME).is_file() for root in roots):
        return report
    step = (f"No {MANIFEST_NAME} was written: migrate changed no Go function it could locate. To build the "
            f"Go functions with gobuild, run `gobuild init` in the module root: it declares every main package.")
    return replace(report, next_steps=(*report.next_steps, step))


# What a file for a project generator (cookiecutter, Jinja, Helm, Go templates) holds.
_TEMPLATE_MARKERS = re.compile(r"\{\{|\{%|\{#")


def _templated(path: Path, error: TemplateSyntaxError) -> FileResult | None:
    """A file a folder walk found that does not parse because it is a template for a project
    generator: skipped with a note, so one such file does not stop the run. None for any
    other file that does not parse (that stops the run, naming it)."""
    text = read_source(path, strict=False)
    marker = _TEMPLATE_MARKERS.search(text) if text is not None else None
    if text is None or (marker is None and "{{" not in str(path)):
        return None
    problem = error.message.removeprefix(f"{path}:")
    at = re.match(r"(\d+)(?::\d+)?: ", problem)
    line = int(at.group(1)) if at else text.count("\n", 0, marker.start()) + 1 if marker else 1
    notice = Notice(
        file=path,
        line=line,
        message="not migrated: a template for a project generator (`{{ }}`, `{% %}`), which does "
        f"not parse until it is rendered ({problem[at.end() if at else 0 :]})",
        replacement="run migrate on the generated project; name this file to see the error alone",
    )
    return FileResult(path=path, old_text=text, new_text=text, notices=(notice,))


def migrate_file(
    path: Path, options: MigrateOptions, workspace: Workspace, *, explicit: bool = False
) -> FileResult | None:
    """Migrates one file by its format; None when it holds nothing migrate knows about."""
    text = read_source(path, strict=explicit)
    if text is None:
        return None
    if path.name in serverless.FILE_NAMES and serverless.is_serverless(text):
        return serverless.migrate_serverless(path=path, text=text, options=options, workspace=workspace)
    if path.suffix == ".tf":
        return (
            terraform.migrate_terraform(path=path, text=text, options=options, workspace=workspace)
            if terraform.mentions_lambda(text)
            else None
        )
    if path.suffix in (".yaml", ".yml", ".json", ".template") and sam.is_template(text):
        return sam.migrate_template(path=path, text=text, options=options, workspace=workspace)
    notices = scan.scan(path=path, text=text)
    return FileResult(path=path, old_text=text, new_text=text, notices=notices) if notices else None


def _grouped(notices: list[Notice]) -> list[Notice]:
    """Notes that say the same thing about one file come once, at the first line, naming the
    other lines (a config that repeats `runtime: go1.x` for every function)."""
    groups: dict[tuple[Path, str, str, str], list[Notice]] = {}
    for notice in notices:
        groups.setdefault((notice.file, notice.message, notice.replacement, notice.level), []).append(notice)
    result: list[Notice] = []
    for group in groups.values():
        lines = sorted({n.line for n in group})
        first = group[0]
        if len(lines) > 1:
            shown = ", ".join(str(line) for line in lines[1:11]) + (", ..." if len(lines) > 11 else "")
            first = replace(first, line=lines[0], message=f"{first.message} (also lines {shown})")
        result.append(first)
    return result


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
    for update, added, found, more in [*manifest_updates(functions), *makefile_updates(targets)]:
        updates.extend([update] if update else [])
        changes.extend(added)
        notices.extend(found)
        steps.extend(more)
    order = {result.path: index for index, result in enumerate(results)}

    def place(item: Change | Notice) -> tuple[int, str, int]:
        return order.get(item.file, len(order)), str(item.file), item.line

    changes.sort(key=place)
    notices = _grouped(sorted(dict.fromkeys(notices), key=place))  # a go.mod note comes once
    to_make = [notice for notice in notices if notice.replacement]
    if to_make:
        steps.append(
            f"Make the {'fix' if len(to_make) == 1 else 'fixes'} the "
            f"{'note' if len(to_make) == 1 else f'{len(to_make)} notes'} above "
            f"{'gives' if len(to_make) == 1 else 'give'}: migrate did not guess "
            f"{'it' if len(to_make) == 1 else 'them'}."
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
