"""Reading definitions: SAM/CloudFormation (YAML, JSON), serverless.yml and Terraform, with the
line of every value, SAM Globals, code references, and values that are not resolved."""

from __future__ import annotations

from pathlib import Path

import pytest

from gobuild.deploy.cfn import read_template
from gobuild.deploy.model import DefinitionError, FunctionDef
from gobuild.deploy.serverless import read_serverless
from gobuild.deploy.terraform import read_terraform
from gobuild.errors import GobuildError

SAM = """\
Globals:
  Function:
    Runtime: go1.x
    Handler: bootstrap
    Architectures: [x86_64]
    Environment:
      Variables:
        STAGE: dev
Resources:
  Inherits:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://artifacts/orders.zip
  Overrides:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Architectures:
        - arm64
      CodeUri: {Bucket: artifacts, Key: !Ref OrdersArm64S3Key}
      Environment:
        Variables:
          AWS_REGION: x
  Built:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: cmd/built/
      Timeout: !If [IsProd, 30, 10]
    Metadata:
      BuildMethod: go1.x
  Image:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      Code: {S3Bucket: artifacts, S3Key: plain.zip, S3ObjectVersion: "3"}
  Bucket:
    Type: AWS::S3::Bucket
"""


def read(text: str, name: str = "template.yaml") -> dict[str, FunctionDef]:
    return {fn.name: fn for fn in read_template(Path("/p") / name, text, name)}


def test_sam_functions_inherit_globals_with_the_lines_of_the_globals() -> None:
    functions = read(SAM)
    assert list(functions) == ["Inherits", "Overrides", "Built", "Image", "Plain"]
    inherits = functions["Inherits"]
    assert inherits.runtime and (inherits.runtime.text, inherits.runtime.place.line) == ("go1.x", 3)
    assert inherits.architectures and inherits.architectures.items == ("x86_64",)
    assert [(name, place.line) for name, place in inherits.environment] == [("STAGE", 8)]
    assert (inherits.code.kind, inherits.code.bucket, inherits.code.key) == ("s3", "artifacts", "orders.zip")
    assert inherits.place.line == 10 and inherits.format == "sam"


def test_a_function_value_replaces_the_global_and_environments_merge() -> None:
    overrides = read(SAM)["Overrides"]
    assert overrides.runtime and overrides.runtime.text == "provided.al2023"
    assert overrides.architectures and overrides.architectures.items == ("arm64",)
    assert overrides.architectures.place.line == 19
    assert [name for name, _ in overrides.environment] == ["STAGE", "AWS_REGION"]
    code = overrides.code
    assert (code.kind, code.parameter, code.place.line) == ("unresolved", "OrdersArm64S3Key", 20)
    assert "Key is !Ref OrdersArm64S3Key" in code.detail


def test_sam_build_folders_images_and_plain_cloudformation() -> None:
    functions = read(SAM)
    built = functions["Built"]
    assert built.code.kind == "path" and built.code.path == Path("/p/cmd/built/")
    assert built.code.built_by == "sam build (Metadata BuildMethod go1.x)"
    assert built.timeout and built.timeout.text is None and "!If" in built.timeout.written
    assert functions["Image"].code.kind == "image"
    plain = functions["Plain"]
    assert plain.format == "cloudformation" and plain.runtime is None  # no Globals for Lambda::Function
    assert (plain.code.kind, plain.code.key, plain.code.version) == ("s3", "plain.zip", "3")


def test_json_templates_have_lines_too() -> None:
    text = (
        '{\n  "Resources": {\n    "Fn": {\n      "Type": "AWS::Lambda::Function",\n'
        '      "Properties": {\n        "Runtime": "provided.al2",\n        "Timeout": 901,\n'
        '        "Code": {"ZipFile": "x"}\n      }\n    }\n  }\n}\n'
    )
    fn = read(text, "stack.json")["Fn"]
    assert fn.runtime and (fn.runtime.text, fn.runtime.place.line) == ("provided.al2", 6)
    assert fn.timeout and (fn.timeout.text, fn.timeout.place.line) == ("901", 7)
    assert fn.code.kind == "inline" and fn.place.line == 3


def test_intrinsics_are_kept_as_written() -> None:
    text = (
        "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      Runtime: {'Fn::If': [IsGo, provided.al2023, python3.13]}\n"
        "      Code: !Ref CodeLocation\n      Handler:\n"
    )
    fn = read(text)["Fn"]
    assert fn.runtime and fn.runtime.text is None and "Fn::If" in fn.runtime.written
    assert (fn.code.kind, fn.code.detail) == ("unresolved", "Code is !Ref CodeLocation")
    assert fn.handler is None  # empty: as good as absent


def test_a_template_that_does_not_parse_is_bad_input() -> None:
    with pytest.raises(GobuildError) as caught:
        read("Resources:\n  Fn: [unclosed\n")
    assert caught.value.exit_code == 2 and "template.yaml:" in caught.value.message


