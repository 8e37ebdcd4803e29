"""Issue 11, Cache: "its entries digest is recomputed, not taken from metadata". A cache object
whose bytes are right but whose contents-sha256 metadata lies is used, and the index records the
digest of what it holds, exactly as an uncached build records it."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from tests.integration.fixtures_build import copy_example, gobuild


def index_entry(project: Path, name: str) -> dict[str, Any]:
    document = json.loads((project / "dist/artifacts.json").read_text())
    (entry,) = [a for a in document["artifacts"] if a["name"] == name]
    return dict(entry)


def test_a_lying_contents_digest_in_metadata_is_not_recorded(
        tmp_path: Path, s3_server: Any, bucket: str, s3_env: dict[str, str], built_example: Path) -> None:
    env = {**s3_env, "AWS_ENDPOINT_URL": s3_server.endpoint_url}
    env.pop("GOBUILD_CACHE_KEY", None)
    cache = f"s3://{bucket}/digest/"
    seed = copy_example(tmp_path / "seed" / "shop")
    assert gobuild("build", "-C", str(seed), "--cache", cache, "--only", "payments", "-q", env=env).returncode == 0
    client = s3_server.client()
    (item,) = client.list_objects_v2(Bucket=bucket, Prefix="digest/")["Contents"]
    stored = client.get_object(Bucket=bucket, Key=item["Key"])
    data = stored["Body"].read()
    lie = "0" * 64
    assert stored["Metadata"]["contents-sha256"] != lie
    client.put_object(Bucket=bucket, Key=item["Key"], Body=data, Metadata={**stored["Metadata"], "contents-sha256": lie},
                      ChecksumSHA256=base64.b64encode(hashlib.sha256(data).digest()).decode())

    clone = copy_example(tmp_path / "clone" / "shop")
    proc = gobuild("build", "-C", str(clone), "--cache", cache, "--only", "payments", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["counts"] == {"built": 0, "from_cache": 1, "up_to_date": 0}  # the bytes are right
    assert document["warnings"] == []
    recorded = index_entry(clone, "payments")
    assert recorded["contents_sha256"] != lie
    assert recorded == index_entry(built_example, "payments")  # what an uncached build records
