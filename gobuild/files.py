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


def write_atomic(dest: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Writes through a temporary file in the same folder, then renames it over dest, so a
    reader sees the old bytes or the new ones, never a part. Nothing is left behind on failure."""
    import tempfile

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=temp_name(dest), suffix=TEMP_SUFFIX)
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
