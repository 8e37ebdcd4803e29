"""gobuild.check.verify on crafted archives from testdata/make_broken_zips.py (no Go, no processes)."""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import pytest

# Patches zipfile to read method 9, so the crafted Deflate64 data can be cross-checked.
import zipfile_deflate64  # type: ignore[import-untyped]  # noqa: F401

from gobuild.check.verify import (
    CODES,
    MAX_PER_CODE,
    ZIPPED_LIMIT,
    Finding,
    Report,
    verify_bytes,
    verify_zip,
)
from gobuild.errors import UsageError
from testdata.make_broken_zips import (
    BZIP2,
    DEFLATE64,
    EM_AARCH64,
    EM_X86_64,
    LZMA,
    STORED,
    go_modinfo,
    make_all,
    minimal_elf,
    raw_entry,
    raw_zip,
)

AWS = "github.com/aws/aws-lambda-go"
GOOD_SETTINGS = [
    ("-buildmode", "exe"),
    ("-tags", "lambda.norpc"),
    ("-trimpath", "true"),
    ("CGO_ENABLED", "0"),
    ("GOARCH", "arm64"),
    ("GOOS", "linux"),
]


def go_elf(
    *,
    lambda_go: str | None = "v1.55.1",
    settings: list[tuple[str, str]] | None = None,
    machine: int = EM_AARCH64,
    **kwargs: object,
) -> bytes:
    deps = [(AWS, lambda_go)] if lambda_go else []
    modinfo = go_modinfo(deps=deps, settings=GOOD_SETTINGS if settings is None else settings)
    return minimal_elf(machine=machine, go_version="go1.26.8", modinfo=modinfo, **kwargs)  # type: ignore[arg-type]


def verify_elf(elf: bytes, **kwargs: object) -> Report:
    return verify_bytes(raw_zip([raw_entry("bootstrap", elf)]), **kwargs)  # type: ignore[arg-type]


def by_code(report: Report, code: str) -> Finding:
    matches = [f for f in report.findings if f.code == code]
    assert len(matches) == 1, f"expected one {code} in {report.codes()}"
    return matches[0]


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_all(tmp_path_factory.mktemp("broken"), go_elf())


