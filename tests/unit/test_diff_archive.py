"""Archive-level differences of zips made in memory: every way two zips can differ as archives,
named once, and damage refused as bad input."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from gobuild.build.package import ZipEntry, zip_bytes
from gobuild.diff import DiffInputError, explain_zips
from gobuild.diff.archive import Archive

SCRIPT = b"#!/bin/sh\necho hello\n" * 200


def zipped(*files: tuple[str, bytes], level: int | None = None, method: int = zipfile.ZIP_DEFLATED,
           mode: int = 0o755, date_time: tuple[int, int, int, int, int, int] = (1980, 1, 1, 0, 0, 0),
           extra: bytes = b"", comment: bytes = b"") -> bytes:
    """A zip written by Python's zipfile, entries in the order given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.create_system = 3
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = method
            info.extra = extra
            archive.writestr(info, data, compress_type=method, compresslevel=level)
        archive.comment = comment
    return buffer.getvalue()


def kinds(old: bytes, new: bytes) -> list[tuple[str, str]]:
    return [(d.kind, d.message) for d in explain_zips(old, new, old_label="a.zip", new_label="b.zip")]


BOOT = ("bootstrap", SCRIPT)


def test_equal_bytes_have_no_differences() -> None:
    assert explain_zips(zipped(BOOT), zipped(BOOT), old_label="a", new_label="b") == ()


def test_entries_added_and_removed() -> None:
    assert kinds(zipped(BOOT, ("a.txt", b"a")), zipped(BOOT, ("b.txt", b"b"))) == [
        ("entry-added", "b.txt added"), ("entry-removed", "a.txt removed"),
    ]


def test_mode() -> None:
    assert kinds(zipped(BOOT), zipped(BOOT, mode=0o644)) == [("mode", "bootstrap: mode 0755 → 0644")]


def test_mode_of_a_zip_made_without_unix_attributes() -> None:
    old = zipped(BOOT)
    new = bytearray(old)
    at = new.rfind(b"PK\x01\x02")
    new[at + 5] = 0  # "made by" MS-DOS: the mode is not Unix anymore
    assert kinds(old, bytes(new))[0] == ("mode", "bootstrap: mode 0755 → no Unix mode (made on system 0)")


def test_timestamp() -> None:
    assert kinds(zipped(BOOT), zipped(BOOT, date_time=(2024, 5, 1, 10, 0, 0))) == [
        ("timestamp", "bootstrap: timestamp 1980-01-01 00:00:00 → 2024-05-01 10:00:00"),
    ]


def test_compression_method() -> None:
    assert kinds(zipped(BOOT), zipped(BOOT, method=zipfile.ZIP_STORED)) == [
        ("compression-method", "bootstrap: compression method deflate → stored"),
    ]


def test_compression_level_with_the_same_contents() -> None:
    old, new = zipped(BOOT, level=1), zipped(BOOT, level=9)
    (found,) = explain_zips(old, new, old_label="a.zip", new_label="b.zip")
    assert found.kind == "compression-level"
    assert found.message.startswith("bootstrap: compression level or compressor differs (deflate, same contents; ")


def test_another_compressor() -> None:
    gobuild_zip = zip_bytes([ZipEntry(name="bootstrap", data=SCRIPT, mode=0o755)])  # libdeflate
    assert [k for k, _ in kinds(gobuild_zip, zipped(BOOT))] == ["compression-level"]


def test_order_extra_fields_and_comments() -> None:
    first, second = ("a.txt", b"a"), ("b.txt", b"b")
    assert kinds(zipped(BOOT, first, second), zipped(BOOT, second, first)) == [
        ("order", "entry order differs from entry 2 on (a.txt, b.txt → b.txt, a.txt)"),
    ]
    timestamp = struct.pack("<HHBI", 0x5455, 5, 1, 0)
    assert kinds(zipped(BOOT), zipped(BOOT, extra=timestamp)) == [
        ("extra-fields", "bootstrap: extra fields differ (none → UT extended timestamp)"),
    ]
    assert kinds(zipped(BOOT), zipped(BOOT, comment=b"built by CI")) == [("comment", "the zip comment differs")]


def test_include_file_contents_with_a_line_diff() -> None:
    old = zipped(BOOT, ("config/app.json", b'{"level": "info"}\n'))
    new = zipped(BOOT, ("config/app.json", b'{"level": "debug"}\n'))
    (found,) = explain_zips(old, new, old_label="a", new_label="b")
    assert found.message == "config/app.json: contents differ (18 → 19 bytes)"
    assert found.details == ("@@ -1 +1 @@", '-{"level": "info"}', '+{"level": "debug"}')


def test_only_what_differs_is_named_first_when_several_things_do() -> None:
    old = zipped(BOOT, ("config/app.json", b"1"))
    new = zipped(BOOT, ("config/app.json", b"2"), mode=0o700)
    assert [k for k, _ in kinds(old, new)] == ["contents", "mode", "mode"]


def test_header_fields_are_named() -> None:
    old = zipped(BOOT)
    changed = bytearray(old)
    at = changed.rfind(b"PK\x01\x02")
    changed[at + 4] = 63  # "made by" spec version only
    assert kinds(old, bytes(changed)) == [("headers", "bootstrap: header fields differ (made-by version 0x14 → 0x3f)")]


def test_bytes_that_differ_outside_what_is_compared_are_still_a_difference() -> None:
    old = zipped(BOOT)
    assert kinds(old, old + b"trailing") == [
        ("headers", "the zips differ only outside what is compared (local headers, data descriptors or bytes "
                    "between entries)"),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a zip at all", "not a readable zip"),
        (b"", "not a readable zip"),
    ],
)
def test_not_a_zip(data: bytes, message: str) -> None:
    with pytest.raises(DiffInputError, match=message) as caught:
        explain_zips(data, zipped(BOOT), old_label="broken.zip", new_label="b.zip")
    assert caught.value.exit_code == 2 and "broken.zip" in caught.value.message


def test_truncated_and_corrupt_entries_are_bad_input() -> None:
    good = zipped(BOOT)
    with pytest.raises(DiffInputError, match=r"a\.zip"):
        explain_zips(good[: len(good) // 2], good + b"", old_label="a.zip", new_label="b.zip")
    damaged = bytearray(zipped(BOOT, method=zipfile.ZIP_STORED))
    damaged[40] ^= 0xFF  # a byte of the stored data: the CRC no longer matches
    other = zipped(("bootstrap", SCRIPT[:-1] + b"!"), method=zipfile.ZIP_STORED)
    with pytest.raises(DiffInputError, match="corrupt entry"):
        explain_zips(bytes(damaged), other, old_label="a.zip", new_label="b.zip")


def test_a_declared_size_over_the_limit_is_refused_before_inflating(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gobuild.diff.archive.MAX_UNZIPPED", len(SCRIPT) - 1)
    with pytest.raises(DiffInputError, match="unzipped"):
        Archive(zipped(BOOT), "bomb.zip")


def test_duplicate_names_are_named() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, pytest.warns(UserWarning):
        archive.writestr("bootstrap", SCRIPT)
        archive.writestr("bootstrap", b"other")
    assert kinds(zipped(BOOT), buffer.getvalue())[0] == (
        "entry-duplicated", "bootstrap appears more than once in b.zip",
    )
