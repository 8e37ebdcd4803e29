"""Faults and bad input for `gobuild publish`, each against a real SeaweedFS server."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gobuild.build import package
from gobuild.build.artifacts import load as load_artifacts_file
from gobuild.locals3 import free_ports
from gobuild.publish.model import PublishOptions
from gobuild.publish.upload import publish
from gobuild.report import RecordingReporter
from tests.integration.fixtures_build import gobuild
from tests.integration.fixtures_s3 import (
    SECRET_MARK,
    Credentials,
    LimitedS3Proxy,
    bucket_contents,
    marked_credentials,
    sha256_hex,
)


def run_publish(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return gobuild("publish", "-C", str(project), *args, env=env)


def error_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("error:")]


def assert_nothing_recorded(project: Path) -> None:
    assert not (project / "dist" / "published.json").exists()


def closed_port() -> int:
    return int(free_ports(1)[0])


# --- the server, the bucket or the credentials are unusable: one line, exit 1, nothing recorded


def test_server_unreachable(project: Path, bucket: str, s3_env: dict[str, str]) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    proc = run_publish(project, s3_env, "--bucket", bucket, "--endpoint-url", endpoint)
    assert proc.returncode == 1
    assert error_lines(proc) == [
        f"error: cannot reach S3 at {endpoint}: connection refused (HeadBucket {bucket})"
    ]
    assert "Traceback" not in proc.stderr
    assert_nothing_recorded(project)


def test_bucket_missing(project: Path, s3_server: Any, s3_env: dict[str, str]) -> None:
    proc = run_publish(
        project, s3_env, "--bucket", "no-such-bucket", "--endpoint-url", s3_server.endpoint_url
    )
    assert proc.returncode == 1
    assert error_lines(proc) == [
        f"error: bucket 'no-such-bucket' does not exist at {s3_server.endpoint_url}"
    ]
    assert_nothing_recorded(project)
    assert "no-such-bucket" not in {b["Name"] for b in s3_server.client().list_buckets()["Buckets"]}


def test_access_denied_with_wrong_credentials(project: Path, s3_server: Any, bucket: str) -> None:
    wrong = Credentials(
        access_key=s3_server.credentials.access_key, secret_key=f"{SECRET_MARK}-wrong-secret"
    )
    env = s3_server.client_env(os.environ, credentials=wrong)
    proc = run_publish(project, env, "--bucket", bucket, "--endpoint-url", s3_server.endpoint_url)
    assert proc.returncode == 1
    assert error_lines(proc) == [
        f"error: access denied to bucket '{bucket}' at {s3_server.endpoint_url} (HTTP 403)"
    ]
    assert_nothing_recorded(project)
    assert bucket_contents(s3_server, bucket) == {}

    unknown = marked_credentials()  # an access key the server has never seen
    proc = run_publish(
        project,
        s3_server.client_env(os.environ, credentials=unknown),
        "--bucket",
        bucket,
        "--endpoint-url",
        s3_server.endpoint_url,
    )
    assert proc.returncode == 1 and error_lines(proc)[0].startswith("error: access denied")


def test_no_credentials_and_unknown_profile(
    project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    env = {
        k: v for k, v in s3_env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    }
    proc = run_publish(project, env, "--bucket", bucket, "--endpoint-url", s3_server.endpoint_url)
    assert proc.returncode == 1
    assert error_lines(proc) == ["error: no AWS credentials found"]

    proc = run_publish(
        project,
        s3_env,
        "--bucket",
        bucket,
        "--endpoint-url",
        s3_server.endpoint_url,
        "--profile",
        "nosuchprofile",
    )
    assert proc.returncode == 2
    assert error_lines(proc) == ["error: AWS profile 'nosuchprofile' (from --profile) not found"]
    assert "hint: name a profile from ~/.aws/config or ~/.aws/credentials, or fix --profile" in proc.stderr

    # From the environment (the message used to say "AWS profile None"), and from the manifest.
    endpoint = ("--bucket", bucket, "--endpoint-url", s3_server.endpoint_url)
    proc = run_publish(project, {**s3_env, "AWS_PROFILE": "nosuch"}, *endpoint)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert error_lines(proc) == ["error: AWS profile 'nosuch' (from AWS_PROFILE) not found"]
    assert "or unset AWS_PROFILE" in proc.stderr
    manifest = project / "gobuild.toml"
    manifest.write_text(manifest.read_text() + '\n[publish]\nprofile = "ci"\n')
    proc = run_publish(project, s3_env, *endpoint)
    assert proc.returncode == 2
    assert error_lines(proc) == ["error: AWS profile 'ci' (from [publish] profile in gobuild.toml) not found"]
    assert_nothing_recorded(project)


def test_no_bucket_anywhere_is_a_usage_error(project: Path, s3_env: dict[str, str]) -> None:
    proc = run_publish(project, s3_env)
    assert proc.returncode == 2
    assert error_lines(proc) == ["error: no bucket to publish to"]


# --- the server goes away in the middle of a publish


class StopServerAfterFirstUpload(RecordingReporter):
    """Stops the server as soon as one zip is uploaded, from the publishing thread itself."""

    def __init__(self, server: Any) -> None:
        super().__init__()
        self.server = server

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None:
        super().finished(task, ok, detail, **fields)
        if ok and detail.startswith("uploaded") and self.server.running:
            self.server.stop()


def test_server_stopped_mid_publish_then_rerun_uploads_only_what_is_missing(
    project: Path, make_s3_server: Callable[[], Any], hermetic_aws: Callable[[Any], None]
) -> None:
    server = make_s3_server()
    hermetic_aws(server)
    server.create_bucket("restart-test")
    dist = project / "dist"
    document = load_artifacts_file(dist / "artifacts.json")
    options = PublishOptions(bucket="restart-test", endpoint_url=server.endpoint_url, jobs=2)

    broken = publish(document, dist, options, StopServerAfterFirstUpload(server))
    assert not server.running
    assert not broken.ok and broken.published
    assert all("cannot reach S3" in f.reason for f in broken.failures), broken.failures
    recorded = json.loads((dist / "published.json").read_text())["artifacts"]
    assert {(e["name"], e["arch"]) for e in recorded} == {
        (p.name, p.arch) for p in broken.published
    }

    server.start()
    before = bucket_contents(server, "restart-test")
    assert {e["key"] for e in recorded} <= set(before)
    rerun = publish(document, dist, options, RecordingReporter())
    assert rerun.ok
    uploaded = {p.key for p in rerun.published if p.status == "uploaded"}
    present = {p.key for p in rerun.published if p.status == "present"}
    assert present == set(before)
    assert uploaded == {p.key for p in rerun.published} - set(before)
    assert rerun.bytes_sent == sum(p.size for p in rerun.published if p.status == "uploaded")

    after = bucket_contents(server, "restart-test")
    record = json.loads((dist / "published.json").read_text())["artifacts"]
    assert len(record) == len(document.artifacts) == len(after)
    for entry in record:
        data = after[entry["key"]]
        assert sha256_hex(data) == entry["sha256"]
        assert base64.b64encode(hashlib.sha256(data).digest()).decode() == entry["code_sha256"]


# --- what is in the bucket is not what the key says


def _expected_key(project: Path, name: str, arch: str) -> tuple[str, dict[str, Any]]:
    document = json.loads((project / "dist" / "artifacts.json").read_text())
    artifact = next(a for a in document["artifacts"] if (a["name"], a["arch"]) == (name, arch))
    return f"{artifact['sha256']}.zip", artifact


def test_object_with_other_bytes_under_the_key_is_reported_not_overwritten(
    project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    key, _ = _expected_key(project, "payments", "arm64")
    impostor = b"not the payments zip"
    s3_server.client().put_object(
        Bucket=bucket,
        Key=key,
        Body=impostor,
        ChecksumSHA256=base64.b64encode(hashlib.sha256(impostor).digest()).decode(),
    )
    proc = run_publish(
        project, s3_env, "--bucket", bucket, "--endpoint-url", s3_server.endpoint_url, "--json"
    )
    assert proc.returncode == 1
    failures = json.loads(proc.stdout)["failures"]
    assert [(f["name"], f["arch"], f["stage"]) for f in failures] == [
        ("payments", "arm64", "conflict")
    ]
    assert f"s3://{bucket}/{key} already exists with different content" in failures[0]["reason"]
    assert error_lines(proc) == [
        f"error: 1 of 5 zips not published: payments/arm64: {failures[0]['reason']}"
    ]
    assert "hint: inspect the objects named" in proc.stderr
    assert bucket_contents(s3_server, bucket)[key] == impostor  # never overwritten
    # The other four were published and recorded; the conflicting one was not.
    recorded = json.loads((project / "dist" / "published.json").read_text())["artifacts"]
    assert sorted(e["name"] for e in recorded) == ["healthcheck", "inventory", "orders", "orders"]


def test_bytes_changed_behind_s3_are_detected_by_hashing(
    project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    flags = (
        "--bucket",
        bucket,
        "--endpoint-url",
        s3_server.endpoint_url,
        "--only",
        "inventory",
        "--json",
    )
    assert run_publish(project, s3_env, *flags).returncode == 0
    key, artifact = _expected_key(project, "inventory", "arm64")
    # Rewrite the object through the filer API: same size, other bytes, and no checksum or metadata.
    request = urllib.request.Request(
        f"{s3_server.filer_url}/buckets/{bucket}/{key}", data=b"\0" * artifact["size"], method="PUT"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 201)

    proc = run_publish(project, s3_env, *flags)
    assert proc.returncode == 1
    reason = json.loads(proc.stdout)["failures"][0]["reason"]
    assert f"s3://{bucket}/{key} already exists with different content (its bytes hash to" in reason


def test_forged_object_with_gobuilds_metadata_is_a_conflict(
    project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    key, artifact = _expected_key(project, "orders", "arm64")
    # Same size, the `sha256` metadata gobuild itself writes, and other bytes.
    forged = b"\0" * artifact["size"]
    metadata = {"function": "orders", "arch": "arm64", "go-version": "go1.26.8", "gobuild-version": "0.1.0",
                "sha256": artifact["sha256"]}
    s3_server.client().put_object(Bucket=bucket, Key=key, Body=forged, Metadata=metadata)
    proc = run_publish(project, s3_env, "--bucket", bucket, "--endpoint-url", s3_server.endpoint_url, "--json")
    assert proc.returncode == 1
    failures = json.loads(proc.stdout)["failures"]
    assert [(f["name"], f["arch"], f["stage"]) for f in failures] == [("orders", "arm64", "conflict")]
    assert failures[0]["reason"] == (
        f"s3://{bucket}/{key} already exists with different content (its bytes hash to "
        f"{sha256_hex(forged)[:12]}…, this zip {artifact['sha256'][:12]}…); it is never overwritten")
    assert bucket_contents(s3_server, bucket)[key] == forged  # never overwritten
    recorded = json.loads((project / "dist" / "published.json").read_text())["artifacts"]
    assert ("orders", "arm64") not in {(e["name"], e["arch"]) for e in recorded}
    assert len(recorded) == 4


def test_what_seaweedfs_does_with_sha256_checksums(s3_server: Any, bucket: str) -> None:
    """The server behaviour gobuild.publish.upload.require_same relies on, pinned."""
    client = s3_server.client()
    data = b"zip bytes" * 1000
    checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
    client.put_object(Bucket=bucket, Key="with", Body=data, ChecksumSHA256=checksum)
    client.put_object(Bucket=bucket, Key="without", Body=data, Metadata={"sha256": sha256_hex(data)})

    def stored(key: str, **mode: str) -> tuple[str | None, str | None]:
        head = client.head_object(Bucket=bucket, Key=key, **mode).get("ChecksumSHA256")
        get = client.get_object(Bucket=bucket, Key=key, **mode)
        get["Body"].read()
        return head, get.get("ChecksumSHA256")

    # Put with ChecksumSHA256: returned on HEAD and GET, but only when asked for (ChecksumMode).
    assert stored("with", ChecksumMode="ENABLED") == (checksum, checksum)
    assert stored("with") == (None, None)
    # Put without one: none is computed, whatever the metadata says.
    assert stored("without", ChecksumMode="ENABLED") == (None, None)
    # A ChecksumSHA256 that the bytes do not match is refused, so a stored one is the bytes'.
    with pytest.raises(ClientError) as refused:
        client.put_object(Bucket=bucket, Key="forged", Body=b"\0" * len(data), ChecksumSHA256=checksum)
    assert refused.value.response["Error"]["Code"] == "BadDigest"
    # Rewriting through the filer drops the old checksum rather than keeping a stale one.
    request = urllib.request.Request(f"{s3_server.filer_url}/buckets/{bucket}/with", data=b"x" * 10, method="PUT")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 201)
    assert stored("with", ChecksumMode="ENABLED") == (None, None)


# --- artifacts that must not be sent


def test_zip_changed_since_the_build_is_refused_and_nothing_is_sent(
    project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    with open(project / "dist" / "orders-arm64.zip", "ab") as handle:
        handle.write(b"\0")
    proc = run_publish(
        project, s3_env, "--bucket", bucket, "--endpoint-url", s3_server.endpoint_url
    )
    assert proc.returncode == 1
    assert error_lines(proc)[0].startswith(
        "error: 1 of 5 zips refused, nothing was sent: orders/arm64: orders-arm64.zip changed since the build"
    )
    assert bucket_contents(s3_server, bucket) == {}
    assert_nothing_recorded(project)


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([package.ZipEntry(name="main", data=b"\x7fELF", mode=0o755)], "GB101"),
        ([package.ZipEntry(name="bootstrap", data=b"", mode=0o755)], "GB201"),
        (None, "GB102"),  # the real binary, without its executable bit
        (None, "GB207"),  # the amd64 binary in the arm64 zip
    ],
)
def test_zip_lambda_would_not_run_is_refused(
    project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str], entries: Any, code: str
) -> None:
    dist = project / "dist"
    document = json.loads((dist / "artifacts.json").read_text())
    if entries is None:
        import zipfile

        source = "orders-amd64.zip" if code == "GB207" else "orders-arm64.zip"
        with zipfile.ZipFile(dist / source) as archive:
            binary = archive.read("bootstrap")
        entries = [
            package.ZipEntry(
                name="bootstrap", data=binary, mode=0o644 if code == "GB102" else 0o755
            )
        ]
    # A build that wrote a bad zip: artifacts.json agrees with the bytes, verification does not.
    written = package.write_zip(dist / "orders-arm64.zip", entries)
    for artifact in document["artifacts"]:
        if (artifact["name"], artifact["arch"]) == ("orders", "arm64"):
            artifact.update(
                sha256=written.sha256, code_sha256=written.code_sha256, size=written.size
            )
    (dist / "artifacts.json").write_text(json.dumps(document))

    proc = run_publish(
        project, s3_env, "--bucket", bucket, "--endpoint-url", s3_server.endpoint_url
    )
    assert proc.returncode == 1
    assert error_lines(proc)[0].startswith(
        f"error: 1 of 5 zips refused, nothing was sent: orders/arm64: {code} "
    )
    assert bucket_contents(s3_server, bucket) == {}
    assert_nothing_recorded(project)


def test_missing_or_stale_artifacts_say_run_build_first(
    project: Path, bucket: str, s3_env: dict[str, str], s3_server: Any
) -> None:
    endpoint = ("--bucket", bucket, "--endpoint-url", s3_server.endpoint_url)
    source = project / "cmd" / "payments-lambda" / "main.go"
    # Freshness is by content: a newer file time alone is no change.
    later = (project / "dist" / "artifacts.json").stat().st_mtime + 10
    os.utime(source, (later, later))
    dry_run = run_publish(project, s3_env, *endpoint, "--dry-run")
    assert dry_run.returncode == 0, dry_run.stderr

    original = source.read_text()
    source.write_text(original + "\n// edited after the build\n")
    proc = run_publish(project, s3_env, *endpoint)
    assert proc.returncode == 1
    # (A copied project has no build state of its own to name the file from: go list decides.)
    assert error_lines(proc) == [
        f"error: {project / 'dist' / 'artifacts.json'}: payments/arm64 was built from other sources than the "
        "project holds now"
    ]
    assert "hint: run `gobuild build` first" in proc.stderr
    source.write_text(original)

    # The manifest counts by content: a [publish] edit needs no rebuild, a build setting does.
    manifest = project / "gobuild.toml"
    manifest.write_text(manifest.read_text() + '\n[publish]\nprefix = "lambda/"\n')
    dry_run = run_publish(project, s3_env, *endpoint, "--dry-run")
    assert dry_run.returncode == 0, dry_run.stderr
    manifest.write_text(manifest.read_text().replace('ldflags = "-s -w"', 'ldflags = "-s"'))
    proc = run_publish(project, s3_env, *endpoint)
    assert proc.returncode == 1
    assert "was built with other settings than gobuild.toml gives now" in error_lines(proc)[0]

    (project / "dist" / "artifacts.json").unlink()
    proc = run_publish(project, s3_env, *endpoint)
    assert proc.returncode == 1
    assert error_lines(proc)[0].endswith("artifacts.json: no artifacts yet")
    assert "hint: run `gobuild build` first" in proc.stderr
    assert bucket_contents(s3_server, bucket) == {}


# --- secrets


def test_secrets_never_appear_in_output_logs_or_files(
    project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    assert SECRET_MARK in s3_env["AWS_SECRET_ACCESS_KEY"]
    wrong = Credentials(
        access_key=s3_server.credentials.access_key, secret_key=f"{SECRET_MARK}-wrong"
    )
    runs = [
        run_publish(project, s3_env, "--bucket", bucket, "--endpoint-url", s3_server.endpoint_url),
        run_publish(
            project, s3_env, "--bucket", bucket, "--endpoint-url", s3_server.endpoint_url, "--json"
        ),
        run_publish(
            project,
            s3_server.client_env(os.environ, credentials=wrong),
            "--bucket",
            bucket,
            "--endpoint-url",
            s3_server.endpoint_url,
        ),
        run_publish(
            project,
            s3_env,
            "--bucket",
            bucket,
            "--endpoint-url",
            f"http://127.0.0.1:{closed_port()}",
        ),
        # --debug shows tracebacks: still no secret.
        gobuild(
            "--debug",
            "publish",
            "-C",
            str(project),
            "--bucket",
            bucket,
            "--endpoint-url",
            s3_server.endpoint_url,
            env=s3_server.client_env(os.environ, credentials=wrong),
        ),
    ]
    assert [p.returncode for p in runs] == [0, 0, 1, 1, 1]
    assert "Traceback" in runs[-1].stderr
    for proc in runs:
        assert SECRET_MARK not in proc.stdout + proc.stderr
    for path in (project / "dist").rglob("*"):
        if path.is_file():
            assert SECRET_MARK.encode() not in path.read_bytes(), path


# --- a more limited S3-compatible server


def test_server_without_conditional_writes_or_checksums(project: Path, s3_server: Any, bucket: str,
                                                        s3_env: dict[str, str]) -> None:
    port = int(s3_server.endpoint_url.rsplit(":", 1)[1])
    with LimitedS3Proxy(port, reject_conditional=True, strip_checksums=True) as proxy:
        flags = ("--bucket", bucket, "--endpoint-url", proxy.endpoint_url, "--only", "orders")
        first = run_publish(project, s3_env, *flags)
        assert first.returncode == 0, first.stderr
        # Both uploads may ask at once; each retries without the header, and one warning is shown.
        assert proxy.rejected in (1, 2)
        assert first.stderr.count(f"warning: {proxy.endpoint_url} does not support If-None-Match") == 1
        assert "2 uploaded, 0 already present" in first.stderr

        # No checksum comes back now, so "already present" rests on downloading and hashing each
        # object (never on gobuild's own metadata): one HeadBucket, then a HEAD and a GET per zip.
        second = run_publish(project, s3_env, *flags, "--json")
        assert second.returncode == 0, second.stderr
        assert {p["status"] for p in json.loads(second.stdout)["published"]} == {"present"}
        assert json.loads(second.stdout)["bytes_sent"] == 0
        assert json.loads(second.stdout)["requests"] == 5
        assert sorted(proxy.delivered.values()) == sorted(len(v) for v in bucket_contents(s3_server, bucket).values())
    stored = bucket_contents(s3_server, bucket)
    assert len(stored) == 2
    for key, data in stored.items():
        assert key == f"{sha256_hex(data)}.zip"


def test_publishing_only_what_was_built_with_only(
    tmp_path: Path, bucket: str, s3_env: dict[str, str], s3_server: Any
) -> None:
    from tests.integration.fixtures_build import copy_example
    from tests.integration.fixtures_build import gobuild as run_gobuild

    project = copy_example(tmp_path / "fresh")
    assert run_gobuild("build", "-C", str(project), "--only", "payments", "-q").returncode == 0
    endpoint = ("--endpoint-url", s3_server.endpoint_url)
    everything = run_publish(project, s3_env, "--bucket", bucket, *endpoint)
    assert everything.returncode == 1 and "is in gobuild.toml but not in artifacts.json" in everything.stderr
    payments = run_publish(project, s3_env, "--bucket", bucket, "--only", "payments", *endpoint)
    assert payments.returncode == 0, payments.stderr
