"""published.json merging and the SAM / CloudFormation / Terraform renderings."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from gobuild.build.artifacts import Artifact, ArtifactsFile
from gobuild.errors import UsageError
from gobuild.publish.formats import (
    merge_published,
    parameter_prefix,
    parameters,
    parse_published,
    record,
    render_cloudformation,
    render_published,
    render_sam,
    render_tfvars,
)
from gobuild.publish.model import Published


def entry(name: str, arch: str = "arm64", *, code: str = "Y29kZQ==", version: str | None = None,
          status: str = "uploaded", key: str | None = None) -> Published:
    key = key or f"{name}-{arch}.zip"
    return Published(name=name, arch=arch, bucket="artifacts", key=key, uri=f"s3://artifacts/{key}",
                     code_sha256=code, sha256="cd" * 32, size=42, version_id=version,
                     status=status)  # type: ignore[arg-type]


def built(*entries: Published) -> ArtifactsFile:
    return ArtifactsFile(
        artifacts=tuple(Artifact(name=e.name, arch=e.arch, package=".", path="x.zip", size=e.size,
                                 sha256=e.sha256, code_sha256=e.code_sha256, contents_sha256="", inputs="")
                        for e in entries),
        go_version="go1.26.8",
    )


def test_published_json_round_trips_and_is_sorted() -> None:
    entries = (entry("orders", "amd64"), entry("orders"), entry("payments", version="3HL4kqtJlcpXroDTDmJ"))
    data = render_published(entries)
    assert parse_published(data) == entries
    document = json.loads(data)
    assert document["schema_version"] == 1
    assert document["artifacts"][2] == {
        "name": "payments", "arch": "arm64", "bucket": "artifacts", "key": "payments-arm64.zip",
        "uri": "s3://artifacts/payments-arm64.zip", "code_sha256": "Y29kZQ==", "sha256": "cd" * 32,
        "size": 42, "version_id": "3HL4kqtJlcpXroDTDmJ", "status": "uploaded",
    }


@pytest.mark.parametrize("data", [b"", b"{", b"[]", b'{"schema_version": 99, "artifacts": []}',
                                  b'{"schema_version": 1, "artifacts": [{"name": "x"}]}'])
def test_foreign_published_json_counts_as_empty(data: bytes) -> None:
    assert parse_published(data) == ()


def test_merge_keeps_what_is_still_built_and_replaces_what_was_published_again() -> None:
    old_orders = entry("orders", status="uploaded")
    stale = entry("payments", code="b2xk")  # published from an older build of payments
    gone = entry("removed")  # function no longer in artifacts.json
    current = built(entry("orders"), entry("payments"), entry("inventory"))
    fresh = [entry("inventory", status="present")]
    merged = merge_published([old_orders, stale, gone], fresh, current)
    assert merged == (entry("inventory", status="present"), old_orders)


def test_record_merges_under_the_lock_and_writes_formats(tmp_path: Path) -> None:
    current = built(entry("orders"), entry("payments"))
    written = record(tmp_path, [entry("orders")], current, ())
    assert written == (tmp_path / "published.json",)
    written = record(tmp_path, [entry("payments", status="present")], current, ("tfvars", "sam"))
    assert [p.name for p in written] == ["published.json", "published.tfvars.json", "published.parameters.txt"]
    assert [(e.name, e.status) for e in parse_published((tmp_path / "published.json").read_bytes())] == [
        ("orders", "uploaded"), ("payments", "present")]
    assert (tmp_path / ".published.json.lock").exists()
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    ("name", "arch", "stem"),
    [("orders", "arm64", "OrdersArm64"), ("payments-api", "amd64", "PaymentsApiAmd64"),
     ("user_sync.v2", "arm64", "UserSyncV2Arm64"), ("9lives", "arm64", "9livesArm64")],
)
def test_parameter_names_are_camel_case_alphanumerics(name: str, arch: str, stem: str) -> None:
    assert parameter_prefix(name, arch) == stem


def test_parameters_and_collisions() -> None:
    values = parameters([entry("orders", version="v1"), entry("payments")])
    assert values == {
        "OrdersArm64S3Bucket": "artifacts", "OrdersArm64S3Key": "orders-arm64.zip",
        "OrdersArm64CodeSha256": "Y29kZQ==", "OrdersArm64S3ObjectVersion": "v1",
        "PaymentsArm64S3Bucket": "artifacts", "PaymentsArm64S3Key": "payments-arm64.zip",
        "PaymentsArm64CodeSha256": "Y29kZQ==",
    }
    with pytest.raises(UsageError, match="payments_api/arm64 and payments-api/arm64 both become"):
        parameters([entry("payments-api"), entry("payments_api")])


def test_sam_overrides_are_one_line_of_key_value_pairs() -> None:
    text = render_sam([entry("orders"), entry("odd", key="with space/k.zip")]).decode()
    assert text.endswith("\n") and text.count("\n") == 1
    # The shell-quoting SAM understands: one pair per word, quotes around values with spaces.
    pairs = dict(word.split("=", 1) for word in shlex.split(text))
    assert pairs["OrdersArm64S3Key"] == "orders-arm64.zip"
    assert pairs["OddArm64S3Key"] == "with space/k.zip"
    assert pairs["OrdersArm64CodeSha256"] == "Y29kZQ=="


def test_cloudformation_parameters_file() -> None:
    items = json.loads(render_cloudformation([entry("orders")]))
    assert items == [
        {"ParameterKey": "OrdersArm64S3Bucket", "ParameterValue": "artifacts"},
        {"ParameterKey": "OrdersArm64S3Key", "ParameterValue": "orders-arm64.zip"},
        {"ParameterKey": "OrdersArm64CodeSha256", "ParameterValue": "Y29kZQ=="},
    ]


def test_tfvars_nest_by_function_then_arch() -> None:
    document = json.loads(render_tfvars([entry("orders", "amd64"), entry("orders", version="v7")]))
    assert document == {"gobuild_artifacts": {"orders": {
        "amd64": {"s3_bucket": "artifacts", "s3_key": "orders-amd64.zip", "s3_object_version": None,
                  "source_code_hash": "Y29kZQ==", "size": 42},
        "arm64": {"s3_bucket": "artifacts", "s3_key": "orders-arm64.zip", "s3_object_version": "v7",
                  "source_code_hash": "Y29kZQ==", "size": 42},
    }}}
