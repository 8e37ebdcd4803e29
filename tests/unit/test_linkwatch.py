"""gobuild.build.linkwatch: binaries are handed on as they appear in go build's output folder."""

from __future__ import annotations

import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gobuild.build.linkwatch import unchanged, watch, watchable


def _link(work: Path, out: Path, name: str, data: bytes) -> None:
    """What Go does for each binary: write it in the work folder, then rename it into out."""
    (work / name).write_bytes(data)
    os.replace(work / name, out / name)


def test_watchable_when_go_renames_into_the_folder(tmp_path: Path) -> None:
    out, work = tmp_path / "g0", tmp_path / "gotmp"
    out.mkdir()
    work.mkdir()
    assert watchable(out, str(work), str(tmp_path / "cache" / "go-build"))


def test_not_watchable_when_go_would_copy(tmp_path: Path) -> None:
    out, work = tmp_path / "g0", tmp_path / "gotmp"
    work.mkdir()
    assert not watchable(out, str(work), None)  # no folder yet
    out.mkdir()
    assert not watchable(out, None, None)
    # Go tests the string prefix: GOCACHE=.../go makes .../gotmp/go-build... a cache path.
    assert not watchable(out, str(work), str(tmp_path / "go"))
    os.chmod(out, os.stat(out).st_mode | stat.S_ISGID)
    if os.stat(out).st_mode & stat.S_ISGID:  # some file systems refuse the bit
        assert not watchable(out, str(work), None)


def test_each_binary_is_handed_on_once_as_it_appears(tmp_path: Path) -> None:
    out, work = tmp_path / "g0", tmp_path / "gotmp"
    out.mkdir()
    work.mkdir()
    names = {"orders": "orders-target", "billing": "billing-target", "t0": "t0-target"}
    release = threading.Event()
    handed: list[tuple[str, Path]] = []

    def go_build() -> None:
        _link(work, out, "orders", b"\x7fELF orders")
        release.wait(5)
        (out / "t0").mkdir()  # a retry folder that has a binary's name: not a binary
        (out / "orders-go-tmp-umask").write_bytes(b"")  # Go's umask probe
        _link(work, out, "billing", b"\x7fELF billing")

    def hand_on(target: str, binary: Path) -> None:
        handed.append((target, binary))
        release.set()

    with ThreadPoolExecutor(max_workers=1) as side:
        running = side.submit(go_build)
        stats = watch(running, out, names, hand_on)
    handed_targets = [t for t, _ in handed]
    assert handed_targets[0] == "orders-target"
    assert sorted(handed_targets) == sorted(set(handed_targets))  # never twice
    assert set(handed_targets) <= {"orders-target", "billing-target"}
    assert handed[0][1] == out / "orders"
    assert all(unchanged(out / binary.name, stats[target]) for target, binary in handed)


def test_a_binary_rewritten_after_it_was_handed_on_is_not_unchanged(tmp_path: Path) -> None:
    out, work = tmp_path / "g0", tmp_path / "gotmp"
    out.mkdir()
    work.mkdir()
    first = threading.Event()

    def go_build() -> None:
        _link(work, out, "orders", b"\x7fELF part")
        first.wait(5)
        _link(work, out, "orders", b"\x7fELF the whole binary")

    with ThreadPoolExecutor(max_workers=1) as side:
        running = side.submit(go_build)
        stats = watch(running, out, {"orders": "orders"}, lambda target, binary: first.set())
    assert not unchanged(out / "orders", stats["orders"])
