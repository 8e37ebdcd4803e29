"""The values every migrate module shares: options, changes, notices and text edits."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path

from gobuild.errors import EXIT_BAD_INPUT, MigrateError
from gobuild.lambda_facts import HANDLER, LAMBDA_DEFAULT_ARCH, OLD_RUNTIMES, TARGET_RUNTIME, Arch

__all__ = ["HANDLER", "OLD_RUNTIMES", "TARGET_RUNTIME"]  # shared by every migrate module through here

BUILD_MODES = ("sam", "gobuild", "makefile")
LAMBDA_ARCHES = tuple(sorted(a.lambda_name for a in Arch.all()))
# Lambda's architecture names → Go's GOARCH, which names gobuild's zips.
GOARCH = {a.lambda_name: a.goarch for a in Arch.all()}
# What Lambda assumes when a function names no architecture.
DEFAULT_ARCH = LAMBDA_DEFAULT_ARCH.lambda_name


class TemplateSyntaxError(MigrateError):
    """A file could not be parsed; the message names file and line. Nothing was written."""

    exit_code = EXIT_BAD_INPUT


class RefusedInput(MigrateError):
    """A file migrate will not read (not a regular file, too large, too deep, an alias bomb)
    or a target it cannot write; the message names it. Nothing was written."""

    exit_code = EXIT_BAD_INPUT


# A notice's level: "error" notes describe something that will not build, deploy or run as the
# files stand (`--check` fails on them); "info" notes describe work left to the user.
INFO = "info"
ERROR = "error"


@dataclass(frozen=True, kw_only=True)
class MigrateOptions:
    """What the user asked for: target runtime, an architecture to force, how to build."""

    runtime: str = TARGET_RUNTIME
    arch: str | None = None
    build: str = "sam"


@dataclass(frozen=True, kw_only=True)
class Change:
    """One edit: where (line in the original file; in the new file for created files), old → new."""

    file: Path
    line: int
    old: str
    new: str


@dataclass(frozen=True, kw_only=True)
class Notice:
    """Something seen but not rewritten, with the replacement the user should make."""

    file: Path
    line: int
    message: str
    replacement: str = ""
    level: str = INFO


@dataclass(frozen=True, kw_only=True)
class ManifestFunction:
    """A function to declare in gobuild.toml at `root` (the folder of go.mod)."""

    root: Path
    name: str
    package: str
    architectures: tuple[str, ...]  # GOARCH names: amd64, arm64
    source: Path
    line: int
    module_dir: str = ""  # the module's folder relative to root, "" when root is the module
    tags: tuple[str, ...] = ()  # build tags beyond gobuild's defaults

    @property
    def where(self) -> str:
        """The package as the manifest locates it: ./cmd/x, or lambdas/gin:./cmd/x."""
        return f"{self.module_dir}:{self.package}" if self.module_dir else self.package


@dataclass(frozen=True, kw_only=True)
class MakeTarget:
    """A `build-<LogicalId>` target that `sam build` runs in the Makefile of `directory`."""

    directory: Path
    logical_id: str
    function: str
    arch: str  # GOARCH
    root: Path
    source: Path
    line: int
    out_dir: str = "dist"  # gobuild's output folder, relative to root


@dataclass(frozen=True, kw_only=True)
class FileResult:
    """What migrating one file gives: its new text, the changes, notices and follow-up work."""

    path: Path
    old_text: str
    new_text: str
    changes: tuple[Change, ...] = ()
    notices: tuple[Notice, ...] = ()
    functions: tuple[ManifestFunction, ...] = ()
    make_targets: tuple[MakeTarget, ...] = ()
    steps: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class FileUpdate:
    """A file's text before (None when the migration creates it) and after."""

    path: Path
    before: str | None
    after: str


@dataclass(frozen=True, kw_only=True)
class MigrationReport:
    """Everything one run would do; nothing has been written yet."""

    changes: tuple[Change, ...]
    notices: tuple[Notice, ...]
    updates: tuple[FileUpdate, ...]
    next_steps: tuple[str, ...]
    files_seen: int = 0

    @property
    def changed(self) -> bool:
        """True when writing the report would change at least one file."""
        return bool(self.updates)

    @property
    def errors(self) -> tuple[Notice, ...]:
        """The error-level notices: what will not build, deploy or run as the files stand."""
        return tuple(n for n in self.notices if n.level == ERROR)


@dataclass
class TextEdits:
    """Span replacements on one text, applied together so offsets stay those of the original."""

    text: str
    _edits: list[tuple[int, int, int, int, str]] = field(default_factory=list)

    def replace(self, start: int, end: int, new: str) -> None:
        """Replaces text[start:end]."""
        self._edits.append((start, end, 0, len(self._edits), new))

    def insert(self, offset: int, new: str, *, depth: int = 0) -> None:
        """Inserts at `offset`. Insertions at one offset go deepest first (an entry added to a
        nested mapping precedes one added to its parent), then in the order they were made."""
        self._edits.append((offset, offset, -depth, len(self._edits), new))

    def __bool__(self) -> bool:
        return bool(self._edits)

    def apply(self) -> str:
        """The edited text. Overlapping replacements are a bug in the caller."""
        pieces: list[str] = []
        cursor = 0
        for start, end, _, _, new in sorted(self._edits):
            if start < cursor:
                raise AssertionError(f"overlapping edits at offset {start}")
            pieces.append(self.text[cursor:start])
            pieces.append(new)
            cursor = end
        pieces.append(self.text[cursor:])
        return "".join(pieces)


class LineIndex:
    """Offset → 1-based line number for one text."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)


def keep_comment_column(text: str, start: int, end: int, rendered: str) -> tuple[int, str]:
    """Widens a replacement of text[start:end] over the spaces before a trailing comment so
    the comment stays in its column (aligned comments usually are). Returns the new end
    and replacement."""
    gap = re.match(r"[ \t]+(?=#|//)", text[end : line_end(text, end)])
    if gap is None:
        return end, rendered
    width = len(gap.group()) - (len(rendered) - (end - start))
    return end + len(gap.group()), rendered + " " * max(1, width)


def line_end(text: str, offset: int) -> int:
    """The offset of the line break (\n or \r\n) that ends the line holding `offset`, or
    the end of the text."""
    newline = text.find("\n", offset)
    if newline < 0:
        return len(text)
    return newline - 1 if newline > offset and text[newline - 1] == "\r" else newline


def original_line(edits: TextEdits, lines: LineIndex, new_offset: int) -> int:
    """The line, in the original text's numbering, of an offset into the edited text: an offset
    inside inserted text counts as the line it was inserted before."""
    delta = 0
    for start, end, _, _, new in sorted(edits._edits):
        new_start = start + delta
        if new_offset < new_start:
            break
        if new_offset < new_start + len(new):
            return lines.line(start) + (1 if new.startswith(("\n", "\r\n")) else 0)
        delta += len(new) - (end - start)
    return lines.line(new_offset - delta)
