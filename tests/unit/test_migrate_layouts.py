"""Finding each function's package in the layouts real repositories use: Makefile `go build`
lines and SAM build targets (read, never run), `services/<name>/cmd`, one Go module per
function (module_dir), one program per file, and a Terraform module reused per service."""

from __future__ import annotations

from pathlib import Path

import pytest

from gobuild.manifest import parse_manifest
from gobuild.migrate import MigrateOptions, migrate
from gobuild.migrate.locate import Located, ModuleIndex, function_name
from gobuild.migrate.makerules import parse_makefile
from gobuild.migrate.workspace import Resolved, Workspace

MAIN = 'package main\n\nimport "github.com/aws/aws-lambda-go/lambda"\n\nfunc main() { lambda.Start(nil) }\n'
HEADER = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"


def module(root: Path, *packages: str, path: str = "example.com/shop") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "go.mod").write_text(f"module {path}\n\ngo 1.22\n")
    for package in packages:
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "main.go").write_text(MAIN)
    return root


def manifest_of(report: object) -> str:
    return next(u.after for u in report.updates if u.path.name == "gobuild.toml")  # type: ignore[attr-defined]


def test_a_makefile_states_each_build_with_its_folder_output_and_tags(tmp_path: Path) -> None:
    text = (
        "GO := go\nFLAGS = -tags netgo,osusergo\nCMD = CGO_ENABLED=0 $(GO) build $(FLAGS) \\\n"
        "\t-o ${ARTIFACTS_DIR}/main .\n\n"
        "build-OrdersFunction:\n\tcd services/orders && $(CMD)\n"
        "all: ; env GOOS=linux go build -C tools -o ../bin/report ./cmd/report\n"
        "%.zip: ; go build -o $* ./cmd/$*\n"
        "files:\n\t@go build -o bin/create notes/create.go && echo done\n"
    )
    makefile = parse_makefile(tmp_path / "Makefile", text)

    orders, = makefile.go_builds("build-OrdersFunction")
    assert (orders.folder, orders.output, orders.output_name) == (
        tmp_path / "services" / "orders", "$(ARTIFACTS_DIR)/main", "main",
    )
    assert orders.tags == ("netgo", "osusergo")
    assert makefile.origin(orders) == 3  # the variable that holds -o, not the recipe line
    report, = makefile.go_builds("all")
    assert (report.folder, report.output_path) == (tmp_path / "tools" / "cmd" / "report", tmp_path / "bin" / "report")
    create, = makefile.go_builds("files")
    assert (create.folder, create.files, create.output_name) == (tmp_path / "notes", ("notes/create.go",), "create")
    assert "%.zip" not in makefile.rules  # pattern rules are not followed


def test_a_makefile_line_maps_a_binary_to_a_package_of_another_name(tmp_path: Path) -> None:
    module(tmp_path, "handler/auth/login")
    (tmp_path / "Makefile").write_text("build:\n\tgo build -o bin/api/signin handler/auth/login/main.go\n")
    (tmp_path / "serverless.yml").write_text(
        "service: s\nprovider:\n  name: aws\n  runtime: go1.x\nfunctions:\n"
        "  signin:\n    handler: bin/api/signin\n"
    )
    report = migrate([tmp_path], MigrateOptions(build="gobuild"))

    assert report.notices == ()
    assert 'name = "login"\npackage = "./handler/auth/login"\n' in manifest_of(report)
    assert "artifact: dist/login-amd64.zip" in report.updates[0].after
    # Without the Makefile nothing says which package `signin` is: an error, not a guess.
    (tmp_path / "Makefile").unlink()
    [note] = migrate([tmp_path], MigrateOptions(build="gobuild")).notices
    assert note.level == "error" and "no main package named 'signin'" in note.message


