"""Golden tests: each folder under testdata/migrate/ is a small project (`input/`), the flags
to run with (`args`), and what each mode must print and write (`expected/`).

Set GOBUILD_UPDATE_GOLDEN=1 to rewrite the expected files from the current output: each test
then writes its golden and SKIPS (an updated golden is never checked against itself). Read the
diff before committing it; the independent oracles (test_migrate_oracles.py) still run.
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

import pytest

from gobuild.migrate import MigrateOptions, migrate, render_output, write_report

TESTDATA = Path(__file__).resolve().parents[2] / "testdata" / "migrate"
CASES = sorted(path.name for path in TESTDATA.iterdir() if (path / "input").is_dir())
MODES = ("diff", "check", "write")
UPDATE = os.environ.get("GOBUILD_UPDATE_GOLDEN") == "1"


def case_args(case: str) -> list[str]:
    """The extra command-line flags a case runs with."""
    args = TESTDATA / case / "args"
    return shlex.split(args.read_text()) if args.is_file() else []


def options_from(args: list[str]) -> MigrateOptions:
    values = dict(zip(args[::2], args[1::2]))
    return MigrateOptions(arch=values.get("--arch"), build=values.get("--build", "sam"))


def copy_case(case: str, destination: Path) -> Path:
    """Copies a case's input to destination/<case>/input (keeping modes); returns the case folder.
    The copy keeps runs away from testdata/go.mod, which would otherwise be the module root."""
    folder = destination / case
    shutil.copytree(TESTDATA / case / "input", folder / "input")
    return folder


def expected_files(case: str) -> dict[str, str]:
    root = TESTDATA / case / "expected" / "files"
    if not root.is_dir():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def check_golden(path: Path, actual: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        pytest.skip(f"golden written: {path}")
    assert actual == path.read_text(), f"output differs from {path}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES)
def test_output_matches_golden(
    case: str, mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = copy_case(case, tmp_path)
    monkeypatch.chdir(folder)
    report = migrate([Path("input")], options_from(case_args(case)))
    if mode == "write":
        write_report(report)
    check_golden(
        TESTDATA / case / "expected" / f"{mode}.txt", render_output(report, folder, mode=mode)
    )


@pytest.mark.parametrize("case", CASES)
def test_write_produces_golden_files_and_leaves_the_rest(case: str, tmp_path: Path) -> None:
    folder = copy_case(case, tmp_path)
    before = tree(folder / "input")
    report = migrate([folder / "input"], options_from(case_args(case)))
    written = {p.relative_to(folder / "input").as_posix() for p in write_report(report)}
    after = tree(folder / "input")
    if UPDATE:
        target = TESTDATA / case / "expected" / "files"
        shutil.rmtree(target, ignore_errors=True)
        for name in written:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(after[name])
        pytest.skip(f"goldens written: {target}")
    assert {name: after[name].decode() for name in written} == expected_files(case)
    untouched = {name: text for name, text in after.items() if name not in written}
    assert untouched == {name: text for name, text in before.items() if name not in written}


@pytest.mark.parametrize("case", CASES)
def test_second_run_after_write_changes_nothing(case: str, tmp_path: Path) -> None:
    folder = copy_case(case, tmp_path)
    options = options_from(case_args(case))
    write_report(migrate([folder / "input"], options))
    written = tree(folder / "input")

    again = migrate([folder / "input"], options)

    assert not again.changed
    assert again.changes == ()
    assert write_report(again) == []
    assert tree(folder / "input") == written


@pytest.mark.parametrize("case", CASES)
def test_diff_and_check_write_nothing(case: str, tmp_path: Path) -> None:
    folder = copy_case(case, tmp_path)
    before = tree(folder / "input")
    migrate([folder / "input"], options_from(case_args(case)))
    assert tree(folder / "input") == before
