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


def old_zip(go1x_zip: Path, dest: Path, extra: dict[str, bytes]) -> Path:
    """The go1.x zip's orders binary under other names, with extra files, written by zipfile."""
    with zipfile.ZipFile(go1x_zip) as old:
        binary = old.read("orders-lambda")
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in extra.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100755 if data[:4] == b"\x7fELF" or data[:2] == b"#!" else 0o100644) << 16
            archive.writestr(info, binary if data == b"ELF" else data, zipfile.ZIP_DEFLATED)
    return dest


def error_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if not line.startswith("hint:")]


def test_repack_all_refuses_binaries_that_would_share_a_name(go1x_zip: Path, tmp_path: Path) -> None:
    source = old_zip(go1x_zip, tmp_path / "two.zip", {"a/orders": b"ELF", "b/orders": b"ELF"})
    out = tmp_path / "out"
    out.mkdir()
    proc = gobuild("repack", str(source), "--all", "-o", str(out))
    assert proc.returncode == 2 and "ok" not in proc.stderr
    assert error_lines(proc) == [f"error: {source}: a/orders and b/orders would both be written to "
                                 f"{out / 'orders-amd64.zip'}"]
    assert list(out.iterdir()) == []


def test_repack_refuses_to_write_a_zip_with_a_file_under_bootstrap(go1x_zip: Path, tmp_path: Path) -> None:
    source = old_zip(go1x_zip, tmp_path / "conf.zip", {"orders-lambda": b"ELF", "bootstrap/config.json": b"{}"})
    proc = gobuild("repack", str(source), "-o", str(tmp_path / "new.zip"))
    assert proc.returncode == 1
    assert error_lines(proc) == [f"error: {source}: orders-lambda: bootstrap is a file, and also a folder of "
                                 "bootstrap/config.json: no unzipper can extract both"]
    assert not (tmp_path / "new.zip").exists()


def test_repack_of_a_binary_beside_a_script_bootstrap_is_one_clean_error(go1x_zip: Path, tmp_path: Path) -> None:
    source = old_zip(go1x_zip, tmp_path / "wrapped.zip",
                     {"orders-lambda": b"ELF", "bootstrap": b"#!/bin/sh\nexec ./orders-lambda\n"})
    proc = gobuild("repack", str(source), "-o", str(tmp_path / "new.zip"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert error_lines(proc)[0].startswith(f"error: {source} already has a bootstrap that is not a Linux binary")


def test_repack_of_more_entries_than_a_plain_zip_holds_is_one_clean_error(go1x_zip: Path, tmp_path: Path) -> None:
    many = {f"static/{i:05}.txt": b"" for i in range(65_536)}
    source = old_zip(go1x_zip, tmp_path / "many.zip", {"orders-lambda": b"ELF", **many})
    proc = gobuild("repack", str(source), "-o", str(tmp_path / "new.zip"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert error_lines(proc) == [f"error: {source}: orders-lambda: 65,537 entries: more than a zip without Zip64 "
                                 "holds (65,535); a Lambda zip never needs that many"]


def test_repack_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    proc = gobuild("repack", "/dev/zero", "-o", str(tmp_path / "new.zip"))
    assert (proc.returncode, proc.stderr.splitlines()) == (2, ["error: /dev/zero is a character device, not a zip file"])


def test_repacked_zips_have_nothing_for_verify_to_warn_about(go1x_zip: Path, tmp_path: Path) -> None:
    assert gobuild("repack", str(go1x_zip), "--all", "-o", str(tmp_path)).returncode == 0
    for path in sorted(tmp_path.glob("*.zip")):
        proc = gobuild("verify", "--strict", "--arch", "amd64", "--json", str(path))
        assert proc.returncode == 0, proc.stdout
        assert json.loads(proc.stdout)["archives"][0]["warnings"] == 0