def test_a_service_folder_named_cmd_is_named_after_the_service(tmp_path: Path) -> None:
    module(tmp_path, "services/orders/cmd", "services/payments/cmd", "cmd/tool")
    index = ModuleIndex(tmp_path)

    found = index.locate(code_dir=None, names=("orders",))
    assert found.folder == tmp_path / "services" / "orders" / "cmd"
    assert function_name(found.folder, tmp_path, ("orders",)) == "orders"
    # A generic folder right under the manifest's folder takes the binary's name instead.
    assert function_name(tmp_path / "cmd", tmp_path, ("indexer",)) == "indexer"


def test_a_sam_build_target_that_cds_into_its_own_module_sets_module_dir(tmp_path: Path) -> None:
    for name in ("quotes", "health"):
        module(tmp_path / "lambdas" / name, ".", path=name)
    (tmp_path / "Makefile").write_text(
        "cmd=GOOS=linux go build -tags netgo -o $(ARTIFACTS_DIR)/main .\n"
        "build-QuotesFunction:\n\tcd lambdas/quotes && $(cmd)\n"
    )
    workspace = Workspace()
    _, builds = workspace.sam_target(tmp_path, "QuotesFunction") or (None, [])
    found = workspace.resolve(code=tmp_path, start=tmp_path, names=("quotes",), build=builds[0])

    assert isinstance(found, Resolved)
    assert (found.top, found.module_dir, found.package, found.name) == (tmp_path, "lambdas/quotes", ".", "quotes")
    assert found.tags == ("netgo",)
    assert workspace.sam_target(tmp_path, "HealthFunction") is None


def test_one_module_per_sam_function_gets_one_manifest_with_module_dir(tmp_path: Path) -> None:
    for name in ("quotes", "health"):
        module(tmp_path / "lambdas" / name, ".", path=name)
    (tmp_path / "Makefile").write_text(
        "cmd=go build -o $(ARTIFACTS_DIR)/main .\n"
        "build-QuotesFunction:\n\tcd lambdas/quotes && $(cmd)\nbuild-HealthFunction:\n\tcd lambdas/health && $(cmd)\n"
    )
    resources = "".join(
        f"  {n.title()}Function:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: go1.x\n"
        "      Handler: main\n    Metadata:\n      BuildMethod: makefile\n"
        for n in ("quotes", "health")
    )
    (tmp_path / "template.yaml").write_text(HEADER + "Resources:\n" + resources)
    report = migrate([tmp_path], MigrateOptions(build="gobuild"))

    manifest = manifest_of(report)
    assert 'name = "quotes"\nmodule_dir = "lambdas/quotes"\npackage = "."\n' in manifest
    assert [f.name for f in parse_manifest(manifest, path=tmp_path / "gobuild.toml").functions] == ["quotes", "health"]
    template = report.updates[0].after
    assert "CodeUri: dist/quotes-amd64.zip" in template and "BuildMethod" not in template


def test_nested_modules_below_the_definition_are_searched_by_name(tmp_path: Path) -> None:
    module(tmp_path / "functions" / "resize", ".", path="resize")
    module(tmp_path / "functions" / "notify", ".", path="notify")
    workspace = Workspace()

    found = workspace.resolve(code=None, start=tmp_path, names=("resize",))
    assert isinstance(found, Resolved) and found.root == tmp_path / "functions" / "resize"
    missing = workspace.resolve(code=None, start=tmp_path, names=("billing",))
    assert isinstance(missing, Located) and missing.problem == f"no go.mod at or above {tmp_path}"


def test_a_program_built_file_by_file_is_named_in_the_error(tmp_path: Path) -> None:
    module(tmp_path)
    (tmp_path / "todos").mkdir()
    for name in ("create", "delete"):
        (tmp_path / "todos" / f"{name}.go").write_text(MAIN)
    (tmp_path / "Makefile").write_text(
        "build:\n\tgo build -o bin/add todos/create.go\n\tgo build -o bin/remove todos/delete.go\n"
    )
    (tmp_path / "serverless.yml").write_text(
        "service: s\nprovider:\n  name: aws\n  runtime: go1.x\nfunctions:\n  add:\n    handler: bin/add\n"
    )
    [note] = migrate([tmp_path], MigrateOptions(build="gobuild")).notices

    assert note.message == (
        "add: not migrated: ./todos/create.go is one of 2 programs in ./todos, one per file "
        "(create.go, delete.go); gobuild builds a package, one per folder"
    )
    assert note.replacement.startswith("move ./todos/create.go to ./todos/create/main.go")