# The codes each case must produce (in order), and whether the report has errors.
EXPECTED: dict[str, tuple[tuple[str, ...], bool]] = {
    "good": (("GB208", "GB301"), False),
    "good-stored": (("GB208", "GB301"), False),
    "empty": (("GB003",), True),
    "nested": (("GB101",), True),
    "go1x": (("GB101",), True),
    "windows": (("GB103", "GB208", "GB301"), True),
    "no-exec": (("GB102", "GB208", "GB301"), True),
    "owner-only": (("GB102", "GB208", "GB301"), True),
    "symlink": (("GB105", "GB208", "GB301"), False),
    "symlink-dangling": (("GB104",), True),
    "directory": (("GB106",), True),
    "duplicates": (("GB107", "GB208", "GB301"), True),
    "encrypted": (("GB108", "GB200"), True),
    "dotdot": (("GB109", "GB208", "GB301"), True),
    "absolute": (("GB109", "GB208", "GB301"), True),
    "deflate64": (("GB110", "GB208", "GB301"), True),
    "bzip2": (("GB110", "GB200"), True),
    "lzma": (("GB110", "GB200"), True),
    "zero-byte": (("GB201",), True),
    "truncated": (("GB001",), True),
    "corrupt-data": (("GB002",), True),
    "random": (("GB001",), True),
    "script": (("GB202",), False),
    "script-crlf": (("GB203",), True),
    "windows-exe": (("GB204",), True),
    "wrong-arch": (("GB208", "GB300"), False),
    "elf32": (("GB208", "GB206", "GB300"), True),
    "freebsd": (("GB208", "GB209", "GB300"), True),
    "object-file": (("GB208", "GB210", "GB300"), True),
    "dynamic": (("GB208", "GB211", "GB300"), False),
    "dynamic-musl": (("GB208", "GB212", "GB300"), True),
    "truncated-elf": (("GB205",), True),
    "bomb-declared": (("GB005", "GB208", "GB301"), True),
    "bomb-real": (("GB005", "GB208", "GB301"), True),
    "bomb-lying": (("GB002", "GB208", "GB301"), True),
    "bomb-deflate64": (("GB110", "GB002", "GB208", "GB301"), True),
    # Paths no unzipper can lay out, data that lies, and what Lambda extracts with a warning.
    "backslash": (("GB111", "GB208", "GB301"), True),
    "nul-name": (("GB112", "GB208", "GB301"), True),
    "dup-normalised": (("GB107", "GB208", "GB301"), True),
    "file-under-file": (("GB113", "GB208", "GB301"), True),
    "file-and-dir": (("GB113", "GB208", "GB301"), True),
    "link-escape": (("GB114", "GB208", "GB301"), True),
    "links-escape-together": (("GB114", "GB208", "GB301"), True),
    "through-link": (("GB113", "GB208", "GB301"), True),
    "link-loop": (("GB114", "GB114", "GB208", "GB301"), True),
    "size-overstated": (("GB002",), True),
    "size-understated": (("GB002",), True),
    "crc-mismatch": (("GB002",), True),
    "deflate64-overstated": (("GB110", "GB002"), True),
    "name-mismatch": (("GB002",), True),
    "overlap": (("GB002", "GB208", "GB301"), True),
    "zip64": (("GB006", "GB208", "GB301"), False),
    "version-45": (("GB115", "GB208", "GB301"), False),
    "descriptor-stored": (("GB116", "GB208", "GB301"), False),
    "descriptor-deflated": (("GB208", "GB301"), False),
    "unreadable-config": (("GB117", "GB208", "GB301"), False),
    "placeholder": (("GB007",), True),
}


