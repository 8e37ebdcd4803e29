"""`gobuild check` on definitions that use gobuild's outputs: Serverless with prebuilt artifacts,
and SAM/CloudFormation parameters and Terraform variables from `gobuild publish --format`."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.integration.fixtures_build import gobuild
from tests.integration.fixtures_deploy import line_of
from tests.integration.fixtures_gobinaries import zip_bootstrap

TODAY = "2026-11-28"


def check(project: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, dict[str, Any]]]:
    proc = gobuild("check", "--json", "--today", TODAY, *args, cwd=project, env=env)
    assert proc.stdout, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.returncode, {f"{fn['file']}:{fn['name']}": fn for fn in json.loads(proc.stdout)["functions"]}


def the(fn: dict[str, Any], code: str) -> dict[str, Any]:
    found = [f for f in fn["findings"] if f["code"] == code]
    assert len(found) == 1, f"{fn['name']}: expected one {code} in {[f['code'] for f in fn['findings']]}"
    return found[0]


def test_serverless_with_prebuilt_artifacts(deploy_project: Callable[[str], Path]) -> None:
    project = deploy_project("serverless")
    config = project / "serverless.yml"
    env = {k: v for k, v in os.environ.items() if k != "ORDERS_ARTIFACT"}
    exit_code, functions = check(project, env=env)
    assert exit_code == 1
    orders = functions["serverless.yml:orders"]
    assert (orders["status"], orders["arch"], orders["runtime"]) == ("ok", "arm64", "provided.al2023")
    assert orders["code"] == "dist/orders-arm64.zip" and orders["type"] == "serverless function"
    payments = functions["serverless.yml:payments"]
    assert the(payments, "GB422")["line"] == line_of(config, "timeout: 1000")
    assert the(payments, "GB424")["line"] == line_of(config, "AWS_LAMBDA_FUNCTION_NAME: payments")
    legacy = functions["serverless.yml:legacy"]
    assert the(legacy, "GB401")["line"] == line_of(config, "runtime: go1.x")
    assert legacy["arch"] == "amd64"
    variable = functions["serverless.yml:fromEnvironment"]
    assert variable["status"] == "not resolved"
    assert "${env:ORDERS_ARTIFACT}" in the(variable, "GB410")["message"]


def test_published_parameters_and_variables_resolve_to_gobuilds_zips(
    deploy_project: Callable[[str], Path], s3_server: Any, s3_env: dict[str, str], bucket: str,
    go_binaries: dict[tuple[str, str], Path],
) -> None:
    project = deploy_project("published")
    publish = gobuild("publish", "--bucket", bucket, "--endpoint-url", s3_server.endpoint_url,
                      "--format", "sam", "--format", "tfvars", cwd=project, env=s3_env)
    assert publish.returncode == 0, publish.stderr
    args = ("--endpoint-url", s3_server.endpoint_url)

    exit_code, functions = check(project, *args, env=s3_env)
    assert exit_code == 0, functions
    for key in ("template.yaml:OrdersFunction", "template.yaml:PaymentsFunction", "lambda.tf:orders"):
        assert functions[key]["status"] == "ok", functions[key]
    orders = functions["template.yaml:OrdersFunction"]
    assert orders["code"].startswith(f"dist/orders-arm64.zip (published as s3://{bucket}/")

    # A rebuilt zip that was not published: the stack would deploy the old one.
    zip_bootstrap(go_binaries["orders-lambda", "arm64"], project / "dist" / "orders-arm64.zip")
    exit_code, functions = check(project, *args, env=s3_env)
    assert exit_code == 1
    stale = the(functions["template.yaml:OrdersFunction"], "GB415")
    assert stale["line"] == line_of(project / "template.yaml", "Key: !Ref OrdersArm64S3Key")
    assert "gobuild publish" in stale["fix"]
    assert the(functions["lambda.tf:orders"], "GB415")["line"] == line_of(
        project / "lambda.tf", 's3_key           = var.gobuild_artifacts')

    # Without the local zip, the published object itself is read from S3 and checked.
    (project / "dist" / "orders-arm64.zip").unlink()
    exit_code, functions = check(project, *args, env=s3_env)
    assert exit_code == 0
    assert functions["template.yaml:OrdersFunction"]["code"].startswith(f"s3://{bucket}/")
    assert functions["template.yaml:OrdersFunction"]["language"] == "go"


def test_a_zip_changed_since_the_build_is_a_warning(
    deploy_project: Callable[[str], Path], go_binaries: dict[tuple[str, str], Path]
) -> None:
    project = deploy_project("serverless")
    zip_bootstrap(go_binaries["orders-lambda", "arm64"], project / "dist" / "orders-arm64.zip")
    _, functions = check(project, "serverless.yml")
    changed = the(functions["serverless.yml:orders"], "GB414")
    assert "artifacts.json" in changed["message"] and changed["severity"] == "warning"
