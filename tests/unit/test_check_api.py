"""What other stages call to judge a zip they did not just write (the shared build cache):
judge_zip for the verdict and the bootstrap's build information, read_files for its contents."""

from __future__ import annotations

from pathlib import Path

import pytest

from gobuild.build.package import MODE_EXECUTABLE, ZipEntry, write_zip, zip_bytes
from gobuild.check.archive import ArchiveRefused, read_files
from gobuild.check.verify import judge_zip
from testdata.make_broken_zips import EM_AARCH64, go_modinfo, minimal_elf, raw_entry, raw_zip

SETTINGS = [("-tags", "lambda.norpc"), ("-trimpath", "true"), ("CGO_ENABLED", "0"), ("GOARCH", "arm64"),
            ("GOOS", "linux")]
ELF = minimal_elf(machine=EM_AARCH64, go_version="go1.26.8", modinfo=go_modinfo(settings=SETTINGS))
ENTRIES = [
    ZipEntry(name="bootstrap", data=ELF, mode=MODE_EXECUTABLE),
    ZipEntry(name="config/app.json", data=b'{"table": "orders"}\n'),
]
JAN_2024 = 1704067200


def test_judge_zip_gives_the_verdict_and_the_build_information(tmp_path: Path) -> None:
    data = zip_bytes(ENTRIES)
    path = write_zip(tmp_path / "orders-arm64.zip", ENTRIES).path
    for report in (judge_zip(data, "aarch64"), judge_zip(path, "arm64")):
        assert not report.has_errors and report.arch == "arm64" and report.go_version == "go1.26.8"
        info = report.build_info
        assert info is not None and info.path == "example.com/shop/cmd/orders-lambda"
        assert (info.setting("GOOS"), info.setting("GOARCH"), info.tags) == ("linux", "arm64", ("lambda.norpc",))
    assert judge_zip(data, "amd64").has_errors  # the target's architecture is judged
    assert judge_zip(b"hello", name="cache object").codes() == ("GB001",)


def test_read_files_gives_back_what_was_written(tmp_path: Path) -> None:
    data = zip_bytes(ENTRIES, epoch=JAN_2024)
    files = read_files(data)
    assert [(f.path, f.mode, f.data, f.epoch) for f in files] == [
        (e.name, e.mode, e.data, JAN_2024) for e in sorted(ENTRIES, key=lambda e: e.name)
    ]
    path = tmp_path / "f.zip"
    path.write_bytes(data)
    assert read_files(path) == files


def test_read_files_refuses_what_verify_refuses() -> None:
    hostile = raw_zip([raw_entry("bootstrap", ELF), raw_entry("../escape", b"x", mode=0o100644)])
    with pytest.raises(ArchiveRefused, match="points outside the archive root") as raised:
        read_files(hostile, name="cache object")
    assert raised.value.finding.code == "GB109"
    with pytest.raises(ArchiveRefused, match="is corrupt: CRC-32"):
        read_files(raw_zip([raw_entry("bootstrap", ELF, declared_crc=1)]))
