"""Incremental builds: only what changed is compiled and re-zipped; decisions rest on content."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.integration.fixtures_build import go_builds, go_shim, gobuild

ALL = {"orders-amd64.zip", "orders-arm64.zip", "payments-arm64.zip", "inventory-arm64.zip",
       "healthcheck-arm64.zip"}



@pytest.fixture
def go_log(tmp_path: Path) -> tuple[dict[str, str], Path]:
    return go_shim(tmp_path)


def snapshot(project: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of dist/ that a user sees: its bytes and its inode (a rewrite changes it)."""
    dist = project / "dist"
    return {p.name: (p.read_bytes(), p.stat().st_ino) for p in dist.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.name != "gobuild.log"}


def rebuilt(before: dict[str, tuple[bytes, int]], after: dict[str, tuple[bytes, int]]) -> set[str]:
    return {name for name in after if name.endswith(".zip") and after[name][1] != before.get(name, (b"", -1))[1]}


def build(project: Path, env: dict[str, str]) -> str:
    proc = gobuild("build", "-C", str(project), env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def test_nothing_changed_runs_no_compiler_and_rewrites_nothing(project: Path, go_log) -> None:
    env, log = go_log
    build(project, env)  # the copy's first build records its state
    log.unlink(missing_ok=True)
    before = snapshot(project)
    output = build(project, env)
    assert "up to date" in output
    assert go_builds(log) == []
    assert not any(line.startswith("list") for line in log.read_text().splitlines())
    assert snapshot(project) == before  # bytes and inodes, artifacts.json included


def test_touching_a_file_without_changing_it_rebuilds_nothing(project: Path, go_log) -> None:
    env, log = go_log
    build(project, env)
    log.unlink(missing_ok=True)
    before = snapshot(project)
    for path in project.rglob("*.go"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    build(project, env)
    assert go_builds(log) == []  # files were re-read and hashed; nothing compiled
    assert snapshot(project) == before


def test_one_function_changed_rebuilds_only_its_zips(project: Path, go_log) -> None:
    env, log = go_log
    build(project, env)
    log.unlink(missing_ok=True)
    before = snapshot(project)
    main = project / "cmd/orders-lambda/main.go"
    main.write_text(main.read_text().replace('"orders", 5', '"orders", 6'))
    build(project, env)
    assert rebuilt(before, snapshot(project)) == {"orders-amd64.zip", "orders-arm64.zip"}
    compiled = " ".join(go_builds(log))
    assert "./cmd/orders-lambda" in compiled and "./cmd/payments-lambda" not in compiled


def test_shared_package_changed_rebuilds_only_its_importers(project: Path, go_log) -> None:
    env, _log = go_log
    build(project, env)
    before = snapshot(project)
    shared = project / "internal/shop/shop.go"
    shared.write_text(shared.read_text().replace('item = "nothing"', 'item = "nothing at all"'))
    build(project, env)
    # healthcheck uses only the standard library: untouched.
    assert rebuilt(before, snapshot(project)) == ALL - {"healthcheck-arm64.zip"}


def test_go_sum_change_rebuilds_every_function(project: Path, go_log) -> None:
    env, log = go_log
    build(project, env)
    log.unlink(missing_ok=True)
    before = snapshot(project)
    with (project / "go.sum").open("a") as handle:
        handle.write("example.com/unused v1.0.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
    build(project, env)
    # Every fingerprint changed, so go ran for all; identical binaries are not re-zipped.
    assert len(go_builds(log)) >= 2
    after = json.loads((project / "dist/artifacts.json").read_text())["artifacts"]
    old = {a["name"] + a["arch"]: a["inputs"] for a in json.loads(before["artifacts.json"][0])["artifacts"]}
    assert all(a["inputs"] != old[a["name"] + a["arch"]] for a in after)


def test_a_flag_change_rebuilds_what_it_affects(project: Path, go_log) -> None:
    env, _ = go_log
    build(project, env)
    before = snapshot(project)
    manifest = project / "gobuild.toml"
    manifest.write_text(manifest.read_text().replace(
        'package = "./cmd/payments-lambda"', 'package = "./cmd/payments-lambda"\nldflags = "-s -w -X main.stage=prod"'))
    build(project, env)
    assert rebuilt(before, snapshot(project)) == {"payments-arm64.zip"}
    manifest.write_text(manifest.read_text().replace('ldflags = "-s -w"', 'ldflags = "-s -w -X main.x=1"'))
    before = snapshot(project)
    build(project, env)
    # the [defaults] change reaches every function that does not set its own ldflags
    assert rebuilt(before, snapshot(project)) == ALL - {"payments-arm64.zip"}


def test_a_modified_zip_is_rebuilt(project: Path, go_log) -> None:
    env, _ = go_log
    build(project, env)
    zip_path = project / "dist/inventory-arm64.zip"
    good = zip_path.read_bytes()
    zip_path.write_bytes(good[:-10] + b"corrupted!")
    build(project, env)
    assert zip_path.read_bytes() == good


def test_a_compile_error_after_a_change_is_reported(project: Path, go_log) -> None:
    env, _ = go_log
    build(project, env)
    main = project / "cmd/payments-lambda/main.go"
    main.write_text(main.read_text().replace("return shop.Handle", "return notDefined +"))
    proc = gobuild("build", "-C", str(project), env=env)
    assert proc.returncode == 1
    assert "payments/arm64" in proc.stderr and "cmd/payments-lambda/main.go" in proc.stderr
    assert not (project / "dist/payments-arm64.zip").exists()
    assert "4 up to date" in proc.stderr



@pytest.mark.parametrize("noop", ["1", "0"])
def test_an_edit_in_vendor_rebuilds_its_importers(project: Path, go_log, noop: str) -> None:
    # In vendor mode Go compiles vendor/'s files, which anyone can edit (survey D5).
    env = {**go_log[0], "GOBUILD_NOOP": noop}
    subprocess.run([shutil.which("go") or "go", "mod", "vendor"], cwd=project, check=True, capture_output=True)
    build(project, env)
    before = snapshot(project)
    entry = project / "vendor/github.com/aws/aws-lambda-go/lambda/entry.go"
    entry.write_text(entry.read_text() + '\nfunc init() { println("patched in vendor/") }\n')
    build(project, env)
    assert rebuilt(before, snapshot(project)) == {n for n in ALL if n != "healthcheck-arm64.zip"}
    assert b"patched in vendor/" in zipfile.ZipFile(project / "dist/orders-amd64.zip").read("bootstrap")


def every_stat(project: Path) -> dict[str, tuple[int, int, int]]:
    """Every file and folder of the project: mtime, size and inode (any write changes one)."""
    return {str(p.relative_to(project)): (p.stat().st_mtime_ns, p.stat().st_size, p.stat().st_ino)
            for p in [project, *project.rglob("*")]}


FLAGS = [[], ["--json"], ["--verify"], ["--only", "orders"], ["--json", "--only", "payments", "--verify"],
         ["-q"], ["--arch", "arm64"], ["-j", "1"]]


def test_a_build_that_changes_nothing_writes_nothing_whatever_its_flags(project: Path) -> None:
    env = {**os.environ, "GOBUILD_NOOP": "0"}  # every run takes the full path, not the no-op shortcut
    build(project, env)
    # The first run of each selection may record it for the no-op shortcut, and nothing else.
    for flags in FLAGS:
        before = every_stat(project)
        proc = gobuild("build", "-C", str(project), *flags, env=env)
        assert proc.returncode == 0, proc.stderr
        changed = {k for k in before.keys() | every_stat(project).keys() if before.get(k) != every_stat(project).get(k)}
        assert changed <= {"dist/.gobuild", "dist/.gobuild/noop.json"}, (flags, changed)
    # From then on: nothing at all, artifacts.json, state, record and log included.
    for flags in FLAGS:
        before = every_stat(project)
        proc = gobuild("build", "-C", str(project), *flags, env=env)
        assert proc.returncode == 0, proc.stderr
        assert every_stat(project) == before, flags
