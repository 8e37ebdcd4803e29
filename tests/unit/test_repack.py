"""gobuild.repack on crafted go1.x zips: refusals that would otherwise lose a binary, write a zip
no unzipper can lay out, or end in a traceback; and repacked zips that verify finds nothing in.
The CLI and real Go binaries are in tests/integration/test_repack.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gobuild.check.verify import verify_zip
from gobuild.errors import UsageError, VerifyError
from gobuild.repack import repack
from testdata.make_broken_zips import DEFLATE64, EM_X86_64, STORED, go_modinfo, minimal_elf, raw_entry, raw_zip

# A go1.x binary: aws-lambda-go, no lambda.norpc, built with -trimpath.
SETTINGS = [("-trimpath", "true"), ("CGO_ENABLED", "0"), ("GOARCH", "amd64"), ("GOOS", "linux")]
ELF = minimal_elf(machine=EM_X86_64, go_version="go1.26.8",
                  modinfo=go_modinfo(deps=[("github.com/aws/aws-lambda-go", "v1.41.0")], settings=SETTINGS))
CONFIG = b'{"stage": "prod"}\n'


def old_zip(tmp_path: Path, *entries: object, zip64: bool = False) -> Path:
    path = tmp_path / "functions.zip"
    path.write_bytes(raw_zip(entries, zip64=zip64))  # type: ignore[arg-type]
    return path


def test_binaries_that_would_share_an_output_name_are_refused_before_writing(tmp_path: Path) -> None:
    source = old_zip(tmp_path, raw_entry("a/orders", ELF), raw_entry("b/orders", ELF))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(UsageError, match=r"a/orders and b/orders would both be written to .*orders-amd64\.zip"):
        repack(source, every=True, output=out)
    assert list(out.iterdir()) == []


def test_two_handlers_into_one_file_are_refused(tmp_path: Path) -> None:
    source = old_zip(tmp_path, raw_entry("orders", ELF), raw_entry("payments", ELF))
    with pytest.raises(UsageError, match="orders and payments would both be written to"):
        repack(source, handlers=["orders", "payments"], output=tmp_path / "one.zip")
    assert not (tmp_path / "one.zip").exists()


def test_a_file_under_bootstrap_would_make_an_unextractable_zip(tmp_path: Path) -> None:
    source = old_zip(tmp_path, raw_entry("orders", ELF), raw_entry("bootstrap/config.json", CONFIG, mode=0o100644))
    expected = "orders: bootstrap is a file, and also a folder of bootstrap/config.json"
    with pytest.raises(VerifyError, match=re.escape(expected)) as raised:
        repack(source, output=tmp_path / "new.zip")
    assert raised.value.hint and "move or remove the ones in the way" in raised.value.hint
    assert not (tmp_path / "new.zip").exists()


def test_an_elf_beside_a_script_bootstrap_is_a_clean_error(tmp_path: Path) -> None:
    script = raw_entry("bootstrap", b"#!/bin/sh\nexec ./orders\n")
    source = old_zip(tmp_path, raw_entry("orders", ELF), script)
    with pytest.raises(UsageError, match="already has a bootstrap that is not a Linux binary") as raised:
        repack(source, output=tmp_path / "new.zip")
    assert raised.value.hint and "gobuild verify" in raised.value.hint


def test_more_entries_than_a_plain_zip_holds_is_a_clean_error(tmp_path: Path) -> None:
    many = [raw_entry(f"static/{i:05}.txt", b"", method=STORED, mode=0o100644) for i in range(65_536)]
    source = old_zip(tmp_path, raw_entry("orders", ELF), *many, zip64=True)
    with pytest.raises(VerifyError, match="orders: 65,537 entries: more than a zip without Zip64 holds"):
        repack(source, output=tmp_path / "new.zip")
    assert not (tmp_path / "new.zip").exists()


def test_what_repack_writes_has_nothing_for_verify_to_lint(tmp_path: Path) -> None:
    """An old zip with everything the lint warns about: Zip64 records, Deflate64, a data
    descriptor on a stored entry, a file others cannot read, one made on Windows."""
    source = old_zip(
        tmp_path,
        raw_entry("orders", ELF, method=DEFLATE64),
        raw_entry("config.json", CONFIG, method=STORED, flags=0x8, mode=0o100600),
        raw_entry("certs/ca.pem", b"-----BEGIN CERTIFICATE-----\n", mode=None, create_system=0),
        zip64=True,
    )
    assert {"GB006", "GB110", "GB116", "GB117"} <= set(verify_zip(source).codes())
    (result,) = repack(source, output=tmp_path / "new.zip")
    report = verify_zip(result.path, arch="amd64")
    assert report.codes() == ("GB208", "GB301", "GB304")  # no lambda.norpc: information only
    assert [n.code for n in result.notes] == ["GB301", "GB304"]
