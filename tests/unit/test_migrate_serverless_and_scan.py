"""serverless.yml policies beyond the golden case, and the report-only detectors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gobuild.migrate.model import MigrateOptions
from gobuild.migrate.scan import scan
from gobuild.migrate.serverless import migrate_serverless

SERVICE = """service: s
provider:
  name: aws
  runtime: go1.x
functions:
  a:
    handler: bin/a
  b:
    handler: bin/b
"""


def test_arch_goes_to_the_provider_when_every_function_inherits_it(tmp_path: Path) -> None:
    result = migrate_serverless(
        path=tmp_path / "serverless.yml", text=SERVICE, options=MigrateOptions(arch="arm64")
    )

    assert result.new_text == SERVICE.replace(
        "runtime: go1.x", "runtime: provided.al2023\n  architecture: arm64"
    ).replace("handler: bin/a", "handler: bootstrap").replace(
        "handler: bin/b", "handler: bootstrap"
    )


def test_arch_goes_to_the_function_when_others_keep_their_runtime(tmp_path: Path) -> None:
    text = (
        SERVICE
        + "  c:\n    handler: c.handler\n    runtime: python3.12\n    architecture: x86_64\n  d:\n    handler: d.main\n    runtime: python3.12\n"
    )
    result = migrate_serverless(
        path=tmp_path / "serverless.yml", text=text, options=MigrateOptions(arch="arm64")
    )

    assert "  a:\n    handler: bootstrap\n    architecture: arm64\n" in result.new_text
    assert "  d:\n    handler: d.main\n    runtime: python3.12\n" in result.new_text
    assert (
        "  c:\n    handler: c.handler\n    runtime: python3.12\n    architecture: x86_64\n"
        in result.new_text
    )


@pytest.mark.parametrize(
    ("name", "line", "replacement"),
    [
        (
            "stack.ts",
            "    runtime: lambda.Runtime.GO_1_X,",
            "runtime: lambda.Runtime.PROVIDED_AL2023,",
        ),
        (
            "stack.ts",
            "    runtime: Runtime.PROVIDED_AL2, // arm",
            "runtime: Runtime.PROVIDED_AL2023, // arm",
        ),
        (
            "app.py",
            "    runtime=_lambda.Runtime.GO_1_X,",
            "runtime=_lambda.Runtime.PROVIDED_AL2023,",
        ),
        (
            "stack.go",
            "\tRuntime: awslambda.Runtime_PROVIDED_AL2(),",
            "Runtime: awslambda.Runtime_PROVIDED_AL2023(),",
        ),
        (
            "index.ts",
            "  runtime: aws.lambda.Runtime.CustomAL2,",
            "runtime: aws.lambda.Runtime.CustomAL2023,",
        ),
        (
            "__main__.py",
            "    runtime=aws.lambda_.Runtime.GO1DX,",
            "runtime=aws.lambda_.Runtime.CUSTOM_AL2023,",
        ),
        ("main.go", "\tRuntime: lambda.RuntimeGo1dx,", "Runtime: lambda.RuntimeCustomAL2023,"),
        (
            "main.go",
            '\tRuntime: pulumi.String("go1.x"),',
            'Runtime: pulumi.String("provided.al2023"),',
        ),
        (
            "deploy.sh",
            "aws lambda update-function-configuration --runtime=provided.al2 \\",
            "aws lambda update-function-configuration --runtime=provided.al2023 \\",
        ),
        (
            "Makefile",
            "\taws lambda create-function --runtime 'go1.x' --handler main",
            "aws lambda create-function --runtime 'provided.al2023' --handler bootstrap",
        ),
        ("deploy.yml", "          runtime: go1.x", "runtime: provided.al2023"),
    ],
)
def test_detectors_give_the_line_as_it_should_read(
    name: str, line: str, replacement: str, tmp_path: Path
) -> None:
    notices = scan(path=tmp_path / name, text=f"// header\n{line}\n")
    assert [(n.line, n.replacement) for n in notices] == [(2, replacement)]


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("stack.ts", "runtime: lambda.Runtime.PROVIDED_AL2023,"),
        ("stack.go", "Runtime: awslambda.Runtime_PROVIDED_AL2023(),"),
        ("deploy.sh", "aws lambda create-function --runtime provided.al2023"),
        ("index.ts", "runtime: aws.lambda.Runtime.CustomAL2023,"),
        ("notes.txt", "we used go1.x before"),
    ],
)
def test_detectors_leave_migrated_code_and_other_files_alone(
    name: str, line: str, tmp_path: Path
) -> None:
    assert scan(path=tmp_path / name, text=line + "\n") == ()
