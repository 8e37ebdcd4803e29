"""Binaries handed on as `go build -o DIR` links them, so that compression overlaps the links
that follow instead of waiting for the whole group.

Go links each binary in its work folder (GOTMPDIR) and then renames it into DIR
(cmd/go's Shell.moveOrCopyFile), so a name appearing in DIR is a complete file. Go copies
instead of renaming when DIR has the setgid bit, when the work folder's path starts with
GOCACHE's, or when the rename fails (another file system); watchable() refuses those cases
and the group's binaries are then packaged after `go build` returns, as before. The stat
of each binary handed on is kept, and the caller compares it once go build has ended
(unchanged()): a binary that differs is packaged again from its final bytes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from concurrent.futures import Future, wait
from pathlib import Path
from typing import Any, TypeVar

from gobuild.files import stat_key

T = TypeVar("T")
POLL_SECONDS = 0.05  # a link takes far longer: one scan of DIR per 50 ms costs nothing


def watchable(out: Path, workdir: str | None, gocache: str | None) -> bool:
    """True when Go renames finished binaries into `out` (so each appears whole)."""
    if not workdir:
        return False
    try:
        out_stat, work_stat = os.stat(out), os.stat(workdir)
    except OSError:
        return False
    if out_stat.st_mode & stat.S_ISGID or out_stat.st_dev != work_stat.st_dev:
        return False
    # Go compares the strings, not the folders: GOCACHE=/a/b makes /a/bc/... a cache path too.
    return not (gocache and os.path.join(workdir, "go-build").startswith(gocache))


def watch(running: Future[Any], out: Path, names: Mapping[str, T],
          hand_on: Callable[[T, Path], None]) -> dict[T, list[int]]:
    """Until `running` is done, calls hand_on(target, binary) once for each name of `names`
    that appears in `out`; returns the stat key each binary had when it was handed on."""
    seen: dict[T, list[int]] = {}
    while not running.done():
        try:
            with os.scandir(out) as entries:
                appeared = [(names[e.name], e.path) for e in entries
                            if e.name in names and e.is_file(follow_symlinks=False)]
        except OSError:  # not created yet
            appeared = []
        for target, path in appeared:
            if target in seen:
                continue
            key = stat_key(path)
            if key is None:
                continue
            seen[target] = key
            hand_on(target, Path(path))
        wait([running], timeout=POLL_SECONDS)
    return seen


def unchanged(binary: Path, key: list[int]) -> bool:
    """True when the binary still has the stat it had when it was handed on."""
    return stat_key(str(binary)) == key
