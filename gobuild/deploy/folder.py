"""A code folder zipped the way `sam deploy` (and `aws cloudformation package`) zip one.

Both walk the folder following symlinks, store every file under its path relative to the folder
with the file's own Unix mode, and deflate it: Python's zipfile, as here. Walking stops at
Lambda's unzipped limit and at a file count no function needs, so `CodeUri: .` at the top of a
large repository costs little.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

from gobuild.lambda_facts import MIB, UNZIPPED_LIMIT

MAX_FILES = 100_000


class FolderTooBig(Exception):
    """The folder holds more than Lambda accepts; the message says how much was seen."""


def zip_folder(folder: Path, dest: Path) -> int:
    """Writes `dest` from the files under `folder`; returns the number of files.

    Raises FolderTooBig past Lambda's unzipped limit or MAX_FILES, OSError when a file cannot
    be read (its path is in the error).
    """
    total = count = 0
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path, relative in _files(folder):
            size = path.stat().st_size
            total += size
            count += 1
            if total > UNZIPPED_LIMIT:
                raise FolderTooBig(f"more than {UNZIPPED_LIMIT // MIB} MiB of files")
            if count > MAX_FILES:
                raise FolderTooBig(f"more than {MAX_FILES:,} files")
            info = zipfile.ZipInfo.from_file(path, relative)
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as source, archive.open(info, "w") as target:
                for chunk in iter(lambda: source.read(MIB), b""):
                    target.write(chunk)
    return count


def _files(folder: Path) -> list[tuple[Path, str]]:
    """Regular files under `folder` (symlinks followed, loops visited once), sorted."""
    found: list[tuple[Path, str]] = []
    seen: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        here = os.stat(root)
        if (here.st_dev, here.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((here.st_dev, here.st_ino))
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            try:
                if not stat.S_ISREG(path.stat().st_mode):
                    continue  # a dangling link, FIFO or socket: nothing a zip tool would store
            except OSError:
                continue
            found.append((path, path.relative_to(folder).as_posix()))
            if len(found) > MAX_FILES:
                return found
    return found
