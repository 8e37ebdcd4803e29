"""Checks that a zip would run on AWS Lambda's provided.al2023 runtime, without extracting it.

Public API (everything else is private):

    verify_zip(path, *, arch=None) -> Report      reads a zip file on disk
    verify_bytes(data, *, arch=None, name=...) -> Report   the same for bytes in memory
    Report.findings      tuple[Finding, ...] in the order they were found
    Report.has_errors    True when Lambda would reject or fail to run the archive
    Report.failed(strict=...)   has_errors, or any warning when strict
    Report.arch          GOARCH of the bootstrap ELF ("amd64", "arm64", "386", ...) or None
    Report.go_version    Go toolchain that built the bootstrap ("go1.26.8") or None
    Report.to_dict()     JSON-ready form, used by `gobuild verify --json`
    Finding(code, severity, message, fix, entry)    one problem or fact; code is stable
    CODES                code → (severity, title) for every finding this module emits

`arch` is "amd64" or "arm64": the architecture the function is configured for. Without it
the bootstrap's architecture is reported but not judged, except that Lambda runs only those two.

Any input, including random or truncated bytes and zip bombs, yields a Report and never an
exception. Work is bounded: the central directory is parsed by `zipfile`, but entry data is
decompressed by a reader here that never produces more than an entry's declared size, never
more than READ_CAP bytes overall, and feeds Deflate64 input in small pieces because its
decompressor has no output limit. Entries are CRC-checked only when their declared total is
within Lambda's limit; the bootstrap's ELF headers and Go build info are read in place.
Lambda itself unzips only stored and deflate entries, so every other method is an error,
but Deflate64 entries are still read (through zipfile-deflate64's decompressor) to inspect them.
"""

from __future__ import annotations

import io
import posixpath
import re
import stat
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from zipfile_deflate64 import deflate64  # type: ignore[import-untyped]

from gobuild.check.buildinfo import BuildInfo, read_buildinfo
from gobuild.check.elf import ElfError, ElfFile, check_range, is_elf, parse_elf
from gobuild.errors import UsageError
from gobuild.lambda_facts import (
    ARCHES as LAMBDA_ARCHES,
)
from gobuild.lambda_facts import (
    AWS_LAMBDA_GO,
    MIB,
    RUNTIME_API_SINCE,
    UNZIPPED_LIMIT,
    ZIPPED_LIMIT,
    Arch,
)

Severity = Literal["error", "warning", "info"]

# Hard cap on decompressed bytes for one verification: the unzipped limit plus a margin.
READ_CAP = UNZIPPED_LIMIT + MIB
# Dynamic loaders that exist in the provided.al2023 image.
AL2023_LOADERS = {a.goarch: a.loader for a in Arch.all()}

STORED, DEFLATED, DEFLATE64, AES_ENCRYPTED = 0, 8, 9, 99
METHOD_NAMES = {
    1: "Shrink", 2: "Reduce", 3: "Reduce", 4: "Reduce", 5: "Reduce", 6: "Implode",
    9: "Deflate64", 10: "PKWARE Implode", 12: "bzip2", 14: "LZMA", 18: "IBM TERSE",
    19: "IBM LZ77", 93: "Zstandard", 94: "MP3", 95: "XZ", 96: "JPEG", 97: "WavPack",
    98: "PPMd", 99: "AES-encrypted",
}  # fmt: skip
HOST_SYSTEMS = {
    0: "MS-DOS/Windows (FAT)", 1: "Amiga", 2: "OpenVMS", 3: "Unix", 6: "OS/2 HPFS",
    7: "Macintosh", 10: "Windows NTFS", 11: "MVS", 14: "Windows VFAT", 19: "OS X",
}  # fmt: skip

# At most this many findings of one code name entries; the rest are counted in one more.
MAX_PER_CODE = 10
# Entries whose first bytes are read to list the ELF executables when bootstrap is missing.
MAX_PROBED_ENTRIES = 200

