"""The deterministic zip writer: same entries, same bytes, readable by every zip reader."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import random
import stat
import struct
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from gobuild.build.package import (
    DOS_EPOCH,
    MODE_EXECUTABLE,
    MODE_REGULAR,
    ZipEntry,
    ZipWriteError,
    code_sha256,
    file_mode,
    write_zip,
    zip_bytes,
    zip_timestamp,
)
from gobuild.files import sha256_file

BOOTSTRAP = ZipEntry(name="bootstrap", data=b"\x7fELF" + bytes(4000), mode=MODE_EXECUTABLE)
CONFIG = ZipEntry(name="config/app.json", data=b'{"table": "orders"}\n')
SCRIPT = ZipEntry(name="bin/run.sh", data=b"#!/bin/sh\nexec ./bootstrap\n", mode=MODE_EXECUTABLE)
ENTRIES = [BOOTSTRAP, CONFIG, SCRIPT]
JAN_2024 = 1704067200  # 2024-01-01 00:00:00 UTC


def read(data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


def headers(data: bytes) -> Iterator[tuple[str, bytes]]:
    """(kind, raw fixed-size header) for every local and central header, walked by offsets."""
    end = data[-22:]
    signature, _, _, _, count, cd_size, cd_offset, comment = struct.unpack("<IHHHHIIH", end)
    assert (signature, comment) == (0x06054B50, 0)
    offset = 0
    for _ in range(count):
        local = data[offset : offset + 30]
        assert local[:4] == b"PK\x03\x04"
        packed_size, name_len, extra_len = struct.unpack("<I4xHH", local[18:30])
        yield "local", local
        offset += 30 + name_len + extra_len + packed_size
    assert offset == cd_offset
    for _ in range(count):
        central = data[offset : offset + 46]
        assert central[:4] == b"PK\x01\x02"
        name_len, extra_len, comment_len = struct.unpack("<HHH", central[28:34])
        yield "central", central
        offset += 46 + name_len + extra_len + comment_len
    assert offset == cd_offset + cd_size == len(data) - 22


def test_same_entries_give_the_same_bytes_in_any_order() -> None:
    first = zip_bytes(ENTRIES)
    assert zip_bytes(list(reversed(ENTRIES))) == first
    assert zip_bytes([CONFIG, BOOTSTRAP, SCRIPT]) == first


def test_entries_are_stored_sorted_by_name() -> None:
    assert read(zip_bytes(ENTRIES)).namelist() == ["bin/run.sh", "bootstrap", "config/app.json"]


def test_contents_read_back_unchanged() -> None:
    archive = read(zip_bytes(ENTRIES))
    assert {e.name: archive.read(e.name) for e in ENTRIES} == {e.name: e.data for e in ENTRIES}


def test_entries_are_made_by_unix_with_regular_file_modes() -> None:
    archive = read(zip_bytes(ENTRIES))
    assert {i.filename: (i.create_system, i.external_attr >> 16) for i in archive.infolist()} == {
        "bootstrap": (3, 0o100755),
        "bin/run.sh": (3, 0o100755),
        "config/app.json": (3, 0o100644),
    }


def test_headers_have_no_extra_fields() -> None:
    data = zip_bytes(ENTRIES)
    extra_lengths = [
        struct.unpack("<H", raw[28:30] if kind == "local" else raw[30:32])[0]
        for kind, raw in headers(data)
    ]
    assert len(extra_lengths) == 2 * len(ENTRIES)
    assert set(extra_lengths) == {0}
    assert all(not i.extra for i in read(data).infolist())


def test_default_timestamp_is_1980_01_01() -> None:
    assert {i.date_time for i in read(zip_bytes(ENTRIES)).infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_epoch_sets_every_entry_timestamp() -> None:
    assert {i.date_time for i in read(zip_bytes(ENTRIES, epoch=JAN_2024 + 3661)).infolist()} == {
        (2024, 1, 1, 1, 1, 0)  # DOS time keeps even seconds only
    }


@pytest.fixture(params=["XST-14", "YST+10", "UTC0"], ids=["UTC+14", "UTC-10", "UTC"])
def local_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs the test with another local time zone (POSIX TZ strings: no tzdata needed)."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


def test_timestamps_are_written_in_utc_whatever_tz(local_zone: str) -> None:
    hour_offset = {"XST-14": 14, "YST+10": -10, "UTC0": 0}[local_zone]
    assert time.localtime(JAN_2024).tm_hour == hour_offset % 24  # the zone is in effect
    data = zip_bytes(ENTRIES, epoch=JAN_2024)
    assert {i.date_time for i in read(data).infolist()} == {(2024, 1, 1, 0, 0, 0)}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, DOS_EPOCH),
        ({"SOURCE_DATE_EPOCH": str(JAN_2024)}, JAN_2024),
        ({"SOURCE_DATE_EPOCH": "0"}, DOS_EPOCH),
        ({"SOURCE_DATE_EPOCH": "315532799"}, DOS_EPOCH),
        ({"SOURCE_DATE_EPOCH": "-5"}, DOS_EPOCH),
        ({"SOURCE_DATE_EPOCH": ""}, DOS_EPOCH),
        ({"SOURCE_DATE_EPOCH": "yesterday"}, DOS_EPOCH),
    ],
    ids=[
        "unset",
        "set",
        "zero clamped",
        "1979 clamped",
        "negative clamped",
        "empty",
        "not a number",
    ],
)
def test_zip_timestamp_uses_source_date_epoch_clamped_to_1980(
    environ: dict[str, str], expected: int
) -> None:
    assert zip_timestamp(environ) == expected


@pytest.mark.parametrize(
    ("data", "method"),
    [
        (bytes(10_000), zipfile.ZIP_DEFLATED),
        (random.Random(0).randbytes(10_000), zipfile.ZIP_STORED),
        (b"", zipfile.ZIP_STORED),
        (b"x", zipfile.ZIP_STORED),
    ],
    ids=["compressible", "random", "empty", "one byte"],
)
def test_deflate_is_used_only_when_it_saves_space(data: bytes, method: int) -> None:
    (info,) = read(zip_bytes([ZipEntry(name="bootstrap", data=data)])).infolist()
    assert info.compress_type == method
    assert info.compress_size <= len(data)
    if method == zipfile.ZIP_STORED:
        assert info.compress_size == len(data)


def test_non_ascii_names_are_flagged_utf8() -> None:
    archive = read(zip_bytes([ZipEntry(name="données/é.json", data=b"{}")]))
    (info,) = archive.infolist()
    assert info.filename == "données/é.json"
    assert info.flag_bits & 0x800


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate entry names"):
        zip_bytes([BOOTSTRAP, CONFIG, ZipEntry(name="bootstrap", data=b"other")])


def test_write_zip_reports_size_and_digests(tmp_path: Path) -> None:
    dest = tmp_path / "orders-arm64.zip"
    written = write_zip(dest, ENTRIES)
    data = dest.read_bytes()
    digest = hashlib.sha256(data).digest()
    assert data == zip_bytes(ENTRIES)
    assert (written.path, written.size, written.sha256) == (dest, len(data), digest.hex())
    assert written.code_sha256 == base64.b64encode(digest).decode("ascii") == code_sha256(digest)
    assert sha256_file(dest) == digest.hex()
    assert stat.S_IMODE(dest.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["orders-arm64.zip"]  # no temporary file left


def test_write_zip_creates_the_folder_and_replaces_an_old_zip(tmp_path: Path) -> None:
    dest = tmp_path / "dist" / "orders-arm64.zip"
    write_zip(dest, [CONFIG])
    write_zip(dest, ENTRIES, epoch=JAN_2024)
    assert dest.read_bytes() == zip_bytes(ENTRIES, epoch=JAN_2024)
    assert os.listdir(dest.parent) == ["orders-arm64.zip"]


def test_failed_write_leaves_the_old_zip_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "orders-arm64.zip"
    write_zip(dest, [CONFIG])
    before = dest.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_zip(dest, ENTRIES)
    assert dest.read_bytes() == before
    assert os.listdir(tmp_path) == ["orders-arm64.zip"]


def test_invalid_entries_leave_the_old_zip_untouched(tmp_path: Path) -> None:
    dest = tmp_path / "orders-arm64.zip"
    write_zip(dest, [CONFIG])
    before = dest.read_bytes()
    with pytest.raises(ValueError):
        write_zip(dest, [BOOTSTRAP, BOOTSTRAP])
    assert dest.read_bytes() == before
    assert os.listdir(tmp_path) == ["orders-arm64.zip"]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (0o755, MODE_EXECUTABLE),
        (0o700, MODE_EXECUTABLE),
        (0o744, MODE_EXECUTABLE),
        (0o644, MODE_REGULAR),
        (0o600, MODE_REGULAR),
        (0o666, MODE_REGULAR),
    ],
)
def test_include_files_get_0755_or_0644(tmp_path: Path, mode: int, expected: int) -> None:
    path = tmp_path / "file"
    path.write_bytes(b"x")
    path.chmod(mode)
    assert file_mode(path) == expected


# The bytes zip_bytes gave for these entries before the zip reader and writer were reworked:
# any change to the format (headers, order, flags, compression) changes this digest.
PINNED_ENTRIES = [
    ZipEntry(name="bootstrap", data=b"\x7fELF" + bytes(range(256)) * 64 + random.Random(7).randbytes(5000),
             mode=MODE_EXECUTABLE),
    ZipEntry(name="config/app.json", data=b'{"table": "orders"}\n'),
    ZipEntry(name="données/é.txt", data=b"x" * 3000),
    ZipEntry(name="empty", data=b""),
]
PINNED_SHA256 = {
    DOS_EPOCH: "0d035ea8ad65dee1de85456067634968ddbf97b8423b1334ac9f12822b33c8c0",
    JAN_2024 + 3661: "d689138fee526c46e58a0c392dafdffb4aa739bcc6d35038096f1b914d817165",
}


@pytest.mark.parametrize("epoch", sorted(PINNED_SHA256))
def test_zip_bytes_are_pinned(epoch: int) -> None:
    data = zip_bytes(PINNED_ENTRIES, epoch=epoch)
    assert (len(data), hashlib.sha256(data).hexdigest()) == (5884, PINNED_SHA256[epoch])


# --- What the writer refuses, and what it never writes


def test_a_plain_zip_holds_65535_entries_and_the_writer_refuses_more() -> None:
    entries = [ZipEntry(name=f"f/{i:05}", data=b"") for i in range(65_535)]
    archive = read(zip_bytes(entries))
    assert len(archive.infolist()) == 65_535
    with pytest.raises(ZipWriteError, match="65,536 entries: more than a zip without Zip64 holds"):
        zip_bytes([*entries, ZipEntry(name="one-more", data=b"")])


@pytest.mark.parametrize(
    "names",
    [["bootstrap", "bootstrap/config.json"], ["a", "a/b/c"], ["./a"], ["a//b"], ["../a"], ["/a"], ["a\\b"], [""],
     ["a/"], ["a\0b"]],
)  # fmt: skip
def test_names_no_unzipper_can_lay_out_are_refused(names: list[str]) -> None:
    with pytest.raises(ZipWriteError):
        zip_bytes([ZipEntry(name=name, data=b"x") for name in names])


LINT = {"GB006", "GB115", "GB116", "GB117"}


def test_the_writer_never_triggers_verifys_structure_findings(tmp_path: Path) -> None:
    """build's writer (and the cache, which stores what it wrote): no Zip64, versions above 2.0,
    data descriptors or modes others cannot read; nothing the archive judgment refuses."""
    from gobuild.check.verify import verify_bytes, verify_zip
    from testdata.make_broken_zips import minimal_elf

    entries = [
        ZipEntry(name="bootstrap", data=minimal_elf(), mode=MODE_EXECUTABLE),
        ZipEntry(name="config/app.json", data=b'{"table": "orders"}\n' * 50),
        ZipEntry(name="données/é.txt", data=random.Random(1).randbytes(3000)),
        ZipEntry(name="empty", data=b""),
        ZipEntry(name="bin/helper", data=b"#!/bin/sh\nexit 0\n", mode=MODE_EXECUTABLE),
    ]
    for report in (verify_bytes(zip_bytes(entries)), verify_zip(write_zip(tmp_path / "f.zip", entries).path)):
        assert not LINT & set(report.codes()), report.codes()
        assert report.codes() == ("GB208", "GB300")


def test_the_compressor_is_pinned_and_named_in_every_fingerprint(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Another libdeflate may compress the same binary to other bytes: the deflate package is
    pinned to the version the tests run with, and a zip from another compressor is not current."""
    import re

    import deflate

    from gobuild.build import fingerprint as fingerprints
    from gobuild.build.fingerprint import HashCache, Inputs
    from gobuild.build.package import COMPRESSOR
    from gobuild.manifest import load_manifest
    from gobuild.plan import Target, settings_for

    root = Path(__file__).resolve().parents[2]
    pins = {re.search(r'"deflate==([\w.]+)"', (root / "pyproject.toml").read_text()).group(1),  # type: ignore[union-attr]
            re.search(r"^deflate==([\w.]+)$", (root / "requirements.lock").read_text(), re.M).group(1)}  # type: ignore[union-attr]
    assert pins == {deflate.__version__} and deflate.__version__ in COMPRESSOR

    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    (tmp_path / "cmd" / "api").mkdir(parents=True)
    (tmp_path / "cmd" / "api" / "main.go").write_text("package main\n\nfunc main() {}\n")
    (tmp_path / "gobuild.toml").write_text('[[function]]\nname = "api"\npackage = "./cmd/api"\n')
    target = Target(function=load_manifest(tmp_path / "gobuild.toml").functions[0], arch="arm64")
    inputs = Inputs(files=((str(tmp_path / "cmd/api/main.go"), "example.com/m/cmd/api/main.go"),), dirs=(), modules=())

    def print_now() -> str:
        return fingerprints.fingerprint(target, settings_for(target), inputs, HashCache(), "go1.26.8", DOS_EPOCH)

    before = print_now()
    assert print_now() == before
    monkeypatch.setattr(fingerprints, "COMPRESSOR", "libdeflate level 6 (deflate 0.9.0)")
    assert print_now() != before
