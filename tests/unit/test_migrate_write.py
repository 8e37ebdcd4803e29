"""`migrate --write` is all or nothing: every target (templates, folders, Makefiles,
gobuild.toml) is checked before any is written; a target that cannot be written is refused with
exit 2, naming it, and every file stays as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gobuild.errors import EXIT_BAD_INPUT, MigrateError
from gobuild.migrate import MigrateOptions, migrate, write_report
from gobuild.migrate.model import FileUpdate, MigrationReport, RefusedInput

TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: build/
      Handler: orders
      Runtime: go1.x
"""


def project(tmp_path: Path) -> Path:
    """A module whose template's CodeUri is build output that a clean checkout lacks."""
    (tmp_path / "go.mod").write_text("module example.com/shop\n\ngo 1.22\n")
    (tmp_path / "cmd" / "orders").mkdir(parents=True)
    (tmp_path / "cmd" / "orders" / "main.go").write_text("package main\n\nfunc main() {}\n")
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes | None]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def test_a_missing_codeuri_folder_is_created_for_its_makefile_after_every_check(tmp_path: Path) -> None:
    folder = project(tmp_path)
    report = migrate([folder], MigrateOptions(build="makefile"))
    assert any("its folder did not exist" in step for step in report.next_steps)

    written = write_report(report)

    assert sorted(p.relative_to(folder).as_posix() for p in written) == [
        "build/Makefile", "gobuild.toml", "template.yaml",
    ]
    assert "build-OrdersFunction:" in (folder / "build" / "Makefile").read_text()
    again = migrate([folder], MigrateOptions(build="makefile"))
    assert not again.changed and not again.errors


@pytest.mark.parametrize("blocker", ["file", "fifo"])
def test_a_makefile_that_cannot_be_written_is_refused_and_nothing_is_written(
    blocker: str, tmp_path: Path
) -> None:
    folder = project(tmp_path)
    if blocker == "file":
        (folder / "build").write_text("not a folder\n")  # CodeUri names a file
    else:
        (folder / "build").mkdir()
        os.mkfifo(folder / "build" / "Makefile")
    before = snapshot(folder)

    with pytest.raises(RefusedInput) as raised:  # found while reading, or while checking targets
        write_report(migrate([folder], MigrateOptions(build="makefile")))

    assert raised.value.exit_code == EXIT_BAD_INPUT
    assert raised.value.message.startswith(f"{folder / 'build' / 'Makefile'}: ")
    assert snapshot(folder) == before  # the template and gobuild.toml were not written either


def test_a_target_that_is_a_folder_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    folder = project(tmp_path)
    template = migrate([folder / "template.yaml"], MigrateOptions()).updates[0]
    (folder / "gobuild.toml").mkdir()
    report = MigrationReport(
        changes=(),
        notices=(),
        updates=(template, FileUpdate(path=folder / "gobuild.toml", before=None, after="x = 1\n")),
        next_steps=(),
    )
    with pytest.raises(RefusedInput, match=r"gobuild\.toml: cannot be written: it is not a regular file"):
        write_report(report)
    assert (folder / "template.yaml").read_text() == TEMPLATE


def test_a_failure_while_renaming_puts_back_the_files_already_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = project(tmp_path)
    before = snapshot(folder)
    report = migrate([folder], MigrateOptions(build="makefile"))
    real_replace = os.replace
    calls: list[str] = []

    def replace_twice_then_fail(source: str, target: str) -> None:
        calls.append(target)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace_twice_then_fail)
    with pytest.raises(MigrateError, match="cannot write: No space left on device") as raised:
        write_report(report)

    assert raised.value.hint == "every file was left as it was"
    assert snapshot(folder) == before  # no temp file, no build/ folder, no half-written file


def test_a_target_created_meanwhile_is_refused(tmp_path: Path) -> None:
    folder = project(tmp_path)
    report = migrate([folder], MigrateOptions(build="gobuild"))
    (folder / "gobuild.toml").write_text("# someone else's\n")
    with pytest.raises(RefusedInput, match="created since migrate read the files"):
        write_report(report)
    assert (folder / "template.yaml").read_text() == TEMPLATE


def test_a_manifest_that_would_not_load_is_never_offered(tmp_path: Path) -> None:
    folder = project(tmp_path)
    (folder / "gobuild.toml").write_text('out_dir = "dist"\nbogus = 1\n')  # an unknown key
    with pytest.raises(RefusedInput) as raised:
        migrate([folder], MigrateOptions(build="gobuild"))
    assert raised.value.exit_code == EXIT_BAD_INPUT
    assert raised.value.message.startswith(
        f"{folder / 'gobuild.toml'}: does not load as it is (gobuild.toml: bogus: unknown key)"
    )
    assert (folder / "template.yaml").read_text() == TEMPLATE
