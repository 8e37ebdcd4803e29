"""`gobuild repack` on a go1.x-style zip built here from testdata/ (no lambda.norpc, named after its handler)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.conftest import TESTDATA
from tests.integration.fixtures_build import gobuild


@pytest.fixture(scope="module")
def go1x_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What teams deployed on go1.x: `go build ./cmd/...` binaries zipped together, plus a config file."""
    work = tmp_path_factory.mktemp("go1x")
    env = {**os.environ, "CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "amd64", "GOFLAGS": ""}
    for name in ("orders-lambda", "payments-lambda"):
        subprocess.run(["go", "build", "-o", str(work / name), f"./cmd/{name}"], cwd=TESTDATA, env=env, check=True)
    old = work / "functions.zip"
    with zipfile.ZipFile(old, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(work / "orders-lambda", "orders-lambda")
        archive.write(work / "payments-lambda", "payments-lambda")
        archive.writestr("config.json", '{"stage": "prod"}')
    return old


def test_repack_one_handler(go1x_zip: Path, tmp_path: Path) -> None:
    new = tmp_path / "orders.zip"
    proc = gobuild("repack", str(go1x_zip), "--handler", "orders-lambda", "-o", str(new), "--json")
    assert proc.returncode == 0, proc.stderr
    (result,) = json.loads(proc.stdout)
    assert result["arch"] == "amd64" and result["path"] == str(new)
    assert "GB304" in {n["code"] for n in result["notes"]}  # no lambda.norpc: information only
    with zipfile.ZipFile(new) as archive:
        assert sorted(archive.namelist()) == ["bootstrap", "config.json"]
        boot = archive.getinfo("bootstrap")
        assert stat.S_IMODE(boot.external_attr >> 16) == 0o755 and boot.create_system == 3
        with zipfile.ZipFile(go1x_zip) as old:
            assert archive.read("bootstrap") == old.read("orders-lambda")
    verified = gobuild("verify", str(new), "--arch", "amd64")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    again = tmp_path / "again.zip"
    assert gobuild("repack", str(go1x_zip), "--handler", "orders-lambda", "-o", str(again)).returncode == 0
    assert again.read_bytes() == new.read_bytes()  # reproducible


def test_repack_all_binaries(go1x_zip: Path, tmp_path: Path) -> None:
    proc = gobuild("repack", str(go1x_zip), "--all", "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.glob("*.zip")) == ["orders-lambda-amd64.zip", "payments-lambda-amd64.zip"]


def test_repack_refuses_ambiguity_and_wrong_arch(go1x_zip: Path, tmp_path: Path) -> None:
    proc = gobuild("repack", str(go1x_zip), "-o", str(tmp_path / "x.zip"))
    assert proc.returncode == 2 and "orders-lambda, payments-lambda" in proc.stderr
    proc = gobuild("repack", str(go1x_zip), "--handler", "nope", "-o", str(tmp_path / "x.zip"))
    assert proc.returncode == 2 and "no single binary named 'nope'" in proc.stderr
    proc = gobuild("repack", str(go1x_zip), "--handler", "orders-lambda", "--arch", "arm64",
                   "-o", str(tmp_path / "x.zip"))
    assert proc.returncode == 1 and "arm64" in proc.stderr
    assert not (tmp_path / "x.zip").exists()


def test_repacked_zip_answers_through_gobuild_invoke(go1x_zip: Path, tmp_path: Path) -> None:
    new = tmp_path / "orders.zip"
    assert gobuild("repack", str(go1x_zip), "--handler", "orders-lambda", "-o", str(new)).returncode == 0
    proc = gobuild("invoke", str(new), "--event", '{"item": "pen", "quantity": 2}')
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"function": "orders", "message": "2 x pen", "total": 10}


def test_repack_reads_a_deflate64_go1x_zip(go1x_zip: Path, tmp_path: Path) -> None:
    from testdata.make_broken_zips import DEFLATE64, raw_entry, raw_zip

    with zipfile.ZipFile(go1x_zip) as old:
        binary = old.read("orders-lambda")
    legacy = tmp_path / "deflate64.zip"
    legacy.write_bytes(raw_zip([raw_entry("orders-lambda", binary, method=DEFLATE64)]))
    assert "GB110" in gobuild("verify", str(legacy)).stdout  # Lambda could not unzip it as it is
    new = tmp_path / "orders.zip"
    proc = gobuild("repack", str(legacy), "--handler", "orders-lambda", "-o", str(new))
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(new) as archive:
        assert archive.getinfo("bootstrap").compress_type == zipfile.ZIP_DEFLATED
        assert archive.read("bootstrap") == binary
    assert gobuild("verify", str(new), "--arch", "amd64").returncode == 0


def test_repack_refuses_a_lying_deflate64_entry_without_inflating_it(go1x_zip: Path, tmp_path: Path) -> None:
    from testdata.make_broken_zips import _bomb_cases

    with zipfile.ZipFile(go1x_zip) as old:
        binary = old.read("orders-lambda")
    bomb = dict(_bomb_cases(binary))["bomb-deflate64"]  # 60 KB that inflate to 1 GiB, declared as 1 MiB
    legacy = tmp_path / "bomb.zip"
    legacy.write_bytes(bomb)
    proc = gobuild("repack", str(legacy), "--all", "-o", str(tmp_path))
    assert proc.returncode == 1
    assert "entry data.bin is corrupt" in proc.stderr and "zip bomb" in proc.stderr
    assert not list(tmp_path.glob("*-amd64.zip"))
