"""What migrate decides and reports: main packages found in the module (never guessed), custom
runtimes moved only when Go, Globals kept with a note, an old aws-lambda-go, package.patterns,
shared zips, CDK GoFunction, a diff of only the changed lines, and notes that a second run
reports again."""

from __future__ import annotations

from pathlib import Path

import pytest

from gobuild.manifest import parse_manifest
from gobuild.migrate import MigrateOptions, migrate, render_diff, write_report
from gobuild.migrate.locate import ModuleIndex
from gobuild.migrate.scan import scan

MAIN = 'package main\n\nimport "github.com/aws/aws-lambda-go/lambda"\n\nfunc main() { lambda.Start(nil) }\n'
HEADER = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"


def module(root: Path, *packages: str, gomod: str = "module example.com/shop\n\ngo 1.22\n") -> Path:
    (root / "go.mod").write_text(gomod)
    for package in packages:
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "main.go").write_text(MAIN)
    return root


def notes(report: object) -> list[tuple[str, int, str, str]]:
    return [
        (n.file.name, n.line, n.level, n.message)
        for n in report.notices  # type: ignore[attr-defined]
    ]


@pytest.mark.parametrize(
    "layout", ["orders", "cmd/orders", "functions/orders", "handlers/orders", "cmd/orders-lambda"]
)
def test_the_main_package_is_the_folder_named_like_the_old_binary(layout: str, tmp_path: Path) -> None:
    module(tmp_path, layout, "internal/tools/gen")
    (tmp_path / "template.yaml").write_text(
        HEADER + "Resources:\n  Api:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: build/\n      Handler: orders\n      Runtime: go1.x\n"
    )
    report = migrate([tmp_path], MigrateOptions(build="gobuild"))

    manifest = next(u for u in report.updates if u.path.name == "gobuild.toml")
    assert f'package = "./{layout}"' in manifest.after
    parse_manifest(manifest.after, path=tmp_path / "gobuild.toml")  # it loads
    assert f"CodeUri: dist/{Path(layout).name}-amd64.zip" in report.updates[0].after


def test_no_main_package_means_no_entry_and_an_error_note_not_a_guess(tmp_path: Path) -> None:
    module(tmp_path, "cmd/payments")
    text = (
        HEADER + "Resources:\n  OrdersFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: build/\n      Handler: orders\n      Runtime: go1.x\n"
    )
    (tmp_path / "template.yaml").write_text(text)
    report = migrate([tmp_path], MigrateOptions(build="gobuild"))

    assert not report.changed  # the function stays as it is, and no gobuild.toml is written
    assert notes(report) == [
        (
            "template.yaml",
            4,
            "error",
            f"OrdersFunction: not migrated: no main package named 'orders' or 'build' in the module at {tmp_path}",
        )
    ]


def test_two_folders_of_the_same_name_are_not_chosen_between(tmp_path: Path) -> None:
    module(tmp_path, "cmd/orders", "tools/orders")
    (tmp_path / "tools" / "orders" / "main.go").write_text(MAIN)
    index = ModuleIndex(tmp_path)
    found = index.locate(code_dir=None, names=("orders",))
    assert found.folder is None
    assert found.problem == "several main packages could be 'orders': ./cmd/orders, ./tools/orders"
    # One imports aws-lambda-go and the other does not: that one is the function.
    (tmp_path / "tools" / "orders" / "main.go").write_text("package main\n\nfunc main() {}\n")
    assert ModuleIndex(tmp_path).locate(code_dir=None, names=("orders",)).folder == tmp_path / "cmd" / "orders"


def test_a_folder_of_one_program_per_file_is_an_error_note(tmp_path: Path) -> None:
    module(tmp_path)
    (tmp_path / "functions").mkdir()
    for name in ("orders", "payments"):
        (tmp_path / "functions" / f"{name}.go").write_text(MAIN)
    (tmp_path / "serverless.yml").write_text(
        "service: s\nprovider:\n  name: aws\n  runtime: go1.x\nfunctions:\n  orders:\n    handler: bin/orders\n"
    )
    report = migrate([tmp_path], MigrateOptions(build="gobuild"))

    assert not report.changed
    [(_, line, level, message)] = notes(report)
    assert (line, level) == (6, "error")
    assert message == (
        "orders: not migrated: ./functions/orders.go is one of 2 programs in ./functions, one per file "
        "(orders.go, payments.go); gobuild builds a package, one per folder"
    )
    assert report.notices[0].replacement == (
        "move ./functions/orders.go to ./functions/orders/main.go (a folder of its own), then run migrate again"
    )


