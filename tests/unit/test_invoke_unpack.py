"""Unpacking a deployment zip into the task root: modes kept, nothing written outside it."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from gobuild.build.package import ZipEntry, write_zip
from gobuild.errors import InvokeError
from gobuild.invoke.taskroot import bootstrap_arch, entrypoint_problem, unpack_zip


def raw_zip(path: Path, entries: list[tuple[str, bytes, int | None]]) -> Path:
    """A zip written by zipfile, with each entry's Unix mode (None: no Unix attributes at all)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            if mode is None:
                info.create_system = 0  # as a Windows tool writes it
                info.external_attr = 0
            else:
                info.create_system = 3
                info.external_attr = mode << 16
            archive.writestr(info, data)
    return path


def link(name: str, target: str) -> tuple[str, bytes, int]:
    return (name, target.encode(), stat.S_IFLNK | 0o777)


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    (tmp_path / "task").mkdir()
    return tmp_path / "task"


def test_files_keep_their_modes_and_folders_are_created(tmp_path: Path, root: Path) -> None:
    archive = tmp_path / "f.zip"
    write_zip(archive, [
        ZipEntry(name="bootstrap", data=b"\x7fELF", mode=0o755),
        ZipEntry(name="config/app.json", data=b"{}", mode=0o644),
    ])
    unpack_zip(archive, root)
    assert stat.S_IMODE((root / "bootstrap").stat().st_mode) == 0o755
    assert stat.S_IMODE((root / "config" / "app.json").stat().st_mode) == 0o644
    assert (root / "config" / "app.json").read_bytes() == b"{}"


def test_entries_without_unix_modes_are_not_executable(tmp_path: Path, root: Path) -> None:
    # Lambda reports "permission denied" for a bootstrap zipped on Windows; so must we.
    unpack_zip(raw_zip(tmp_path / "w.zip", [("bootstrap", b"#!/bin/sh\n", None)]), root)
    assert stat.S_IMODE((root / "bootstrap").stat().st_mode) == 0o644
    assert entrypoint_problem(root / "bootstrap") == "permission denied"


def test_dot_segments_are_harmless(tmp_path: Path, root: Path) -> None:
    unpack_zip(raw_zip(tmp_path / "d.zip", [("./a/./b.txt", b"x", 0o644), ("dir/", b"", stat.S_IFDIR | 0o755)]), root)
    assert (root / "a" / "b.txt").read_bytes() == b"x"
    assert (root / "dir").is_dir()


@pytest.mark.parametrize("name", ["../evil", "a/../../evil", "/etc/evil", "a/../.."])
def test_names_that_leave_the_root_are_refused(tmp_path: Path, root: Path, name: str) -> None:
    with pytest.raises(InvokeError, match="points outside the archive root"):
        unpack_zip(raw_zip(tmp_path / "e.zip", [(name, b"x", 0o644)]), root)
    assert not (tmp_path / "evil").exists()


def test_links_inside_the_root_are_made_after_the_files(tmp_path: Path, root: Path) -> None:
    unpack_zip(raw_zip(tmp_path / "l.zip", [
        link("bootstrap", "bin/app"),
        ("bin/app", b"#!/bin/sh\n", 0o755),
    ]), root)
    assert os.readlink(root / "bootstrap") == "bin/app"
    assert entrypoint_problem(root / "bootstrap") is None


@pytest.mark.parametrize("target", ["/etc/passwd", "../outside", "a/../../outside"])
def test_links_out_of_the_root_are_refused(tmp_path: Path, root: Path, target: str) -> None:
    with pytest.raises(InvokeError, match=r"bootstrap is a symlink to .*, which is not a file in the archive"):
        unpack_zip(raw_zip(tmp_path / "o.zip", [link("bootstrap", target)]), root)
    with pytest.raises(InvokeError, match=r"data is a symlink to .*, outside the archive"):
        unpack_zip(raw_zip(tmp_path / "d.zip", [link("data", target)]), root)
    assert list(root.iterdir()) == []


def test_links_that_escape_together_are_refused(tmp_path: Path, root: Path) -> None:
    # Each looks inside on its own; "b" is the root, so "b/.." is its parent.
    with pytest.raises(InvokeError, match=r"a is a symlink to b/\.\., outside the archive"):
        unpack_zip(raw_zip(tmp_path / "c.zip", [link("b", "."), link("a", "b/..")]), root)


