"""`python -m gobuild migrate` run as a user would: each golden case in each mode prints
what testdata/migrate/<case>/expected/ says, exit codes gate CI, bad input exits 2 naming
file and line, and the Makefile targets it writes are what `make` (as `sam build` calls it)
will run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.unit.test_migrate_golden import CASES, TESTDATA, case_args, copy_case

REPO = Path(__file__).resolve().parents[2]


def migrate_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.run(
        [sys.executable, "-m", "gobuild", "migrate", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def golden(case: str, mode: str) -> str:
    return (TESTDATA / case / "expected" / f"{mode}.txt").read_text()


@pytest.mark.parametrize("case", CASES)
def test_each_mode_prints_the_golden_output_and_exits_as_documented(
    case: str, tmp_path: Path
) -> None:
    folder = copy_case(case, tmp_path)
    changes = bool((TESTDATA / case / "expected" / "files").is_dir())

    diff = migrate_cli("input", *case_args(case), cwd=folder)  # --diff is the default
    assert (diff.returncode, diff.stderr, diff.stdout) == (0, "", golden(case, "diff"))

    check = migrate_cli("input", "--check", *case_args(case), cwd=folder)
    fails = changes or "error:" in golden(case, "check")
    assert (check.returncode, check.stdout) == (1 if fails else 0, golden(case, "check"))

    write = migrate_cli("input", "--write", *case_args(case), cwd=folder)
    assert (write.returncode, write.stdout) == (0, golden(case, "write"))

    # Notes come from the files: a --check after the --write reports every one again, and
    # fails exactly when one of them is an error.
    again = migrate_cli("input", "--check", *case_args(case), cwd=folder)
    assert "nothing to change;" in again.stdout
    assert again.returncode == (1 if "error:" in golden(case, "check") else 0)
    assert notes(again.stdout) == notes(golden(case, "check"))


def notes(output: str) -> list[str]:
    """The notes of a report without their line numbers (a --write may move lines)."""
    return [
        line.split(": ", 1)[1]
        for line in output.splitlines()
        if ": note: " in line or ": error: " in line
    ]


def test_json_lists_changes_notices_files_and_steps(tmp_path: Path) -> None:
    folder = copy_case("sam-shared-codeuri-build-sam", tmp_path)
    result = migrate_cli("input", "--json", cwd=folder)

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["mode"] == "diff" and document["changed"] is True
    assert document["files"] == [{"path": "input/template.yaml", "created": False}]
    assert document["changes"][0] == {
        "file": "input/template.yaml",
        "line": 7,
        "old": "Runtime: go1.x",
        "new": "Runtime: provided.al2023",
    }
    assert [(n["line"], n["level"]) for n in document["notices"]] == [(15, "error"), (26, "error")]
    assert document["diff"].startswith("--- a/input/template.yaml\n+++ b/input/template.yaml\n")
    assert document["next_steps"]


def test_bad_yaml_exits_2_naming_file_and_line_and_writes_nothing(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text((TESTDATA / "sam-globals" / "input" / "template.yaml").read_text())
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: go1.x\n"
    )

    result = migrate_cli(".", "--write", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {bad}:5:1: invalid YAML")
    assert good.read_text() == (TESTDATA / "sam-globals" / "input" / "template.yaml").read_text()


def test_missing_path_and_conflicting_modes_exit_2(tmp_path: Path) -> None:
    missing = migrate_cli("nope.yaml", cwd=tmp_path)
    assert (missing.returncode, missing.stderr.splitlines()[0]) == (
        2,
        "error: nope.yaml: no such file or directory",
    )

    both = migrate_cli(".", "--check", "--write", cwd=tmp_path)
    assert (both.returncode, both.stderr.splitlines()[0]) == (
        2,
        "error: --check and --write cannot be used together",
    )


def test_a_whole_repository_at_once(tmp_path: Path) -> None:
    # Every case side by side, as folders of one repository: each is found and migrated.
    for case in CASES:
        shutil.copytree(TESTDATA / case / "input", tmp_path / "repo" / case)
    result = migrate_cli("repo", "--build", "gobuild", "--write", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    again = migrate_cli("repo", "--build", "gobuild", "--check", cwd=tmp_path)
    assert "nothing to change;" in again.stdout
    # What is left is reported: cfn-json has no Go module, and serverless-per-file's programs
    # are one per file. (sam-makefile's DigestFunction lost its BuildMethod with its folder:
    # its code is gobuild's zip now.)
    assert again.returncode == 1
    assert [line.split(": error: ")[1].split(":")[0] for line in again.stdout.splitlines() if ": error: " in line] == [
        "ReceiverFunction",
        "create",
        "list",
    ]
    assert "BuildMethod" not in (tmp_path / "repo" / "sam-makefile" / "template.yaml").read_text()
    for case in ("sam-globals", "sam-shared-codeuri", "serverless"):
        assert (tmp_path / "repo" / case / "gobuild.toml").is_file()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_written_makefile_targets_run_gobuild_from_the_module_root(tmp_path: Path) -> None:
    folder = copy_case("sam-makefile", tmp_path)
    assert migrate_cli("input", "--build", "makefile", "--write", cwd=folder).returncode == 0
    scratch = tmp_path / "scratch"  # `sam build` may run make from a copy of CodeUri
    scratch.mkdir()
    makefile = folder / "input" / "Makefile"

    dry_run = subprocess.run(
        [
            "make",
            "--no-print-directory",  # also when the suite itself runs under `make test`
            "--makefile",
            str(makefile),
            "-n",
            "build-SmsFunction",
            "ARTIFACTS_DIR=/tmp/artifacts",
        ],
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    root = (folder / "input").resolve()
    assert dry_run.stdout.splitlines() == [
        f'gobuild build -C "{root}" --only sms-lambda --arch arm64 --quiet',
        f'unzip -o -q "{root}/dist/sms-lambda-arm64.zip" -d "/tmp/artifacts"',
    ]


PROVIDED_AL2 = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  GoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {go}
      Handler: bootstrap
      Runtime: provided.al2
  ScriptFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {script}
      Handler: bootstrap
      Runtime: provided.al2
"""