SHELL_AND_GO = (
    HEADER
    + """Globals:
  Function:
    Runtime: provided.al2
    Handler: bootstrap
Resources:
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: cmd/api/
  CronFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: scripts/
      Handler: cron.handler
"""
)


def test_a_shell_custom_runtime_is_left_byte_for_byte_and_keeps_globals(tmp_path: Path) -> None:
    module(tmp_path, "cmd/api")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "bootstrap").write_text("#!/bin/sh\nexec ./cron.sh\n")
    (tmp_path / "template.yaml").write_text(SHELL_AND_GO)
    report = migrate([tmp_path / "template.yaml"], MigrateOptions())

    after = report.updates[0].after
    assert after.startswith(SHELL_AND_GO.split("Resources:")[0])  # Globals unchanged
    assert after.endswith(SHELL_AND_GO.split("  CronFunction:")[1])  # the shell function too
    assert "      CodeUri: cmd/api/\n      Runtime: provided.al2023\n" in after
    assert "    Metadata:\n      BuildMethod: go1.x\n" in after
    assert notes(report) == [
        (
            "template.yaml",
            5,
            "info",
            "Globals.Function.Runtime provided.al2 kept: CronFunction inherits it and is not migrated "
            "(see its note); the migrated functions get their own Runtime",
        ),
        (
            "template.yaml",
            12,
            "info",
            "CronFunction: not Go: move its runtime yourself (Runtime provided.al2; no Go main package "
            "in scripts/ and no bootstrap with Go build information there)",
        ),
    ]


def test_globals_on_go1x_move_when_only_a_nodejs_function_overrides_them(tmp_path: Path) -> None:
    module(tmp_path, "cmd/orders")
    text = (
        HEADER
        + "Globals:\n  Function:\n    Runtime: go1.x\n    Handler: main\nResources:\n"
        "  OrdersFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: cmd/orders/\n      Runtime: go1.x\n"
        "  WebFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: web/\n      Runtime: nodejs20.x\n      Handler: index.handler\n"
    )
    (tmp_path / "template.yaml").write_text(text)
    report = migrate([tmp_path / "template.yaml"], MigrateOptions())

    after = report.updates[0].after
    assert "Globals:\n  Function:\n    Runtime: provided.al2023\n    Handler: bootstrap\n" in after
    assert "      Runtime: nodejs20.x\n      Handler: index.handler\n" in after
    assert report.notices == ()


def test_an_aws_lambda_go_older_than_v1_18_is_an_error_with_the_exact_fix(tmp_path: Path) -> None:
    module(
        tmp_path,
        "cmd/orders",
        gomod="module example.com/shop\n\ngo 1.22\n\nrequire (\n\tgithub.com/aws/aws-lambda-go v1.17.0\n)\n",
    )
    (tmp_path / "template.yaml").write_text(
        HEADER + "Resources:\n  OrdersFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: cmd/orders/\n      Handler: orders\n      Runtime: go1.x\n"
    )
    report = migrate([tmp_path], MigrateOptions())

    [note] = report.notices
    assert (note.file, note.line, note.level) == (tmp_path / "go.mod", 6, "error")
    assert "github.com/aws/aws-lambda-go v1.17.0 predates the Lambda Runtime API" in note.message
    assert note.replacement.startswith("go get github.com/aws/aws-lambda-go@latest")


def test_serverless_patterns_that_leave_out_bootstrap_are_an_error(tmp_path: Path) -> None:
    module(tmp_path, "cmd/orders")
    text = (
        "service: s\nprovider:\n  name: aws\n  runtime: go1.x\npackage:\n  patterns:\n"
        "    - '!./**'\n    - ./bin/**\nfunctions:\n  orders:\n    handler: bin/orders\n"
    )
    (tmp_path / "serverless.yml").write_text(text)
    report = migrate([tmp_path], MigrateOptions())

    assert notes(report) == [
        (
            "serverless.yml",
            7,
            "error",
            "orders: package.patterns (- '!./**' - ./bin/**) leave out bootstrap, the file handler "
            "bootstrap runs from the zip's root",
        )
    ]
    write_report(report)
    assert notes(migrate([tmp_path], MigrateOptions())) == notes(report)  # still there
    # Adding bootstrap to the patterns settles it.
    (tmp_path / "serverless.yml").write_text(
        (tmp_path / "serverless.yml").read_text().replace("./bin/**", "bootstrap")
    )
    assert migrate([tmp_path], MigrateOptions()).notices == ()


