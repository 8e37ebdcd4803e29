"""`gobuild check` on code in S3: plain CloudFormation JSON (testdata/deploy/cfn-s3) and Terraform
(testdata/deploy/terraform), against the real SeaweedFS the suite starts on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.fixtures_build import gobuild
from tests.integration.fixtures_deploy import line_after, line_of
from tests.integration.fixtures_s3 import SECRET_MARK

TODAY = "2026-11-28"
CODE_BUCKET = "gobuild-check-code"  # the bucket the fixtures name


def put(client: Any, key: str, data: bytes, **extra: Any) -> None:
    checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
    client.put_object(Bucket=CODE_BUCKET, Key=key, Body=data, ChecksumSHA256=checksum, **extra)


@pytest.fixture
def code_bucket(s3_server: Any, built_example: Path) -> Any:
    """The fixtures' bucket on the session server, holding gobuild's zips under their keys."""
    client = s3_server.client()
    if CODE_BUCKET not in [b["Name"] for b in client.list_buckets().get("Buckets", [])]:
        s3_server.create_bucket(CODE_BUCKET)
    dist = built_example / "dist"
    for key, name in (("orders/arm64.zip", "orders-arm64"), ("orders/amd64.zip", "orders-amd64"),
                      ("payments/arm64.zip", "payments-arm64")):
        put(client, key, (dist / f"{name}.zip").read_bytes())
    return client


def check(project: Path, env: dict[str, str], *args: str) -> tuple[int, dict[str, dict[str, Any]], str]:
    proc = gobuild("check", "--json", "--today", TODAY, *args, cwd=project, env=env)
    assert proc.stdout, proc.stderr
    assert "Traceback" not in proc.stderr and SECRET_MARK not in proc.stdout + proc.stderr
    document = json.loads(proc.stdout)
    return proc.returncode, {fn["name"]: fn for fn in document["functions"]}, proc.stderr


def codes(fn: dict[str, Any]) -> list[str]:
    return [f["code"] for f in fn["findings"]]


def the(fn: dict[str, Any], code: str) -> dict[str, Any]:
    found = [f for f in fn["findings"] if f["code"] == code]
    assert len(found) == 1, f"{fn['name']}: expected one {code} in {codes(fn)}"
    return found[0]


def test_cloudformation_json_with_code_in_seaweedfs(
    deploy_project: Callable[[str], Path], code_bucket: Any, s3_server: Any, s3_env: dict[str, str]
) -> None:
    project = deploy_project("cfn-s3")
    stack = project / "stack.json"
    exit_code, functions, _ = check(project, s3_env, "--endpoint-url", s3_server.endpoint_url, "stack.json")
    assert exit_code == 1
    orders = functions["OrdersFunction"]
    assert (orders["status"], orders["language"], orders["arch"]) == ("ok", "go", "arm64")
    assert orders["code"] == f"s3://{CODE_BUCKET}/orders/arm64.zip"
    wrong = the(functions["WrongArchFunction"], "GB207")
    assert wrong["line"] == line_after(stack, '"WrongArchFunction"', '"Architectures"')
    assert wrong["file"] == "stack.json"
    missing = the(functions["MissingFunction"], "GB411")
    assert "orders/never-uploaded.zip does not exist" in missing["message"]
    no_handler = the(functions["NoHandlerFunction"], "GB420")
    assert no_handler["line"] == line_of(stack, '"NoHandlerFunction"')
    receiver = functions["ReceiverFunction"]
    assert receiver["status"] == "not resolved"
    assert "ReceiverKey" in the(receiver, "GB410")["message"]
    assert functions["InlineFunction"]["status"] == "skipped"


def test_an_object_whose_bytes_do_not_match_its_checksum_is_not_used(
    deploy_project: Callable[[str], Path], code_bucket: Any, s3_server: Any, s3_env: dict[str, str],
    built_example: Path,
) -> None:
    project = deploy_project("cfn-s3")
    data = (built_example / "dist" / "orders-arm64.zip").read_bytes()
    code_bucket.put_object(Bucket=CODE_BUCKET, Key="orders/tampered.zip", Body=data,
                           Metadata={"sha256": "0" * 64})  # what gobuild publish would have written
    stack = project / "stack.json"
    stack.write_text(stack.read_text().replace("orders/never-uploaded.zip", "orders/tampered.zip"))
    _, functions, _ = check(project, s3_env, "--endpoint-url", s3_server.endpoint_url, "stack.json")
    tampered = functions["MissingFunction"]
    assert tampered["status"] == "not resolved"
    assert "sha256 metadata" in the(tampered, "GB412")["message"]


def test_an_unreachable_server_leaves_s3_code_not_resolved(
    deploy_project: Callable[[str], Path], s3_env: dict[str, str]
) -> None:
    project = deploy_project("cfn-s3")
    exit_code, functions, _ = check(project, s3_env, "--endpoint-url", "http://127.0.0.1:9", "stack.json")
    orders = functions["OrdersFunction"]
    assert orders["status"] == "not resolved"
    assert "cannot reach S3 at http://127.0.0.1:9" in the(orders, "GB412")["message"]
    assert functions["NoHandlerFunction"]["status"] == "failed"  # the definition is still judged
    assert exit_code == 1


def test_terraform_filename_and_s3_bucket_key(
    deploy_project: Callable[[str], Path], code_bucket: Any, s3_server: Any, s3_env: dict[str, str]
) -> None:
    project = deploy_project("terraform")
    main = project / "main.tf"
    exit_code, functions, _ = check(project, s3_env, "--endpoint-url", s3_server.endpoint_url)
    assert exit_code == 1
    orders = functions["orders"]
    assert (orders["status"], orders["arch"], orders["code"]) == ("ok", "arm64", "dist/orders-arm64.zip")
    assert orders["line"] == line_of(main, 'resource "aws_lambda_function" "orders"')
    payments = functions["payments"]
    assert payments["code"] == f"s3://{CODE_BUCKET}/payments/arm64.zip" and payments["language"] == "go"
    assert the(payments, "GB423")["line"] == line_of(main, "memory_size   = 64")
    assert the(payments, "GB424")["line"] == line_of(main, '_HANDLER = "bootstrap"')
    legacy = the(functions["legacy"], "GB401")
    assert legacy["line"] == line_of(main, 'runtime       = "go1.x"')
    from_variable = functions["from_variable"]
    assert from_variable["status"] == "not resolved"
    assert "var.artifact_key" in the(from_variable, "GB410")["message"]


def test_without_credentials_s3_code_is_not_resolved(
    deploy_project: Callable[[str], Path], s3_env: dict[str, str], s3_server: Any
) -> None:
    project = deploy_project("terraform")
    env = {k: v for k, v in s3_env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    _, functions, _ = check(project, env, "--endpoint-url", s3_server.endpoint_url, "main.tf")
    assert "no AWS credentials found" in the(functions["payments"], "GB412")["message"]
    assert functions["orders"]["status"] == "ok"  # local code needs no credentials