REUSED = """resource "aws_lambda_function" "default" {
  function_name = "${var.service_name}-${var.env}"
  s3_bucket     = var.bucket
  s3_key        = "${var.service_name}.zip"
  handler       = "index.handler"
  runtime       = "go1.x"
}
"""


def calls(*names: str) -> str:
    return "".join(
        f'module "{n.replace("-", "_")}" {{\n  source       = "../modules/svc"\n  service_name = "{n}"\n}}\n\n'
        for n in names
    )


def test_a_module_called_once_per_service_is_one_function_per_call(tmp_path: Path) -> None:
    module(tmp_path, "services/orders/cmd", "services/payments/cmd")
    (tmp_path / "infra" / "modules" / "svc").mkdir(parents=True)
    (tmp_path / "infra" / "modules" / "svc" / "main.tf").write_text(REUSED)
    (tmp_path / "infra" / "env").mkdir()
    (tmp_path / "infra" / "env" / "main.tf").write_text(calls("orders", "payments"))
    report = migrate([tmp_path], MigrateOptions(build="gobuild"))

    manifest = manifest_of(report)
    assert 'name = "orders"\npackage = "./services/orders/cmd"' in manifest
    assert 'name = "payments"\npackage = "./services/payments/cmd"' in manifest
    [note] = report.notices
    assert note.message.startswith("aws_lambda_function.default (a function for each of 2 calls")
    assert "gobuild publish --format tfvars" in note.replacement and "var.service_name" in note.replacement
    assert "filename" not in note.replacement


def test_a_reused_module_with_one_call_not_found_is_left_with_an_error(tmp_path: Path) -> None:
    module(tmp_path, "services/orders/cmd")
    (tmp_path / "infra" / "modules" / "svc").mkdir(parents=True)
    (tmp_path / "infra" / "modules" / "svc" / "main.tf").write_text(REUSED)
    (tmp_path / "infra" / "env").mkdir()
    (tmp_path / "infra" / "env" / "main.tf").write_text(calls("orders", "ledger"))
    report = migrate([tmp_path], MigrateOptions(build="gobuild"))

    assert not report.changed  # never one function standing for the others
    [note] = report.notices
    assert note.level == "error"
    assert "this module makes 2 functions, one per call, and 1 of them has no main package" in note.message
    assert "module.ledger (main.tf:6)" in note.message


def test_a_module_named_without_its_inputs_is_one_program_whoever_calls_it(tmp_path: Path) -> None:
    module(tmp_path, "services/graphql")
    (tmp_path / "infra" / "env").mkdir(parents=True)
    (tmp_path / "infra" / "env" / "graphql.tf").write_text(
        'locals {\n  NAME = "graphql"\n}\n\nresource "aws_lambda_function" "graphql" {\n'
        '  function_name = "${local.NAME}-${var.stage}"\n  s3_bucket = var.bucket\n  s3_key = "graphql.zip"\n'
        '  handler = "index.handler"\n  runtime = "provided.al2"\n}\n'
    )
    (tmp_path / "infra" / "main.tf").write_text(
        'module "dev" {\n  source = "./env"\n}\n\nmodule "prod" {\n  source = "./env"\n}\n'
    )
    report = migrate([tmp_path], MigrateOptions(build="gobuild"))

    assert manifest_of(report).count("[[function]]") == 1
    assert 'name = "graphql"\npackage = "./services/graphql"' in manifest_of(report)
    assert [n.message.split(":")[0] for n in report.notices] == ["aws_lambda_function.graphql"]