def test_one_prebuilt_zip_shared_by_several_functions_is_an_error(tmp_path: Path) -> None:
    module(tmp_path, "cmd/orders", "cmd/payments")
    resources = "".join(
        f"  {name.title()}Function:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        f"      CodeUri: build/functions.zip\n      Handler: {name}\n"
        for name in ("orders", "payments")
    )
    (tmp_path / "template.yaml").write_text(
        HEADER + "Globals:\n  Function:\n    Runtime: go1.x\nResources:\n" + resources
    )
    report = migrate([tmp_path], MigrateOptions())

    assert [(line, level, message.split(",")[0]) for _, line, level, message in notes(report)] == [
        (10, "error", "OrdersFunction shares its code build/functions.zip with PaymentsFunction"),
        (15, "error", "PaymentsFunction shares its code build/functions.zip with OrdersFunction"),
    ]
    # With gobuild each gets its own zip, and nothing is left to say.
    gobuild = migrate([tmp_path], MigrateOptions(build="gobuild"))
    assert gobuild.notices == ()
    assert "CodeUri: dist/orders-amd64.zip" in gobuild.updates[0].after


def test_notes_are_the_same_before_and_after_write(tmp_path: Path) -> None:
    module(tmp_path, "cmd/orders", "cmd/payments")
    (tmp_path / "template.yaml").write_text(
        HEADER
        + "Resources:\n"
        "  OrdersFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: {Bucket: artifacts, Key: orders.zip}\n      Handler: orders\n      Runtime: go1.x\n"
        "  PaymentsFunction:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: go1.x\n"
        "    Properties:\n      CodeUri: cmd/payments/\n      Handler: payments\n      Runtime: go1.x\n"
    )
    first = migrate([tmp_path], MigrateOptions(build="gobuild"))
    write_report(first)
    second = migrate([tmp_path], MigrateOptions(build="gobuild"))

    assert not second.changed
    assert [(n.level, n.message) for n in second.notices] == [(n.level, n.message) for n in first.notices]
    assert [n.message.split(":")[1].strip().split(" ")[0] for n in first.notices] == ["its"]
    # The zip CodeUri leaves nothing for `sam build`: the BuildMethod went with the folder.
    assert "BuildMethod" not in (tmp_path / "template.yaml").read_text()


def test_the_diff_of_a_long_template_shows_only_the_changed_lines(tmp_path: Path) -> None:
    module(tmp_path, "cmd/orders")
    filler = "".join(
        f"  Topic{i}:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: t{i}\n" for i in range(300)
    )
    text = (
        HEADER + "Resources:\n" + filler + "  OrdersFunction:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      CodeUri: cmd/orders/\n      Handler: orders\n      Runtime: go1.x\n" + filler.replace("Topic", "Queue")
    ).replace("\n", "\r\n")
    (tmp_path / "template.yaml").write_bytes(text.encode())
    diff = render_diff(migrate([tmp_path], MigrateOptions()), tmp_path)

    changed = [line for line in diff.split("\n") if line[:1] in ("+", "-") and line[:3] not in ("+++", "---")]
    assert changed == [
        "-      Handler: orders\r", "-      Runtime: go1.x\r",
        "+      Handler: bootstrap\r", "+      Runtime: provided.al2023\r",
        "+    Metadata:\r", "+      BuildMethod: go1.x\r",
    ]


