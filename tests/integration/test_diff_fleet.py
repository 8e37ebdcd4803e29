"""The fleet form: `gobuild diff` between two builds of the example fleet, as dist/ folders, as
artifacts.json files, and against the published.json of the first build (hash first; S3 only
when it can be read), one line per function that changed and why.

The fleet: testdata/ built by `gobuild build` and published to the test S3 server; then three
functions change in one way each (an -X value, one function's code, an include file) and the
fleet is built again.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gobuild.locals3 import AWS_VARIABLES_TO_DROP
from tests.integration.fixtures_build import copy_example, gobuild

PAYMENTS = "cmd/payments-lambda/main.go"


@dataclass(frozen=True)
class Fleet:
    project: Path
    before: Path  # the first build's dist/, with its published.json
    bucket: str
    endpoint_url: str
    s3_env: dict[str, str]

    @property
    def dist(self) -> Path:
        return self.project / "dist"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, s3_server: Any) -> Fleet:
    project = copy_example(tmp_path_factory.mktemp("fleet") / "shop")
    # payments reports a version that its manifest stamps with -X.
    edit(project / PAYMENTS, 'shop.Handle(ctx, "payments", 7, ev)', 'shop.Handle(ctx, "payments "+version, 7, ev)')
    (project / PAYMENTS).write_text((project / PAYMENTS).read_text() + '\nvar version = "dev"\n')
    edit(project / "gobuild.toml", 'package = "./cmd/payments-lambda"\n',
         'package = "./cmd/payments-lambda"\nldflags = "-s -w -X main.version=1.2.3"\n')
    gobuild("build", "-C", str(project), check=True)
    bucket = f"gobuild-diff-{uuid.uuid4().hex[:12]}"
    s3_server.create_bucket(bucket)
    env = s3_server.client_env(os.environ)
    gobuild("publish", "-C", str(project), "--bucket", bucket, "--endpoint-url", s3_server.endpoint_url,
            env=env, check=True)
    before = Path(shutil.copytree(project / "dist", project.parent / "before"))
    edit(project / "gobuild.toml", "main.version=1.2.3", "main.version=1.2.4")
    edit(project / "cmd/inventory-lambda/main.go", '"inventory", 11, ev', '"inventory", 13, ev')
    edit(project / "config/healthcheck.json", '"inventory"]', '"inventory", "payments-v2"]')
    gobuild("build", "-C", str(project), check=True)
    return Fleet(project=project, before=before, bucket=bucket, endpoint_url=s3_server.endpoint_url, s3_env=env)


def no_aws_env(tmp_path: Path) -> dict[str, str]:
    """No credentials anywhere the standard chain looks, and no instance metadata."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    for name in AWS_VARIABLES_TO_DROP:
        env.pop(name, None)
    env.update(AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               AWS_EC2_METADATA_DISABLED="true")
    return env


def lines(text: str) -> list[str]:
    return text.splitlines()


def test_two_dist_folders_one_line_per_changed_function(fleet: Fleet) -> None:
    proc = gobuild("diff", str(fleet.before), str(fleet.dist))
    assert proc.returncode == 1, proc.stderr
    out = lines(proc.stdout)
    assert out[0].startswith("healthcheck/arm64: healthcheck.json: contents differ (")
    assert out[1].startswith("inventory/arm64: the code itself changed in package main "
                             "(example.com/shop/cmd/inventory-lambda): handle")
    assert out[2] == "payments/arm64: -X main.version changed (1.2.3 → 1.2.4)"
    assert out[3:] == ["3 of 5 zips differ; 2 identical"]


