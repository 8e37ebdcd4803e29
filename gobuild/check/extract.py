"""Extracts a deployment zip into a folder as Lambda lays out /var/task, by the same judgment
verify uses: an archive verify refuses for its structure is refused here before anything is
written.

    extract_zip(path, dest, max_bytes=UNZIPPED_LIMIT)

Files keep their Unix permission bits (0644 when the zip has none, as zips written on Windows;
setuid and setgid are dropped). Files are created with O_NOFOLLOW|O_EXCL inside folders made
here, symlinks are created last and must resolve inside `dest`, and folder modes are applied at
the end. Entry data is streamed through the bounded reader and checked (size, CRC) as it is
written. On an error `dest` may hold part of the archive: the caller removes it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from gobuild.check.archive import ArchiveRefused, accepted, unreadable
from gobuild.check.findings import display, finding
from gobuild.check.structure import corrupt, link_target
from gobuild.check.zipentry import EntryError, EntryReader
from gobuild.check.zipread import Entry, open_zip
from gobuild.errors import GobuildError
from gobuild.lambda_facts import UNZIPPED_LIMIT

CHUNK = 1 << 20


def extract_zip(path: Path, dest: Path, *, max_bytes: int = UNZIPPED_LIMIT) -> None:
    """Extracts the zip at `path` into the existing, empty folder `dest`.

    Raises ArchiveRefused (a VerifyError) naming the first problem verify would report,
    NotRegularFile (a UsageError) for a path that is not a regular file, and GobuildError
    when the folder cannot be written.
    """
    label = path.name
    try:
        file, size = open_zip(path)
    except OSError as error:
        raise ArchiveRefused(label, unreadable(path, error)) from None
    with file:
        directory = accepted(file, size, label)
        total = sum(e.file_size for e in directory.entries)
        if total > max_bytes:
            raise ArchiveRefused(label, finding(
                "GB005", f"unzipped size {total} bytes is over Lambda's limit of {max_bytes} bytes",
                fix="shrink the function, or move data to S3 or a layer"))
        _Extractor(file, dest.resolve(), label).run(directory.entries)


class _Extractor:
    def __init__(self, file: BinaryIO, root: Path, label: str) -> None:
        self.file = file
        self.root = root
        self.label = label
        self.folder_modes: dict[Path, int] = {}

    def run(self, entries: tuple[Entry, ...]) -> None:
        links: list[tuple[Entry, list[str]]] = []
        for entry in entries:
            parts = list(entry.parts)
            if not parts:
                continue  # "./": the root itself
            try:
                if entry.is_symlink:
                    links.append((entry, parts))
                elif entry.is_dir:
                    self.folder(parts)
                    if entry.unix_mode:
                        # The owner's bits stay open so the task root can be removed; Lambda's user is not the owner.
                        mode = (stat.S_IMODE(entry.unix_mode) & 0o777) | 0o700
                        self.folder_modes[self.root.joinpath(*parts)] = mode
                else:
                    self.regular(entry, parts)
            except OSError as error:
                raise GobuildError(f"{self.label}: cannot write {display(entry.name)}: "
                                   f"{error.strerror or error}") from None
        for entry, parts in links:
            self.link(entry, parts)
        for entry, parts in links:
            self.check_inside(entry, parts)
        for folder, mode in sorted(self.folder_modes.items(), reverse=True):
            os.chmod(folder, mode)  # deepest first, so a read-only folder does not block its children

    def folder(self, parts: list[str]) -> Path:
        """Creates the folders of `parts` below the root, refusing to pass through anything else."""
        current = self.root
        for part in parts:
            current = current / part
            try:
                os.mkdir(current, 0o755)
            except FileExistsError:
                if not stat.S_ISDIR(os.lstat(current).st_mode):
                    raise GobuildError(f"{self.label}: {display(str(current.relative_to(self.root)))} "
                                       "is in the way of a folder") from None
        return current

    def regular(self, entry: Entry, parts: list[str]) -> None:
        folder = self.folder(parts[:-1])
        mode = (stat.S_IMODE(entry.unix_mode) & 0o777) or 0o644
        fd = os.open(folder / parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), mode)
            try:
                reader = EntryReader(self.file, entry)
                while chunk := reader.read(CHUNK):
                    out.write(chunk)
            except EntryError as error:
                raise ArchiveRefused(self.label, corrupt(entry, error)) from None

    def link(self, entry: Entry, parts: list[str]) -> None:
        try:
            target = link_target(self.file, entry)
            folder = self.folder(parts[:-1])
            os.symlink(target, folder / parts[-1])
        except EntryError as error:
            raise ArchiveRefused(self.label, finding(
                "GB114", f"{display(entry.name)} is a symlink whose target cannot be read: {error}",
                fix="store the file itself instead of a symlink (zip without -y)")) from None
        except OSError as error:
            raise GobuildError(f"{self.label}: cannot create symlink {display(entry.name)}: "
                               f"{error.strerror or error}") from None

    def check_inside(self, entry: Entry, parts: list[str]) -> None:
        """The structure check resolved every link inside the archive; the disk must agree."""
        resolved = os.path.realpath(self.root.joinpath(*parts))
        root = str(self.root)
        if resolved != root and not resolved.startswith(root + os.sep):
            raise ArchiveRefused(self.label, finding(
                "GB114", f"{display(entry.name)} is a symlink that resolves outside the archive",
                fix="store the file itself instead of a symlink (zip without -y)"))
