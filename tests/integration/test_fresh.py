"""Publish refuses a zip its sources no longer build, judged by content (build.fresh), not file times."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from gobuild.build import artifacts
from gobuild.manifest import load_manifest
from tests.integration.fixtures_build import copy_example, gobuild
from tests.integration.fixtures_s3 import bucket_contents

SHARED = "internal/shop/shop.go"  # imported by orders, payments and inventory; not by healthcheck


def built(dest: Path, *, out_dir: str | None = None) -> Path:
    """A copy of the example built in place (so its build state is its own)."""
    project = copy_example(dest)
    if out_dir is not None:
        manifest = project / "gobuild.toml"
        manifest.write_text(manifest.read_text().replace('out_dir = "dist"', f'out_dir = "{out_dir}"'))
    gobuild("build", "-C", str(project), "-q", check=True)
    return project


def publish(project: Path, env: dict[str, str], server: Any, bucket: str, *args: str) -> Any:
    return gobuild("publish", "-C", str(project), "--bucket", bucket, "--endpoint-url", server.endpoint_url,
                   *args, env=env)


def errors(proc: Any) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("error:")]


def edit(path: Path, text: str = "\n// edited after the build\n") -> None:
    path.write_text(path.read_text() + text)


def test_out_dir_dot_still_sees_an_edited_source(
        tmp_path: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]) -> None:
    project = built(tmp_path / "shop", out_dir=".")
    assert (project / "artifacts.json").is_file()
    edit(project / "cmd/payments-lambda/main.go")
    proc = publish(project, s3_env, s3_server, bucket)
    assert proc.returncode == 1
    assert errors(proc) == [f"error: {project / 'artifacts.json'}: payments/arm64 was built from other sources than "
                            "the project holds now (changed: cmd/payments-lambda/main.go)"]
    assert bucket_contents(s3_server, bucket) == {}
    assert not (project / "published.json").exists()


def test_a_partial_build_between_an_edit_and_publish_does_not_hide_it(
        tmp_path: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]) -> None:
    project = built(tmp_path / "shop")
    edit(project / SHARED)
    # Rewrites artifacts.json (and the state's hash of the shared file) for orders only.
    gobuild("build", "-C", str(project), "--only", "orders", "-q", check=True)
    proc = publish(project, s3_env, s3_server, bucket)
    assert proc.returncode == 1
    assert errors(proc) == [f"error: {project / 'dist/artifacts.json'}: inventory/arm64, payments/arm64 were built "
                            "from other sources than the project holds now"]
    assert bucket_contents(s3_server, bucket) == {}
    # What the edit does not reach, or what was rebuilt, still goes out.
    proc = publish(project, s3_env, s3_server, bucket, "--only", "orders", "--only", "healthcheck")
    assert proc.returncode == 0, proc.stderr
    assert len(bucket_contents(s3_server, bucket)) == 3


def test_an_edit_to_a_shared_package_names_every_function_it_reaches(
        tmp_path: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]) -> None:
    project = built(tmp_path / "shop")
    shared = project / SHARED
    # A new import changes what `go list` reports, so the recorded inputs no longer hold.
    shared.write_text(shared.read_text().replace("package shop\n", 'package shop\n\nimport _ "strings"\n', 1))
    proc = publish(project, s3_env, s3_server, bucket, "--dry-run")
    assert proc.returncode == 1
    assert errors(proc) == [f"error: {project / 'dist/artifacts.json'}: inventory/arm64, orders/amd64, "
                            "orders/arm64, payments/arm64 were built from other sources than the project holds now "
                            f"(changed: {SHARED})"]
    assert publish(project, s3_env, s3_server, bucket, "--dry-run", "--only", "healthcheck").returncode == 0
    # Rebuilt, everything is current again.
    gobuild("build", "-C", str(project), "-q", check=True)
    proc = publish(project, s3_env, s3_server, bucket, "--json")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["published"]) == 5


def test_dangling_symlinks_and_editor_lock_files_do_not_crash(
        tmp_path: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]) -> None:
    project = built(tmp_path / "shop")
    for link in ("cmd/orders-lambda/.#main.go", "internal/shop/.#shop.go", ".#gobuild.toml", "notes",
                 "scratch/old.go"):
        (project / link).parent.mkdir(exist_ok=True)
        os.symlink("root@host.1234:1700000000", project / link)  # what Emacs leaves: a link to nowhere
    proc = publish(project, s3_env, s3_server, bucket, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    # Without the build state (a fresh checkout), `go list` decides: the same answer.
    shutil.rmtree(project / "dist/.gobuild")
    proc = publish(project, s3_env, s3_server, bucket, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


def test_invoke_api_warns_by_content_and_never_raises(tmp_path: Path) -> None:
    project = built(tmp_path / "shop")
    manifest = load_manifest(project / "gobuild.toml")
    index = project / "dist/artifacts.json"
    document = artifacts.load(index)
    assert artifacts.stale_reason(manifest, document, index, environ=os.environ) is None
    edit(project / "cmd/payments-lambda/main.go")
    assert artifacts.stale_reason(manifest, document, index, only=("payments",), environ=os.environ) == (
        "payments/arm64 was built from other sources than the project holds now "
        "(changed: cmd/payments-lambda/main.go)")
    assert artifacts.stale_reason(manifest, document, index, only=("orders",), environ=os.environ) is None

    # No state and no go: a publish cannot tell and stops (exit 3); the warning says why.
    shutil.rmtree(project / "dist/.gobuild")
    no_go = {k: v for k, v in os.environ.items() if k != "GOBUILD_GO"} | {"PATH": str(tmp_path / "empty")}
    reason = artifacts.stale_reason(manifest, document, index, environ=no_go)
    assert reason == "the sources could not be compared with artifacts.json (go: command not found on PATH)"
    proc = gobuild("publish", "-C", str(project), "--bucket", "some-bucket", "--endpoint-url", "http://127.0.0.1:9",
                   env=no_go)
    assert proc.returncode == 3
    assert errors(proc) == ["error: go: command not found on PATH"]
