"""gobuild.check.elf and gobuild.check.buildinfo on hand-crafted ELF files (real Go binaries: integration)."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest

from gobuild.check.buildinfo import (
    BuildInfoError,
    Module,
    go_unquote,
    parse_modinfo,
    read_buildinfo,
)
from gobuild.check.elf import BytesSource, ElfError, FileSource, parse_elf
from testdata.make_broken_zips import (
    EM_386,
    EM_AARCH64,
    EM_X86_64,
    go_modinfo,
    minimal_elf,
)

AWS = "github.com/aws/aws-lambda-go"
SETTINGS = [
    ("-buildmode", "exe"),
    ("-tags", "lambda.norpc,netgo"),
    ("-trimpath", "true"),
    ("-ldflags", "-s -w"),
    ("CGO_ENABLED", "0"),
    ("GOARCH", "arm64"),
    ("GOOS", "linux"),
]


def go_elf(**kwargs: object) -> bytes:
    modinfo = go_modinfo(deps=[(AWS, "v1.55.1")], settings=SETTINGS)
    return minimal_elf(machine=EM_AARCH64, go_version="go1.26.8", modinfo=modinfo, **kwargs)  # type: ignore[arg-type]


# --- ELF -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("machine", "bits", "big_endian", "goarch"),
    [
        (EM_X86_64, 64, False, "amd64"),
        (EM_AARCH64, 64, False, "arm64"),
        (EM_386, 32, False, "386"),
        (22, 64, True, "s390x"),
        (21, 64, False, "ppc64le"),
        (21, 64, True, "ppc64"),
        (4242, 64, False, None),
    ],
)
def test_machine_class_and_byte_order(
    machine: int, bits: int, big_endian: bool, goarch: str | None
) -> None:
    elf = parse_elf(minimal_elf(machine=machine, bits=bits, big_endian=big_endian))
    assert (elf.machine, elf.bits, elf.little_endian, elf.goarch) == (
        machine,
        bits,
        not big_endian,
        goarch,
    )
    assert elf.arch_name == (goarch or f"machine {machine}")
    assert elf.is_executable and not elf.is_dynamic


def test_static_executable_has_no_interpreter_and_named_sections() -> None:
    elf = parse_elf(go_elf())
    assert elf.interpreter is None
    assert [s.name for s in elf.sections] == ["", ".interp", ".go.buildinfo", ".shstrtab"]
    section = elf.section(".go.buildinfo")
    assert section is not None and section.size > 32
    assert elf.section(".text") is None
    assert elf.os_name == "System V"


def test_interpreter_and_os_abi_and_type() -> None:
    elf = parse_elf(minimal_elf(interpreter="/lib64/ld-linux-x86-64.so.2", osabi=9, elf_type=1))
    assert elf.interpreter == "/lib64/ld-linux-x86-64.so.2"
    assert elf.is_dynamic
    assert elf.os_name == "FreeBSD"
    assert not elf.is_executable
    assert elf.type_name == "relocatable object"


def test_file_offset_maps_virtual_addresses_through_load_segments() -> None:
    elf = parse_elf(go_elf())
    section = elf.section(".go.buildinfo")
    assert section is not None
    assert elf.file_offset(section.addr, 16) == section.offset
    assert elf.file_offset(0x10, 16) is None


def test_without_section_headers() -> None:
    elf = parse_elf(go_elf(sections=False))
    assert elf.sections == ()
    assert elf.section(".go.buildinfo") is None


def test_extended_section_numbering() -> None:
    """e_shnum == 0 and e_shstrndx == SHN_XINDEX: the real values sit in section 0."""
    data = bytearray(go_elf())
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    struct.pack_into("<HH", data, 0x3C, 0, 0xFFFF)  # e_shnum, e_shstrndx
    struct.pack_into("<Q", data, shoff + 0x20, 4)  # section 0 sh_size: the count
    struct.pack_into("<I", data, shoff + 0x28, 3)  # section 0 sh_link: the name table index
    elf = parse_elf(bytes(data))
    assert [s.name for s in elf.sections][-1] == ".shstrtab"


@pytest.mark.parametrize(
    "data",
    [b"", b"\x7fEL", b"MZ\x90\x00" + bytes(60), b"#!/bin/sh\n", b"\x7fELF" + bytes(12)],
    ids=["empty", "short", "pe", "script", "no-class"],
)
def test_non_elf_raises_elf_error(data: bytes) -> None:
    with pytest.raises(ElfError):
        parse_elf(data)


def test_every_truncation_raises_elf_error() -> None:
    full = go_elf()
    for length in range(len(full)):
        with pytest.raises(ElfError):
            parse_elf(full[:length])


def test_absurd_table_sizes_are_refused_without_reading() -> None:
    data = bytearray(minimal_elf())
    struct.pack_into("<HH", data, 0x36, 56, 0xFFFF)  # e_phentsize, e_phnum
    with pytest.raises(ElfError, match="more than any real executable"):
        parse_elf(bytes(data))


def test_segment_past_end_of_file_means_truncated() -> None:
    data = bytearray(minimal_elf())
    struct.pack_into("<Q", data, 64 + 0x20, 10**9)  # first PT_LOAD p_filesz
    with pytest.raises(ElfError, match="truncated"):
        parse_elf(bytes(data))


def test_file_source_reads_only_inside_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bootstrap"
    path.write_bytes(go_elf())
    with path.open("rb") as file:
        source = FileSource(file, path.stat().st_size)
        assert parse_elf(source).goarch == "arm64"
        with pytest.raises(ElfError):
            source.read_at(source.size - 2, 4)
    with pytest.raises(ElfError):
        BytesSource(b"abc").read_at(-1, 2)


def test_file_source_over_a_short_file_raises() -> None:
    source = FileSource(io.BytesIO(b"\x7fELF"), size=100)
    with pytest.raises(ElfError, match="file ends"):
        source.read_at(0, 64)


# --- Go build information ----------------------------------------------------------------------


def test_reads_version_path_modules_and_settings() -> None:
    info = read_buildinfo(go_elf())
    assert info is not None
    assert info.go_version == "go1.26.8"
    assert info.path == "example.com/shop/cmd/orders-lambda"
    assert info.main == Module(path="example.com/shop", version="(devel)")
    assert info.deps == (Module(path=AWS, version="v1.55.1", sum="h1:AAAA="),)
    assert info.settings == tuple(SETTINGS)
    assert info.setting("-ldflags") == "-s -w"
    assert info.setting("missing") is None
    assert info.tags == ("lambda.norpc", "netgo")
    assert info.dep(AWS) is not None and info.dep("example.com/none") is None


def test_finds_the_blob_in_the_writable_segment_without_sections() -> None:
    info = read_buildinfo(go_elf(sections=False))
    assert info is not None and info.go_version == "go1.26.8"


def test_parses_headers_once_when_given_the_elf() -> None:
    data = go_elf()
    info = read_buildinfo(BytesSource(data), parse_elf(data))
    assert info is not None and info.path.endswith("orders-lambda")


def test_pre_go_1_18_pointer_format_has_unknown_version() -> None:
    info = read_buildinfo(go_elf(pointer_format=True))
    assert info is not None
    assert info.go_version is None and info.deps == ()


def test_non_go_binary_has_no_build_info() -> None:
    assert read_buildinfo(minimal_elf()) is None
    assert read_buildinfo(minimal_elf(interpreter="/lib64/ld-linux-x86-64.so.2")) is None


def test_unaligned_magic_is_not_build_info() -> None:
    data = bytearray(go_elf())
    section = parse_elf(bytes(data)).section(".go.buildinfo")
    assert section is not None
    magic = data[section.offset : section.offset + 14]
    data[section.offset : section.offset + 14] = bytes(14)
    data[section.offset + 1 : section.offset + 15] = magic  # shifted by one byte
    assert read_buildinfo(bytes(data)) is None


def test_modinfo_without_sentinels_is_empty() -> None:
    data = bytearray(go_elf())
    section = parse_elf(bytes(data)).section(".go.buildinfo")
    assert section is not None
    end = section.offset + section.size
    data[end - 17] = ord("x")  # the byte before the closing sentinel must be a newline
    info = read_buildinfo(bytes(data))
    assert (
        info is not None and info.go_version == "go1.26.8" and info.path == "" and info.deps == ()
    )


def test_huge_string_length_is_refused() -> None:
    data = bytearray(go_elf())
    section = parse_elf(bytes(data)).section(".go.buildinfo")
    assert section is not None
    data[section.offset + 32 : section.offset + 37] = b"\xff\xff\xff\xff\x0f"  # 4 GiB version
    with pytest.raises(BuildInfoError, match="implausibly long"):
        read_buildinfo(bytes(data))


def test_replacements_apply_to_the_module_before_them() -> None:
    text = (
        "path\texample.com/cmd\n"
        "mod\texample.com\t(devel)\t\n"
        "=>\t../local\t\t\n"
        f"dep\t{AWS}\tv1.17.0\th1:x=\n"
        f"=>\tgithub.com/fork/aws-lambda-go\tv1.47.0\th1:y=\n"
        "dep\texample.com/plain\tv0.1.0\n"
    )
    info = parse_modinfo(text)
    assert info.main is not None and info.main.replace == Module(
        path="../local", version="", sum=""
    )
    assert info.main.effective_version == "(devel)"
    lambda_go = info.dep(AWS)
    assert lambda_go is not None and lambda_go.version == "v1.17.0"
    assert lambda_go.effective_version == "v1.47.0"
    assert info.dep("example.com/plain") == Module(path="example.com/plain", version="v0.1.0")


def test_quoted_keys_and_values() -> None:
    text = 'build\t-ldflags="-X main.v=1 -s"\nbuild\t"odd key"=`raw \\n`\nbuild\tGOFLAGS=\n'
    info = parse_modinfo(text)
    assert info.settings == (
        ("-ldflags", "-X main.v=1 -s"),
        ("odd key", "raw \\n"),
        ("GOFLAGS", ""),
    )


def test_last_line_without_newline_is_ignored_like_go_does() -> None:
    assert parse_modinfo("path\ta\npath\tb").path == "a"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("dep\ta\n", "expected 2 or 3 columns"),
        ("dep\ta\tb\tc\td\n", "expected 2 or 3 columns"),
        ("=>\ta\tb\tc\n", "no module on the previous line"),
        ("mod\ta\tb\n=>\ta\tb\n", "3 columns for replacement"),
        ("build\t\n", "missing key"),
        ("build\t=x\n", "missing key"),
        ("build\tnoequals\n", "missing '='"),
        ('build\t"unterminated=x\n', "unterminated"),
        ('build\t"k"x\n', "missing '=' after quoted key"),
        ('build\tk="v"tail\n', "after quoted value"),
        ('build\tk="bad \\q"\n', "invalid escape"),
    ],
)
def test_malformed_modinfo_raises_with_the_line(text: str, problem: str) -> None:
    with pytest.raises(BuildInfoError, match=problem) as caught:
        parse_modinfo(text)
    assert "line" in str(caught.value)


@pytest.mark.parametrize(
    ("literal", "text"),
    [
        ('"plain"', "plain"),
        ('"tab\\there"', "tab\there"),
        ('"quote \\" and \\\\"', 'quote " and \\'),
        ('"\\x41\\u00e9\\U0001F600\\101"', "Aé😀A"),
        ('"\\ud800"', "\ufffd"),
        ("`raw \\n`", "raw \\n"),
    ],
)
def test_go_unquote(literal: str, text: str) -> None:
    assert go_unquote(literal) == text


@pytest.mark.parametrize("literal", ['"', "'x'", '"a`', ""])
def test_go_unquote_rejects_non_literals(literal: str) -> None:
    with pytest.raises(BuildInfoError):
        go_unquote(literal)
