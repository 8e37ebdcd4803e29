"""Regressions the CLI-wide fuzz (test_cli_fuzz.py) found, each run as a user runs gobuild: an
output named at a device, FIFO or directory is refused and left as it was; a path too long for
the system and JSON nested too deep for the parser are one `error:` line, never a traceback."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.fixtures_build import gobuild

TOO_LONG = "x" * 300  # one component over NAME_MAX (255)
DEEP = "[" * 100_000 + "]" * 100_000


def one_error(proc: object, code: int) -> str:
    """The one error line of a finished run, after checking its exit code and that no traceback shows."""
    returncode, stderr = proc.returncode, proc.stderr  # type: ignore[attr-defined]
    assert returncode == code, stderr
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


@pytest.fixture
def specials(project: Path) -> dict[str, Path]:
    made = {"FIFO": project / "fifo", "directory": project / "a-dir"}
    os.mkfifo(made["FIFO"])
    made["directory"].mkdir()
    try:
        os.mknod(project / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
        made["character device"] = project / "null"
    except PermissionError:
        pass
    return made


def bounded(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m gobuild ARGV` with 4 GiB of address space and a minute: a run that reads a device
    without bound fails with MemoryError instead of taking the machine, and one that waits on a
    FIFO times out instead of hanging the suite."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    return subprocess.run([sys.executable, "-m", "gobuild", *argv], cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60, preexec_fn=limit)


def unchanged(path: Path) -> bool:
    return not stat.S_ISREG(os.lstat(path).st_mode)


def test_merge_and_init_never_replace_a_device_a_fifo_or_a_directory(project: Path, specials: dict[str, Path]) -> None:
    for kind, path in specials.items():
        merged = gobuild("merge", "-C", str(project), "-o", str(path), str(project / "dist/artifacts.json"))
        line = one_error(merged, 2)
        assert line.startswith(f"error: {path}: is "), line
        assert kind in line or kind == "directory", line
        init = gobuild("init", "-C", str(project), "-m", path.name, "--force")
        assert one_error(init, 2).startswith(f"error: {path}: is "), init.stderr
        assert unchanged(path), kind


@pytest.mark.parametrize("argv", [["diff", TOO_LONG, "dist"], ["check", TOO_LONG], ["init", "-C", TOO_LONG],
                                  ["verify", TOO_LONG], ["build", "-m", TOO_LONG]])
def test_a_path_too_long_for_the_system_is_bad_input(project: Path, argv: list[str]) -> None:
    assert "File name too long" in one_error(gobuild(*argv, cwd=project), 2)


@pytest.mark.parametrize(("argv", "code", "expected"), [
    (["merge", "deep.json"], 1, "error: deep.json: unreadable (nested too deep to read)"),
    (["diff", "deep.json", "dist"], 2, "error: deep.json: not valid JSON (nested too deep to read)"),
    (["invoke", "orders", "--arch", "amd64", "-e", "deep.json"], 2, "error: --event deep.json: JSON nested too deep"),
])
def test_json_nested_too_deep_is_one_error(project: Path, argv: list[str], code: int, expected: str) -> None:
    (project / "deep.json").write_text(DEEP)
    assert one_error(gobuild(*argv, cwd=project), code).startswith(expected)


def test_check_refusing_a_deep_file_does_not_speak_of_migrate_alone(project: Path) -> None:
    (project / "deep.json").write_text(DEEP)
    proc = gobuild("check", "deep.json", cwd=project)
    assert one_error(proc, 2).startswith("error: deep.json:1: YAML nested more than 100 levels deep")
    assert "hint: gobuild refuses such files before parsing them (migrate and check alike)" in proc.stderr


@pytest.mark.parametrize("name", ["fifo.zip", "zero.zip", "fifo.json", "zero.json"])
def test_diff_refuses_a_fifo_or_a_device_unread(project: Path, name: str) -> None:
    # Found by the CLI-wide fuzz: `diff /dev/zero x.zip` read until the kernel killed it (23 GB).
    path = project / name
    if name.startswith("fifo"):
        os.mkfifo(path)
    else:
        try:
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 5))  # what /dev/zero is
        except PermissionError:
            pytest.skip("mknod needs root")
    for argv in (["diff", name, "dist/orders-arm64.zip"], ["diff", "dist/orders-arm64.zip", name]):
        if name.endswith(".json") and argv[1] != name:
            argv = ["diff", "dist", name]
        assert one_error(bounded(*argv, cwd=project), 2) == f"error: {name}: is not a regular file"


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_merge_and_invoke_refuse_a_fifo_or_a_device_unread(project: Path, kind: str) -> None:
    # Found by the CLI-wide fuzz: `merge /dev/zero` read without bound, `merge FIFO` hung, and
    # invoke called an existing device "no such zip" / "no such file".
    for name in ("shard.json", "thing.zip", "event.json"):
        if kind == "fifo":
            os.mkfifo(project / name)
        else:
            try:
                os.mknod(project / name, 0o666 | stat.S_IFCHR, os.makedev(1, 5))
            except PermissionError:
                pytest.skip("mknod needs root")
    words = "a FIFO (named pipe)" if kind == "fifo" else "a character device"
    assert one_error(bounded("merge", "shard.json", cwd=project), 2) == "error: shard.json: is not a regular file"
    assert one_error(bounded("invoke", "thing.zip", cwd=project), 2) == f"error: thing.zip: is {words}, not a file"
    assert one_error(bounded("invoke", "orders", "--arch", "amd64", "-e", "event.json", cwd=project), 2) == (
        f"error: --event event.json: is {words}, not a file")


def test_init_onto_a_symlink_loop_is_bad_input(project: Path) -> None:
    os.symlink("loop", project / "loop")
    proc = gobuild("init", "-C", str(project), "-m", "loop", "--force")
    assert one_error(proc, 2).startswith("error: ")
    assert "hint: a symbolic link on the path points back at itself" in proc.stderr
    assert os.readlink(project / "loop") == "loop"
