"""A MigrationReport as text for people (diff, changes, notes, next steps) or as one JSON
document. Counts are pluralised; notes are `note:` (info) or `error:` (what will not work)."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

from gobuild.lines import plural
from gobuild.migrate.model import ERROR, Change, MigrationReport


def display_path(path: Path, base: Path) -> str:
    """`path` relative to `base` when it is under it; absolute otherwise."""
    try:
        return path.relative_to(Path(os.path.abspath(base))).as_posix()
    except ValueError:
        return str(path)


def render_diff(report: MigrationReport, base: Path) -> str:
    """A unified diff of every file the report would change or create: only the lines that
    change, with three lines of context (no junk heuristics: in a long template the lines
    that repeat most, such as `Properties:`, must still match)."""
    pieces: list[str] = []
    for update in report.updates:
        if update.before == update.after:
            continue
        shown = display_path(update.path, base)
        before = _lines(update.before or "")
        after = _lines(update.after)
        source = f"a/{shown}" if update.before is not None else "/dev/null"
        pieces.append(f"--- {source}\n+++ b/{shown}\n")
        matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
        for group in matcher.get_grouped_opcodes(3):
            pieces.append(_hunk_header(group))
            for tag, i1, i2, j1, j2 in group:
                if tag == "equal":
                    pieces.extend(" " + line for line in before[i1:i2])
                    continue
                pieces.extend("-" + line for line in before[i1:i2])
                pieces.extend("+" + line for line in after[j1:j2])
    return "".join(pieces)


def _hunk_header(group: list[tuple[str, int, int, int, int]]) -> str:
    first, last = group[0], group[-1]
    return f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"


def _range(start: int, stop: int) -> str:
    length = stop - start
    beginning = start + 1 if length else start
    return f"{beginning}" if length == 1 else f"{beginning},{length}"


def _lines(text: str) -> list[str]:
    """Lines split at \\n only (str.splitlines would also split at form feeds and U+2028),
    each keeping its ending; \\r stays part of a CRLF line on both sides of the diff."""
    lines = text.split("\n")
    result = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        result.append(lines[-1] + "\n\\ No newline at end of file\n")
    return result


def render_text(report: MigrationReport, base: Path, *, mode: str) -> str:
    """The report for people: each change as file:line old → new, each notice with the
    replacement to make, a summary, then the steps left to the user."""
    lines = [_change_line(change, base) for change in report.changes]
    for notice in report.notices:
        kind = "error" if notice.level == ERROR else "note"
        lines.append(f"{display_path(notice.file, base)}:{notice.line}: {kind}: {notice.message}")
        if notice.replacement:
            lines.append(f"    fix: {notice.replacement}")
    lines.append(_summary(report, mode))
    if report.next_steps:
        lines.append("Next steps:")
        lines += [f"  {number}. {step}" for number, step in enumerate(report.next_steps, start=1)]
    return "\n".join(lines) + "\n"


def _change_line(change: Change, base: Path) -> str:
    where = f"{display_path(change.file, base)}:{change.line}"
    if not change.old:
        return f"{where}: + {change.new}"
    return f"{where}: {change.old} → {change.new}" if change.new else f"{where}: - {change.old}"


def _summary(report: MigrationReport, mode: str) -> str:
    files = len([u for u in report.updates if u.before != u.after])
    counted = f"{plural(len(report.changes), 'change')} in {plural(files, 'file')}"
    if not report.changed:
        verdict = "nothing to change"
    elif mode == "write":
        verdict = f"{counted} written"
    else:
        verdict = f"{counted} would be made"
    errors = len(report.errors)
    notes = plural(len(report.notices), "note")
    if errors:
        notes += f" ({plural(errors, 'error')})"
    return f"{verdict}; {notes}; {plural(report.files_seen, 'file')} read."


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
                "level": n.level,
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