CODES: dict[str, tuple[Severity, str]] = {
    "GB001": ("error", "not a readable zip archive"),
    "GB002": ("error", "entry data is corrupt"),
    "GB003": ("error", "archive is empty"),
    "GB004": ("warning", "zip is over Lambda's 50 MiB direct-upload limit"),
    "GB005": ("error", "unzipped size is over Lambda's 250 MiB limit"),
    "GB101": ("error", "no bootstrap at the archive root"),
    "GB102": ("error", "bootstrap is not executable"),
    "GB103": ("error", "bootstrap has no Unix permissions (zip made on Windows)"),
    "GB104": ("error", "bootstrap is a symlink to nothing in the archive"),
    "GB105": ("warning", "bootstrap is a symlink"),
    "GB106": ("error", "bootstrap is a directory"),
    "GB107": ("error", "duplicate entry names"),
    "GB108": ("error", "encrypted entry"),
    "GB109": ("error", "entry name escapes the archive root"),
    "GB110": ("error", "compression method Lambda cannot unzip"),
    "GB200": ("info", "bootstrap contents not inspected"),
    "GB201": ("error", "bootstrap is empty"),
    "GB202": ("info", "bootstrap is a script"),
    "GB203": ("error", "bootstrap script has Windows line endings"),
    "GB204": ("error", "bootstrap is not an ELF executable"),
    "GB205": ("error", "bootstrap ELF is malformed or truncated"),
    "GB206": ("error", "bootstrap architecture is not one Lambda runs"),
    "GB207": ("error", "bootstrap architecture differs from --arch"),
    "GB208": ("info", "bootstrap ELF summary"),
    "GB209": ("error", "bootstrap is built for another operating system"),
    "GB210": ("error", "bootstrap ELF is not an executable"),
    "GB211": ("warning", "bootstrap is dynamically linked"),
    "GB212": ("error", "bootstrap needs a dynamic loader provided.al2023 lacks"),
    "GB300": ("info", "no Go build information"),
    "GB301": ("info", "Go version"),
    "GB302": ("info", "Go version unknown"),
    "GB303": ("error", "aws-lambda-go is older than v1.18.0"),
    "GB304": ("info", "built without the lambda.norpc tag"),
    "GB305": ("warning", "built with CGO_ENABLED=1"),
    "GB306": ("info", "built without -trimpath"),
}

# Everything zipfile may raise on a damaged central directory.
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    ValueError,
    struct.error,
    EOFError,
    OSError,
    NotImplementedError,
    OverflowError,
    IndexError,
    KeyError,
    RuntimeError,
)


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One problem or fact about an archive. `code` is stable; `entry` names the zip entry."""

    code: str
    severity: Severity
    message: str
    fix: str = ""
    entry: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
            "entry": self.entry,
        }


@dataclass(frozen=True, kw_only=True)
class Report:
    """All findings for one archive, plus what was learned about its bootstrap."""

    archive: str
    findings: tuple[Finding, ...]
    arch: str | None = None
    go_version: str | None = None

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def has_errors(self) -> bool:
        """True when Lambda would reject the archive or fail to start the function."""
        return bool(self.errors)

    def failed(self, *, strict: bool = False) -> bool:
        """Whether the verification fails: any error, or with `strict` any warning too."""
        return self.has_errors or (strict and bool(self.warnings))

    def codes(self) -> tuple[str, ...]:
        """The finding codes in order, handy for tests and summaries."""
        return tuple(f.code for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "archive": self.archive,
            "ok": not self.has_errors,
            "arch": self.arch,
            "go_version": self.go_version,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [f.to_dict() for f in self.findings],
        }


def verify_zip(path: Path, *, arch: str | None = None) -> Report:
    """Verifies the zip at `path` for Lambda. Never raises for bad content; see module doc.

    Raises UsageError only when `arch` is not "amd64", "arm64" or None.
    """
    _check_arch(arch)
    try:
        with path.open("rb") as file:
            size = file.seek(0, io.SEEK_END)
            return _verify(file, size, archive=str(path), arch=arch)
    except OSError as error:
        reason = error.strerror or str(error)
        finding = _finding("GB001", f"cannot read {path}: {reason}", fix="check the path")
        return Report(archive=str(path), findings=(finding,))


def verify_bytes(data: bytes, *, arch: str | None = None, name: str = "<bytes>") -> Report:
    """Verifies a zip held in memory; `name` is what the report calls it."""
    _check_arch(arch)
    return _verify(io.BytesIO(data), len(data), archive=name, arch=arch)


def _check_arch(arch: str | None) -> None:
    if arch is not None and arch not in LAMBDA_ARCHES:
        raise UsageError(f"--arch {arch!r} is not one of amd64, arm64")


def _finding(code: str, message: str, *, fix: str = "", entry: str | None = None) -> Finding:
    return Finding(code=code, severity=CODES[code][0], message=message, fix=fix, entry=entry)


class _Findings:
    """Collects findings, keeping at most MAX_PER_CODE per code so hostile archives stay short."""

    def __init__(self) -> None:
        self.items: list[Finding] = []
        self.overflow: Counter[str] = Counter()
        self.corrupt: set[str] = set()

    def add(self, code: str, message: str, *, fix: str = "", entry: str | None = None) -> None:
        if sum(1 for f in self.items if f.code == code) >= MAX_PER_CODE:
            self.overflow[code] += 1
            return
        self.items.append(_finding(code, message, fix=fix, entry=entry))

    def result(self) -> tuple[Finding, ...]:
        extra = [
            _finding(code, f"and {count} more entries with the same problem ({CODES[code][1]})")
            for code, count in self.overflow.items()
        ]
        return (*self.items, *extra)


@dataclass(frozen=True, kw_only=True)
class _Bootstrap:
    """What the bootstrap analysis learned, beyond findings."""

    arch: str | None = None
    go_version: str | None = None


def _verify(file: BinaryIO, size: int, *, archive: str, arch: str | None) -> Report:
    findings = _Findings()
    if size > ZIPPED_LIMIT:
        findings.add(
            "GB004",
            f"the zip is {_mib(size)}; Lambda accepts at most {_mib(ZIPPED_LIMIT)} uploaded directly",
            fix="upload it through S3 (gobuild publish), or shrink the binary "
            "(-ldflags='-s -w', -tags lambda.norpc)",
        )
    infos = _read_directory(file, findings)
    if infos is None:
        return Report(archive=archive, findings=findings.result())
    if not infos:
        findings.add("GB003", "the archive has no entries", fix="rebuild it with gobuild build")
        return Report(archive=archive, findings=findings.result())
    _check_entries(infos, findings)
    within_limit = _check_unzipped_size(infos, findings)
    if within_limit:
        _check_integrity(file, infos, findings)
    learned = _check_bootstrap(file, infos, findings, arch)
    return Report(
        archive=archive,
        findings=findings.result(),
        arch=learned.arch,
        go_version=learned.go_version,
    )


def _read_directory(file: BinaryIO, findings: _Findings) -> list[zipfile.ZipInfo] | None:
    """The central directory's entries, or None (with a GB001 finding) if it is unreadable."""
    try:
        with zipfile.ZipFile(file) as archive:
            return archive.infolist()
    except _ARCHIVE_ERRORS as error:
        findings.add(
            "GB001",
            f"not a readable zip archive: {_reason(error)}",
            fix="the file is truncated or damaged: rebuild it with gobuild build, or download it again",
        )
        return None


