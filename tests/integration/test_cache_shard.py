"""The shared S3 cache (against SeaweedFS) and sharded builds joined by `gobuild merge`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.integration.fixtures_build import copy_example, go_builds, go_shim, gobuild
from tests.integration.fixtures_s3 import SECRET_MARK


@pytest.fixture
def cache_env(s3_server: Any, s3_env: dict[str, str]) -> dict[str, str]:
    """The test server's credentials, and its endpoint for every S3 client (AWS_ENDPOINT_URL)."""
    return {**s3_env, "AWS_ENDPOINT_URL": s3_server.endpoint_url}


def zips(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((project / "dist").glob("*.zip"))}


def test_second_clone_compiles_nothing_from_the_shared_cache(
        tmp_path: Path, s3_server: Any, bucket: str, cache_env: dict[str, str]) -> None:
    first = copy_example(tmp_path / "one" / "shop")
    second = copy_example(tmp_path / "two" / "elsewhere" / "shop")
    cache = f"s3://{bucket}/cache/"
    proc = gobuild("build", "-C", str(first), "--cache", cache, env=cache_env)
    assert proc.returncode == 0, proc.stderr
    stored = s3_server.client().list_objects_v2(Bucket=bucket, Prefix="cache/")["Contents"]
    assert len(stored) == 5
    shim_env, log = go_shim(tmp_path)
    proc = gobuild("build", "-C", str(second), "--cache", cache, "--json",
                   env={**cache_env, "GOBUILD_GO": shim_env["GOBUILD_GO"]})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["counts"] == {"built": 0, "from_cache": 5, "up_to_date": 0}
    assert go_builds(log) == []
    assert zips(second) == zips(first)
    assert (second / "dist/artifacts.json").read_bytes() == (first / "dist/artifacts.json").read_bytes()
    assert SECRET_MARK not in proc.stdout + proc.stderr


def test_a_corrupt_cache_object_is_reported_and_rebuilt(
        tmp_path: Path, s3_server: Any, bucket: str, cache_env: dict[str, str]) -> None:
    first = copy_example(tmp_path / "one" / "shop")
    cache = f"s3://{bucket}/c"
    assert gobuild("build", "-C", str(first), "--cache", cache, "--only", "payments", env=cache_env).returncode == 0
    client = s3_server.client()
    (item,) = client.list_objects_v2(Bucket=bucket, Prefix="c/")["Contents"]
    original = client.head_object(Bucket=bucket, Key=item["Key"])["Metadata"]
    client.put_object(Bucket=bucket, Key=item["Key"], Body=b"not the zip", Metadata=original)
    second = copy_example(tmp_path / "two" / "shop")
    proc = gobuild("build", "-C", str(second), "--cache", cache, "--only", "payments", "--json", env=cache_env)
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["counts"]["built"] == 1 and document["counts"]["from_cache"] == 0
    assert any("its bytes do not match its recorded sha256; ignoring it and rebuilding" in w
               for w in document["warnings"])
    assert zips(second)["payments-arm64.zip"] == zips(first)["payments-arm64.zip"]


def test_an_unreachable_cache_only_warns(tmp_path: Path, s3_env: dict[str, str]) -> None:
    project = copy_example(tmp_path / "shop")
    env = {**s3_env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    proc = gobuild("build", "-C", str(project), "--cache", "s3://nowhere/x", "--only", "healthcheck", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "cache s3://nowhere/x unusable" in proc.stderr
    assert (project / "dist/healthcheck-arm64.zip").is_file()


def test_shards_cover_the_fleet_and_merge_into_one_index(built_example: Path, tmp_path: Path) -> None:
    shards = []
    for k in (1, 2, 3):
        project = copy_example(tmp_path / f"job{k}" / "shop")
        proc = gobuild("build", "-C", str(project), "--shard", f"{k}/3", "-q")
        assert proc.returncode == 0, proc.stderr
        shards.append(project / "dist/artifacts.json")
    counts = [len(json.loads(p.read_text())["artifacts"]) for p in shards]
    assert sorted(counts) == [1, 2, 2]  # 5 targets dealt to 3 shards
    final = copy_example(tmp_path / "publisher" / "shop")
    proc = gobuild("merge", "-C", str(final), *map(str, shards))
    assert proc.returncode == 0, proc.stderr
    assert zips(final) == zips(built_example)
    merged = json.loads((final / "dist/artifacts.json").read_text())
    assert merged == json.loads((built_example / "dist/artifacts.json").read_text())

    overlap = gobuild("merge", "-C", str(final), str(shards[0]), str(shards[0]), str(shards[1]), str(shards[2]))
    assert overlap.returncode == 2 and "is in both" in overlap.stderr
    gap = gobuild("merge", "-C", str(final), str(shards[0]), str(shards[1]))
    assert gap.returncode == 2 and "no shard built" in gap.stderr


@pytest.mark.parametrize("value", ["0/3", "4/3", "x", "1/0"])
def test_bad_shard_is_refused(tmp_path: Path, value: str) -> None:
    project = copy_example(tmp_path / "shop")
    proc = gobuild("build", "-C", str(project), "--shard", value)
    assert proc.returncode == 2 and "--shard" in proc.stderr
    assert not (project / "dist").exists()


@pytest.mark.parametrize("kind", ["parent", "absolute", "symlink"])
def test_merge_refuses_a_path_outside_its_folder_and_copies_nothing(
        built_example: Path, tmp_path: Path, kind: str) -> None:
    shard = tmp_path / "shards" / "one" / "dist"
    shutil.copytree(built_example / "dist", shard)
    zip_bytes = (shard / "payments-arm64.zip").read_bytes()
    outside = tmp_path / "escaped"
    outside.mkdir()
    (outside / "payments.zip").write_bytes(zip_bytes)  # present, so only the path check can stop it
    path = {"parent": "../../escaped/payments.zip", "absolute": str(outside / "payments.zip"),
            "symlink": "link/payments.zip"}[kind]
    if kind == "symlink":
        (shard / "link").symlink_to(outside)
    document = json.loads((shard / "artifacts.json").read_text())
    for artifact in document["artifacts"]:
        if artifact["name"] == "payments":
            artifact["path"] = path
    (shard / "artifacts.json").write_text(json.dumps(document))

    final = copy_example(tmp_path / "publisher" / "shop")
    proc = gobuild("merge", "-C", str(final), str(shard / "artifacts.json"))
    assert proc.returncode == 2, proc.stderr
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("error:")]
    assert line.startswith(f"error: {shard / 'artifacts.json'}: payments/arm64 has path {path!r}, which ")
    assert "Traceback" not in proc.stderr
    assert not (final / "dist").exists() or not list((final / "dist").iterdir())  # nothing copied, no index
    assert not (tmp_path / "publisher" / "escaped").exists()
    assert sorted(p.name for p in outside.iterdir()) == ["payments.zip"]
