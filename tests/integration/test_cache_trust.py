"""A poisoned shared cache never ships: each bad object is stored in SeaweedFS, and a build
reports it, rebuilds, and ships exactly the bytes an uncached build gives."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from gobuild.build.cache import SIGNATURE, sign
from gobuild.build.proof import MAX_CACHED_ZIP
from tests.integration.fixtures_build import copy_example, gobuild
from tests.integration.fixtures_s3 import LimitedS3Proxy

KEY = "k1-" + "correct horse battery staple"


@pytest.fixture
def cache_env(s3_server: Any, s3_env: dict[str, str]) -> dict[str, str]:
    env = {**s3_env, "AWS_ENDPOINT_URL": s3_server.endpoint_url}
    env.pop("GOBUILD_CACHE_KEY", None)
    return env


def zips(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((project / "dist").glob("*.zip"))}


def seed(tmp_path: Path, cache: str, env: dict[str, str]) -> dict[tuple[str, str], str]:
    """Builds a clone with the cache (storing every target) and returns each target's object key."""
    project = copy_example(tmp_path / "seed" / "shop")
    proc = gobuild("build", "-C", str(project), "--cache", cache, "-q", env=env)
    assert proc.returncode == 0, proc.stderr
    prefix = cache.split("/", 3)[3]
    document = json.loads((project / "dist/artifacts.json").read_text())
    return {(a["name"], a["arch"]): f"{prefix}{a['inputs']}.zip" for a in document["artifacts"]}


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def build_json(project: Path, cache: str, env: dict[str, str]) -> dict[str, Any]:
    proc = gobuild("build", "-C", str(project), "--cache", cache, "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    document: dict[str, Any] = json.loads(proc.stdout)
    return document


def test_poisoned_objects_are_reported_rebuilt_and_replaced(
        tmp_path: Path, s3_server: Any, bucket: str, cache_env: dict[str, str], built_example: Path) -> None:
    cache = f"s3://{bucket}/c/"
    keys = seed(tmp_path, cache, cache_env)
    client = s3_server.client()
    uri = {target: f"s3://{bucket}/{key}" for target, key in keys.items()}

    # payments' real zip, with its own matching metadata and checksum, under inventory's fingerprint.
    payments = client.get_object(Bucket=bucket, Key=keys["payments", "arm64"])
    payments_zip = payments["Body"].read()
    client.put_object(Bucket=bucket, Key=keys["inventory", "arm64"], Body=payments_zip,
                      Metadata=payments["Metadata"], ChecksumSHA256=b64sha(payments_zip))
    # Five bytes with consistent metadata.
    hello = b"hello"
    client.put_object(Bucket=bucket, Key=keys["payments", "arm64"], Body=hello, ChecksumSHA256=b64sha(hello),
                      Metadata={"sha256": hashlib.sha256(hello).hexdigest(),
                                "contents-sha256": hashlib.sha256(hello).hexdigest()})
    # A random blob larger than Lambda accepts, with consistent metadata.
    blob = tmp_path / "blob"
    digest = hashlib.sha256()
    with blob.open("wb") as handle:
        for _ in range(MAX_CACHED_ZIP // (1 << 20) + 1):
            chunk = os.urandom(1 << 20)
            digest.update(chunk)
            handle.write(chunk)
    with blob.open("rb") as body:
        client.put_object(Bucket=bucket, Key=keys["healthcheck", "arm64"], Body=body,
                          Metadata={"sha256": digest.hexdigest(), "contents-sha256": digest.hexdigest()})
    blob.unlink()

    clone = copy_example(tmp_path / "clone" / "shop")
    port = int(s3_server.endpoint_url.rsplit(":", 1)[1])
    with LimitedS3Proxy(port) as proxy:
        document = build_json(clone, cache, {**cache_env, "AWS_ENDPOINT_URL": proxy.endpoint_url})
        delivered = dict(proxy.delivered)
    assert document["counts"] == {"built": 3, "from_cache": 2, "up_to_date": 0}
    assert zips(clone) == zips(built_example)  # byte for byte what an uncached build ships
    by_target = {w.split(" is not what ", 1)[1].split(" would build")[0]: w for w in document["warnings"]}
    assert sorted(by_target) == ["healthcheck/arm64", "inventory/arm64", "payments/arm64"]
    assert len(document["warnings"]) == 3
    healthcheck, inventory, payments = (by_target[k] for k in sorted(by_target))
    assert healthcheck == (
        f"cache object {uri['healthcheck', 'arm64']} is not what healthcheck/arm64 would build: it is "
        f"{MAX_CACHED_ZIP + (1 << 20)} bytes, more than Lambda accepts ({MAX_CACHED_ZIP}); not downloaded; "
        "ignoring it and rebuilding")
    assert inventory == (
        f"cache object {uri['inventory', 'arm64']} is not what inventory/arm64 would build: bootstrap is the main "
        "package example.com/shop/cmd/payments-lambda, this target is example.com/shop/cmd/inventory-lambda; "
        "ignoring it and rebuilding")
    # verify's own words for why five bytes are no zip (its finding code is the stable part).
    assert payments.startswith(f"cache object {uri['payments', 'arm64']} is not what payments/arm64 would build: "
                               "verify: GB001 not a readable zip archive")
    assert payments.endswith("; ignoring it and rebuilding")
    # The blob was refused from its headers: only what was in flight reached the client.
    (blob_path,) = [path for path in delivered if path.endswith(keys["healthcheck", "arm64"])]
    assert delivered[blob_path] < 32 << 20
    assert not [p.name for p in (clone / "dist").iterdir() if p.name.endswith(".tmp")]

    # The rebuilt zips replaced the poisoned objects: the next clone gets all five from the cache.
    third = copy_example(tmp_path / "third" / "shop")
    again = build_json(third, cache, cache_env)
    assert again["counts"] == {"built": 0, "from_cache": 5, "up_to_date": 0}
    assert again["warnings"] == []
    assert zips(third) == zips(built_example)


def test_signed_cache_refuses_unsigned_and_wrongly_signed_objects(
        tmp_path: Path, s3_server: Any, bucket: str, cache_env: dict[str, str], built_example: Path) -> None:
    cache = f"s3://{bucket}/signed/"
    signed_env = {**cache_env, "GOBUILD_CACHE_KEY": KEY}
    keys = seed(tmp_path, cache, signed_env)
    client = s3_server.client()
    for key in keys.values():
        metadata = client.head_object(Bucket=bucket, Key=key)["Metadata"]
        fingerprint = key.rsplit("/", 1)[1].removesuffix(".zip")
        assert metadata[SIGNATURE] == sign(KEY.encode(), fingerprint, metadata["sha256"])

    def replace(target: tuple[str, str], source: tuple[str, str], signature: str | None) -> None:
        stored = client.get_object(Bucket=bucket, Key=keys[source])
        data = stored["Body"].read()
        metadata = {k: v for k, v in stored["Metadata"].items() if k != SIGNATURE}
        if signature is not None:
            metadata[SIGNATURE] = signature
        client.put_object(Bucket=bucket, Key=keys[target], Body=data, Metadata=metadata,
                          ChecksumSHA256=b64sha(data))

    arm, amd = ("orders", "arm64"), ("orders", "amd64")
    replace(arm, arm, None)  # the right bytes, unsigned
    amd_sha = client.head_object(Bucket=bucket, Key=keys[amd])["Metadata"]["sha256"]
    replace(amd, amd, sign(b"another key", keys[amd].rsplit("/", 1)[1][:-4], amd_sha))  # the right bytes, wrong key
    # A genuinely signed object moved to another fingerprint: the signature binds it to its own.
    inventory = client.head_object(Bucket=bucket, Key=keys["inventory", "arm64"])["Metadata"]
    replace(("payments", "arm64"), ("inventory", "arm64"), inventory[SIGNATURE])

    clone = copy_example(tmp_path / "clone" / "shop")
    proc = gobuild("build", "-C", str(clone), "--cache", cache, "--json", env=signed_env)
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["counts"] == {"built": 3, "from_cache": 2, "up_to_date": 0}
    assert zips(clone) == zips(built_example)
    assert sorted(document["warnings"]) == sorted([
        f"cache object s3://{bucket}/{keys[amd]} is not what orders/amd64 would build: its signature does not "
        "match GOBUILD_CACHE_KEY; ignoring it and rebuilding",
        f"cache object s3://{bucket}/{keys[arm]} is not what orders/arm64 would build: it is unsigned and "
        "GOBUILD_CACHE_KEY is set; ignoring it and rebuilding",
        f"cache object s3://{bucket}/{keys['payments', 'arm64']} is not what payments/arm64 would build: its "
        "signature does not match GOBUILD_CACHE_KEY; ignoring it and rebuilding",
    ])
    log = (clone / "dist/gobuild.log").read_text()
    assert KEY not in proc.stdout + proc.stderr + log

    # Without the key the proofs alone decide: the right bytes count, signed or not.
    unsigned = copy_example(tmp_path / "unsigned" / "shop")
    document = build_json(unsigned, cache, cache_env)
    assert document["counts"] == {"built": 0, "from_cache": 5, "up_to_date": 0}
    assert zips(unsigned) == zips(built_example)


def test_an_unreachable_cache_warns_once_whatever_the_threads(tmp_path: Path, s3_env: dict[str, str]) -> None:
    project = copy_example(tmp_path / "shop")
    env = {**s3_env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    proc = gobuild("build", "-C", str(project), "--cache", "s3://nowhere/x", "-j", "4", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("cache s3://nowhere/x unusable") == 1
    assert len(zips(project)) == 5


def test_an_unknown_profile_names_itself_and_where_it_came_from(tmp_path: Path, s3_env: dict[str, str]) -> None:
    project = copy_example(tmp_path / "shop")
    env = {**s3_env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_PROFILE": "nosuch"}
    proc = gobuild("build", "-C", str(project), "--cache", "s3://nowhere/x", env=env)
    assert proc.returncode == 2
    assert [line for line in proc.stderr.splitlines() if line.startswith("error:")] == [
        "error: AWS profile 'nosuch' (from AWS_PROFILE) not found"]
    assert "unset AWS_PROFILE" in proc.stderr and "Traceback" not in proc.stderr