# ---------------------------------------------------------------------------------------------
# Entry-level checks: names, duplicates, encryption, compression, sizes, integrity.


def _check_entries(infos: list[zipfile.ZipInfo], findings: _Findings) -> None:
    for info in infos:
        name = _display(info.filename)
        if _escapes_root(info.filename):
            findings.add(
                "GB109",
                f"entry {name} points outside the archive root (absolute path or '..')",
                fix="zip paths relative to the function root; rebuild with gobuild build",
                entry=name,
            )
        if _is_encrypted(info):
            findings.add(
                "GB108",
                f"entry {name} is encrypted; Lambda cannot decrypt it",
                fix="zip without a password (no zip -e / -P)",
                entry=name,
            )
        elif info.compress_type not in (STORED, DEFLATED):
            findings.add(
                "GB110",
                f"entry {name} is compressed with {_method_name(info.compress_type)}; "
                "Lambda only unzips stored and deflate entries",
                fix="run gobuild repack on the zip, or rebuild it with gobuild build",
                entry=name,
            )
    counts = Counter(info.filename for info in infos)
    for name, count in counts.items():
        if count > 1:
            findings.add(
                "GB107",
                f"entry {_display(name)} appears {count} times; which copy Lambda extracts is undefined",
                fix="rebuild the zip so each path appears once (gobuild build)",
                entry=_display(name),
            )


def _check_unzipped_size(infos: list[zipfile.ZipInfo], findings: _Findings) -> bool:
    """Reports a total over Lambda's limit; returns whether the total is within it."""
    total = sum(info.file_size for info in infos)
    if total <= UNZIPPED_LIMIT:
        return True
    findings.add(
        "GB005",
        f"entries add up to {_mib(total)} unzipped; Lambda allows {_mib(UNZIPPED_LIMIT)} "
        "for the function and its layers together",
        fix="shrink the binary (-ldflags='-s -w', -tags lambda.norpc), move data to S3 or a "
        "layer, or use a container image",
    )
    return False


def _check_integrity(file: BinaryIO, infos: list[zipfile.ZipInfo], findings: _Findings) -> None:
    """Decompresses every readable entry and checks its size and CRC, like `unzip -t`."""
    for info in infos:
        if not _readable(info) or _is_dir(info):
            continue
        try:
            reader = _EntryReader(file, info)
            while reader.read(256 * 1024):
                pass
        except _EntryError as error:
            _add_corrupt(findings, info, error)


def _add_corrupt(findings: _Findings, info: zipfile.ZipInfo, error: Exception) -> None:
    name = _display(info.filename)
    if name in findings.corrupt:
        return
    findings.corrupt.add(name)
    findings.add(
        "GB002",
        f"entry {name} is corrupt: {error}",
        fix="the zip was damaged after it was written: rebuild it with gobuild build",
        entry=name,
    )