@pytest.mark.parametrize("packaging", ["folder", "zip"])
def test_provided_al2_moves_only_when_its_bootstrap_is_a_go_binary(
    packaging: str, tmp_path: Path, go_binaries: dict[tuple[str, str], Path]
) -> None:
    # Prebuilt code with no source beside it: Go build information decides, read from the
    # real binary (in a folder, or through zipfile from a zip), never by running it.
    script = b"#!/bin/sh\nwhile true; do sleep 1; done\n"
    binary = go_binaries["orders-lambda", "amd64"].read_bytes()
    for name, data in (("go", binary), ("script", script)):
        if packaging == "folder":
            (tmp_path / name).mkdir()
            (tmp_path / name / "bootstrap").write_bytes(data)
        else:
            with zipfile.ZipFile(tmp_path / f"{name}.zip", "w") as archive:
                archive.writestr("bootstrap", data)
    code = {"go": "go/", "script": "script/"} if packaging == "folder" else {"go": "go.zip", "script": "script.zip"}
    template = tmp_path / "template.yaml"
    template.write_text(PROVIDED_AL2.format(**code))
    before = template.read_text()

    result = migrate_cli("template.yaml", "--write", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    after = template.read_text()
    go_part, script_part = before.split("  ScriptFunction:")
    assert after.endswith("  ScriptFunction:" + script_part)  # byte for byte
    assert after.startswith(go_part.replace("provided.al2\n", "provided.al2023\n"))
    assert "template.yaml:15: note: ScriptFunction: not Go: move its runtime yourself" in result.stdout


BOMB = (
    'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    + "".join(f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]\n" for p, n in zip("abcdefgh", "bcdefghi"))
    + "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: go1.x, Handler: *i}\n"
)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bomb.yaml", BOMB, "bomb.yaml:6: YAML its aliases expand to more than 100,000 nodes"),
        ("deep.yaml", "Resources: " + "[" * 3000 + "]" * 3000 + "\n# AWS::Lambda::Function\n", "deep.yaml:1: YAML nested more than 100 levels deep"),
    ],
)
def test_hostile_yaml_exits_2_naming_file_and_line(name: str, text: str, message: str, tmp_path: Path) -> None:
    (tmp_path / name).write_text(text)
    # The bound here only keeps a regression from hanging CI; the refusal itself is a flat scan.
    result = subprocess.run(
        [sys.executable, "-c", _LIMITED, name],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == f"error: {tmp_path / name}:{message.split(':', 1)[1]}"
    assert "Traceback" not in result.stderr


# Runs `gobuild migrate` under a 300 MB address-space limit: an alias bomb expanded would need GBs.
_LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (300 * 1024 * 1024, 300 * 1024 * 1024))
sys.argv = ["gobuild", "migrate", sys.argv[1]]
from gobuild.main import main
main()
"""


def test_an_unwritable_target_exits_2_and_changes_nothing(tmp_path: Path) -> None:
    folder = copy_case("sam-makefile", tmp_path)
    template = folder / "input" / "template.yaml"
    template.write_text(template.read_text().replace("CodeUri: ./\n      Handler: email", "CodeUri: build/\n      Handler: email"))
    (folder / "input" / "build").write_text("a file where CodeUri expects a folder\n")
    before = {p: p.read_bytes() for p in (folder / "input").rglob("*") if p.is_file()}

    result = migrate_cli("input", "--build", "makefile", "--write", cwd=folder)

    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {folder / 'input' / 'build' / 'Makefile'}: ")
    assert {p: p.read_bytes() for p in (folder / "input").rglob("*") if p.is_file()} == before