def test_every_case_is_covered(cases: dict[str, Path]) -> None:
    assert set(cases) == set(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_case_findings(cases: dict[str, Path], case: str) -> None:
    report = verify_zip(cases[case])
    codes, has_errors = EXPECTED[case]
    assert report.codes() == codes
    assert report.has_errors is has_errors
    assert report.archive == str(cases[case])
    for finding in report.findings:
        assert finding.severity == CODES[finding.code][0]
        assert finding.message and "\n" not in finding.message
        if finding.severity == "error":
            assert finding.fix, f"{finding.code} has no fix"


def test_good_archive_reports_arch_and_go_version(cases: dict[str, Path]) -> None:
    report = verify_zip(cases["good"], arch="arm64")
    assert (report.arch, report.go_version, report.has_errors) == ("arm64", "go1.26.8", False)
    assert "ELF 64-bit arm64 executable" in by_code(report, "GB208").message
    assert "statically linked" in by_code(report, "GB208").message
    assert "go1.26.8 (example.com/shop/cmd/orders-lambda)" in by_code(report, "GB301").message


def test_arch_mismatch_is_an_error_with_both_arches(cases: dict[str, Path]) -> None:
    report = verify_zip(cases["good"], arch="amd64")
    finding = by_code(report, "GB207")
    assert "built for arm64" in finding.message and "function is amd64" in finding.message
    assert "GOARCH=amd64" in finding.fix
    assert report.arch == "arm64"


def test_wrong_arch_case_against_arch(cases: dict[str, Path]) -> None:
    report = verify_zip(cases["wrong-arch"], arch="arm64")
    assert by_code(report, "GB207").severity == "error"
    assert report.arch == "amd64"


def test_invalid_arch_is_a_usage_error(cases: dict[str, Path]) -> None:
    with pytest.raises(UsageError, match="'x86': not one of amd64 \\(x86_64\\) or arm64"):
        verify_zip(cases["good"], arch="x86")


@pytest.mark.parametrize(("spelling", "goarch"), [("x86_64", "amd64"), ("AMD64", "amd64"), ("aarch64", "arm64")])
def test_every_arch_spelling_is_accepted(cases: dict[str, Path], spelling: str, goarch: str) -> None:
    report = verify_zip(cases["good"], arch=spelling)
    assert ("GB207" in report.codes()) is (goarch != "arm64")


def test_missing_bootstrap_names_nested_and_go1x_binaries(cases: dict[str, Path]) -> None:
    nested = by_code(verify_zip(cases["nested"]), "GB101")
    assert "found dist/bootstrap instead" in nested.message
    assert "inside their folder" in nested.fix
    go1x = by_code(verify_zip(cases["go1x"]), "GB101")
    assert "ELF executables in the archive: orders-lambda" in go1x.message
    assert "go1.x" in go1x.fix and "provided.al2023" in go1x.fix


def test_wrong_case_bootstrap_is_named() -> None:
    report = verify_bytes(raw_zip([raw_entry("Bootstrap", go_elf())]))
    finding = by_code(report, "GB101")
    assert "found Bootstrap instead" in finding.message and "case-sensitive" in finding.fix


def test_no_executables_at_all() -> None:
    readme = b"# orders\n\n" + b"How to deploy the orders function.\n" * 40
    report = verify_bytes(raw_zip([raw_entry("README.md", readme, mode=0o100644)]))
    finding = by_code(report, "GB101")
    assert finding.message == "no bootstrap at the archive root"


def test_permission_messages(cases: dict[str, Path]) -> None:
    assert (
        "mode 0644: no execute permission" in by_code(verify_zip(cases["no-exec"]), "GB102").message
    )
    assert "mode 0700" in by_code(verify_zip(cases["owner-only"]), "GB102").message
    windows = by_code(verify_zip(cases["windows"]), "GB103")
    assert "MS-DOS/Windows" in windows.message and "repack" in windows.fix


def test_ntfs_host_is_named() -> None:
    report = verify_bytes(raw_zip([raw_entry("bootstrap", go_elf(), mode=None, create_system=10)]))
    assert "Windows NTFS" in by_code(report, "GB103").message


def test_symlinks(cases: dict[str, Path]) -> None:
    followed = verify_zip(cases["symlink"])
    assert "symlink to bin/orders" in by_code(followed, "GB105").message
    assert by_code(followed, "GB208").entry == "bin/orders"
    assert followed.go_version == "go1.26.8"
    dangling = by_code(verify_zip(cases["symlink-dangling"]), "GB104")
    assert "/usr/local/bin/orders" in dangling.message


def test_symlink_escaping_the_root_is_not_followed() -> None:
    link = raw_entry("bootstrap", b"../bin/orders", mode=0o120777)
    report = verify_bytes(raw_zip([link, raw_entry("bin/orders", go_elf())]))
    assert report.codes() == ("GB104",)


def test_directory_named_bootstrap_by_mode_without_slash() -> None:
    report = verify_bytes(raw_zip([raw_entry("bootstrap", b"", mode=0o040755)]))
    assert report.codes() == ("GB106",)


def test_duplicates_and_escapes_name_the_entries(cases: dict[str, Path]) -> None:
    duplicate = by_code(verify_zip(cases["duplicates"]), "GB107")
    assert duplicate.entry == "bootstrap" and "2 times" in duplicate.message
    assert by_code(verify_zip(cases["dotdot"]), "GB109").entry == "../../etc/cron.d/evil"
    assert by_code(verify_zip(cases["absolute"]), "GB109").entry == "/etc/passwd"


@pytest.mark.parametrize("name", ["C:/evil", "a/../../b", "..\\evil", "\\\\server\\share"])
def test_other_escaping_names(name: str) -> None:
    report = verify_bytes(raw_zip([raw_entry("bootstrap", go_elf()), raw_entry(name, b"x")]))
    assert "GB109" in report.codes()


def test_compression_methods_are_named(cases: dict[str, Path]) -> None:
    assert "Deflate64 (method 9)" in by_code(verify_zip(cases["deflate64"]), "GB110").message
    assert "bzip2 (method 12)" in by_code(verify_zip(cases["bzip2"]), "GB110").message
    lzma = verify_zip(cases["lzma"])
    assert "LZMA (method 14)" in by_code(lzma, "GB110").message
    assert "repack" in by_code(lzma, "GB110").fix
    assert "cannot decompress LZMA" in by_code(lzma, "GB200").message


def test_unknown_method_is_named() -> None:
    entry = raw_entry("bootstrap", go_elf(), method=STORED)
    odd = type(entry)(**{**entry.__dict__, "method": 77})
    report = verify_bytes(raw_zip([odd]))
    assert "an unknown method (method 77)" in by_code(report, "GB110").message


def test_crafted_compressed_cases_are_genuine(cases: dict[str, Path]) -> None:
    """The method 9/12/14 archives are real: zipfile (with zipfile-deflate64) reads them back."""
    for case, method in (("deflate64", DEFLATE64), ("bzip2", BZIP2), ("lzma", LZMA)):
        with zipfile.ZipFile(cases[case]) as archive:
            assert archive.getinfo("bootstrap").compress_type == method
            assert archive.read("bootstrap") == go_elf()


def test_deflate64_bootstrap_is_inspected(cases: dict[str, Path]) -> None:
    report = verify_zip(cases["deflate64"])
    assert report.go_version == "go1.26.8" and report.arch == "arm64"


def test_corrupt_and_bomb_messages(cases: dict[str, Path]) -> None:
    corrupt = by_code(verify_zip(cases["corrupt-data"]), "GB002")
    assert corrupt.entry == "bootstrap"
    lying = by_code(verify_zip(cases["bomb-lying"]), "GB002")
    assert lying.entry == "data.bin" and "zip bomb" in lying.message
    declared = by_code(verify_zip(cases["bomb-declared"]), "GB005")
    # 16 entries declaring 4 GiB - 1 byte each, plus the small bootstrap.
    assert re.match(
        r"entries add up to 655\d\d\.\d MiB unzipped; Lambda allows 250\.0 MiB", declared.message
    )


def test_crc_mismatch_is_corrupt() -> None:
    report = verify_bytes(raw_zip([raw_entry("bootstrap", go_elf(), declared_crc=0x12345678)]))
    assert "CRC-32" in by_code(report, "GB002").message


def test_script_and_non_elf_messages(cases: dict[str, Path]) -> None:
    assert "(#!/bin/sh)" in by_code(verify_zip(cases["script"]), "GB202").message
    assert "ends in CR" in by_code(verify_zip(cases["script-crlf"]), "GB203").message
    assert "Windows (PE) executable" in by_code(verify_zip(cases["windows-exe"]), "GB204").message


@pytest.mark.parametrize(
    ("head", "described"),
    [
        (b"\xcf\xfa\xed\xfe" + bytes(28), "macOS (Mach-O)"),
        (b"\xca\xfe\xba\xbe" + bytes(28), "macOS universal"),
        (b"PK\x03\x04" + bytes(28), "zip archive"),
        (b"\x1f\x8b\x08" + bytes(28), "gzip"),
        (b"\x00\x01\x02\x03", "starts with 00 01 02 03"),
    ],
)
def test_non_elf_contents_are_described(head: bytes, described: str) -> None:
    report = verify_bytes(raw_zip([raw_entry("bootstrap", head)]))
    assert described in by_code(report, "GB204").message


def test_elf_class_os_and_loader_findings(cases: dict[str, Path]) -> None:
    assert "32-bit 386" in by_code(verify_zip(cases["elf32"]), "GB206").message
    assert "FreeBSD" in by_code(verify_zip(cases["freebsd"]), "GB209").message
    assert "/lib/ld-linux-aarch64.so.1" in by_code(verify_zip(cases["dynamic"]), "GB211").message
    assert "/lib/ld-musl-x86_64.so.1" in by_code(verify_zip(cases["dynamic-musl"]), "GB212").message


def test_loader_of_the_other_arch_is_missing_on_al2023() -> None:
    elf = minimal_elf(machine=EM_AARCH64, interpreter="/lib64/ld-linux-x86-64.so.2")
    assert "GB212" in verify_elf(elf).codes()


# --- Go build information checks ----------------------------------------------------------------


@pytest.mark.parametrize(
    "version", ["v1.17.0", "v1.2.3", "v1.18.0-rc1", "v1.17.1-0.20200601000000-abcdefabcdef"]
)
def test_old_aws_lambda_go_is_an_error(version: str) -> None:
    report = verify_elf(go_elf(lambda_go=version))
    finding = by_code(report, "GB303")
    assert version in finding.message and "v1.18.0" in finding.message
    assert "go get github.com/aws/aws-lambda-go@latest" in finding.fix
    assert report.has_errors


@pytest.mark.parametrize("version", ["v1.18.0", "v1.55.1", "v2.0.0", "(devel)", ""])
def test_recent_or_unknown_aws_lambda_go_is_fine(version: str) -> None:
    assert "GB303" not in verify_elf(go_elf(lambda_go=version or None)).codes()


def test_replacement_version_is_the_one_compiled() -> None:
    modinfo = go_modinfo(deps=[(AWS, "v1.55.1")], settings=GOOD_SETTINGS).replace(
        "h1:AAAA=\n", "\n=>\tgithub.com/fork/lambda\tv1.10.0\th1:BBBB=\n", 1
    )
    elf = minimal_elf(machine=EM_AARCH64, go_version="go1.26.8", modinfo=modinfo)
    assert "v1.10.0" in by_code(verify_elf(elf), "GB303").message


def test_build_settings_findings() -> None:
    settings = [("CGO_ENABLED", "1"), ("GOARCH", "arm64"), ("GOOS", "linux")]
    report = verify_elf(go_elf(settings=settings))
    assert report.codes() == ("GB208", "GB301", "GB304", "GB305", "GB306")
    # CGO_ENABLED=1 is a fact, not a problem: what the C code needs is judged from the ELF (GB211-GB214).
    assert [f.severity for f in report.findings] == ["info"] * 5
    assert "statically linked, so it needs no library from the image" in by_code(report, "GB305").message
    assert not report.has_errors
    assert not report.failed(strict=True) and not report.failed(strict=False)


def test_without_aws_lambda_go_a_warning_says_nothing_asks_for_events_and_no_norpc_finding() -> None:
    # An HTTP server or a CLI zipped by mistake (survey D22): it would time out at init on Lambda.
    settings = [("CGO_ENABLED", "0"), ("GOOS", "linux"), ("-trimpath", "true")]
    report = verify_elf(go_elf(lambda_go=None, settings=settings))
    assert report.codes() == ("GB208", "GB301", "GB309")
    finding = by_code(report, "GB309")
    assert finding.severity == "warning" and "Runtime API" in finding.message and "lambda.Start" in finding.fix
    assert not report.has_errors


def test_a_program_that_speaks_the_runtime_api_itself_gets_no_warning() -> None:
    # Like testdata/cmd/healthcheck: net/http and the API's path, no aws-lambda-go.
    settings = [("CGO_ENABLED", "0"), ("GOOS", "linux"), ("-trimpath", "true")]
    elf = go_elf(lambda_go=None, settings=settings) + b"http://%s/2018-06-01/runtime/invocation/next\0"
    assert "GB309" not in verify_elf(elf).codes()


def test_goos_other_than_linux_is_an_error() -> None:
    settings = [*GOOD_SETTINGS[:-1], ("GOOS", "darwin")]
    assert "GOOS=darwin" in by_code(verify_elf(go_elf(settings=settings)), "GB209").message


def test_pre_go_1_18_build_info_reports_unknown_version() -> None:
    report = verify_elf(go_elf(pointer_format=True))
    assert report.codes() == ("GB208", "GB302")
    assert report.go_version is None and not report.has_errors


def test_build_info_found_without_section_headers() -> None:
    assert verify_elf(go_elf(sections=False)).go_version == "go1.26.8"


def test_amd64_bootstrap_matches_amd64() -> None:
    settings = [*GOOD_SETTINGS[:4], ("GOARCH", "amd64"), ("GOOS", "linux")]
    report = verify_elf(go_elf(machine=EM_X86_64, settings=settings), arch="amd64")
    assert report.codes() == ("GB208", "GB301") and report.arch == "amd64"


# --- Limits, caps and the report itself ---------------------------------------------------------


def test_zip_over_the_direct_upload_limit_warns(tmp_path: Path) -> None:
    padding = raw_entry("assets/blob.bin", bytes(ZIPPED_LIMIT), method=STORED, mode=0o100644)
    path = tmp_path / "big.zip"
    path.write_bytes(raw_zip([raw_entry("bootstrap", go_elf()), padding]))
    report = verify_zip(path)
    finding = by_code(report, "GB004")
    assert finding.severity == "warning" and "50.0 MiB" in finding.message and "S3" in finding.fix
    assert not report.has_errors and report.failed(strict=True)


def test_findings_per_code_are_capped() -> None:
    escaping = [raw_entry(f"../evil-{i}", b"x") for i in range(MAX_PER_CODE + 15)]
    report = verify_bytes(raw_zip([raw_entry("bootstrap", go_elf()), *escaping]))
    gb109 = [f for f in report.findings if f.code == "GB109"]
    assert len(gb109) == MAX_PER_CODE + 1
    assert gb109[-1].message.startswith("and 15 more entries")


def test_control_characters_in_names_are_escaped() -> None:
    report = verify_bytes(
        raw_zip([raw_entry("bootstrap", go_elf()), raw_entry("../\x1b[2Jx", b"x")])
    )
    finding = by_code(report, "GB109")
    assert "\x1b" not in finding.message and "\\x1b[2Jx" in finding.message


def test_unreadable_paths_are_findings(tmp_path: Path) -> None:
    missing = verify_zip(tmp_path / "nope.zip")
    assert missing.codes() == ("GB001",) and "cannot read" in missing.findings[0].message


def test_what_is_not_a_regular_file_is_refused_unread(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.zip"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    for path, kind in ((tmp_path, "a directory"), (fifo, "a FIFO"), (Path("/dev/zero"), "a character device")):
        with pytest.raises(UsageError, match=f"is {kind}"):
            verify_zip(path)


def test_report_to_dict_is_json(cases: dict[str, Path]) -> None:
    report = verify_zip(cases["no-exec"])
    document = json.loads(json.dumps(report.to_dict()))
    assert document["ok"] is False and document["errors"] == 1 and document["warnings"] == 0
    assert document["arch"] == "arm64" and document["go_version"] == "go1.26.8"
    assert document["findings"][0] == {
        "code": "GB102",
        "severity": "error",
        "message": "bootstrap has mode 0644: no execute permission",
        "fix": "chmod 755 the executable before zipping, or run gobuild repack / gobuild build",
        "entry": "bootstrap",
    }


def test_verify_bytes_names_the_archive() -> None:
    assert verify_bytes(b"", name="upload.zip").archive == "upload.zip"
    assert verify_bytes(b"").codes() == ("GB001",)


def test_codes_are_unique_and_well_formed() -> None:
    for code, (severity, title) in CODES.items():
        assert code.startswith("GB") and len(code) == 5 and code[2:].isdigit()
        assert severity in ("error", "warning", "info") and title
