"""Terraform: only the runtime/handler/architectures spans change; malformed HCL names its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from gobuild.errors import EXIT_BAD_INPUT
from gobuild.migrate.model import FileResult, MigrateOptions, TemplateSyntaxError
from gobuild.migrate.terraform import migrate_terraform

DEFAULT_HINT = "(variable go_runtime defaults to 'go1.x' at line 2)"


def run(text: str, tmp_path: Path, **options: str) -> FileResult:
    return migrate_terraform(
        path=tmp_path / "main.tf", text=text, options=MigrateOptions(**options)
    )


def test_only_the_lambda_spans_change(tmp_path: Path) -> None:
    text = """// comments of every kind stay: { braces } in comments are not code
/* runtime = "go1.x" in a block comment */
resource "aws_lambda_function" "api" {
  function_name = "api-${var.stage}"   # interpolation with "quotes" inside ${lookup(var.m, "k")}
  runtime       = "go1.x"
  handler       = "api"
  environment {
    variables = { RUNTIME = "go1.x" }
  }
  policy = <<EOF
{"Statement": [{"Effect": "Allow"}]}
EOF
}

resource "aws_lambda_function" "node" {
  runtime = "nodejs20.x"
  handler = "index.handler"
}
"""
    result = run(text, tmp_path)

    expected = text.replace('runtime       = "go1.x"', 'runtime       = "provided.al2023"').replace(
        'handler       = "api"', 'handler       = "bootstrap"'
    )
    assert result.new_text == expected
    assert [(c.line, c.old, c.new) for c in result.changes] == [
        (5, 'runtime = "go1.x"', 'runtime = "provided.al2023"'),
        (6, 'handler = "api"', 'handler = "bootstrap"'),
    ]


def test_missing_handler_and_arch_are_added_aligned_like_terraform_fmt(tmp_path: Path) -> None:
    text = 'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  runtime       = "go1.x" // custom\n}\n'
    result = run(text, tmp_path, arch="arm64")

    assert result.new_text == (
        'resource "aws_lambda_function" "f" {\n  function_name = "f"\n'
        '  runtime       = "provided.al2023" // custom\n'
        '  handler       = "bootstrap"\n'
        '  architectures = ["arm64"]\n}\n'
    )


def test_a_runtime_in_a_variable_is_reported_with_its_default(tmp_path: Path) -> None:
    text = """variable "go_runtime" {
  default = "go1.x"
}

resource "aws_lambda_function" "f" {
  runtime = var.go_runtime
  handler = "f"
}

resource "aws_lambda_function" "g" {
  runtime = local.runtimes["g"]
}
"""
    result = run(text, tmp_path)

    assert result.new_text == text
    held = "is held in a variable or local"
    assert [(n.line, n.message) for n in result.notices] == [
        (6, f"aws_lambda_function.f: runtime = var.go_runtime {held} {DEFAULT_HINT}; not guessed"),
        (11, f'aws_lambda_function.g: runtime = local.runtimes["g"] {held}; not guessed'),
    ]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ('resource "aws_lambda_function" "f" {\n  runtime = "go1.x\n}\n', 2, "unterminated string"),
        ('resource "aws_lambda_function" "f" {\n  runtime = "go1.x"\n', 1, "'{' is never closed"),
        ("locals {\n  a = 1\n}\n}\n", 4, "unexpected '}'"),
        (
            'resource "aws_lambda_function" "f" {\n  p = <<EOT\nno end\n}\n',
            2,
            "heredoc <<EOT is never closed",
        ),
        ("/* aws_lambda_function\n", 1, "unterminated /* comment"),
    ],
)
def test_malformed_hcl_names_file_and_line(
    text: str, line: int, problem: str, tmp_path: Path
) -> None:
    with pytest.raises(TemplateSyntaxError) as raised:
        run(text, tmp_path)
    assert raised.value.message == f"{tmp_path / 'main.tf'}:{line}: invalid HCL: {problem}"
    assert raised.value.exit_code == EXIT_BAD_INPUT


def test_gobuild_build_declares_the_function_and_says_where_the_zip_is(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n")
    (tmp_path / "cmd" / "query-lambda").mkdir(parents=True)
    (tmp_path / "cmd" / "query-lambda" / "main.go").write_text("package main\n\nfunc main() {}\n")
    infra = tmp_path / "infra"
    infra.mkdir()
    text = 'resource "aws_lambda_function" "q" {\n  filename = "q.zip"\n  runtime = "go1.x"\n  handler = "query"\n}\n'
    result = migrate_terraform(
        path=infra / "main.tf", text=text, options=MigrateOptions(build="gobuild")
    )

    assert [(f.name, f.package, f.architectures) for f in result.functions] == [
        ("query-lambda", "./cmd/query-lambda", ("amd64",))
    ]
    zip_path = "${path.module}/../dist/query-lambda-amd64.zip"
    assert result.new_text == (
        'resource "aws_lambda_function" "q" {\n'
        f'  filename = "{zip_path}"\n'
        f'  source_code_hash = filebase64sha256("{zip_path}")\n'
        '  runtime = "provided.al2023"\n  handler = "bootstrap"\n}\n'
    )
    assert result.notices == ()


def test_a_resource_label_never_names_a_function(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n")
    (tmp_path / "this").mkdir()
    (tmp_path / "this" / "main.go").write_text("package main\n\nfunc main() {}\n")
    text = 'resource "aws_lambda_function" "this" {\n  runtime = "go1.x"\n  handler = "main"\n}\n'
    result = migrate_terraform(path=tmp_path / "main.tf", text=text, options=MigrateOptions(build="gobuild"))

    assert result.new_text == text and result.functions == ()
    assert [(n.line, n.level, n.message) for n in result.notices] == [
        (
            1,
            "error",
            "aws_lambda_function.this: not migrated: no main package named "
            f"(no binary name to go by) in the module at {tmp_path}",
        )
    ]
