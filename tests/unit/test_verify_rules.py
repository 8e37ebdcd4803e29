"""verify's newer rules on crafted archives: what a dynamic bootstrap needs (glibc versions and
libraries), the CPU level it was built for, placeholders, names no unzipper can extract, and the
structure lint. Real binaries for the same rules are built in tests/integration/test_verify_cli.py."""

from __future__ import annotations

import pytest

from gobuild.check.elf import PT_DYNAMIC, parse_elf
from gobuild.check.findings import Finding
from gobuild.check.verify import Report, verify_bytes
from gobuild.lambda_facts import AL2023_LIBRARIES
from testdata.make_broken_zips import (
    EM_AARCH64,
    EM_X86_64,
    LOADERS,
    STORED,
    go_modinfo,
    minimal_elf,
    raw_entry,
    raw_zip,
)

CGO_SETTINGS = [("-tags", "lambda.norpc"), ("-trimpath", "true"), ("CGO_ENABLED", "1"), ("GOARCH", "amd64"),
                ("GOOS", "linux")]
# Every binary here is a Lambda function: it uses aws-lambda-go (GB309 otherwise).
LAMBDA_GO = [("github.com/aws/aws-lambda-go", "v1.55.1")]
# What a cgo binary built against glibc 2.34 asks for (read from one with readelf -V).
GLIBC_234 = [("libc.so.6", v) for v in ("GLIBC_2.34", "GLIBC_2.32", "GLIBC_2.3.2", "GLIBC_2.2.5")]


def dynamic_elf(*, needed: list[str], versions: list[tuple[str, str]], settings: list[tuple[str, str]] | None = None,
                machine: int = EM_X86_64) -> bytes:
    return minimal_elf(machine=machine, interpreter=LOADERS[machine], go_version="go1.26.8",
                       modinfo=go_modinfo(deps=LAMBDA_GO, settings=CGO_SETTINGS if settings is None else settings),
                       needed=needed, versions=versions)


def verify(elf: bytes, *extra: object, arch: str | None = None) -> Report:
    return verify_bytes(raw_zip([raw_entry("bootstrap", elf), *extra]), arch=arch)  # type: ignore[list-item]


def one(report: Report, code: str) -> Finding:
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, f"expected one {code} in {report.codes()}"
    return found[0]


# ─── Dynamic binaries: glibc versions and libraries ───────────────────────────────────


def test_a_cgo_binary_within_glibc_234_and_known_libraries_passes() -> None:
    report = verify(dynamic_elf(needed=["libc.so.6"], versions=GLIBC_234), arch="amd64")
    assert report.codes() == ("GB208", "GB211", "GB301", "GB305")
    assert not report.has_errors  # dynamic linking stays a warning, CGO_ENABLED=1 is a fact (info)
    assert "checked by GB211, GB213 and GB214" in one(report, "GB305").message
    summary = one(report, "GB211").message
    assert "needs libc.so.6 (symbol versions up to GLIBC_2.34)" in summary
    assert "/lib64/ld-linux-x86-64.so.2" in summary


@pytest.mark.parametrize("needed", ["GLIBC_2.35", "GLIBC_2.36", "GLIBC_2.39", "GLIBC_3.0"])
def test_glibc_newer_than_234_is_an_error_naming_the_version(needed: str) -> None:
    report = verify(dynamic_elf(needed=["libc.so.6"], versions=[*GLIBC_234, ("libc.so.6", needed)]))
    error = one(report, "GB213")
    assert error.severity == "error" and error.entry == "bootstrap"
    assert f"needs {needed} (from libc.so.6), but Amazon Linux 2023 has glibc 2.34" in error.message
    assert f"version `{needed}' not found" in error.message
    assert "CGO_ENABLED=0" in error.fix and "zig cc -target x86_64-linux-gnu.2.34" in error.fix


def test_every_too_new_version_is_listed_oldest_first() -> None:
    versions = [("libm.so.6", "GLIBC_2.38"), ("libc.so.6", "GLIBC_2.35"), ("libc.so.6", "GLIBC_2.34")]
    report = verify(dynamic_elf(needed=["libm.so.6", "libc.so.6"], versions=versions))
    assert "needs GLIBC_2.35, GLIBC_2.38 (from libc.so.6, libm.so.6)" in one(report, "GB213").message


