"""`gobuild publish` against a real S3 server (SeaweedFS), the CLI run as a user would."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import REPO
from tests.integration.fixtures_build import copy_example, gobuild
from tests.integration.fixtures_s3 import bucket_contents, sha256_hex


def publish(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return gobuild("publish", "-C", str(project), *args, env=env)


def as_json(proc: subprocess.CompletedProcess[str]) -> Any:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def published_file(project: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((project / "dist" / "published.json").read_text())
    return document


def artifacts(project: Path) -> dict[tuple[str, str], dict[str, Any]]:
    document = json.loads((project / "dist" / "artifacts.json").read_text())
    return {(a["name"], a["arch"]): a for a in document["artifacts"]}


def test_publish_uploads_every_zip_once_and_records_it(
    project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    built = artifacts(project)
    first = as_json(
        publish(
            project, s3_env, "--bucket", bucket, "--endpoint-url", s3_server.endpoint_url, "--json"
        )
    )
    assert first["ok"] and {p["status"] for p in first["published"]} == {"uploaded"}
    assert first["bytes_sent"] == sum(a["size"] for a in built.values())

    # Content-addressed: the key is the zip's SHA-256, and the bytes in the bucket hash to it.
    stored = bucket_contents(s3_server, bucket)
    assert set(stored) == {f"{a['sha256']}.zip" for a in built.values()}
    for key, data in stored.items():
        assert key == f"{sha256_hex(data)}.zip"

    record = published_file(project)
    assert record["schema_version"] == 1
    entries = {(e["name"], e["arch"]): e for e in record["artifacts"]}
    assert (
        set(entries)
        == set(built)
        == {
            ("orders", "amd64"),
            ("orders", "arm64"),
            ("payments", "arm64"),
            ("inventory", "arm64"),
            ("healthcheck", "arm64"),
        }
    )
    for (name, arch), entry in entries.items():
        zipped = built[(name, arch)]
        assert entry == {
            "name": name,
            "arch": arch,
            "bucket": bucket,
            "key": f"{zipped['sha256']}.zip",
            "uri": f"s3://{bucket}/{zipped['sha256']}.zip",
            "code_sha256": zipped["code_sha256"],
            "sha256": zipped["sha256"],
            "size": zipped["size"],
            "version_id": None,
            "status": "uploaded",
        }

    # S3's stored checksum is Lambda's CodeSha256; metadata names what the object is.
    client = s3_server.client()
    orders = entries[("orders", "arm64")]
    head = client.head_object(Bucket=bucket, Key=orders["key"], ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == orders["code_sha256"]
    assert head["ContentLength"] == orders["size"]
    built_by = json.loads((project / "dist" / "artifacts.json").read_text())
    assert head["Metadata"] == {
        "function": "orders",
        "arch": "arm64",
        "go-version": built_by["go_version"],
        "gobuild-version": built_by["gobuild_version"],
        "sha256": orders["sha256"],
    }


def test_republishing_an_unchanged_fleet_sends_no_bytes(
    project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    flags = ("--bucket", bucket, "--endpoint-url", s3_server.endpoint_url)
    as_json(publish(project, s3_env, *flags, "--json"))
    # Verification results are remembered by content hash: the rerun re-hashes, not re-verifies.
    memo = json.loads((project / "dist" / ".publish-verified.json").read_text())["passed"]
    assert sorted(k.split("/")[0] for k in memo) == sorted(
        a["sha256"] for a in artifacts(project).values()
    )
    second = as_json(publish(project, s3_env, *flags, "--json"))
    assert {p["status"] for p in second["published"]} == {"present"}
    assert second["bytes_sent"] == 0
    assert second["requests"] == 1 + 5  # HeadBucket, then one HeadObject per zip
    assert {e["status"] for e in published_file(project)["artifacts"]} == {"present"}

    plain = publish(project, s3_env, *flags)
    assert plain.returncode == 0, plain.stderr
    assert (
        f"published 5 zips to s3://{bucket}: 0 uploaded, 5 already present; 0 B sent"
        in plain.stderr
    )
    assert "ok   orders/arm64" in plain.stderr and "already present" in plain.stderr


def test_manifest_publish_table_and_flags_that_override_it(
    tmp_path: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    project = copy_example(tmp_path / "shop")
    manifest = project / "gobuild.toml"
    manifest.write_text(
        manifest.read_text()
        + (
            "\n[publish]\n"
            f'bucket = "{bucket}"\n'
            'prefix = "from-manifest/"\n'
            'key_template = "{name}/{arch}/{sha256}.zip"\n'
            f'endpoint_url = "{s3_server.endpoint_url}"\n'
            "jobs = 2\n"
        )
    )
    gobuild("build", "-C", str(project), check=True)
    built = artifacts(project)

    result = as_json(publish(project, s3_env, "--prefix", "lambda/", "--only", "orders", "--json"))
    keys = {(p["name"], p["arch"]): p["key"] for p in result["published"]}
    assert keys == {
        ("orders", arch): f"lambda/orders/{arch}/{built[('orders', arch)]['sha256']}.zip"
        for arch in ("amd64", "arm64")
    }
    assert set(bucket_contents(s3_server, bucket)) == set(keys.values())


def test_endpoint_from_the_standard_chain(
    project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    # AWS_ENDPOINT_URL is boto3's own variable: gobuild passes no endpoint and still lands here.
    env = {**s3_env, "AWS_ENDPOINT_URL": s3_server.endpoint_url}
    result = as_json(publish(project, env, "--bucket", bucket, "--only", "payments", "--json"))
    assert [p["status"] for p in result["published"]] == ["uploaded"]
    assert len(bucket_contents(s3_server, bucket)) == 1


def test_only_and_later_runs_merge_into_published_json(
    project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    flags = ("--bucket", bucket, "--endpoint-url", s3_server.endpoint_url)
    as_json(publish(project, s3_env, *flags, "--only", "orders", "--json"))
    assert {e["name"] for e in published_file(project)["artifacts"]} == {"orders"}
    as_json(
        publish(project, s3_env, *flags, "--only", "payments", "--only", "healthcheck", "--json")
    )
    record = published_file(project)["artifacts"]
    assert sorted((e["name"], e["arch"], e["status"]) for e in record) == [
        ("healthcheck", "arm64", "uploaded"),
        ("orders", "amd64", "uploaded"),
        ("orders", "arm64", "uploaded"),
        ("payments", "arm64", "uploaded"),
    ]

    unknown = publish(project, s3_env, *flags, "--only", "nosuch")
    assert unknown.returncode == 2
    assert "--only 'nosuch': no such function" in unknown.stderr


def test_dry_run_sends_and_writes_nothing(
    project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    flags = ("--bucket", bucket, "--endpoint-url", s3_server.endpoint_url)
    dry = as_json(publish(project, s3_env, *flags, "--dry-run", "--json"))
    assert dry["dry_run"] and {p["status"] for p in dry["published"]} == {"to upload"}
    assert dry["bytes_sent"] == 0 and dry["written"] == []
    assert bucket_contents(s3_server, bucket) == {}
    assert not (project / "dist" / "published.json").exists()

    as_json(publish(project, s3_env, *flags, "--only", "inventory", "--json"))
    dry = as_json(publish(project, s3_env, *flags, "--dry-run", "--json"))
    statuses = {p["name"]: p["status"] for p in dry["published"]}
    assert statuses == {
        "inventory": "present",
        "orders": "to upload",
        "payments": "to upload",
        "healthcheck": "to upload",
    }


def test_versioned_bucket_records_version_ids(
    project: Path, s3_server: Any, s3_env: dict[str, str]
) -> None:
    name = "gobuild-versioned-" + os.urandom(4).hex()
    s3_server.create_bucket(name, versioned=True)
    flags = ("--bucket", name, "--endpoint-url", s3_server.endpoint_url)
    first = as_json(publish(project, s3_env, *flags, "--json"))
    client = s3_server.client()
    for entry in first["published"]:
        assert entry["version_id"], entry
        head = client.head_object(Bucket=name, Key=entry["key"])
        assert head["VersionId"] == entry["version_id"]
    second = as_json(publish(project, s3_env, *flags, "--json"))
    assert {p["key"]: p["version_id"] for p in second["published"]} == {
        p["key"]: p["version_id"] for p in first["published"]
    }
    assert {p["status"] for p in second["published"]} == {"present"}


def test_formats_for_sam_cloudformation_and_terraform(
    project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    result = as_json(
        publish(
            project,
            s3_env,
            "--bucket",
            bucket,
            "--endpoint-url",
            s3_server.endpoint_url,
            "--format",
            "sam",
            "--format",
            "cloudformation",
            "--format",
            "tfvars",
            "--json",
        )
    )
    dist = project / "dist"
    assert sorted(Path(p).name for p in result["written"]) == [
        "published.json",
        "published.parameters.json",
        "published.parameters.txt",
        "published.tfvars.json",
    ]
    entries = {(e["name"], e["arch"]): e for e in published_file(project)["artifacts"]}
    orders = entries[("orders", "arm64")]

    pairs = dict(
        item.split("=", 1) for item in (dist / "published.parameters.txt").read_text().split()
    )
    assert pairs["OrdersArm64S3Bucket"] == bucket
    assert pairs["OrdersArm64S3Key"] == orders["key"]
    assert pairs["OrdersArm64CodeSha256"] == orders["code_sha256"]
    assert len(pairs) == 3 * 5

    cfn = json.loads((dist / "published.parameters.json").read_text())
    assert {
        "ParameterKey": "OrdersAmd64S3Key",
        "ParameterValue": entries[("orders", "amd64")]["key"],
    } in cfn
    assert {item["ParameterKey"]: item["ParameterValue"] for item in cfn} == pairs

    tfvars = json.loads((dist / "published.tfvars.json").read_text())
    assert tfvars["gobuild_artifacts"]["orders"]["arm64"] == {
        "s3_bucket": bucket,
        "s3_key": orders["key"],
        "s3_object_version": None,
        "source_code_hash": orders["code_sha256"],
        "size": orders["size"],
    }
    # source_code_hash is what Terraform compares with Lambda's CodeSha256: base64 of the SHA-256.
    assert base64.b64decode(orders["code_sha256"]).hex() == orders["sha256"]


def test_two_publishes_at_once_leave_a_correct_bucket_and_record(
    project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    flags = ("--bucket", bucket, "--endpoint-url", s3_server.endpoint_url, "-j", "1")
    rounds = [
        # Same zips from both sides: one writes, the other finds them (or loses the If-None-Match race).
        ((), ()),
        # Disjoint zips: published.json must keep both, which needs the lock and the merge.
        (
            ("--only", "orders", "--only", "inventory"),
            ("--only", "payments", "--only", "healthcheck"),
        ),
    ]
    for left, right in rounds:
        (project / "dist" / "published.json").unlink(missing_ok=True)
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "gobuild", "publish", "-C", str(project), *flags, *extra],
                env=s3_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for extra in (left, right)
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
        record = published_file(project)["artifacts"]
        assert len(record) == 5
        stored = bucket_contents(s3_server, bucket)
        assert len(stored) == 5
        for entry in record:
            assert sha256_hex(stored[entry["key"]]) == entry["sha256"]
    assert not list((project / "dist").glob(".published.json.*.tmp"))


def test_demo_script_builds_and_publishes_without_aws(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop")
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "demo"), "-C", str(project)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "published 5 zips to s3://lambda-artifacts: 5 uploaded, 0 already present" in proc.stderr
    assert (
        "published 5 zips to s3://lambda-artifacts: 0 uploaded, 5 already present; 0 B sent"
        in proc.stderr
    )
    assert '"status": "present"' in proc.stdout and "server stopped" in proc.stdout
    assert len(published_file(project)["artifacts"]) == 5
