"""What migrate reports, and what it no longer reports, in the shapes the field survey found:
where the binary's name lives (Makefile targets, Serverless packaging, Terraform archives),
a BuildMethod that goes with a folder CodeUri, functions that already run bootstrap, stale
Globals, runtimes in module inputs and conditionals, templated files, tests, repeated notes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from gobuild.migrate import MigrateOptions, TemplateSyntaxError, migrate, write_report
from gobuild.migrate.scan import scan

MAIN = 'package main\n\nimport "github.com/aws/aws-lambda-go/lambda"\n\nfunc main() { lambda.Start(nil) }\n'
HEADER = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"


def module(root: Path, *packages: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "go.mod").write_text("module example.com/shop\n\ngo 1.22\n")
    for package in packages:
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "main.go").write_text(MAIN)
    return root


def notes(report: object) -> list[tuple[str, int, str, str]]:
    return [(n.file.name, n.line, n.level, n.message) for n in report.notices]  # type: ignore[attr-defined]


def makefile_function() -> str:
    return (
        HEADER + "Resources:\n  OrdersFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Runtime: go1.x\n      Handler: main\n    Metadata:\n      BuildMethod: makefile\n"
    )


@pytest.mark.parametrize(
    ("recipe", "expected"),
    [
        ("\tgo build -o $(ARTIFACTS_DIR)/main ./cmd/orders\n", [("Makefile", 2, "error")]),
        ("\tgo build -o $(ARTIFACTS_DIR)/bootstrap ./cmd/orders\n", []),
        ("\tcp build/bootstrap $(ARTIFACTS_DIR)/\n", []),
    ],
)
def test_a_makefile_target_beside_a_template_without_codeuri_is_checked(
    recipe: str, expected: list[tuple[str, int, str]], tmp_path: Path
) -> None:
    module(tmp_path, "cmd/orders")
    (tmp_path / "Makefile").write_text("build-OrdersFunction:\n" + recipe)
    (tmp_path / "template.yaml").write_text(makefile_function())
    report = migrate([tmp_path], MigrateOptions())

    assert [(file, line, level) for file, line, level, _ in notes(report)] == expected
    assert all("not given" not in message for *_, message in notes(report))
    if expected:
        assert report.notices[0].message.startswith("build-OrdersFunction writes $(ARTIFACTS_DIR)/main")
        assert report.notices[0].replacement == "-o $(ARTIFACTS_DIR)/bootstrap"


PROVIDED = (
    HEADER
    + """Globals:
  Function:
    Runtime: provided.al2
    Handler: bootstrap
Resources:
  ListFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/list/
    Metadata:
      BuildMethod: makefile
  EventsFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/events/