@pytest.mark.parametrize("marker", ["GLIBC_ABI_DT_RELR", "GLIBC_PRIVATE"])
def test_glibc_markers_newer_than_the_image_are_errors(marker: str) -> None:
    report = verify(dynamic_elf(needed=["libc.so.6"], versions=[("libc.so.6", marker)]))
    assert marker in one(report, "GB213").message


def test_versions_of_other_libraries_are_not_glibc_versions() -> None:
    report = verify(dynamic_elf(needed=["libgcc_s.so.1", "libc.so.6"],
                                versions=[("libgcc_s.so.1", "GCC_12.0.0"), *GLIBC_234]))
    assert "GB213" not in report.codes() and "GB214" not in report.codes()


def test_a_library_provided_al2023_lacks_is_named() -> None:
    report = verify(dynamic_elf(needed=["libstdc++.so.6", "libc.so.6", "libsqlite3.so.0"], versions=GLIBC_234))
    errors = [f for f in report.findings if f.code == "GB214"]
    assert [e.message.split("library ")[1].split(",")[0] for e in errors] == ["libstdc++.so.6", "libsqlite3.so.0"]
    assert "lib/ folder" in errors[0].fix and "statically" in errors[0].fix
    assert "needs libstdc++.so.6, libc.so.6, libsqlite3.so.0" in one(report, "GB211").message


@pytest.mark.parametrize("where", ["lib/libsqlite3.so.0", "libsqlite3.so.0"])
def test_a_library_the_zip_carries_where_the_loader_looks_is_fine(where: str) -> None:
    library = raw_entry(where, b"\x7fELF" + bytes(60), mode=0o100755)
    report = verify(dynamic_elf(needed=["libsqlite3.so.0", "libc.so.6"], versions=GLIBC_234), library)
    assert "GB214" not in report.codes()
    elsewhere = raw_entry("vendor/libsqlite3.so.0", b"\x7fELF" + bytes(60), mode=0o100755)
    assert "GB214" in verify(dynamic_elf(needed=["libsqlite3.so.0"], versions=[]), elsewhere).codes()


def test_the_known_libraries_are_glibcs_and_libgcc() -> None:
    assert "libc.so.6" in AL2023_LIBRARIES and "libgcc_s.so.1" in AL2023_LIBRARIES
    assert "libstdc++.so.6" not in AL2023_LIBRARIES
    assert list(AL2023_LIBRARIES) == sorted(AL2023_LIBRARIES)


def test_a_damaged_dynamic_section_is_a_warning_not_a_crash() -> None:
    elf = bytearray(dynamic_elf(needed=["libc.so.6"], versions=GLIBC_234))
    # Point DT_STRTAB (the dynamic table's second row, after DT_NEEDED) outside every segment.
    table = next(h.offset for h in parse_elf(bytes(elf)).program_headers if h.type == PT_DYNAMIC)
    assert elf[table + 16 : table + 24] == (5).to_bytes(8, "little")
    elf[table + 24 : table + 32] = (0x7FFF0000).to_bytes(8, "little")
    report = verify(bytes(elf))
    assert "unreadable" in one(report, "GB211").message and not report.has_errors


def test_musl_binaries_are_not_judged_against_glibc() -> None:
    elf = minimal_elf(interpreter="/lib/ld-musl-x86_64.so.1", needed=["libc.musl-x86_64.so.1"], versions=[])
    assert verify(elf).codes() == ("GB208", "GB212", "GB300")


# ─── CPU level ────────────────────────────────────────────────────────────────────────


def go_elf(setting: tuple[str, str], machine: int) -> bytes:
    goarch = "amd64" if machine == EM_X86_64 else "arm64"
    settings = [("-tags", "lambda.norpc"), ("-trimpath", "true"), ("CGO_ENABLED", "0"), ("GOARCH", goarch),
                ("GOOS", "linux"), setting]
    return minimal_elf(machine=machine, go_version="go1.26.8", modinfo=go_modinfo(deps=LAMBDA_GO, settings=settings))


@pytest.mark.parametrize(("level", "code"), [("v1", None), ("v2", None), ("v3", "GB307"), ("v4", "GB307")])
def test_goamd64_above_v2_is_a_warning(level: str, code: str | None) -> None:
    report = verify(go_elf(("GOAMD64", level), EM_X86_64), arch="amd64")
    assert ("GB307" in report.codes()) is (code is not None) and not report.has_errors
    if code:
        warning = one(report, code)
        assert f"GOAMD64={level}" in warning.message and "illegal instruction" in warning.message
        assert "GOAMD64=v1" in warning.fix