@pytest.mark.parametrize("filename", ['"${var.path}/greeter/greeter.zip"', "data.archive_file.greeter.output_path"])
def test_gobuild_points_an_archive_file_function_at_its_zip(filename: str, tmp_path: Path) -> None:
    module(tmp_path, "lambdas/greeter")
    (tmp_path / "terraform").mkdir()
    (tmp_path / "terraform" / "variables.tf").write_text('variable "path" {\n  default = "../lambdas"\n}\n')
    (tmp_path / "terraform" / "main.tf").write_text(
        'data "archive_file" "greeter" {\n  type        = "zip"\n  source_file = "${var.path}/greeter/main"\n'
        '  output_path = "${var.path}/greeter/greeter.zip"\n}\n\n'
        f'resource "aws_lambda_function" "greeter" {{\n  filename         = {filename}\n'
        '  source_code_hash = data.archive_file.greeter.output_base64sha256\n'
        '  handler          = "main"\n  runtime          = "go1.x"\n}\n'
    )
    report = migrate([tmp_path], MigrateOptions(build="gobuild"))

    after = report.updates[0].after
    assert '  filename         = "${path.module}/../dist/greeter-amd64.zip"\n' in after
    assert 'source_code_hash = filebase64sha256("${path.module}/../dist/greeter-amd64.zip")' in after
    [note] = report.notices  # the archive_file is left, and said to be unused
    assert (note.line, note.message.split(" is ")[0]) == (1, "data.archive_file.greeter")


def test_a_makefile_that_cannot_be_read_gives_no_hint_and_stops_nothing(tmp_path: Path) -> None:
    module(tmp_path, "functions/orders")
    (tmp_path / "Makefile").write_bytes(b"build:\n\tgo build -o bin/orders ./functions/\xff\n")
    (tmp_path / "GNUmakefile").write_bytes(b"#" * (1024 * 1024 + 1))
    (tmp_path / "serverless.yml").write_text(
        "service: s\nprovider:\n  name: aws\n  runtime: go1.x\nfunctions:\n  orders:\n    handler: bin/orders\n"
    )
    report = migrate([tmp_path / "serverless.yml"], MigrateOptions(build="gobuild"))

    assert 'package = "./functions/orders"' in manifest_of(report)  # found by its name instead


def test_a_makefile_whose_variables_expand_exponentially_is_cut_short(tmp_path: Path) -> None:
    levels = ["V0 = go build -o bin/x ./cmd/x"]
    levels += [f"V{i} = " + f"$(V{i - 1}) " * 50 for i in range(1, 9)]  # 50**8 copies if expanded
    text = "\n".join(levels) + "\nall:\n\t$(V8)\n"
    makefile = parse_makefile(tmp_path / "Makefile", text)

    builds = makefile.go_builds("all")
    assert builds and len(makefile.recipe("all")[0][1]) <= 64 * 1024  # type: ignore[index]
    assert builds[0].output == "bin/x"


def test_a_go_work_above_the_module_holds_the_manifest(tmp_path: Path) -> None:
    # Go builds apis/app with the go.work above it (its libraries are found only there):
    # gobuild must too, so gobuild.toml goes beside go.work.
    (tmp_path / ".git").mkdir()
    (tmp_path / "go.work").write_text("go 1.22\n\nuse (\n\t./apis/app\n\t./libs/store\n)\n")
    module(tmp_path / "apis" / "app", "handler/auth/login", path="example.com/app")
    (tmp_path / "apis" / "app" / "serverless.yml").write_text(
        "service: s\nprovider:\n  name: aws\n  runtime: go1.x\nfunctions:\n  login:\n    handler: bin/login\n"
    )
    report = migrate([tmp_path / "apis"], MigrateOptions(build="gobuild"))

    manifest = next(u for u in report.updates if u.path.name == "gobuild.toml")
    assert manifest.path == tmp_path / "gobuild.toml"
    assert 'name = "login"\nmodule_dir = "apis/app"\npackage = "./handler/auth/login"\n' in manifest.after
    assert "artifact: ../../dist/login-amd64.zip" in report.updates[0].after
