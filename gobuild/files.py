"""Small file-system helpers every stage shares: the one atomic writer, stat keys, hashing,
and finding the go binary. Standard library only and cheap to import: the no-op fast path
uses it before anything else is loaded.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any

# A file changed this close to a build's start may change again within one mtime tick, so its
# stat cannot stand in for its content.
RACY_SECONDS = 2.0
TEMP_SUFFIX = ".tmp"


def stat_key(path: str) -> list[int] | None:
    """What stands in for a file's content: size, mtime and inode (None when it is missing)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def temp_name(dest: Path) -> str:
    """The prefix of the temporary files write_atomic makes next to dest."""
    return f".{dest.name}."


def check_replaceable(dest: Path) -> None:
    """Raises OSError when dest exists and is neither a regular file nor a symbolic link: a
    rename would replace a device or a FIFO (as root, /dev/null itself), or fail on a folder."""
    import errno
    import stat

    try:
        mode = os.lstat(dest).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file", str(dest))
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise OSError(errno.EEXIST, f"is {describe_mode(mode)}, not a regular file: gobuild replaces only files",
                      str(dest))


def not_a_file(path: Path) -> str:
    """'is a FIFO (named pipe), not a file' when path exists and is not a regular file (symbolic
    links followed); '' when it is one or does not exist. Nothing is opened."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return ""
    return "" if stat.S_ISREG(mode) else f"is {describe_mode(mode)}, not a file"


def describe_mode(mode: int) -> str:
    """'a directory', 'a FIFO (named pipe)', ...: what a non-regular file is, for messages."""
    import stat

    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def write_atomic(dest: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Writes through a temporary file in the same folder, then renames it over dest, so a
    reader sees the old bytes or the new ones, never a part. Nothing is left behind on failure;
    the temporary file is locked while it is written, so that remove_dead_temps() can tell one
    a killed process left from one being written. A dest that is a folder, device or FIFO is
    refused (check_replaceable)."""
    check_replaceable(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _locked_temp(dest)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _locked_temp(dest: Path) -> tuple[int, str]:
    import tempfile

    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no flock, and no cleaner either
        return tempfile.mkstemp(dir=dest.parent, prefix=temp_name(dest), suffix=TEMP_SUFFIX)
    while True:
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=temp_name(dest), suffix=TEMP_SUFFIX)
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_nlink > 0:
            return fd, tmp
        os.close(fd)  # a cleaner took it for a dead one's between mkstemp and flock: take another


def remove_dead_temps(folder: str) -> list[str]:
    """Removes the temporary files of write_atomic in `folder` whose writer is gone (a killed
    process): those nobody holds the lock of. Returns their names."""
    import stat

    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: a temporary file's owner cannot be told
        return []
    removed: list[str] = []
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(".") and e.name.endswith(TEMP_SUFFIX)]
    except OSError:
        return removed
    for entry in entries:
        try:
            if not stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
                continue
            fd = os.open(entry.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.unlink(entry.path)  # still under the lock: a writer that wakes up sees nlink 0
            removed.append(entry.name)
        except OSError:
            pass  # locked by a live writer, or already gone
        finally:
            os.close(fd)
    return removed


class NotReadable(ValueError):
    """A file that gobuild refuses to read: not a regular file, or too large."""


def read_small_file(path: str, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. A FIFO, a device such as /dev/zero
    or a folder is refused before anything is read (NotReadable), as is a larger file; OSError
    as usual for a missing or unreadable one."""
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # O_NONBLOCK: opening a FIFO must not wait
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotReadable("is not a regular file")
        if st.st_size > limit:
            raise NotReadable(f"is {st.st_size} bytes; the limit is {limit}")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise NotReadable(f"grew past the limit of {limit} bytes while read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_go(environ: Mapping[str, str]) -> str | None:
    """The go binary gobuild runs: $GOBUILD_GO, else the first `go` on PATH."""
    chosen = environ.get("GOBUILD_GO")
    if chosen:
        return chosen
    names = ("go.exe", "go") if sys.platform == "win32" else ("go",)
    for folder in environ.get("PATH", os.defpath).split(os.pathsep):
        for name in names:
            path = os.path.join(folder, name)
            if folder and os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    return None


class NestingError(ValueError):
    """JSON nested deeper than Python's parser can follow."""


def parse_json(data: str | bytes) -> Any:
    """json.loads, except that nesting too deep for the parser (a RecursionError) is a ValueError,
    NestingError, like any other JSON it cannot read."""
    import json

    try:
        return json.loads(data)
    except RecursionError:
        raise NestingError("nested too deep to read") from None
