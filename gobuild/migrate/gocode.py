"""Is a function's code Go? And is its aws-lambda-go new enough for provided.* runtimes?

A provided.al2 function is moved only when its code is shown to be Go: a Go main package at its
code location, or Go build information in the executable it ships (a `bootstrap` in its folder
or zip, read through gobuild.check's one bounded zip reader). Everything is read with a
bound; nothing is run.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from gobuild.check.buildinfo import read_buildinfo
from gobuild.check.elf import ElfError, is_elf
from gobuild.check.zipentry import EntryError, read_entry
from gobuild.check.zipread import Entry, NotRegularFile, ZipFormatError, open_zip, read_directory
from gobuild.lambda_facts import AWS_LAMBDA_GO, BOOTSTRAP, UNZIPPED_LIMIT, predates_runtime_api

# How many entries of a zip are looked at for an executable, and how far into it.
MAX_ZIP_ENTRIES = 5000


def bootstrap_is_go(path: Path, names: tuple[str, ...] = ()) -> bool:
    """Whether the executable a code location ships holds Go build information: `bootstrap`
    (or one of `names`, the binary a go1.x Handler named) in a folder, or in a zip."""
    wanted = (BOOTSTRAP, *names)
    try:
        if path.is_dir():
            return any(_file_is_go(path / name) for name in wanted if name)
        if path.suffix.lower() == ".zip" and path.is_file():
            return _zip_holds_go(path, wanted)
    except OSError:
        return False
    return False


def _file_is_go(path: Path) -> bool:
    try:
        info = path.stat()
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_size > UNZIPPED_LIMIT:
        return False
    with path.open("rb") as handle:
        data = handle.read(UNZIPPED_LIMIT + 1)
    return _bytes_are_go(data)


def _zip_holds_go(path: Path, names: tuple[str, ...]) -> bool:
    """Reads the zip through gobuild's one bounded zip reader: its directory, then each
    wanted entry, never more than the entry declares (nor Lambda's unzipped limit)."""
    listed = _directory(path)
    if listed is None:
        return False
    file, entries = listed
    with file:
        for entry in entries:
            if entry.path not in names or entry.is_dir or entry.is_symlink or entry.file_size > UNZIPPED_LIMIT:
                continue
            try:
                if _bytes_are_go(read_entry(file, entry)):
                    return True
            except EntryError:
                continue
    return False


def zip_names(path: Path) -> tuple[str, ...] | None:
    """The paths a zip extracts (at most MAX_ZIP_ENTRIES); None when it is missing, not a
    regular file, or not a zip."""
    listed = _directory(path)
    if listed is None:
        return None
    file, entries = listed
    file.close()
    return tuple(entry.path for entry in entries)


def _directory(path: Path) -> tuple[BinaryIO, tuple[Entry, ...]] | None:
    """The open zip and the first MAX_ZIP_ENTRIES entries of its directory."""
    try:
        file, size = open_zip(path)
    except (OSError, NotRegularFile):
        return None
    try:
        directory = read_directory(file, size)
    except ZipFormatError:
        file.close()
        return None
    return file, directory.entries[:MAX_ZIP_ENTRIES]


# The fix for a function whose code is a prebuilt zip, true whatever its runtime: `migrate
# --build gobuild` repoints only the functions it moves, not one already on provided.al2023.
BUILD_ZIP_FIX = ("build it with `gobuild build` (`gobuild init` declares the Go functions in gobuild.toml) and point "
                 "{key} at dist/<name>-<arch>.zip; `gobuild migrate --build gobuild` does that for the functions "
                 "it moves off go1.x or provided.al2")


def prebuilt_zip_ready(path: Path) -> bool | None:
    """Whether a prebuilt zip is known to hold bootstrap: True when it does, or when it is not
    built yet but is named bootstrap.zip (zipped from a binary of that name); False when it
    exists without one; None when nothing can be told."""
    names = zip_names(path)
    if names is not None:
        return BOOTSTRAP in names
    if path.name == f"{BOOTSTRAP}.zip" and not path.exists():
        return True
    return None


def _bytes_are_go(data: bytes) -> bool:
    if not is_elf(data[:16]):
        return False
    try:
        return read_buildinfo(data) is not None
    except ElfError:
        return False


# ---------------------------------------------------------------- go.mod


@dataclass(frozen=True, kw_only=True)
class LambdaRequirement:
    """The aws-lambda-go version a go.mod requires (after any replace), and its line."""

    version: str
    line: int

    @property
    def predates_runtime_api(self) -> bool:
        """True below v1.18.0, which cannot receive events on provided.* runtimes."""
        return predates_runtime_api(self.version)


_REQUIRE = re.compile(rf"^[ \t]*(?:require\s+)?{re.escape(AWS_LAMBDA_GO)}[ \t]+(v\S+)", re.MULTILINE)
_REPLACE = re.compile(
    rf"^\s*(?:replace\s+)?{re.escape(AWS_LAMBDA_GO)}(?:\s+v\S+)?\s*=>\s*(\S+)\s+(v\S+)", re.MULTILINE
)


def lambda_requirement(gomod: str) -> LambdaRequirement | None:
    """The aws-lambda-go a go.mod requires, None when it requires none (or replaces it with a
    local folder, whose version cannot be known)."""
    text = re.sub(r"//[^\n]*", "", gomod)
    required = next(
        (m for m in _REQUIRE.finditer(text) if "=>" not in text[m.start() : text.find("\n", m.end())]),
        None,
    )
    if required is None:
        return None
    version, line = required.group(1), text.count("\n", 0, required.start(1)) + 1
    replaced = _REPLACE.search(text)
    if replaced is not None:
        if replaced.group(1).startswith((".", "/")):
            return None
        version, line = replaced.group(2), text.count("\n", 0, replaced.start(2)) + 1
    return LambdaRequirement(version=version, line=line)