@pytest.mark.parametrize(
    ("name", "text", "fix"),
    [
        ("stack.ts", "new GoFunction(this, 'Orders', {\n  entry: 'cmd/orders',\n});\n", "runtime: lambda.Runtime.PROVIDED_AL2023,"),
        ("app.py", "go_lambda.GoFunction(\n    self, 'Orders', entry='cmd/orders',\n)\n", "runtime=_lambda.Runtime.PROVIDED_AL2023,"),
        ("main.go", "awscdklambdagoalpha.NewGoFunction(stack, jsii.String(\"Orders\"), &awscdklambdagoalpha.GoFunctionProps{\n\tEntry: jsii.String(\"cmd/orders\"),\n})\n", "Runtime: awslambda.Runtime_PROVIDED_AL2023(),"),
    ],
)
def test_a_cdk_gofunction_without_runtime_is_noted(name: str, text: str, fix: str, tmp_path: Path) -> None:
    [note] = scan(path=tmp_path / name, text="// header\n" + text)
    assert (note.line, note.replacement) == (2, fix)
    assert "defaults to provided.al2" in note.message
    with_runtime = text.replace("entry", "runtime: lambda.Runtime.PROVIDED_AL2023, entry", 1)
    assert scan(path=tmp_path / name, text=with_runtime.replace("Entry", "Runtime: x, Entry")) == ()


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("stack.ts", "  runtime: lambda.Runtime.GO_1_X,"),
        ("stack.py", "    runtime=_lambda.Runtime.PROVIDED_AL2,"),
        ("infra.go", "\tRuntime: awslambda.Runtime_GO_1_X(),"),
        ("index.ts", "  runtime: aws.lambda.Runtime.Go1dx,"),
        ("__main__.py", "    runtime=aws.lambda_.Runtime.GO1DX,"),
        ("main.go", "\tRuntime: lambda.RuntimeGo1dx,"),
        ("index.js", '  runtime: "go1.x",'),
    ],
)
def test_runtimes_spelled_as_constants_are_noted_with_their_line(name: str, line: str, tmp_path: Path) -> None:
    [note] = scan(path=tmp_path / name, text=f"// infra\n{line}\n")
    assert note.line == 2
    assert "AL2023" in note.replacement.upper()


def test_the_diff_of_sixty_alike_functions_marks_no_unchanged_line(tmp_path: Path) -> None:
    # difflib's autojunk treats lines repeated this often as junk and used to show them as
    # removed and added again (600 lines instead of 360).
    module(tmp_path, *(f"cmd/f{i}" for i in range(60)))
    resources = "".join(
        f"  F{i}Function:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: cmd/f{i}/\n"
        f"      Handler: f{i}\n      Runtime: go1.x\n      Timeout: 10\n      MemorySize: 256\n"
        for i in range(60)
    )
    (tmp_path / "template.yaml").write_text(HEADER + "Resources:\n" + resources)
    diff = render_diff(migrate([tmp_path], MigrateOptions()), tmp_path)

    removed = [line for line in diff.split("\n") if line.startswith("-") and not line.startswith("---")]
    added = [line for line in diff.split("\n") if line.startswith("+") and not line.startswith("+++")]
    assert len(removed) == 120 and all(line.startswith(("-      Handler: f", "-      Runtime: go1.x")) for line in removed)
    assert len(added) == 240


@pytest.mark.parametrize("definition", [
    ("main.tf", 'resource "aws_lambda_function" "api" {\n  function_name = "api"\n  runtime = "provided.al2023"\n'
                '  handler = "bootstrap"\n  filename = "build/api.zip"\n  role = "arn:aws:iam::1:role/x"\n}\n'),
    ("template.yaml", HEADER + "Resources:\n  Api:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                      "      CodeUri: build/api.zip\n      Handler: bootstrap\n      Runtime: provided.al2023\n"),
])
def test_a_function_already_on_al2023_is_pointed_at_init_not_at_migrate_again(
        definition: tuple[str, str], tmp_path: Path) -> None:
    """migrate leaves a provided.al2023 function alone, so its prebuilt-zip note must not send the
    user back to `migrate --build gobuild`; with no gobuild.toml, the last step says to run init."""
    module(tmp_path, "cmd/api")
    (tmp_path / definition[0]).write_text(definition[1])

    report = migrate([tmp_path], MigrateOptions(build="gobuild"))

    assert not report.changed
    fixes = [n.replacement for n in report.notices if "prebuilt zip" in n.message]
    assert fixes and all("`gobuild init`" in fix and "functions it moves off" in fix for fix in fixes)
    assert "`gobuild init`" in report.next_steps[-1]
    assert "`gobuild init`" not in " ".join(migrate([tmp_path], MigrateOptions()).next_steps)  # sam: no step

    (tmp_path / "gobuild.toml").write_text('[[function]]\nname = "api"\npackage = "./cmd/api"\n')
    assert not any("`gobuild init` in" in step for step in migrate([tmp_path], MigrateOptions(build="gobuild")).next_steps)