def test_nothing_is_written_through_a_link(tmp_path: Path, root: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    # "d" would be a link to a folder inside; "d/x" must not be created through it.
    with pytest.raises(InvokeError, match="d/x lies under the symlink d"):
        unpack_zip(raw_zip(tmp_path / "t.zip", [link("d", "sub"), link("d/x", "y"), ("sub/f", b"", 0o644)]), root)
    assert not (root / "sub" / "x").exists()


def test_duplicate_entries_are_refused(tmp_path: Path, root: Path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = raw_zip(tmp_path / "dup.zip", [("bootstrap", b"1", 0o755), ("bootstrap", b"2", 0o755)])
    with pytest.raises(InvokeError, match="entry bootstrap appears 2 times"):
        unpack_zip(path, root)


def test_a_file_where_a_folder_must_go_is_an_error(tmp_path: Path, root: Path) -> None:
    with pytest.raises(InvokeError, match="a is a file, and also a folder of a/b"):
        unpack_zip(raw_zip(tmp_path / "fd.zip", [("a", b"", 0o644), ("a/b", b"", 0o644)]), root)


def test_unzipped_size_over_the_limit_is_refused(tmp_path: Path, root: Path) -> None:
    path = raw_zip(tmp_path / "big.zip", [("a", b"x" * 100, 0o644), ("b", b"y" * 100, 0o644)])
    with pytest.raises(InvokeError, match="unzipped size 200 bytes is over Lambda's limit of 150 bytes"):
        unpack_zip(path, root, max_bytes=150)
    unpack_zip(path, root, max_bytes=200)


def test_an_unsupported_compression_method_is_named(tmp_path: Path, root: Path) -> None:
    data = bytearray(raw_zip(tmp_path / "m.zip", [("bootstrap", b"abc", 0o755)]).read_bytes())
    # Mark the entry Deflate64 (method 9) in the local and the central header.
    data[8:10] = (9).to_bytes(2, "little")
    central = data.index(b"PK\x01\x02")
    data[central + 10 : central + 12] = (9).to_bytes(2, "little")
    (tmp_path / "m.zip").write_bytes(bytes(data))
    with pytest.raises(InvokeError, match=r"entry bootstrap is compressed with Deflate64 \(method 9\); Lambda only"):
        unpack_zip(tmp_path / "m.zip", root)


def test_compression_lambda_does_not_read_is_refused_even_when_python_can(tmp_path: Path, root: Path) -> None:
    path = tmp_path / "bz.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_BZIP2) as archive:
        archive.writestr("bootstrap", b"x" * 100)
    with pytest.raises(InvokeError, match="compressed with bzip2"):
        unpack_zip(path, root)


def test_not_a_zip(tmp_path: Path, root: Path) -> None:
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(InvokeError, match="not a readable zip"):
        unpack_zip(tmp_path / "x.zip", root)


def test_entrypoint_problems_are_worded_as_exec_words_them(root: Path) -> None:
    assert entrypoint_problem(root / "bootstrap") == "no such file or directory"
    (root / "bootstrap").mkdir()
    assert entrypoint_problem(root / "bootstrap") == "permission denied"


@pytest.mark.parametrize(
    ("content", "mode", "problem"),
    [
        (b"\x7fELF....", 0o755, None),
        (b"\x7fELF....", 0o711, None),  # a binary needs no read bit to be executed
        (b"\x7fELF....", 0o700, "permission denied"),  # Lambda's user is not the owner
        (b"\x7fELF....", 0o744, "permission denied"),
        (b"#!/bin/sh\n", 0o755, None),
        (b"#!/bin/sh\n", 0o711, "permission denied"),  # the shell must read the script
    ],
)
def test_entrypoint_permissions_are_judged_as_lambdas_user_sees_them(
    root: Path, content: bytes, mode: int, problem: str | None
) -> None:
    (root / "bootstrap").write_bytes(content)
    (root / "bootstrap").chmod(mode)
    assert entrypoint_problem(root / "bootstrap") == problem


def elf_header(machine: int) -> bytes:
    """A minimal 64-bit little-endian ELF header with no program or section headers."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    rest = (2).to_bytes(2, "little") + machine.to_bytes(2, "little") + (1).to_bytes(4, "little")
    rest += bytes(8 * 3) + bytes(4) + (64).to_bytes(2, "little") + bytes(2 * 5)
    return ident + rest


def test_bootstrap_arch_reads_the_elf_machine(root: Path) -> None:
    (root / "amd").write_bytes(elf_header(62))
    (root / "arm").write_bytes(elf_header(183))
    (root / "odd").write_bytes(elf_header(0x1234))
    (root / "script").write_bytes(b"#!/bin/sh\necho hi\n")
    assert bootstrap_arch(root / "amd") == "amd64"
    assert bootstrap_arch(root / "arm") == "arm64"
    assert bootstrap_arch(root / "odd") == "unknown"
    assert bootstrap_arch(root / "script") is None
    assert bootstrap_arch(root / "missing") is None

