"""The folder a session unpacks its zip into: made in TMPDIR, locked while in use, always removed.

Each task root is `gobuild-task-*` in the temp folder, held with an exclusive flock(2) for as
long as its session lives. The lock goes with the process that held it, however it ended, so a
task root whose lock can be taken belongs to a run that was killed (SIGKILL, a power cut) and is
removed by the next session instead of piling up.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

# Not the "gobuild-invoke-" of gobuild versions that took no lock: their live folders are left alone.
PREFIX = "gobuild-task-"
_ATTEMPTS = 100  # a fresh folder is lost to a cleaner only in a window of microseconds


class TaskRootDir:
    """A fresh, locked, empty folder; `remove()` deletes it (whatever the zip put in it) and unlocks."""

    def __init__(self, parent: Path | None = None) -> None:
        """Raises OSError when the temp folder does not allow it."""
        for _ in range(_ATTEMPTS):
            path = tempfile.mkdtemp(prefix=PREFIX, dir=parent)
            try:
                fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
            except FileNotFoundError:
                continue  # a cleaner took it for a stale one before we could lock it
            # Where flock is not supported (some network file systems) the folder goes unlocked:
            # no cleaner can lock it either, so none removes it.
            if _lock(fd) is not False and _same_folder(fd, path):
                break
            os.close(fd)
        else:
            raise OSError(f"no task root could be made and locked in {parent or tempfile.gettempdir()}")
        self.path = Path(path).resolve()
        self._fd: int | None = fd

    def remove(self) -> None:
        """Deletes the folder and everything in it, then releases the lock; safe to call twice."""
        remove_tree(self.path)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def remove_stale(parent: Path | None = None) -> int:
    """Removes the task roots that no living session holds; returns how many."""
    folder = Path(parent or tempfile.gettempdir())
    removed = 0
    try:
        candidates = [p for p in folder.iterdir() if p.name.startswith(PREFIX)]
    except OSError:
        return 0
    for path in candidates:
        try:
            info = path.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
                continue  # not ours: another user's, or not a folder
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            if _lock(fd) and _same_folder(fd, str(path)):
                remove_tree(path)
                removed += 1
        finally:
            os.close(fd)
    return removed


def remove_tree(path: Path) -> None:
    """Deletes a folder tree, also one whose folders a zip made read-only; never follows a link."""

    def allow_and_retry(function: object, failed: str, error: object) -> None:
        # A folder without write or search permission: open it up, then delete what failed.
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(failed), 0o700)
            if os.path.isdir(failed) and not os.path.islink(failed):
                os.chmod(failed, 0o700)
                remove_tree(Path(failed))
            else:
                os.unlink(failed)

    if path.is_symlink() or not path.exists():
        return
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=allow_and_retry)
    else:
        shutil.rmtree(path, onerror=allow_and_retry)


def _lock(fd: int) -> bool | None:
    """True: locked; False: another process holds it; None: this file system cannot lock."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return None
    return True


def _same_folder(fd: int, path: str) -> bool:
    """True when `path` still names the folder open as `fd` (a cleaner may have replaced it)."""
    try:
        here, there = os.fstat(fd), os.lstat(path)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)
