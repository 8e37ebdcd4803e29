"""One build's scratch folder, and the removal of what killed builds left behind.

The scratch folder lives in out_dir (`.gobuild-scratch-XXXXXXXX/`) and holds the binaries
`go build` writes and go's own work folders (GOTMPDIR), so that removing it removes
everything a build made besides its outputs. Its lock file (`.gobuild-scratch-XXXXXXXX.lock`)
is created and locked before the folder and removed after it, and stays locked while the
build runs: a later build that can take the lock knows the owner is gone (killed with
SIGKILL, or the machine stopped) and removes both. write_atomic's temporary files are
locked the same way (gobuild.files.remove_dead_temps).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from gobuild.errors import BuildError
from gobuild.files import remove_dead_temps

PREFIX = ".gobuild-scratch-"
LOCK_SUFFIX = ".lock"


class Scratch:
    """A locked scratch folder in out_dir for one build; removed on exit, whatever the exit."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.path = out_dir
        self._lock_fd = -1
        self._lock_path = ""

    def __enter__(self) -> Path:
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            while True:
                fd, lock = tempfile.mkstemp(dir=self.out_dir, prefix=PREFIX, suffix=LOCK_SUFFIX)
                _lock(fd, wait=True)
                if os.fstat(fd).st_nlink > 0:
                    break
                os.close(fd)  # a cleaner took it for a dead build's: take another
            self._lock_fd, self._lock_path = fd, lock
            self.path = Path(lock[: -len(LOCK_SUFFIX)])
            self.path.mkdir()
        except OSError as error:
            self.__exit__(None, None, None)
            raise BuildError(f"cannot write to out_dir {self.out_dir}: {error.strerror or error}",
                             hint="make out_dir a writable folder (or free space on its disk)") from None
        return self.path

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self.path != self.out_dir:
            shutil.rmtree(self.path, ignore_errors=True)
        if self._lock_fd >= 0:
            try:
                os.unlink(self._lock_path)
            except OSError:
                pass
            os.close(self._lock_fd)
            self._lock_fd = -1


def remove_leftovers(out_dir: Path) -> list[str]:
    """Removes the scratch folders and temporary files of builds that are gone; their names."""
    removed = remove_dead_temps(str(out_dir)) + remove_dead_temps(str(out_dir / ".gobuild"))
    try:
        locks = [e for e in os.scandir(out_dir) if e.name.startswith(PREFIX) and e.name.endswith(LOCK_SUFFIX)]
    except OSError:
        return removed
    for entry in locks:
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        if not _lock(fd, wait=False):
            os.close(fd)
            continue  # a running build's
        try:
            folder = entry.path[: -len(LOCK_SUFFIX)]
            if os.path.isdir(folder) and not os.path.islink(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(os.path.basename(folder))
            os.unlink(entry.path)  # under the lock, after the folder: see Scratch.__enter__
            removed.append(entry.name)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def _lock(fd: int, *, wait: bool) -> bool:
    """Takes the lock on fd; False when another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: every scratch folder counts as in use
        return wait
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError:
        return False
    return True