SERVERLESS = """\
service: shop
provider:
  name: aws
  runtime: provided.al2023
  architecture: arm64
  timeout: 10
  environment:
    STAGE: dev
package:
  artifact: dist/service.zip
functions:
  orders:
    handler: bootstrap
    package:
      artifact: dist/orders-arm64.zip
  shared:
    handler: bootstrap
    runtime: ${self:custom.runtime}
    environment:
      _HANDLER: x
  image:
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:latest
"""


def test_serverless_functions_inherit_from_provider() -> None:
    functions = {fn.name: fn for fn in read_serverless(Path("/p/serverless.yml"), SERVERLESS, "serverless.yml")}
    orders = functions["orders"]
    assert orders.runtime and (orders.runtime.text, orders.runtime.place.line) == ("provided.al2023", 4)
    assert orders.architectures and orders.architectures.items == ("arm64",)
    assert orders.code.path == Path("/p/dist/orders-arm64.zip") and orders.code.place.line == 15
    shared = functions["shared"]
    assert shared.runtime and shared.runtime.text is None  # a Serverless variable
    assert shared.code.path == Path("/p/dist/service.zip")  # the service's artifact
    assert [name for name, _ in shared.environment] == ["STAGE", "_HANDLER"]
    assert functions["image"].code.kind == "image"


def test_serverless_for_another_provider_declares_nothing() -> None:
    text = "service: x\nprovider:\n  name: google\nfunctions:\n  f:\n    handler: main\n"
    assert read_serverless(Path("/p/serverless.yml"), text, "serverless.yml") == []


TERRAFORM = """\
variable "gobuild_artifacts" {
  type = any
}

resource "aws_lambda_function" "orders" {
  function_name = "orders"
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = ["arm64"]
  filename      = "${path.module}/dist/orders-arm64.zip"
  timeout       = 30

  environment {
    variables = {
      "AWS_REGION" = "x"
      STAGE        = "dev"
    }
  }
}

resource "aws_lambda_function" "published" {
  runtime   = var.runtime
  s3_bucket = var.gobuild_artifacts["payments"]["arm64"].s3_bucket
  s3_key    = var.gobuild_artifacts["payments"]["arm64"].s3_key
}

resource "aws_lambda_function" "image" {
  package_type = "Image"
  image_uri    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1"
}
"""


def test_terraform_values_and_their_lines() -> None:
    functions = {fn.name: fn for fn in read_terraform(Path("/p/infra/main.tf"), TERRAFORM, "infra/main.tf")}
    orders = functions["orders"]
    assert orders.place.line == 5 and orders.format == "terraform"
    assert orders.runtime and (orders.runtime.text, orders.runtime.place.line) == ("provided.al2023", 7)
    assert orders.architectures and orders.architectures.items == ("arm64",)
    assert orders.timeout and (orders.timeout.text, orders.timeout.place.line) == ("30", 11)
    assert orders.code.path == Path("/p/infra/dist/orders-arm64.zip") and not orders.code.through_s3
    assert [(name, place.line) for name, place in orders.environment] == [("AWS_REGION", 15), ("STAGE", 16)]
    published = functions["published"]
    assert published.runtime and published.runtime.text is None and "var.runtime" in published.runtime.written
    assert (published.code.kind, published.code.published, published.code.place.line) == (
        "published", ("payments", "arm64"), 24)
    assert functions["image"].code.kind == "image"


def test_terraform_that_does_not_parse_names_its_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        read_terraform(Path("/p/main.tf"), 'resource "aws_lambda_function" "x" {\n  runtime = \n}\n', "main.tf")
    assert caught.value.message.startswith("main.tf:2:") and caught.value.exit_code == 2


def test_a_customer_managed_runtime_and_its_config() -> None:
    text = (
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: custom\n"
        "      RuntimeConfig:\n        RuntimeArn: arn:aws:lambda:eu-west-1:123456789012:runtime/go\n"
        "        RuntimeAlias: stable\n      CodeUri: app.zip\n      Handler: bootstrap\n"
    )
    fn = read(text)["Fn"]
    assert fn.runtime and fn.runtime.text == "custom"
    assert fn.runtime_config and fn.runtime_config.text and fn.runtime_config.text.endswith(":runtime/go")
    assert fn.runtime_config.place.line == 7


def test_hostile_nesting_is_bad_input_not_a_crash(tmp_path: Path) -> None:
    from gobuild.deploy.discover import read_definitions
    from gobuild.report import RecordingReporter

    deep_json = '{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": ' + "[" * 100_000
    (tmp_path / "stack.json").write_text(deep_json + "]" * 100_000 + "}}}")
    with pytest.raises(GobuildError) as caught:
        read_definitions([Path("stack.json")], base=tmp_path, reporter=RecordingReporter())
    assert caught.value.exit_code == 2 and caught.value.message.startswith("stack.json")


def test_files_that_are_not_text_are_skipped_with_a_warning(tmp_path: Path) -> None:
    from gobuild.deploy.discover import read_definitions
    from gobuild.report import RecordingReporter

    (tmp_path / "template.yaml").write_bytes(b"\xff\xfe AWS::Lambda::Function \xff")
    reporter = RecordingReporter()
    assert read_definitions([tmp_path], base=tmp_path, reporter=reporter) == []
    assert reporter.warnings() == ["skipped template.yaml is not UTF-8 text"]