def test_two_artifacts_json_files_and_the_json_document(fleet: Fleet) -> None:
    proc = gobuild("diff", "--json", str(fleet.before / "artifacts.json"), str(fleet.dist / "artifacts.json"))
    assert proc.returncode == 1, proc.stderr
    document = json.loads(proc.stdout)
    assert (document["fleet"], document["identical"], document["compared"], document["differing"]) == (
        True, False, 5, 3)
    statuses = {a["label"]: a["status"] for a in document["artifacts"]}
    assert statuses == {"healthcheck/arm64": "different", "inventory/arm64": "different",
                        "orders/amd64": "identical", "orders/arm64": "identical", "payments/arm64": "different"}
    payments = next(a for a in document["artifacts"] if a["label"] == "payments/arm64")
    assert payments["differences"][0] == {
        "level": "build", "kind": "ldflags-x", "subject": "main.version",
        "message": "-X main.version changed (1.2.3 → 1.2.4)", "old": "1.2.3", "new": "1.2.4",
        "details": ["the binary holds the value; artifacts.json's ldflags name the variable"],
    }
    healthcheck = next(a for a in document["artifacts"] if a["label"] == "healthcheck/arm64")
    assert healthcheck["differences"][0]["details"][-1] == '+{"checks": ["orders", "payments", "inventory", ' \
        '"payments-v2"]}'


def test_published_json_without_s3_compares_hashes_only(fleet: Fleet, tmp_path: Path) -> None:
    proc = gobuild("diff", str(fleet.dist), str(fleet.dist / "published.json"), env=no_aws_env(tmp_path))
    assert proc.returncode == 1, proc.stderr
    out = lines(proc.stdout)
    published = fleet.dist / "published.json"
    assert out[0] == f"{published} is what is deployed: each line reads {published} → {fleet.dist}"
    now = {a["name"]: a["code_sha256"] for a in json.loads((fleet.dist / "artifacts.json").read_text())["artifacts"]
           if a["arch"] == "arm64"}
    then = {a["name"]: a["code_sha256"] for a in json.loads(published.read_text())["artifacts"]
            if a["arch"] == "arm64"}
    for line, name in zip(out[1:4], ("healthcheck", "inventory", "payments")):
        assert line == (f"{name}/arm64: differs (CodeSha256 {then[name]} → {now[name]}); fetch with --endpoint-url "
                        "to explain (no AWS credentials found)")
    assert out[4:] == ["3 of 5 zips differ; 2 identical"]


def test_published_json_with_s3_fetches_what_differs_and_explains_it(fleet: Fleet) -> None:
    proc = gobuild("diff", str(fleet.dist), str(fleet.dist / "published.json"), "--endpoint-url",
                   fleet.endpoint_url, env=fleet.s3_env)
    assert proc.returncode == 1, proc.stderr
    out = lines(proc.stdout)
    assert out[1].startswith("healthcheck/arm64: healthcheck.json: contents differ (")
    assert out[2].startswith("inventory/arm64: the code itself changed in package main")
    assert out[3] == "payments/arm64: -X main.version changed (1.2.3 → 1.2.4)"
    assert out[4:] == ["3 of 5 zips differ; 2 identical"]


def test_two_published_json_files_need_no_s3(fleet: Fleet, tmp_path: Path) -> None:
    proc = gobuild("diff", str(fleet.before / "published.json"), str(fleet.dist / "published.json"),
                   env=no_aws_env(tmp_path))
    assert (proc.returncode, lines(proc.stdout)) == (0, ["identical: 5 zips compared"]), proc.stderr


def test_an_s3_object_against_a_local_zip(fleet: Fleet) -> None:
    published = json.loads((fleet.before / "published.json").read_text())["artifacts"]
    key = next(a["key"] for a in published if a["name"] == "payments")
    proc = gobuild("diff", f"s3://{fleet.bucket}/{key}", str(fleet.dist / "payments-arm64.zip"),
                   "--endpoint-url", fleet.endpoint_url, env=fleet.s3_env)
    assert proc.returncode == 1, proc.stderr
    assert lines(proc.stdout)[1] == (
        '  code     no code changed; string data did: "1.2.3" → "1.2.4" (an -X value or a string constant)'
    )


def test_an_unknown_s3_object_is_bad_input(fleet: Fleet) -> None:
    proc = gobuild("diff", f"s3://{fleet.bucket}/no-such.zip", str(fleet.dist / "payments-arm64.zip"),
                   "--endpoint-url", fleet.endpoint_url, env=fleet.s3_env)
    assert proc.returncode == 2
    assert f"s3://{fleet.bucket}/no-such.zip: no such object" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