# ---------------------------------------------------------------------------------------------
# The bootstrap: where it is, its attributes, then its contents.


def _check_bootstrap(
    file: BinaryIO, infos: list[zipfile.ZipInfo], findings: _Findings, arch: str | None
) -> _Bootstrap:
    entry = _last_named(infos, "bootstrap")
    if entry is None:
        _report_missing_bootstrap(file, infos, findings)
        return _Bootstrap()
    if _is_dir(entry) or (_has_unix_mode(entry) and stat.S_ISDIR(_mode(entry))):
        findings.add(
            "GB106",
            "bootstrap is a directory; Lambda needs an executable file with that name",
            fix="put the executable itself at the root, named bootstrap",
            entry="bootstrap",
        )
        return _Bootstrap()
    if _has_unix_mode(entry) and stat.S_ISLNK(_mode(entry)):
        target = _follow_symlink(file, entry, infos, findings)
        if target is None:
            return _Bootstrap()
        entry = target
    _check_permissions(entry, findings)
    return _check_contents(file, entry, findings, arch)


def _report_missing_bootstrap(
    file: BinaryIO, infos: list[zipfile.ZipInfo], findings: _Findings
) -> None:
    if any(info.filename.startswith("bootstrap/") for info in infos):
        findings.add(
            "GB106",
            "bootstrap is a directory; Lambda needs an executable file with that name",
            fix="put the executable itself at the root, named bootstrap",
            entry="bootstrap/",
        )
        return
    nested = [
        info.filename
        for info in infos
        if not _is_dir(info) and _basename(info.filename).lower() in ("bootstrap", "bootstrap.exe")
    ]
    executables = [name for name in _elf_entries(file, infos) if name not in nested]
    parts = ["no bootstrap at the archive root"]
    if nested:
        parts.append(f"found {_list(nested)} instead")
    if executables:
        parts.append(f"ELF executables in the archive: {_list(executables)}")
    if nested:
        fix = (
            "zip the files from inside their folder so bootstrap sits at the root "
            "(names are case-sensitive), or rebuild with gobuild build"
        )
    elif executables:
        fix = (
            "this looks like a go1.x-runtime zip: rename the executable to bootstrap, use "
            "runtime provided.al2023, and rebuild with gobuild build"
        )
    else:
        fix = "build the Go program as bootstrap at the zip root: gobuild build"
    findings.add("GB101", "; ".join(parts), fix=fix)


def _elf_entries(file: BinaryIO, infos: list[zipfile.ZipInfo]) -> list[str]:
    """Names of entries that start with the ELF magic (a bounded number are probed)."""
    names = []
    probed = 0
    for info in infos:
        if _is_dir(info) or info.file_size < 4 or not _readable(info):
            continue
        if probed >= MAX_PROBED_ENTRIES:
            break
        probed += 1
        try:
            if is_elf(_EntryReader(file, info).read_exactly(4)):
                names.append(info.filename)
        except _EntryError:
            continue  # reported by the integrity check
    return names


def _follow_symlink(
    file: BinaryIO, link: zipfile.ZipInfo, infos: list[zipfile.ZipInfo], findings: _Findings
) -> zipfile.ZipInfo | None:
    """Resolves bootstrap → target inside the archive; returns the target entry if it exists."""
    target = _read_link(file, link, findings)
    if target is None:
        return None
    resolved = posixpath.normpath(target)
    entry = None
    if not target.startswith("/") and not resolved.startswith("../") and resolved != "..":
        entry = _last_named(infos, resolved)
    if (
        entry is None
        or _is_dir(entry)
        or (_has_unix_mode(entry) and not stat.S_ISREG(_mode(entry)))
    ):
        findings.add(
            "GB104",
            f"bootstrap is a symlink to {_display(target)}, which is not a file in the archive",
            fix="store the executable itself as bootstrap (zip without -y), or rebuild with gobuild build",
            entry="bootstrap",
        )
        return None
    findings.add(
        "GB105",
        f"bootstrap is a symlink to {_display(resolved)}; Lambda follows it, but tools that "
        "re-zip or upload through consoles may drop it",
        fix="store the executable itself as bootstrap (zip without -y)",
        entry="bootstrap",
    )
    return entry


def _read_link(file: BinaryIO, link: zipfile.ZipInfo, findings: _Findings) -> str | None:
    if not _readable(link) or link.file_size > 4096:
        findings.add(
            "GB104",
            "bootstrap is a symlink whose target cannot be read",
            fix="store the executable itself as bootstrap, or rebuild with gobuild build",
            entry="bootstrap",
        )
        return None
    try:
        target = _EntryReader(file, link).read_exactly(link.file_size)
        return target.decode("utf-8", "replace")
    except _EntryError as error:
        _add_corrupt(findings, link, error)
        return None


