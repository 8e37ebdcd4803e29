"""Which file names a Lambda zip can hold and still unpack: the rules the manifest applies to
`include` targets, in one place for any stage that writes or checks entry names.

Lambda unpacks a zip into /var/task on Linux, so an entry must be a relative path whose every
component fits NAME_MAX (255 bytes) and whose full path fits PATH_MAX (4096 bytes with the
task root and the terminating NUL). The zip format's own limit (a 16-bit name length, 64 KiB)
is far above that. Two entries also conflict when one would be a folder of the other (`a`
and `a/b`: unzip cannot make `a` both), or when an entry would be a folder named `bootstrap`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

TASK_ROOT = "/var/task"
NAME_MAX = 255  # bytes in one path component (ext4, tmpfs)
PATH_MAX = 4096  # bytes in a whole path, terminating NUL included
MAX_ENTRY_BYTES = PATH_MAX - len(TASK_ROOT) - 2  # "/var/task/" + name + NUL
BOOTSTRAP = "bootstrap"
SAME_ENTRY = "are the same entry"


def normalise(name: str) -> str:
    """The entry name as unzip will create it: `./a//b` → `a/b`."""
    return posixpath.normpath(name) if name else name


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a file in a Lambda zip (None when it can)."""
    if not name or name.endswith("/"):
        return "is not a file name"
    if "\0" in name:
        return "contains a NUL character"
    if "\\" in name:
        return "contains a backslash (zip names use /)"
    if name.startswith("/"):
        return "is absolute"
    normal = normalise(name)
    if normal in (".", "") or normal == ".." or normal.startswith("../"):
        return "leaves the zip's root"
    size = len(normal.encode("utf-8"))
    if size > MAX_ENTRY_BYTES:
        return f"is {size} bytes long; Lambda unpacks at most {MAX_ENTRY_BYTES} under {TASK_ROOT}"
    longest = max(normal.split("/"), key=lambda part: len(part.encode("utf-8")))
    if len(longest.encode("utf-8")) > NAME_MAX:
        return f"has a component of {len(longest.encode('utf-8'))} bytes; a file name holds at most {NAME_MAX}"
    if normal == BOOTSTRAP:
        return "is the function binary"
    if normal.startswith(BOOTSTRAP + "/"):
        return "would make the function binary (bootstrap) a folder"
    return None


def conflicts(names: Sequence[str]) -> list[tuple[str, str, str]]:
    """Pairs of names (as given) that cannot both be in one zip, and why: the same entry after
    normalising, or one a folder of the other. Names are compared case-sensitively, as Linux does."""
    found: list[tuple[str, str, str]] = []
    seen: dict[str, str] = {}
    for name in names:
        normal = normalise(name)
        if normal in seen:
            found.append((seen[normal], name, SAME_ENTRY))
        else:
            seen[normal] = name
    folders: set[str] = set()
    for normal in seen:
        parent = posixpath.dirname(normal)
        while parent:  # every ancestor: `a` conflicts with `a/b/c` too
            folders.add(parent)
            parent = posixpath.dirname(parent)
    for normal, name in seen.items():
        if normal in folders:
            child = next(n for n in seen if n.startswith(normal + "/"))
            found.append((name, seen[child], "would be a file and a folder at once"))
    return found
