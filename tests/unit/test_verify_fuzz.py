"""Property tests: damaged archives and binaries give findings, never exceptions, in bounded
time (hypothesis deadline) and memory (tracemalloc peak)."""

from __future__ import annotations

import struct
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gobuild.check.buildinfo import BuildInfoError, parse_modinfo, read_buildinfo
from gobuild.check.elf import ElfError, parse_elf, read_dynamic
from gobuild.check.extract import extract_zip
from gobuild.check.verify import CODES, Report, verify_bytes, verify_zip
from gobuild.errors import GobuildError
from testdata.make_broken_zips import (
    DEFLATE64,
    EM_AARCH64,
    STORED,
    go_modinfo,
    make_all,
    minimal_elf,
    raw_entry,
    raw_zip,
)

T = TypeVar("T")

# Verifying one small damaged archive must stay well inside these.
PEAK_MEMORY = 16 * 1024 * 1024

GO_ELF = minimal_elf(
    machine=EM_AARCH64,
    go_version="go1.26.8",
    modinfo=go_modinfo(
        deps=[("github.com/aws/aws-lambda-go", "v1.55.1")],
        settings=[("-tags", "lambda.norpc"), ("-ldflags", "-s -w"), ("GOOS", "linux")],
    ),
)
SEEDS = [
    raw_zip([raw_entry("bootstrap", GO_ELF)]),
    raw_zip([raw_entry("bootstrap", GO_ELF, method=STORED)]),
    raw_zip([raw_entry("bootstrap", GO_ELF, method=DEFLATE64)]),
    raw_zip(
        [
            raw_entry("bin/", b"", mode=0o040755),
            raw_entry("bin/orders", GO_ELF),
            raw_entry("bootstrap", b"bin/orders", mode=0o120777),
            raw_entry("config.json", b'{"table": "orders"}\n', mode=0o100644),
        ]
    ),
    raw_zip([raw_entry("bootstrap", b"#!/bin/sh\nexec ./bin/orders\n")]),
]
SIGNATURES = (b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06")
# No deadline: tests never assert wall-clock time; the work is bounded by memory and bytes read.
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def bounded(action: Callable[[], T], limit: int = PEAK_MEMORY) -> T:
    """Runs `action` and asserts its peak traced memory stays under `limit` bytes."""
    tracemalloc.start()
    try:
        result = action()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < limit, f"peak memory {peak / 1e6:.1f} MB"
    return result


def check(report: Report) -> None:
    """What every report promises, however broken its input."""
    assert isinstance(report, Report)
    for finding in report.findings:
        assert finding.code in CODES
        assert finding.severity == CODES[finding.code][0]
        assert finding.message and "\n" not in finding.message
    assert report.arch is None or isinstance(report.arch, str)


def header_offsets(data: bytes) -> list[int]:
    """Offsets of every zip header signature in `data`."""
    offsets = []
    for signature in SIGNATURES:
        start = data.find(signature)
        while start >= 0:
            offsets.append(start)
            start = data.find(signature, start + 1)
    return sorted(offsets)


@st.composite
def truncated(draw: st.DrawFn) -> bytes:
    seed = draw(st.sampled_from(SEEDS))
    return seed[: draw(st.integers(0, len(seed) - 1))]


@st.composite
def flipped(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
    return bytes(data)


@st.composite
def mutated_headers(draw: st.DrawFn) -> bytes:
    """A good zip with one header field (sizes, offsets, counts, lengths, ...) overwritten."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    header = draw(st.sampled_from(header_offsets(bytes(data))))
    field_offset = header + draw(st.integers(4, 44))
    width = draw(st.sampled_from([1, 2, 4]))
    extreme = st.sampled_from([0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF])
    value = draw(st.one_of(extreme, st.integers(0, 2**32 - 1))) & ((1 << (8 * width)) - 1)
    if field_offset + width <= len(data):
        data[field_offset : field_offset + width] = value.to_bytes(width, "little")
    return bytes(data)


@st.composite
def damaged_elf_in_zip(draw: st.DrawFn) -> bytes:
    """A well-formed zip (right CRC) around an ELF with damaged headers or build info."""
    elf = bytearray(GO_ELF)
    for _ in range(draw(st.integers(1, 6))):
        index = draw(st.one_of(st.integers(0, 128), st.integers(0, len(elf) - 1)))
        elf[index] = draw(st.integers(0, 255))
    method = draw(st.sampled_from([STORED, DEFLATE64, 8]))
    return raw_zip([raw_entry("bootstrap", bytes(elf), method=method)])


damaged_archives = st.one_of(
    truncated(), flipped(), mutated_headers(), damaged_elf_in_zip(), st.binary(max_size=4096)
)


@FUZZ
@given(damaged_archives, st.sampled_from([None, "amd64", "arm64"]))
def test_damaged_archives_give_findings_in_bounded_memory(data: bytes, arch: str | None) -> None:
    check(bounded(lambda: verify_bytes(data, arch=arch)))


@FUZZ
@given(st.binary(min_size=0, max_size=64).map(lambda tail: b"PK\x05\x06" + tail))
def test_end_records_alone_never_raise(data: bytes) -> None:
    check(bounded(lambda: verify_bytes(data)))


@FUZZ
@given(st.data())
def test_elf_and_buildinfo_readers_raise_only_elf_error(data: st.DataObject) -> None:
    elf = bytearray(GO_ELF)
    for _ in range(data.draw(st.integers(1, 10))):
        elf[data.draw(st.integers(0, len(elf) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(elf)))
    damaged = bytes(elf[:cut])

    def read() -> None:
        try:
            parsed = parse_elf(damaged)
            read_buildinfo(damaged, parsed)
        except ElfError:
            pass

    bounded(read)


@FUZZ
@given(st.text(alphabet=st.sampled_from(list('path\tmodep=>build\n"`\\xu0 -=ab')), max_size=200))
def test_modinfo_parser_raises_only_buildinfo_error(text: str) -> None:
    try:
        parse_modinfo(text)
    except BuildInfoError:
        pass


@FUZZ
@given(st.integers(0, 2**16 - 1), st.integers(0, 2**16 - 1), st.integers(0, 2**64 - 1))
def test_absurd_elf_tables_are_refused_cheaply(phnum: int, shnum: int, shoff: int) -> None:
    elf = bytearray(GO_ELF)
    struct.pack_into("<Q", elf, 0x28, shoff)
    struct.pack_into("<H", elf, 0x38, phnum)
    struct.pack_into("<H", elf, 0x3C, shnum)

    def read() -> None:
        try:
            parse_elf(bytes(elf))
        except ElfError:
            pass

    bounded(read, limit=4 * 1024 * 1024)


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    cases = make_all(tmp_path_factory.mktemp("bombs"), GO_ELF)
    return {name: path for name, path in cases.items() if name.startswith("bomb-")}


@pytest.mark.parametrize("case", ["bomb-declared", "bomb-real", "bomb-lying", "bomb-deflate64"])
def test_zip_bombs_are_found_in_bounded_time_and_memory(bombs: dict[str, Path], case: str) -> None:
    started = time.monotonic()
    report = bounded(lambda: verify_zip(bombs[case]), limit=32 * 1024 * 1024)
    assert time.monotonic() - started < 10
    check(report)
    assert report.has_errors
    assert {"GB002", "GB005"} & set(report.codes())


@FUZZ
@given(damaged_archives)
def test_damaged_archives_extract_or_are_refused_and_write_nothing_outside(data: bytes) -> None:
    """invoke's extraction reads through the same judgment: a GobuildError or a task root."""
    with tempfile.TemporaryDirectory() as scratch:
        zip_path, root = Path(scratch) / "in.zip", Path(scratch) / "task"
        zip_path.write_bytes(data)
        root.mkdir()
        try:
            bounded(lambda: extract_zip(zip_path, root))
        except GobuildError:
            pass
        assert sorted(p.name for p in Path(scratch).iterdir()) == ["in.zip", "task"]


DYNAMIC_ELF = minimal_elf(
    machine=EM_AARCH64, interpreter="/lib/ld-linux-aarch64.so.1", needed=["libc.so.6", "libm.so.6"],
    versions=[("libc.so.6", "GLIBC_2.17"), ("libc.so.6", "GLIBC_2.34"), ("libm.so.6", "GLIBC_2.29")],
)


@FUZZ
@given(st.data())
def test_the_dynamic_section_reader_raises_only_elf_error(data: st.DataObject) -> None:
    elf = bytearray(DYNAMIC_ELF)
    for _ in range(data.draw(st.integers(1, 10))):
        elf[data.draw(st.integers(0, len(elf) - 1))] = data.draw(st.integers(0, 255))
    damaged = bytes(elf)

    def read() -> None:
        try:
            read_dynamic(damaged, parse_elf(damaged))
        except ElfError:
            pass

    bounded(read, limit=4 * 1024 * 1024)
    check(bounded(lambda: verify_bytes(raw_zip([raw_entry("bootstrap", damaged)]))))