def _check_permissions(entry: zipfile.ZipInfo, findings: _Findings) -> None:
    name = _display(entry.filename)
    if not _has_unix_mode(entry):
        host = HOST_SYSTEMS.get(entry.create_system, f"host system {entry.create_system}")
        findings.add(
            "GB103",
            f"{name} has no Unix permissions (zip made on {host}); Lambda will not be able to "
            "execute it",
            fix="run gobuild repack on the zip, or rebuild it with gobuild build "
            "(or build-lambda-zip on Windows)",
            entry=name,
        )
        return
    mode = stat.S_IMODE(_mode(entry))
    if mode & 0o111 == 0:
        problem = f"has mode {mode:04o}: no execute permission"
    elif mode & 0o005 != 0o005:
        # Lambda runs the function as a user that neither owns the file nor is in its group.
        problem = f"has mode {mode:04o}: others cannot read and execute it, and Lambda runs as another user"
    else:
        return
    findings.add(
        "GB102",
        f"{name} {problem}",
        fix="chmod 755 the executable before zipping, or run gobuild repack / gobuild build",
        entry=name,
    )


def _check_contents(
    file: BinaryIO, entry: zipfile.ZipInfo, findings: _Findings, arch: str | None
) -> _Bootstrap:
    name = _display(entry.filename)
    if entry.file_size == 0:
        findings.add(
            "GB201", f"{name} is empty (0 bytes)", fix="rebuild it with gobuild build", entry=name
        )
        return _Bootstrap()
    if not _readable(entry):
        reason = (
            "it is encrypted"
            if _is_encrypted(entry)
            else (f"gobuild cannot decompress {_method_name(entry.compress_type)}")
        )
        findings.add("GB200", f"{name} was not inspected: {reason}", entry=name)
        return _Bootstrap()
    try:
        source = _EntrySource(file, entry)
        head = source.read_at(0, min(entry.file_size, 256))
        if head[:2] == b"#!":
            _check_script(head, name, findings)
            return _Bootstrap()
        if not is_elf(head):
            findings.add(
                "GB204",
                f"{name} is {_describe_non_elf(head)}, not a Linux executable",
                fix="build with GOOS=linux GOARCH=amd64|arm64 (gobuild build does)",
                entry=name,
            )
            return _Bootstrap()
        return _check_elf(source, name, findings, arch)
    except _EntryError as error:
        _add_corrupt(findings, entry, error)
        return _Bootstrap()


def _check_script(head: bytes, name: str, findings: _Findings) -> None:
    line = head.split(b"\n", 1)[0]
    shebang = _display(line.decode("utf-8", "replace").rstrip("\r"))
    if line.endswith(b"\r"):
        findings.add(
            "GB203",
            f"{name} is a script whose first line ({shebang}) ends in CR: Linux looks for an "
            "interpreter whose name ends in \\r",
            fix="convert the script to LF line endings (dos2unix)",
            entry=name,
        )
        return
    findings.add(
        "GB202",
        f"{name} is a script ({shebang}); custom runtimes may be scripts, as long as the "
        "interpreter exists in provided.al2023",
        entry=name,
    )


def _check_elf(
    source: _EntrySource, name: str, findings: _Findings, arch: str | None
) -> _Bootstrap:
    try:
        elf = parse_elf(source)
    except ElfError as error:
        findings.add(
            "GB205",
            f"{name} is not a valid ELF file: {error}",
            fix="rebuild it with gobuild build",
            entry=name,
        )
        return _Bootstrap()
    _judge_elf(elf, name, findings, arch)
    info = _read_go_info(source, elf, name, findings)
    if info is None:
        return _Bootstrap(arch=elf.goarch)
    _judge_go(info, name, findings)
    return _Bootstrap(arch=elf.goarch, go_version=info.go_version)


