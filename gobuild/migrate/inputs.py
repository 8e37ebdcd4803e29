"""Which files migrate reads, and reading them safely.

A file is read only when it is a regular file (a FIFO or a device is refused before it is
opened) and no larger than a limit; it is opened non-blocking and read with a bound, so a file
swapped for a FIFO, or one that grows while it is read, cannot hang or flood the run.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from gobuild.errors import UsageError
from gobuild.migrate.model import RefusedInput, TemplateSyntaxError

# Folders that hold dependencies, build output or tool state, never sources to migrate.
SKIPPED_FOLDERS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "vendor", ".aws-sam", "cdk.out", ".terraform",
        ".serverless", "dist", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache",
        ".pytest_cache",
    }
)
# A template, serverless.yml or .tf file larger than this is generated output, not a source
# (CloudFormation itself takes at most 1 MB); a walk skips such files, a named one is refused.
MAX_FILE_SIZE = 2 * 1024 * 1024
# go.mod, Makefiles and gobuild.toml that migrate reads beside the templates.
MAX_SIDE_FILE_SIZE = 1024 * 1024


def find_files(paths: Sequence[Path]) -> list[Path]:
    """The files named, and the files under the folders named (sorted, skipping build output
    and dependency folders), as absolute paths without resolving symlinks. A named path that
    is neither a regular file nor a folder is refused without being opened."""
    found: list[Path] = []
    for given in paths:
        path = absolute(given)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise UsageError(
                f"{given}: no such file or directory",
                "pass a template, a serverless.yml, a .tf file or a folder",
            ) from None
        except OSError as error:
            raise RefusedInput(f"{given}: cannot read: {error.strerror}") from None
        if stat.S_ISREG(mode):
            found.append(path)
        elif stat.S_ISDIR(mode):
            found.extend(_walk(path))
        else:
            raise RefusedInput(
                f"{given}: not a regular file or a folder; it was not read",
                "pass a template, a serverless.yml, a .tf file or a folder",
            )
    return list(dict.fromkeys(found))


def _walk(folder: Path) -> Iterator[Path]:
    for current, folders, names in os.walk(folder):
        folders[:] = sorted(name for name in folders if name not in SKIPPED_FOLDERS)
        for name in sorted(names):
            path = Path(current) / name
            try:
                info = path.stat()
            except OSError:
                continue  # a dangling symlink or an editor's lock file
            if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_FILE_SIZE:
                yield path


def read_source(path: Path, *, strict: bool) -> str | None:
    """A template's text with its line endings as they are. A file a walk found that is not
    UTF-8 text is skipped (None); a file named on the command line must be text."""
    data = read_bounded(path, MAX_FILE_SIZE)
    if data is None:
        if strict:
            raise RefusedInput(f"{path}: not a regular file; it was not read")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if not strict:
            return None
        line = data[: error.start].count(b"\n") + 1
        raise TemplateSyntaxError(
            f"{path}:{line}: not UTF-8 text", "save the file as UTF-8"
        ) from None


def read_side_file(path: Path) -> str | None:
    """A go.mod, Makefile or gobuild.toml beside the templates: None when there is none;
    refused (exit 2) when it is not a regular file, too large or not UTF-8."""
    try:
        data = read_bounded(path, MAX_SIDE_FILE_SIZE)
    except FileNotFoundError:
        return None
    if data is None:
        raise RefusedInput(f"{path}: not a regular file; it was not read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise TemplateSyntaxError(f"{path}:{line}: not UTF-8 text", "save the file as UTF-8") from None


def read_bounded(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file of at most `limit` bytes; None when it is not a regular
    file (it is never read then). Raises FileNotFoundError when it is missing and
    RefusedInput when it is larger than `limit`."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise RefusedInput(f"{path}: cannot read: {error.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        return None
    _check_size(path, info.st_size, limit)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except OSError as error:
        raise RefusedInput(f"{path}: cannot read: {error.strerror}") from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None  # swapped for something else since the stat
        data = handle.read(limit + 1)
    _check_size(path, len(data), limit)
    return data


def _check_size(path: Path, size: int, limit: int) -> None:
    if size > limit:
        raise RefusedInput(
            f"{path}: {size / (1024 * 1024):.1f} MiB is more than migrate reads "
            f"({limit // (1024 * 1024)} MiB); it was not read",
            "name the template itself, not generated output",
        )


def absolute(path: Path) -> Path:
    """`path` made absolute without resolving symlinks."""
    return Path(os.path.abspath(path))