@pytest.mark.parametrize(
    ("level", "refused"),
    [("v8.0", False), ("v8.2", False), ("v8.2,lse,crypto", False), ("v8.3", True), ("v8.9,lse", True),
     ("v9.0", True), ("v9.5", True)],
)  # fmt: skip
def test_goarm64_above_v82_is_an_error(level: str, refused: bool) -> None:
    report = verify(go_elf(("GOARM64", level), EM_AARCH64), arch="arm64")
    assert report.has_errors is refused
    if refused:
        error = one(report, "GB308")
        assert f"GOARM64={level}" in error.message and "Graviton2" in error.message and "Armv8.2" in error.message
        assert "GOARM64=v8.0" in error.fix and "v8.2,lse,crypto" in error.fix


# ─── Placeholders and names ─────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "entries",
    [
        [raw_entry("placeholder.txt", b"replaced at deploy time\n", mode=0o100644)],
        [raw_entry("index.js", b"exports.handler = async () => {};\n", mode=0o100644)],
        [raw_entry("dist/", b"", mode=0o040755)],
    ],
    ids=["text", "stub handler", "folders only"],
)
def test_placeholders_are_named(entries: list[object]) -> None:
    report = verify_bytes(raw_zip(entries))  # type: ignore[arg-type]
    assert report.codes() == ("GB007",)
    assert "placeholder" in report.findings[0].message and "real code replaces it" in report.findings[0].fix


def test_an_empty_zip_is_named_as_a_placeholder_too() -> None:
    finding = verify_bytes(raw_zip([])).findings[0]
    assert finding.code == "GB003" and "placeholder" in finding.message


@pytest.mark.parametrize(
    ("name", "code"),
    [(b"", "GB112"), (b"a\0b", "GB112"), (b".", "GB112"), (b"a\\b", "GB111"), (b"C:\\evil", "GB109"),
     (b"/etc/x", "GB109")],
)  # fmt: skip
def test_names_no_unzipper_extracts_are_errors(name: bytes, code: str) -> None:
    report = verify_bytes(raw_zip([raw_entry("bootstrap", go_elf(("GOAMD64", "v1"), EM_X86_64)),
                                   raw_entry(name, b"x", mode=0o100644)]))
    assert code in report.codes() and report.has_errors


def test_a_root_folder_entry_is_harmless() -> None:
    report = verify_bytes(raw_zip([raw_entry("./", b"", mode=0o040755),
                                   raw_entry("bootstrap", go_elf(("GOAMD64", "v1"), EM_X86_64))]))
    assert report.codes() == ("GB208", "GB301")


def test_folder_modes_others_cannot_enter_are_linted() -> None:
    report = verify_bytes(raw_zip([raw_entry("conf/", b"", mode=0o040700),
                                   raw_entry("bootstrap", go_elf(("GOAMD64", "v1"), EM_X86_64))]))
    assert "others cannot enter it" in one(report, "GB117").message


def test_data_descriptors_on_stored_entries_are_linted_once_per_entry() -> None:
    entries = [raw_entry(f"f{i}", b"x", method=STORED, flags=0x8, mode=0o100644) for i in range(3)]
    report = verify_bytes(raw_zip([raw_entry("bootstrap", go_elf(("GOAMD64", "v1"), EM_X86_64)), *entries]))
    assert report.codes().count("GB116") == 3 and not report.has_errors


def test_a_symlink_beside_a_folder_of_the_same_name_clashes() -> None:
    entries = [raw_entry("bootstrap", go_elf(("GOAMD64", "v1"), EM_X86_64)), raw_entry("lib/", b"", mode=0o040755),
               raw_entry("lib", b"vendor", mode=0o120777, method=STORED)]
    report = verify_bytes(raw_zip(entries))
    assert "lib is a symlink, and also a folder of lib/" in one(report, "GB113").message


@pytest.mark.parametrize("name", ["x" * 256, "a/" * 2100 + "b"])
def test_names_longer_than_linux_allows_cannot_be_extracted(name: str) -> None:
    entries = [raw_entry("bootstrap", go_elf(("GOAMD64", "v1"), EM_X86_64)), raw_entry(name, b"x", mode=0o100644)]
    assert "longer than Linux allows" in one(verify_bytes(raw_zip(entries)), "GB112").message