"""
)


def test_functions_already_on_bootstrap_get_no_handler_and_no_build_notes(tmp_path: Path) -> None:
    module(tmp_path, "functions/list", "functions/events")
    (tmp_path / "template.yaml").write_text(PROVIDED)
    report = migrate([tmp_path], MigrateOptions())

    assert report.notices == ()  # no Makefile in functions/list: not the runtime's business
    assert [(c.line, c.old, c.new) for c in report.changes] == [
        (5, "Runtime: provided.al2", "Runtime: provided.al2023"),
        (18, "", "Metadata: BuildMethod: go1.x"),
    ]
    assert "Handler" not in report.updates[0].after.split("Resources:")[1]


def test_gobuild_takes_the_build_method_away_with_the_folder(tmp_path: Path) -> None:
    module(tmp_path, "functions/list", "functions/events")
    text = PROVIDED.replace(
        "    Metadata:\n      BuildMethod: makefile\n",
        "    Metadata:\n      BuildMethod: makefile\n      BuildProperties: {Target: x}\n",
    ) + "    Metadata:\n      BuildMethod: go1.x\n      Owner: team-a\n"
    (tmp_path / "template.yaml").write_text(text)
    report = migrate([tmp_path], MigrateOptions(build="gobuild"))
    write_report(report)

    after = (tmp_path / "template.yaml").read_text()
    assert "BuildMethod" not in after and "BuildProperties" not in after
    assert after.endswith("      CodeUri: dist/events-amd64.zip\n    Metadata:\n      Owner: team-a\n")
    assert [c.old for c in report.changes if not c.new] == [
        "Metadata.BuildMethod: makefile",
        "Metadata.BuildMethod: go1.x",
    ]
    again = migrate([tmp_path], MigrateOptions(build="gobuild"))
    assert (again.changed, again.notices) == (False, ())


def test_a_json_template_loses_its_build_method_too(tmp_path: Path) -> None:
    module(tmp_path, "cmd/orders")
    (tmp_path / "template.json").write_text(
        '{\n  "Transform": "AWS::Serverless-2016-10-31",\n  "Resources": {\n    "OrdersFunction": {\n'
        '      "Type": "AWS::Serverless::Function",\n      "Metadata": {"BuildMethod": "go1.x"},\n'
        '      "Properties": {"CodeUri": "cmd/orders/", "Handler": "orders", "Runtime": "go1.x"}\n    }\n  }\n}\n'
    )
    report = migrate([tmp_path], MigrateOptions(build="gobuild"))

    after = report.updates[0].after
    assert '"Type": "AWS::Serverless::Function",\n      "Properties"' in after
    assert '"CodeUri": "dist/orders-amd64.zip"' in after


def test_stale_go1x_globals_move_when_every_function_overrides_them(tmp_path: Path) -> None:
    module(tmp_path, "handlers/users")
    (tmp_path / "template.yml").write_text(
        HEADER + "Globals:\n  Function:\n    Handler: main\n    Runtime: go1.x\n    Timeout: 5\nResources:\n"
        "  UsersFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: ./handlers/users\n      Handler: main\n      Runtime: go1.x\n"
        "  WebFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: ./web\n      Handler: index.handler\n      Runtime: nodejs20.x\n"
    )
    report = migrate([tmp_path], MigrateOptions())

    assert "  Function:\n    Handler: bootstrap\n    Runtime: provided.al2023\n" in report.updates[0].after
    assert report.notices == ()


def test_serverless_packaging_of_the_old_binaries_is_noted_where_it_is_written(tmp_path: Path) -> None:
    module(tmp_path, "todos/create", "todos/list")
    (tmp_path / "Makefile").write_text("build:\n\tgo build -o out/list/handler ./todos/list\n")
    (tmp_path / "serverless.yml").write_text(
        "service: s\nprovider:\n  name: aws\n  runtime: go1.x\nfunctions:\n"
        "  create:\n    handler: bin/create\n    package:\n      include:\n        - ./bin/create\n"
        "  list:\n    handler: out/list/handler\n    package:\n      patterns:\n        - out/list/*\n"
    )
    report = migrate([tmp_path], MigrateOptions())

    assert [(line, level, message.split(";")[0]) for _, line, level, message in notes(report)] == [
        (10, "info", "create: package.include ships ./bin/create, where the old binary was"),
        (15, "info", "list: package.patterns ships out/list/*, where the old binaries were"),
    ]
    # package.artifact (what --build gobuild sets) replaces the patterns: nothing is left.
    assert migrate([tmp_path], MigrateOptions(build="gobuild")).notices == ()


def test_a_runtime_terraform_computes_is_reported_only_when_it_can_be_old(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'locals {\n  rt = "go1.x"\n}\n\n'
        'resource "aws_lambda_function" "new" {\n  runtime = var.image == "" ? "provided.al2023" : null\n}\n\n'
        'resource "aws_lambda_function" "old" {\n  runtime = var.fast ? "go1.x" : "provided.al2"\n}\n\n'
        'resource "aws_lambda_function" "local" {\n  runtime = local.rt\n}\n'
    )
    report = migrate([tmp_path], MigrateOptions())

    assert [(line, message) for _, line, _, message in notes(report)] == [
        (10, "aws_lambda_function.old: runtime = var.fast ? \"go1.x\" : \"provided.al2\" chooses 'go1.x' or "
         "'provided.al2'; not rewritten"),
        (14, "aws_lambda_function.local: runtime = local.rt is held in a variable or local (which is 'go1.x'); "
         "not guessed"),
    ]


def test_a_module_input_runtime_moves_in_the_call(tmp_path: Path) -> None:
    module(tmp_path / "fetch", ".")
    (tmp_path / "infra" / "fn").mkdir(parents=True)
    (tmp_path / "infra" / "fn" / "vars.tf").write_text('variable "run_time" {\n}\n\nvariable "zip" {\n}\n')
    (tmp_path / "infra" / "fn" / "main.tf").write_text(
        'resource "aws_lambda_function" "f" {\n  filename = "${var.zip}"\n  handler  = "bootstrap"\n'
        '  runtime  = "${var.run_time}"\n}\n'
    )
    (tmp_path / "infra" / "main.tf").write_text(
        'module "fetch" {\n  source   = "./fn"\n  zip      = "../fetch/bootstrap.zip"\n  run_time = "provided.al2"\n}\n'
    )
    report = migrate([tmp_path / "infra"], MigrateOptions())

    assert [(c.file.name, c.line, c.old, c.new) for c in report.changes] == [
        ("main.tf", 4, 'run_time = "provided.al2"', 'run_time = "provided.al2023"'),
    ]
    assert report.notices == ()  # the child's "${var.run_time}" is set by the call


def test_a_prebuilt_zip_is_checked_for_bootstrap_when_it_exists(tmp_path: Path) -> None:
    module(tmp_path, "cmd/orders")
    (tmp_path / "main.tf").write_text(
        'resource "aws_lambda_function" "orders" {\n  filename = "build/orders.zip"\n'
        '  handler  = "bootstrap"\n  runtime  = "provided.al2023"\n}\n'
    )
    (tmp_path / "build").mkdir()
    with zipfile.ZipFile(tmp_path / "build" / "orders.zip", "w") as archive:
        archive.writestr("orders", b"\x7fELF")
    [note] = migrate([tmp_path], MigrateOptions()).notices
    assert (note.level, note.message.split("; ")[1]) == ("error", "it holds no bootstrap")

    with zipfile.ZipFile(tmp_path / "build" / "orders.zip", "w") as archive:
        archive.writestr("bootstrap", b"\x7fELF")
    assert migrate([tmp_path], MigrateOptions()).notices == ()


def test_a_templated_file_in_a_folder_is_skipped_with_a_note(tmp_path: Path) -> None:
    module(tmp_path, "cmd/orders")
    (tmp_path / "template.yaml").write_text(
        HEADER + "Resources:\n  OrdersFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: cmd/orders/\n      Handler: orders\n      Runtime: go1.x\n"
    )
    skeleton = tmp_path / "{{cookiecutter.project_name}}"
    skeleton.mkdir()
    (skeleton / "template.yaml").write_text(
        HEADER + "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Runtime: go1.x\n{%- if cookiecutter.tracing %}\n      Tracing: Active\n{%- endif %}\n"
    )
    report = migrate([tmp_path], MigrateOptions())

    assert [u.path.name for u in report.updates] == ["template.yaml"]  # the real one moved
    [(_, line, level, message)] = notes(report)
    assert (line, level) == (8, "info")
    assert message.startswith("not migrated: a template for a project generator")
    with pytest.raises(TemplateSyntaxError):  # named on its own, it is an error
        migrate([skeleton / "template.yaml"], MigrateOptions())


def test_tests_and_comments_are_not_infrastructure(tmp_path: Path) -> None:
    assert scan(path=tmp_path / "stack_test.go", text='want := `"Runtime": "provided.al2"`\n') == ()
    assert scan(path=tmp_path / "stack.test.ts", text="runtime: Runtime.GO_1_X,\n") == ()
    assert scan(path=tmp_path / "test_stack.py", text="runtime=Runtime.GO_1_X,\n") == ()
    commented = "// runtime: Runtime.GO_1_X,\n/* handler: 'main',\n   runtime: Runtime.GO_1_X */\n"
    assert scan(path=tmp_path / "stack.ts", text=commented) == ()
    assert scan(path=tmp_path / "stack.py", text="# runtime=Runtime.GO_1_X,\n") == ()
    assert scan(path=tmp_path / "deploy.sh", text="# aws lambda create-function --runtime go1.x\n") == ()


def test_identical_notes_of_one_file_come_once_with_their_lines(tmp_path: Path) -> None:
    (tmp_path / "project.yaml").write_text(
        "".join(f"svc{i}:\n  runtime: go1.x\n" for i in range(14)) + "last:\n  runtime: provided.al2\n"
    )
    report = migrate([tmp_path], MigrateOptions())

    assert [(n.line, n.message.split(" (also")[1] if " (also" in n.message else "") for n in report.notices] == [
        (2, " lines 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, ...)"),
        (30, ""),
    ]


def test_the_go1x_bundling_image_is_replaced_by_one_that_has_go(tmp_path: Path) -> None:
    [image] = scan(path=tmp_path / "app.py", text="bundling=BundlingOptions(image=_lambda.Runtime.GO_1_X.bundling_image,\n")
    assert image.replacement == 'bundling=BundlingOptions(image=DockerImage.from_registry("golang:1"),'
    assert "PROVIDED_AL2023" not in image.replacement


@pytest.mark.parametrize("kind", ["garbage", "truncated", "fifo", "elf-without-go"])
def test_a_code_zip_that_cannot_be_read_is_not_go_and_stops_nothing(kind: str, tmp_path: Path) -> None:
    import os

    (tmp_path / "build").mkdir()
    code = tmp_path / "build" / "orders.zip"
    if kind == "fifo":
        os.mkfifo(code)  # never opened for reading: it would wait for a writer
    elif kind == "garbage":
        code.write_bytes(b"PK\x03\x04" + b"\xff" * 200)
    else:
        with zipfile.ZipFile(code, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("bootstrap", b"\x7fELF" + b"\0" * 5000)
        data = code.read_bytes()
        code.write_bytes(data[: len(data) // 2] if kind == "truncated" else data)
    (tmp_path / "template.yaml").write_text(
        HEADER + "Resources:\n  OrdersFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: build/orders.zip\n      Handler: bootstrap\n      Runtime: provided.al2\n"
    )
    report = migrate([tmp_path / "template.yaml"], MigrateOptions())

    assert not report.changed  # not shown to be Go: left as it is
    [note] = report.notices
    assert note.message.startswith("OrdersFunction: not Go: move its runtime yourself")
