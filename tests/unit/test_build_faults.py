"""Faults a build must survive with one clear line and nothing left behind, checked without
running Go: a full disk while a zip or artifacts.json is written, temporary files and scratch
folders of killed builds, a stopped process registry, an argument list the kernel refuses,
and a build that changes nothing writing nothing (the no-op record, the log)."""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

import pytest

from gobuild import noop
from gobuild.build import groups, runner
from gobuild.build.fingerprint import load_state
from gobuild.build.gotool import GoTool
from gobuild.build.outcome import BuildOptions, Failure
from gobuild.build.processes import Interrupted, Processes
from gobuild.build.scratch import Scratch, remove_leftovers
from gobuild.cli.render import LogReporter
from gobuild.errors import BuildError, UsageError
from gobuild.files import remove_dead_temps, write_atomic
from gobuild.manifest import load_manifest
from gobuild.plan import Group, select_targets, settings_for
from gobuild.report import RecordingReporter

FULL = OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "cmd/orders").mkdir(parents=True)
    (tmp_path / "go.mod").write_text("module example.com/shop\n\ngo 1.26\n")
    (tmp_path / "cmd/orders/main.go").write_text("package main\n\nfunc main() {}\n")
    (tmp_path / "gobuild.toml").write_text('[[function]]\nname = "orders"\npackage = "./cmd/orders"\n')
    return tmp_path


def test_a_full_disk_while_writing_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(fd: int) -> None:
        raise FULL

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(tmp_path / "orders-arm64.zip", b"zip bytes")
    assert list(tmp_path.iterdir()) == []


def test_a_zip_that_cannot_be_written_is_that_functions_failure(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = load_manifest(project / "gobuild.toml")
    (target,) = select_targets(manifest)
    reporter = RecordingReporter()
    go = GoTool(path="/usr/bin/go", version="go1.26.0", base_env=(), ignored_env=())
    work = groups.GroupRunner(go, manifest, reporter, 315532800, None, load_state(manifest.out_dir, project),
                              BuildOptions(jobs=1))
    binary = project / "bootstrap"
    binary.write_bytes(b"\x7fELF binary")

    def full_disk(dest: Path, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(dest))

    monkeypatch.setattr(groups, "write_zip", full_disk)
    outcome = work.package_one(target, binary, Group(settings=settings_for(target), targets=(target,)), "fp", 0.0)
    assert isinstance(outcome, Failure)
    assert outcome.output == f"cannot write {manifest.out_dir / 'orders-arm64.zip'}: No space left on device\n"
    (event,) = [e for e in reporter.events if e.kind == "finished"]
    assert event.ok is False and "No space left on device" in event.fields["output"]


def test_an_index_that_cannot_be_written_is_a_build_error(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(*args: object) -> bool:
        raise FULL

    monkeypatch.setattr(runner.artifacts_file, "save", full_disk)
    go = GoTool(path="/usr/bin/go", version="go1.26.0", base_env=(), ignored_env=())
    with pytest.raises(BuildError) as caught:
        runner._write_index(project / "dist/artifacts.json", set(), [], set(), go)
    assert caught.value.exit_code == 1
    assert caught.value.message == f"cannot write {project / 'dist/artifacts.json'}: No space left on device"


def test_temporary_files_of_dead_writers_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    dead = tmp_path / ".orders-arm64.zip.k2j3h4g5.tmp"
    dead.write_bytes(b"half a zip")
    live = tmp_path / ".payments-arm64.zip.a1b2c3d4.tmp"
    live.write_bytes(b"being written")
    holder = os.open(live, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # as write_atomic holds it while it writes
    try:
        assert remove_dead_temps(str(tmp_path)) == [dead.name]
        assert not dead.exists() and live.exists()
    finally:
        os.close(holder)
    assert remove_dead_temps(str(tmp_path)) == [live.name]


def test_scratch_folders_of_dead_builds_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    # A build killed with SIGKILL: its lock file and folder stay, nobody holds the lock.
    (tmp_path / ".gobuild-scratch-deadbeef").mkdir()
    (tmp_path / ".gobuild-scratch-deadbeef/g0").mkdir()
    (tmp_path / ".gobuild-scratch-deadbeef.lock").write_text("")
    with Scratch(tmp_path) as live:
        assert live.is_dir() and live.name.startswith(".gobuild-scratch-")
        removed = remove_leftovers(tmp_path)
        assert sorted(removed) == [".gobuild-scratch-deadbeef", ".gobuild-scratch-deadbeef.lock"]
        assert live.is_dir()
    assert list(tmp_path.iterdir()) == []  # the live one is gone with its build


def test_an_out_dir_that_is_a_file_is_one_build_error(tmp_path: Path) -> None:
    (tmp_path / "dist").write_text("not a folder")
    with pytest.raises(BuildError) as caught, Scratch(tmp_path / "dist"):
        pass
    assert caught.value.message.startswith(f"cannot write to out_dir {tmp_path / 'dist'}: ")


def test_a_stopped_registry_starts_nothing() -> None:
    processes = Processes()
    processes.stop(15)
    with pytest.raises(Interrupted) as caught:
        processes.run(["go", "version"], cwd=Path("."), env={})
    assert caught.value.exit_code == 143 and caught.value.name == "SIGTERM"
    assert Interrupted(2).exit_code == 130 and Interrupted(2).name == "SIGINT"


def test_an_argument_list_the_kernel_refuses_is_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    def too_big(*args: object, **kwargs: object) -> None:
        raise OSError(errno.E2BIG, "Argument list too long")

    monkeypatch.setattr("gobuild.build.processes.subprocess.Popen", too_big)
    with pytest.raises(UsageError) as caught:
        Processes().run(["/usr/bin/go", "build"], cwd=Path("."), env={"LDFLAGS": "x" * 20})
    assert caught.value.exit_code == 2
    assert caught.value.message == ("the command line for go is too long for this system (47 bytes of arguments "
                                    "and environment; the largest is variable LDFLAGS, 29 bytes)")
    assert "ldflags" in (caught.value.hint or "")


def test_the_noop_record_is_not_rewritten_when_its_answer_is_the_same(tmp_path: Path) -> None:
    source = tmp_path / "main.go"
    source.write_text("package main\n")
    os.utime(source, (1_000_000_000, 1_000_000_000))
    def record() -> bool:
        return noop.record(str(tmp_path), "key", environ={"PATH": "/bin"}, go=("/usr/bin/go", str(tmp_path), "go1.26"),
                           sources=[str(source)], outputs=[], since=2_000_000_000.0, warnings=[],
                           targets=[("orders/arm64", 10)])

    assert record()
    before = os.stat(tmp_path / noop.RECORD_NAME)
    assert record()
    record_file = tmp_path / noop.RECORD_NAME
    after = os.stat(record_file)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_run_where_everything_was_up_to_date_appends_nothing_to_the_log(tmp_path: Path) -> None:
    quiet = LogReporter(tmp_path, "build")
    quiet.started("orders/arm64", "reading inputs")
    quiet.finished("orders/arm64", True, "up to date", size=1)
    quiet.warning("GOFLAGS from the environment is ignored: builds must not depend on it")
    quiet.close()
    assert not (tmp_path / "gobuild.log").exists()
    busy = LogReporter(tmp_path, "build")
    busy.finished("orders/arm64", False, "failed", output="$ go build\nerror\n", hint="needs cgo")
    busy.close()
    log = (tmp_path / "gobuild.log").read_text()
    assert "orders/arm64 FAILED failed" in log and "orders/arm64 hint: needs cgo" in log
