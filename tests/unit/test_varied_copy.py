"""The rebuild's scratch copy (gobuild.build.varied): what it copies, leaves out and varies.
File operations only: the rebuild itself is in tests/integration/test_reproducible.py."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from gobuild.build import varied
from gobuild.diff.goinfo import compare_recorded
from gobuild.diff.model import Difference, ordered
from gobuild.errors import EXIT_BAD_INPUT, UsageError


def tree(root: Path) -> Path:
    (root / "cmd" / "a").mkdir(parents=True)
    for name in ("go.mod", "go.sum", "zeta.go", "alpha.go", "mid.go"):
        (root / name).write_text(f"// {name}\n")
    (root / "cmd" / "a" / "main.go").write_text("package main\n")
    (root / "tool.sh").write_text("#!/bin/sh\n")
    (root / "tool.sh").chmod(0o755)
    (root / "link.go").symlink_to("alpha.go")
    (root / "dist").mkdir()
    (root / "dist" / "a-arm64.zip").write_bytes(b"PK")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return root


def test_the_copy_has_the_sources_with_new_mtimes_and_the_umask_applied(tmp_path: Path) -> None:
    original = tree(tmp_path / "shop")
    dest_parent = tmp_path / "scratch"
    dest_parent.mkdir()
    previous = os.umask(0o077)
    try:
        copy = varied.make_copy(original, dest_parent / "shop-rebuilt", lambda p: p == original / "dist")
    finally:
        os.umask(previous)
    root = copy.root
    assert sorted(os.listdir(root)) == sorted([".git", "alpha.go", "cmd", "go.mod", "go.sum", "link.go", "mid.go",
                                               "tool.sh", "zeta.go"])
    assert (root / "cmd" / "a" / "main.go").read_text() == "package main\n"
    assert os.readlink(root / "link.go") == "alpha.go"
    # The repository is the same one, not a copy of it.
    assert (root / ".git").is_symlink() and (root / ".git").resolve() == (original / ".git").resolve()
    for path in (root / "go.mod", root / "cmd", root / "cmd" / "a" / "main.go"):
        assert os.lstat(path).st_mtime == varied.VARIED_MTIME
    assert stat.S_IMODE(os.stat(root / "go.mod").st_mode) == 0o600  # 0644 under umask 077
    assert stat.S_IMODE(os.stat(root / "tool.sh").st_mode) == 0o700  # still executable
    assert stat.S_IMODE(os.stat(root / "cmd").st_mode) == 0o700


def test_listing_order_is_reversed_where_the_file_system_follows_creation(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        pytest.skip("no writable /dev/shm (tmpfs) on this machine")
    scratch = Path(tempfile.mkdtemp(dir=shm))
    try:
        assert varied.listing_order(scratch) in (varied.CREATION, varied.REVERSE)
        original = tree(scratch / "shop")
        copy = varied.make_copy(original, scratch / "copy", lambda p: False)
        assert copy.reordered == copy.folders > 0
        assert os.listdir(copy.root) == os.listdir(original)[::-1]
    finally:
        shutil.rmtree(scratch)


def test_the_copy_says_when_listings_could_not_be_reordered(tmp_path: Path) -> None:
    original = tree(tmp_path / "shop")
    copy = varied.make_copy(original, tmp_path / "copy", lambda p: False)
    if copy.listing == varied.OWN:  # ext4 and friends: names are listed in hash order
        assert copy.reordered == 0
    else:
        assert copy.reordered == copy.folders


def test_the_copy_root_holds_everything_and_is_never_the_home_folder(tmp_path: Path) -> None:
    assert varied.copy_root([tmp_path / "a" / "m", tmp_path / "a" / "lib", tmp_path / "a"]) == tmp_path / "a"
    with pytest.raises(UsageError) as caught:
        varied.copy_root([Path.home() / "x", Path.home() / "y"])
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert "keep module_dir, include files and local replace targets under one folder" in str(caught.value.hint)
    with pytest.raises(UsageError):
        varied.copy_root([Path("/src/a"), Path("/opt/b")])


def test_git_top_finds_a_folder_or_a_worktree_file(tmp_path: Path) -> None:
    (tmp_path / "repo" / "sub").mkdir(parents=True)
    assert varied.git_top(tmp_path / "repo" / "sub") != tmp_path / "repo"
    (tmp_path / "repo" / ".git").write_text("gitdir: /elsewhere\n")
    assert varied.git_top(tmp_path / "repo" / "sub") == tmp_path / "repo"


def test_a_changed_stamp_is_explained_before_the_values_it_stamped() -> None:
    old = {"ldflags": "-s -w -X main.built=a", "stamps": {"env:BUILT_AT": "a", "go_version": "go1.26.8"}}
    new = {"ldflags": "-s -w -X main.built=b", "stamps": {"env:BUILT_AT": "b", "go_version": "go1.26.8"}}
    found = ordered(compare_recorded(old, new))
    assert [d.message for d in found] == [
        "{env:BUILT_AT} changed (a → b), which ldflags stamp",
        "-X main.built changed (a → b)",
    ]
    assert isinstance(found[0], Difference) and found[0].kind == "stamp"