def _judge_elf(elf: ElfFile, name: str, findings: _Findings, arch: str | None) -> None:
    linking = f"dynamically linked ({elf.interpreter})" if elf.is_dynamic else "statically linked"
    summary = f"{elf.bits}-bit {elf.arch_name} {elf.type_name}, {elf.os_name} ABI, {linking}"
    findings.add("GB208", f"{name}: ELF {summary}", entry=name)
    build_fix = "build with CGO_ENABLED=0 GOOS=linux GOARCH=amd64|arm64 (gobuild build does)"
    if elf.goarch not in LAMBDA_ARCHES or elf.bits != 64:
        findings.add(
            "GB206",
            f"{name} is a {elf.bits}-bit {elf.arch_name} ELF; Lambda runs only 64-bit amd64 "
            "(x86_64) and arm64",
            fix=build_fix,
            entry=name,
        )
    elif arch is not None and elf.goarch != arch:
        findings.add(
            "GB207",
            f"{name} is built for {elf.goarch}, but the function is {arch}",
            fix=f"build with GOARCH={arch}, or set the function's architecture to "
            f"{_lambda_arch(elf.goarch)}",
            entry=name,
        )
    if elf.osabi not in (0, 3):
        findings.add(
            "GB209",
            f"{name} is an ELF for {elf.os_name}, not Linux",
            fix="build with GOOS=linux (gobuild build does)",
            entry=name,
        )
    if not elf.is_executable:
        findings.add(
            "GB210",
            f"{name} is an ELF {elf.type_name}, not an executable",
            fix="build a main package with go build (gobuild build does)",
            entry=name,
        )
    if elf.interpreter is not None:
        _judge_interpreter(elf, name, findings)


def _judge_interpreter(elf: ElfFile, name: str, findings: _Findings) -> None:
    loader = _display(elf.interpreter or "")
    static_fix = "build with CGO_ENABLED=0 for a static binary (gobuild build does)"
    if elf.goarch is not None and elf.interpreter == AL2023_LOADERS.get(elf.goarch):
        findings.add(
            "GB211",
            f"{name} is dynamically linked against {loader}: it runs only if provided.al2023 "
            "has every shared library and glibc version it was linked with",
            fix=static_fix,
            entry=name,
        )
    else:
        findings.add(
            "GB212",
            f"{name} needs the dynamic loader {loader}, which provided.al2023 does not have",
            fix=static_fix,
            entry=name,
        )


def _read_go_info(
    source: _EntrySource, elf: ElfFile, name: str, findings: _Findings
) -> BuildInfo | None:
    try:
        info = read_buildinfo(source, elf)
    except ElfError as error:
        findings.add("GB302", f"{name}: Go build information is unreadable: {error}", entry=name)
        return None
    if info is None:
        findings.add(
            "GB300",
            f"{name} has no Go build information: not a Go program, or it was stripped; Go checks "
            "skipped",
            entry=name,
        )
        return None
    if info.go_version is None:
        findings.add(
            "GB302",
            f"{name} has Go build information in the pre-Go 1.18 format: Go version unknown",
            fix="rebuild with a supported Go release",
            entry=name,
        )
        return None
    return info


def _judge_go(info: BuildInfo, name: str, findings: _Findings) -> None:
    program = f" ({_display(info.path)})" if info.path else ""
    findings.add(
        "GB301", f"{name} was built with {_display(info.go_version or '')}{program}", entry=name
    )
    goos = info.setting("GOOS")
    if goos is not None and goos != "linux":
        findings.add(
            "GB209",
            f"{name} was built with GOOS={_display(goos)}, not linux",
            fix="build with GOOS=linux (gobuild build does)",
            entry=name,
        )
    lambda_go = info.dep(AWS_LAMBDA_GO)
    if lambda_go is not None:
        _judge_lambda_go(lambda_go.effective_version, info, name, findings)
    if info.setting("CGO_ENABLED") == "1":
        findings.add(
            "GB305",
            f"{name} was built with CGO_ENABLED=1: it may need C libraries that "
            "provided.al2023 lacks",
            fix="build with CGO_ENABLED=0 (gobuild build does)",
            entry=name,
        )
    if info.setting("-trimpath") != "true":
        findings.add(
            "GB306",
            f"{name} was built without -trimpath: it embeds local paths and is not reproducible",
            fix="build with -trimpath (gobuild build does)",
            entry=name,
        )


def _judge_lambda_go(version: str, info: BuildInfo, name: str, findings: _Findings) -> None:
    parsed = _semver(version)
    if parsed is not None and parsed < (*RUNTIME_API_SINCE, 1):
        findings.add(
            "GB303",
            f"{name} uses {AWS_LAMBDA_GO} {_display(version)}, which predates the Lambda Runtime "
            "API (v1.18.0): it cannot receive events on provided.al2023",
            fix=f"go get {AWS_LAMBDA_GO}@latest, then rebuild",
            entry=name,
        )
        return
    if "lambda.norpc" not in info.tags:
        findings.add(
            "GB304",
            f"{name} uses {AWS_LAMBDA_GO} without the lambda.norpc build tag: it carries the "
            "net/rpc code only the retired go1.x runtime used (a bigger binary)",
            fix="build with -tags lambda.norpc (gobuild build does)",
            entry=name,
        )


_SEMVER = re.compile(r"v(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")


def _semver(version: str) -> tuple[int, int, int, int] | None:
    """(major, minor, patch, 1 for a release or 0 for a pre-release), or None if not semver."""
    match = _SEMVER.fullmatch(version)
    if match is None:
        return None
    major, minor, patch = (int(match.group(i)) for i in (1, 2, 3))
    return major, minor, patch, 0 if match.group(4) else 1


