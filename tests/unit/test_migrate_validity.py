"""Every migrated SAM/CloudFormation test template lints clean with cfn-lint (and no longer
has a deprecated-runtime finding, which its input did), and SAM templates still transform
with aws-sam-translator. Both run in-process: no subprocess, no AWS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cfnlint.api  # type: ignore[import-untyped]
import pytest
from cfnlint.decode import decode_str  # type: ignore[import-untyped]
from samtranslator.translator.transform import transform  # type: ignore[import-untyped]

from gobuild.migrate import migrate, write_report
from tests.unit.test_migrate_golden import CASES, case_args, copy_case, options_from

DEPRECATED_RUNTIME_RULES = {"E2531", "W2531", "E2533"}
REGION = "us-east-1"


def templates_in(folder: Path) -> list[Path]:
    return [
        path
        for path in sorted(folder.rglob("*"))
        if path.suffix in (".yaml", ".yml", ".json")
        and path.name not in ("serverless.yml", "serverless.yaml")
        and "AWSTemplateFormatVersion" in path.read_text()
    ]


TEMPLATE_CASES = [
    case
    for case in CASES
    if templates_in(Path(__file__).resolve().parents[2] / "testdata" / "migrate" / case / "input")
]


class NoManagedPolicies:
    """A managed-policy loader that knows only the policies the test templates name, so
    the translator never asks IAM."""

    def load(self) -> dict[str, str]:
        return {
            "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        }


@pytest.fixture(autouse=True)
def _offline_region(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The translator asks boto3 for a region; give it one without reading a real profile.
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


def packaged(template: dict[str, Any]) -> dict[str, Any]:
    """What `sam package` hands CloudFormation: local CodeUri paths (folders or gobuild's
    zips) uploaded and replaced by S3 URIs, which the transform requires."""
    sections = [template.get("Globals", {}).get("Function", {})]
    sections += [
        r.get("Properties", {})
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
    ]
    shared = "CodeUri" in sections[0]
    for index, properties in enumerate(sections):
        code = properties.get("CodeUri")
        if isinstance(code, str) and not code.startswith("s3://"):
            properties["CodeUri"] = "s3://artifacts-bucket/packaged-code.zip"
        elif index and code is None and not shared and "InlineCode" not in properties:
            # No CodeUri means the template's folder, which `sam package` uploads too.
            properties["CodeUri"] = "s3://artifacts-bucket/packaged-folder.zip"
    return template


def lint(path: Path) -> list[Any]:
    return list(cfnlint.api.lint(path.read_text(), regions=[REGION]))


def migrated(case: str, tmp_path: Path) -> list[Path]:
    folder = copy_case(case, tmp_path)
    write_report(migrate([folder / "input"], options_from(case_args(case))))
    return templates_in(folder / "input")


def left_alone(case: str, tmp_path: Path) -> set[str]:
    """The runtimes migrate reported as not Go and left as they were: lint may still flag them."""
    folder = copy_case(case, tmp_path / "report")
    report = migrate([folder / "input"], options_from(case_args(case)))
    return {n.message.split("(Runtime ")[1].split(";")[0] for n in report.notices if "not Go:" in n.message}


@pytest.mark.parametrize("case", TEMPLATE_CASES)
def test_inputs_have_deprecated_runtime_findings(case: str, tmp_path: Path) -> None:
    # Without this the clean lint below would prove nothing.
    folder = copy_case(case, tmp_path)
    findings = {m.rule.id for path in templates_in(folder / "input") for m in lint(path)}
    assert findings & DEPRECATED_RUNTIME_RULES


@pytest.mark.parametrize("case", TEMPLATE_CASES)
def test_migrated_templates_pass_cfn_lint(case: str, tmp_path: Path) -> None:
    kept = left_alone(case, tmp_path)
    for path in migrated(case, tmp_path):
        findings = [
            f"{m.rule.id} line {m.linenumber}: {m.message}"
            for m in lint(path)
            if not (m.rule.id in DEPRECATED_RUNTIME_RULES and any(f"'{r}'" in m.message for r in kept))
        ]
        assert findings == [], f"{path.name}: {findings}"


@pytest.mark.parametrize("case", TEMPLATE_CASES)
def test_migrated_sam_templates_still_transform(case: str, tmp_path: Path) -> None:
    for path in migrated(case, tmp_path):
        template, errors = decode_str(path.read_text())
        assert not errors and template is not None
        if "AWS::Serverless" not in str(template.get("Transform", "")):
            continue
        output = transform(packaged(template), {}, NoManagedPolicies())
        functions = [
            r for r in output["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
        ]
        assert functions
        for function in functions:
            properties = function["Properties"]
            if isinstance(properties.get("Runtime"), str):
                assert properties["Runtime"] in ("provided.al2023", "python3.12")
                if properties["Runtime"] == "provided.al2023":
                    assert properties["Handler"] == "bootstrap"
