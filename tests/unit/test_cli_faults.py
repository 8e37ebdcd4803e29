"""Regressions from the CLI-wide fuzz (tests/integration/test_cli_fuzz.py), at the level they were
fixed: the atomic writer never replaces what is not a regular file, JSON nested too deep is bad
JSON, and an OSError no stage handled is one line naming the path, never a traceback."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from gobuild.cli.app import os_error
from gobuild.errors import EXIT_BAD_INPUT, EXIT_FAILED
from gobuild.files import NestingError, check_replaceable, parse_json, write_atomic


def special_files(folder: Path) -> dict[str, Path]:
    """A FIFO, a directory and (where mknod is allowed) a character device like /dev/null."""
    made = {"FIFO": folder / "fifo", "directory": folder / "dir"}
    os.mkfifo(made["FIFO"])
    made["directory"].mkdir()
    try:
        os.mknod(folder / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        made["character device"] = folder / "null"
    except PermissionError:
        pass  # not root: the FIFO stands for every special file
    return made


def test_the_atomic_writer_never_replaces_a_device_a_fifo_or_a_directory(tmp_path: Path) -> None:
    for kind, path in special_files(tmp_path).items():
        before = os.lstat(path)
        with pytest.raises(OSError) as caught:
            write_atomic(path, b"data")
        assert kind in caught.value.strerror or (kind == "directory" and caught.value.errno == errno.EISDIR)
        after = os.lstat(path)
        assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["fifo", "dir", "null"][: len(os.listdir(tmp_path))])


def test_a_regular_file_or_a_symbolic_link_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("old")
    os.symlink("file", tmp_path / "link")
    check_replaceable(tmp_path / "missing")
    write_atomic(tmp_path / "file", b"new")
    write_atomic(tmp_path / "link", b"own")
    assert (tmp_path / "file").read_text() == "new"
    assert not (tmp_path / "link").is_symlink() and (tmp_path / "link").read_text() == "own"


def test_json_nested_too_deep_is_a_value_error_not_a_recursion_error() -> None:
    with pytest.raises(NestingError, match="nested too deep"):
        parse_json("[" * 100_000 + "]" * 100_000)
    assert isinstance(NestingError("x"), ValueError)
    assert parse_json(b'{"a": [1]}') == {"a": [1]}


@pytest.mark.parametrize(("error", "code", "line", "hint"), [
    (OSError(errno.ENAMETOOLONG, "File name too long", "x" * 300), EXIT_BAD_INPUT,
     "x" * 80 + "…" + "x" * 30 + " (300 characters): File name too long", "a file name holds at most 255 bytes"),
    (OSError(errno.ELOOP, "Too many levels of symbolic links", "loop"), EXIT_BAD_INPUT,
     "loop: Too many levels of symbolic links", "points back at itself"),
    (OSError(errno.ENOSPC, "No space left on device", "dist/a.zip"), EXIT_FAILED,
     "dist/a.zip: No space left on device", None),
    (OSError(errno.EISDIR, "Is a directory", ".a.tmp", None, "dir"), EXIT_BAD_INPUT, ".a.tmp -> dir: Is a directory",
     "name a file"),
])
def test_an_unhandled_os_error_is_one_line_naming_the_path(error: OSError, code: int, line: str,
                                                           hint: str | None) -> None:
    wrapped = os_error(error)
    assert (wrapped.exit_code, wrapped.message) == (code, line)
    assert (hint is None and wrapped.hint is None) or hint in (wrapped.hint or "")


def test_an_interpreter_path_with_a_newline_stays_on_one_line() -> None:
    # Found by test_verify_fuzz: one flipped byte turned the loader's "/" into a newline in GB208.
    from gobuild.check.verify import verify_bytes
    from testdata.make_broken_zips import EM_AARCH64, minimal_elf, raw_entry, raw_zip

    elf = minimal_elf(machine=EM_AARCH64, interpreter="\nlib/ld-linux-aarch64.so.1\x1b[2J")
    report = verify_bytes(raw_zip([raw_entry("bootstrap", elf)]))
    (summary,) = [f for f in report.findings if f.code == "GB208"]
    assert summary.message.endswith("dynamically linked (\\nlib/ld-linux-aarch64.so.1\\x1b[2J)")
    assert all("\n" not in f.message and "\x1b" not in f.message for f in report.findings)


@pytest.mark.parametrize("url", ["http://", "http://user:secret@", "https://"])
def test_an_endpoint_url_without_a_host_is_bad_input(url: str, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    # Found by the CLI-wide fuzz: `check --endpoint-url http://` ended in botocore's ValueError.
    from gobuild.errors import UsageError
    from gobuild.s3 import Bucket

    for name, value in {"AWS_ACCESS_KEY_ID": "AKIDFUZZ", "AWS_SECRET_ACCESS_KEY": "fuzz", "AWS_REGION": "us-east-1",
                        "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                        "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with pytest.raises(UsageError) as caught:
        Bucket("lambda-artifacts", endpoint_url=url)
    assert caught.value.message.startswith("endpoint URL '") and "is not a valid URL" in caught.value.message
    assert "secret" not in caught.value.message


def test_a_symlink_loop_that_resolve_meets_is_one_usage_error(tmp_path: Path) -> None:
    # Found by the CLI-wide fuzz: `init -m LOOP` ended in Path.resolve()'s RuntimeError (Python < 3.13).
    import typer

    from gobuild.cli.app import run

    os.symlink("loop", tmp_path / "loop")
    with pytest.raises(typer.Exit) as caught:
        run(lambda: (tmp_path / "loop").resolve())
    assert caught.value.exit_code == EXIT_BAD_INPUT
    with pytest.raises(RuntimeError):  # any other RuntimeError is a bug, and shows as one
        run(lambda: (_ for _ in ()).throw(RuntimeError("something else")))


def test_an_error_quoting_a_name_with_a_newline_is_still_one_line() -> None:
    # Found by the CLI-wide fuzz: `verify $'0\n'` printed "error: 0" and ": no such file" apart.
    from typer.testing import CliRunner

    from gobuild.cli import load_commands
    from gobuild.cli.app import app, one_line

    assert one_line("a\nb\x1b[2J\tc ☃") == "a\\nb\\x1b[2J\\tc ☃"
    load_commands(["verify"])
    result = CliRunner().invoke(app, ["verify", "0\n\x1b[2J.zip"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert result.stderr == "error: 0\\n\\x1b[2J.zip: no such file\n"