# ---------------------------------------------------------------------------------------------
# Reading entry data: bounded, streaming, with our own Deflate64 feeding.


def read_entry(file: BinaryIO, info: zipfile.ZipInfo) -> bytes:
    """One entry's bytes, never more than it declares (nor READ_CAP), CRC-checked; for
    stored, deflate and Deflate64. Raises ValueError when the entry is corrupt or unsupported."""
    reader = _EntryReader(file, info)
    chunks = []
    try:
        while chunk := reader.read(1 << 20):
            chunks.append(chunk)
    except _EntryError as error:
        raise ValueError(str(error)) from None
    return b"".join(chunks)


class _EntryError(Exception):
    """An entry's data cannot be read back as its directory record promises."""


class _EntryReader:
    """Streams one entry's decompressed bytes, checking its size and CRC when it ends.

    Output never exceeds the declared uncompressed size (nor READ_CAP), whatever the
    compressed stream claims, so a zip bomb costs at most what its directory admits to.
    """

    INPUT_CHUNK = 64 * 1024
    # Deflate64 cannot limit its output; at its extreme ratio (about 29,000:1) feeding it
    # 512 bytes at a time bounds one call's output to about 15 MiB.
    DEFLATE64_FEED = 512

    def __init__(self, file: BinaryIO, info: zipfile.ZipInfo) -> None:
        self._file = file
        self._info = info
        self._produced = 0
        self._crc = 0
        self._pending = b""
        self._finished = False
        self._input = b""
        self._input_used = 0
        self._position = self._data_offset()
        self._compressed_left = info.compress_size
        self._method = info.compress_type
        self._inflater: Any = None
        if self._method == DEFLATED:
            self._inflater = zlib.decompressobj(-15)
        elif self._method == DEFLATE64:
            self._inflater = deflate64.Deflate64()
        elif self._method != STORED:
            raise _EntryError(f"cannot decompress {_method_name(self._method)}")
        if self._method == STORED and info.compress_size != info.file_size:
            raise _EntryError(
                f"stored entry has {info.compress_size} bytes of data but declares {info.file_size}"
            )

    def _data_offset(self) -> int:
        header = self._read_raw(self._info.header_offset, 30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise _EntryError(f"no local header at offset {self._info.header_offset}")
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        return int(self._info.header_offset + 30 + name_length + extra_length)

    def _read_raw(self, offset: int, length: int) -> bytes:
        try:
            self._file.seek(offset)
            return self._file.read(length)
        except (OSError, ValueError, OverflowError) as error:
            raise _EntryError(f"cannot read the archive at offset {offset}: {error}") from None

    def read(self, size: int) -> bytes:
        """Up to `size` decompressed bytes; b"" at the end (after the CRC has been checked)."""
        while len(self._pending) < size and not self._finished:
            self._pending += self._next_chunk(size - len(self._pending))
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def read_exactly(self, size: int) -> bytes:
        """Exactly `size` bytes, or _EntryError if the entry ends first."""
        data = self.read(size)
        if len(data) != size:
            raise _EntryError(f"data ends after {self._produced} of {self._info.file_size} bytes")
        return data

    def skip(self, size: int) -> None:
        """Discards `size` bytes without holding them."""
        while size > 0:
            size -= len(self.read_exactly(min(size, 256 * 1024)))

    def _next_chunk(self, wanted: int) -> bytes:
        """Some more output (possibly none); at the end of the data, checks size and CRC."""
        try:
            chunk, ended = self._decompress(max(wanted, 4096))
        except (zlib.error, ValueError) as error:
            raise _EntryError(f"bad compressed data: {error}") from None
        self._produced += len(chunk)
        if self._produced > self._info.file_size or self._produced > READ_CAP:
            raise _EntryError(
                f"decompresses to more than the {self._info.file_size} bytes it declares (zip bomb?)"
            )
        self._crc = zlib.crc32(chunk, self._crc)
        if ended is not None:
            self._finish(stream_ended=ended)
        return chunk

    def _decompress(self, wanted: int) -> tuple[bytes, bool | None]:
        """(output, ended): ended is True at the stream's end, False if input ran out first."""
        if self._method == STORED:
            chunk = self._take_input(min(wanted, self.INPUT_CHUNK))
            return chunk, (True if not chunk else None)
        if self._method == DEFLATED:
            data = self._inflater.unconsumed_tail or self._take_input(self.INPUT_CHUNK)
        else:
            data = self._feed_deflate64()
        if not data and not self._inflater.eof:
            return b"", False
        if self._method == DEFLATED:
            out: bytes = self._inflater.decompress(data, wanted)
            done = self._inflater.eof and not self._inflater.unconsumed_tail
        else:
            out = self._inflater.decompress(data)
            done = self._inflater.eof
        return out, (True if done else None)

    def _feed_deflate64(self) -> bytes:
        if self._input_used >= len(self._input):
            self._input, self._input_used = self._take_input(self.INPUT_CHUNK), 0
        start = self._input_used
        self._input_used += self.DEFLATE64_FEED
        return self._input[start : self._input_used]

    def _take_input(self, size: int) -> bytes:
        size = min(size, self._compressed_left)
        if size <= 0:
            return b""
        data = self._read_raw(self._position, size)
        if len(data) < size:
            raise _EntryError("compressed data runs past the end of the archive (truncated)")
        self._position += size
        self._compressed_left -= size
        return data

    def _finish(self, *, stream_ended: bool) -> None:
        self._finished = True
        if not stream_ended:
            raise _EntryError("compressed data ends early (truncated)")
        if self._produced != self._info.file_size:
            raise _EntryError(f"data ends after {self._produced} of {self._info.file_size} bytes")
        if self._crc != self._info.CRC:
            raise _EntryError(f"CRC-32 is {self._crc:08x}, the directory says {self._info.CRC:08x}")


class _EntrySource:
    """An elf.Source over a zip entry: random reads by decompressing forward, restarting to go back."""

    def __init__(self, file: BinaryIO, info: zipfile.ZipInfo) -> None:
        self._file = file
        self._info = info
        self._reader: _EntryReader | None = None
        self._offset = 0

    @property
    def size(self) -> int:
        return self._info.file_size

    def read_at(self, offset: int, length: int) -> bytes:
        if offset + length > READ_CAP:
            raise ElfError(f"reading past {_mib(READ_CAP)} of the entry, gobuild's limit")
        check_range(offset, length, self.size)
        if self._reader is None or offset < self._offset:
            self._reader, self._offset = _EntryReader(self._file, self._info), 0
        self._reader.skip(offset - self._offset)
        data = self._reader.read_exactly(length)
        self._offset = offset + length
        return data


# ---------------------------------------------------------------------------------------------
# Small helpers.


def _last_named(infos: Iterable[zipfile.ZipInfo], name: str) -> zipfile.ZipInfo | None:
    # With duplicates, the last copy is the one an extracting tool leaves behind.
    found = None
    for info in infos:
        if info.filename == name:
            found = info
    return found


def _is_dir(info: zipfile.ZipInfo) -> bool:
    # ZipInfo.is_dir() fails on an empty name, which a damaged directory can hold.
    return info.filename.endswith("/")


def _has_unix_mode(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3


def _mode(info: zipfile.ZipInfo) -> int:
    return info.external_attr >> 16


def _is_encrypted(info: zipfile.ZipInfo) -> bool:
    return bool(info.flag_bits & 0x1) or info.compress_type == AES_ENCRYPTED


def _readable(info: zipfile.ZipInfo) -> bool:
    return not _is_encrypted(info) and info.compress_type in (STORED, DEFLATED, DEFLATE64)


def _method_name(method: int) -> str:
    name = METHOD_NAMES.get(method, "an unknown method")
    return f"{name} (method {method})"


def _escapes_root(name: str) -> bool:
    path = name.replace("\\", "/")
    return path.startswith("/") or bool(re.match(r"[A-Za-z]:", path)) or ".." in path.split("/")


def _basename(name: str) -> str:
    return name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _describe_non_elf(head: bytes) -> str:
    if head[:2] == b"MZ":
        return "a Windows (PE) executable"
    if head[:4] in (
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
    ):
        return "a macOS (Mach-O) executable"
    if head[:4] == b"\xca\xfe\xba\xbe":
        return "a macOS universal (Mach-O) executable"
    if head[:4] == b"PK\x03\x04":
        return "a zip archive (a zip inside the zip?)"
    if head[:2] == b"\x1f\x8b":
        return "gzip-compressed data"
    return f"unrecognised data (starts with {head[:8].hex(' ')})"


def _lambda_arch(goarch: str) -> str:
    found = Arch.parse(goarch)
    return found.lambda_name if found else goarch


def _display(text: str) -> str:
    """Text safe to show: control characters escaped (zip names come from anyone), length capped."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:200])
    return shown + ("…" if len(text) > 200 else "")


def _list(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(_display(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"


def _reason(error: BaseException) -> str:
    if isinstance(error, zipfile.BadZipFile) and str(error) == "File is not a zip file":
        return "no end-of-central-directory record (not a zip, or truncated)"
    text = str(error) or type(error).__name__
    return _display(text.splitlines()[0] if text.strip() else type(error).__name__)
