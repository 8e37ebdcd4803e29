"""A scratch copy of the project that differs from the original in what reprotest varies.

gobuild.build.rebuild builds the copy a second time; what is varied here is what lives on disk:
- the absolute path (a deeper, differently named folder, on another file system when one is free);
- the order of names in each folder's listing, where the file system lets creation order decide
  it: tmpfs lists the newest name first, so the copy is created in the original's listing order
  and lists in reverse; ext4 (and most disk file systems) list in the order of a hash of the
  name, which nothing but a FUSE layer such as disorderfs could change, and the copy says so;
- file modes under another umask (the copy is written under the rebuild's umask, as a fresh
  checkout would be), and every file and folder's mtime.
A repository's `.git` is not copied: the copy's `.git` is a symbolic link to it, so git (and
`-buildvcs`) sees the same commit and tags, read without taking locks.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from gobuild.errors import BuildError, UsageError

VARIED_MTIME = 1262304000  # 2010-01-01 00:00:00 UTC: no checkout has every file at this time
DEEPER = ("gobuild-rebuild", "a", "much", "longer", "path")  # below the scratch folder, before the copy
# Where the copy may go: the first with room whose listings follow creation order (tmpfs) wins.
CANDIDATE_FOLDERS = ("/dev/shm",)
CREATION, REVERSE, OWN = "creation", "reverse", "own"


@dataclass(frozen=True, kw_only=True)
class Copy:
    """The copy: its root (standing for `original`), and what its listings did."""

    original: Path
    root: Path
    listing: str  # how the copy's file system orders listings: CREATION, REVERSE or OWN
    folders: int  # folders of two or more names
    reordered: int  # of those, how many list their names in another order than the original


def copy_root(needed: Iterable[Path]) -> Path:
    """The folder to copy: the deepest one holding everything the build reads. Refuses (exit 2)
    the file system's root or the home folder, which no project should make gobuild copy."""
    paths = sorted({str(p) for p in needed})
    root = Path(os.path.commonpath(paths))
    if root == Path(root.anchor) or root == Path.home():
        outside = ", ".join(paths[:3]) + (" …" if len(paths) > 3 else "")
        raise UsageError(f"--check-reproducible would copy {root}: the build reads {outside}",
                         hint="keep module_dir, include files and local replace targets under one folder")
    return root


def git_top(folder: Path) -> Path | None:
    """The folder holding the repository's `.git` (a folder or a worktree's file), if any."""
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return None


def scratch_folder(size: int) -> Path:
    """A new folder for the copy: on a file system whose listings follow creation order when
    one has room for `size` bytes four times over, else in the temporary folder."""
    for candidate in (*CANDIDATE_FOLDERS, tempfile.gettempdir()):
        try:
            free = shutil.disk_usage(candidate).free
            folder = Path(tempfile.mkdtemp(prefix="gobuild-rebuild-", dir=candidate))
        except OSError:
            continue
        if free > 4 * size and listing_order(folder) != OWN:
            return folder
        shutil.rmtree(folder, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix="gobuild-rebuild-"))


def listing_order(folder: Path) -> str:
    """How a folder's file system orders a listing: by creation, reversed, or in its own order."""
    probe = folder / ".listing-probe"
    probe.mkdir()
    names = ["m", "c", "x", "a", "q", "f"]
    try:
        for name in names:
            (probe / name).touch()
        listed = os.listdir(probe)
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    return CREATION if listed == names else REVERSE if listed == names[::-1] else OWN


def tree_size(root: Path, skip: Callable[[Path], bool]) -> int:
    """Bytes of the regular files below root that a copy would take."""
    total = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not skip(Path(folder, d)) and d != ".git"]
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    return total


def make_copy(original: Path, dest: Path, skip: Callable[[Path], bool]) -> Copy:
    """Copies `original` to `dest` (which must not exist), varying listing order and mtimes;
    the current umask applies to every file and folder made. `skip` leaves paths out."""
    order = listing_order(dest.parent)
    dest.mkdir()
    folders = reordered = 0
    made: list[Path] = [dest]
    pending = [(original, dest)]
    try:
        while pending:
            source, target = pending.pop()
            names = [n for n in os.listdir(source) if not skip(source / n)]
            # Created so that the copy lists the names in the reverse of the original's order.
            for name in (names if order == REVERSE else names[::-1]):
                pending += _copy_entry(source / name, target / name, original, made)
            if len(names) > 1:
                folders += 1
                reordered += os.listdir(target) != names
        for path in reversed(made):  # folders last: creating their entries set their mtimes
            os.utime(path, (VARIED_MTIME, VARIED_MTIME), follow_symlinks=False)
    except OSError as error:
        raise BuildError(f"cannot copy {original} for the rebuild: {error.strerror or error}",
                         hint=f"free space in {dest.parent}, or set TMPDIR to a folder with room") from None
    return Copy(original=original, root=dest, listing=order, folders=folders, reordered=reordered)


def _copy_entry(source: Path, target: Path, original: Path, made: list[Path]) -> list[tuple[Path, Path]]:
    """Copies one entry; returns the folder to descend into, if it is one."""
    info = os.lstat(source)
    if source.name == ".git" and source.parent == original and stat.S_ISDIR(info.st_mode):
        os.symlink(source.resolve(), target)  # the same repository: same commit, same tags
    elif stat.S_ISLNK(info.st_mode):
        os.symlink(os.readlink(source), target)
    elif stat.S_ISDIR(info.st_mode):
        os.mkdir(target, info.st_mode & 0o777)
        made.append(target)
        return [(source, target)]
    elif stat.S_ISREG(info.st_mode):
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, info.st_mode & 0o777)
        with os.fdopen(descriptor, "wb") as out, open(source, "rb") as data:
            shutil.copyfileobj(data, out)
    else:
        return []  # sockets, FIFOs, devices: nothing a Go build reads
    made.append(target)
    return []
