"""`gobuild check` as a command: bad input exits 2 with one line naming file and line, discovery
skips tool folders, `sam build` output is what a BuildMethod function deploys, and every
template `gobuild migrate --write` produces in testdata/migrate checks without runtime errors."""

from __future__ import annotations

import json
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TESTDATA
from tests.integration.fixtures_build import gobuild
from tests.integration.fixtures_gobinaries import zip_bootstrap

TODAY = "2026-11-28"
MIGRATE_CASES = sorted(p.name for p in (TESTDATA / "migrate").iterdir() if (p / "input").is_dir())
RUNTIME_ERRORS = {"GB401", "GB403", "GB404", "GB405"}

TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Architectures: [arm64]
      CodeUri: {code_uri}
{metadata}"""


def one_line_error(proc: Any) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    return str(errors[0])


def test_a_path_that_does_not_exist_is_bad_input(tmp_path: Path) -> None:
    assert "nope.yaml: no such file or folder" in one_line_error(gobuild("check", "nope.yaml", cwd=tmp_path))


def test_a_template_that_does_not_parse_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: [unclosed\n")
    line = one_line_error(gobuild("check", cwd=tmp_path))  # found by discovery, still refused
    assert "template.yaml:" in line and "invalid YAML" in line
    (tmp_path / "template.yaml").unlink()
    (tmp_path / "main.tf").write_text('resource "aws_lambda_function" "x" {\n  runtime = \n}\n')
    assert "main.tf:2:13: invalid HCL: unexpected '}'" in one_line_error(gobuild("check", "main.tf", cwd=tmp_path))


def test_other_bad_input(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# not a template\n")
    assert "README.md is not a deployment definition" in one_line_error(gobuild("check", "README.md", cwd=tmp_path))
    assert "--today '28/11/2026' is not a date" in one_line_error(gobuild("check", "--today", "28/11/2026",
                                                                           cwd=tmp_path))


def test_nothing_to_check_is_not_a_failure(tmp_path: Path) -> None:
    plain = gobuild("check", cwd=tmp_path)
    assert plain.returncode == 0 and "no deployment definitions found under ." in plain.stderr
    document = json.loads(gobuild("check", "--json", cwd=tmp_path).stdout)
    assert document["ok"] is True and document["functions"] == [] and document["files"] == []
    assert "CDK" not in plain.stderr


def test_a_cdk_app_is_pointed_at_the_templates_cdk_synth_writes(tmp_path: Path) -> None:
    (tmp_path / "cdk.json").write_text('{"app": "go mod download && go run app.go"}')
    plain = gobuild("check", cwd=tmp_path)
    assert plain.returncode == 0
    assert "hint: . is a CDK app (cdk.json): `cdk synth` writes the templates it deploys to cdk.out; " \
           "check those: gobuild check cdk.out" in plain.stderr
    (tmp_path / "cdk.json").write_text('{"app": "npx ts-node bin/app.ts", "output": "build/synth"}')
    assert "gobuild check build/synth" in gobuild("check", ".", cwd=tmp_path).stderr
    synth = tmp_path / "build" / "synth"
    synth.mkdir(parents=True)
    (synth / "AppStack.template.json").write_text(json.dumps({"Resources": {"Fn": {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Runtime": "provided.al2", "Handler": "bootstrap", "Role": "r",
                       "Code": {"S3Bucket": "cdk-assets", "S3Key": "abc.zip"}}}}}))
    checked = gobuild("check", "build/synth", "--today", TODAY, cwd=tmp_path)
    assert checked.returncode == 1 and "GB401" in checked.stdout  # what the hint points at is checked


def test_a_cdk_template_is_checked_against_its_asset(tmp_path: Path,
                                                     go_binaries: dict[tuple[str, str], Path]) -> None:
    """cdk synth's templates name the code as an S3 object cdk deploy uploads later; Metadata
    aws:asset:path says which folder of the cloud assembly it is made from."""
    assembly = tmp_path / "cdk.out"
    (assembly / "asset.1f2e").mkdir(parents=True)
    shutil.copy(go_binaries["orders-lambda", "arm64"], assembly / "asset.1f2e" / "bootstrap")
    function = {"Type": "AWS::Lambda::Function",
                "Properties": {"Runtime": "provided.al2023", "Handler": "bootstrap", "Role": "r",
                               "Architectures": ["arm64"],
                               "Code": {"S3Bucket": {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}"},
                                        "S3Key": "1f2e.zip"}},
                "Metadata": {"aws:asset:path": "asset.1f2e", "aws:asset:property": "Code"}}
    (assembly / "AppStack.template.json").write_text(json.dumps({"Resources": {"Orders": function}}))
    checked = gobuild("check", "cdk.out", "--today", TODAY, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.startswith("ok   Orders") and "cdk.out/asset.1f2e/ (zipped as cdk deploy would)" in checked.stdout
    shutil.rmtree(assembly / "asset.1f2e")
    missing = gobuild("check", "cdk.out", "--today", TODAY, cwd=tmp_path)
    assert missing.returncode == 1 and "GB411 cdk.out/asset.1f2e does not exist — fix: run `cdk synth` again" \
        in missing.stdout


def test_discovery_skips_tool_and_dependency_folders(tmp_path: Path) -> None:
    broken = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: [unclosed\n"
    for folder in ("node_modules/pkg", ".aws-sam/build", ".terraform/modules", "vendor/x", "dist", ".git"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "template.yaml").write_text(broken)
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "template.yaml").write_text(TEMPLATE.format(code_uri="orders.zip", metadata=""))
    document = json.loads(gobuild("check", "--json", "--today", TODAY, cwd=tmp_path).stdout)
    assert document["files"] == ["infra/template.yaml"]
    assert document["functions"][0]["findings"][-1]["code"] == "GB411"  # infra/orders.zip is not there


def test_a_sam_build_function_is_checked_as_sam_build_left_it(
    tmp_path: Path, go_binaries: dict[tuple[str, str], Path]
) -> None:
    metadata = "    Metadata:\n      BuildMethod: go1.x\n"
    (tmp_path / "template.yaml").write_text(TEMPLATE.format(code_uri="cmd/orders/", metadata=metadata))
    (tmp_path / "cmd" / "orders").mkdir(parents=True)
    before = json.loads(gobuild("check", "--json", "--today", TODAY, cwd=tmp_path).stdout)
    orders = before["functions"][0]
    assert orders["status"] == "not resolved"
    assert "run `sam build`" in orders["findings"][-1]["fix"]
    built = tmp_path / ".aws-sam" / "build" / "OrdersFunction"
    built.mkdir(parents=True)
    shutil.copyfile(go_binaries["orders-lambda", "arm64"], built / "bootstrap")
    (built / "bootstrap").chmod(0o755)
    after = json.loads(gobuild("check", "--json", "--today", TODAY, cwd=tmp_path).stdout)
    orders = after["functions"][0]
    assert (orders["status"], orders["language"]) == ("ok", "go")
    assert orders["code"] == ".aws-sam/build/OrdersFunction (from sam build)"
    (built / "bootstrap").chmod(0o644)  # as a careless copy would leave it: Lambda cannot exec it
    failed = json.loads(gobuild("check", "--json", "--today", TODAY, cwd=tmp_path).stdout)
    assert "GB102" in [f["code"] for f in failed["functions"][0]["findings"]]


def test_a_function_folder_is_zipped_with_its_modes(tmp_path: Path, go_binaries: dict[tuple[str, str], Path]) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE.format(code_uri="bin/", metadata=""))
    (tmp_path / "bin").mkdir()
    shutil.copyfile(go_binaries["orders-lambda", "arm64"], tmp_path / "bin" / "bootstrap")
    (tmp_path / "bin" / "bootstrap").chmod(0o755)
    proc = gobuild("check", "--today", TODAY, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert "bin/ (zipped as sam deploy would)" in proc.stdout


@pytest.mark.parametrize("case", MIGRATE_CASES)
def test_every_migrated_template_checks_without_runtime_errors(case: str, tmp_path: Path) -> None:
    folder = tmp_path / case
    shutil.copytree(TESTDATA / "migrate" / case / "input", folder / "input")
    args_file = TESTDATA / "migrate" / case / "args"
    args = shlex.split(args_file.read_text()) if args_file.is_file() else []
    migrated = gobuild("migrate", "--write", *args, "input", cwd=folder)
    notes = json.loads(gobuild("migrate", "--check", "--json", *args, "input", cwd=folder).stdout)["notices"]
    refused = [n for n in notes if n["level"] == "error"]
    # --write writes what it can and exits 0 (--check is the gate); a refused function keeps its runtime.
    assert migrated.returncode == 0, migrated.stderr
    # Migrate moves a custom runtime only when it can see the code is Go; what it left alone it says so.
    def named(chosen: list[dict[str, object]]) -> set[str]:
        return {str(n["message"]).split(":", 1)[0].rsplit(".", 1)[-1] for n in chosen}
    not_go = named([n for n in notes if "not Go: move its runtime yourself" in n["message"]])
    left = not_go | named(refused)
    proc = gobuild("check", "--json", "--today", TODAY, "input", cwd=folder)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    document = json.loads(proc.stdout)
    checked = [fn for fn in document["functions"] if fn["name"] not in left]
    for fn in checked:
        found = {f["code"] for f in fn["findings"]}
        assert not found & RUNTIME_ERRORS, (fn["file"], fn["name"], fn["findings"])
        assert fn["runtime"] in (None, "provided.al2023") or fn["status"] == "skipped", fn
    for fn in document["functions"]:
        if fn["name"] in not_go:  # and check still says what is wrong with them
            assert {f["code"] for f in fn["findings"]} & RUNTIME_ERRORS, fn


def test_a_zip_given_to_a_go1x_function_by_make_is_named(
    deploy_project: Callable[[str], Path], go_binaries: dict[tuple[str, str], Path], tmp_path: Path
) -> None:
    """A go1.x-style zip (the binary under its own name) fails on provided.al2023 with verify's advice."""
    project = tmp_path / "p"
    project.mkdir()
    zip_bootstrap(go_binaries["orders-lambda", "arm64"], project / "orders.zip", name="orders-lambda")
    (project / "template.yaml").write_text(TEMPLATE.format(code_uri="orders.zip", metadata=""))
    document = json.loads(gobuild("check", "--json", "--today", TODAY, cwd=project).stdout)
    missing = [f for f in document["functions"][0]["findings"] if f["code"] == "GB101"]
    assert missing and "orders-lambda" in missing[0]["message"]
