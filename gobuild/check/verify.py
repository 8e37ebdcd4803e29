"""Checks that a zip would run on AWS Lambda's provided.al2023 runtime, without extracting it.

Public API:

    verify_zip(path, *, arch=None) -> Report          a zip file on disk
    verify_bytes(data, *, arch=None, name=...) -> Report   the same for bytes in memory
    verify_paths(paths, *, arch=None) -> [Report]     what `gobuild verify` runs
    judge_zip(path_or_bytes, arch=None) -> Report     either; what the cache calls
    Report.findings / has_errors / failed(strict=) / arch / go_version / to_dict()
    Report.build_info    the bootstrap's Go build information (BuildInfo) or None
    Finding(code, severity, message, fix, entry)    one problem or fact; code is stable
    CODES                code → (severity, title) for every finding gobuild emits

`arch` is any spelling of the function's architecture (amd64, x86_64, arm64, aarch64): the
bootstrap must match it. Without it the bootstrap's architecture is reported but not judged,
except that Lambda runs only those two.

Any input, including random or truncated bytes and zip bombs, yields a Report and never an
exception (a path that is not a regular file is refused unread, as a UsageError). The archive
is judged by gobuild.check.archive, the verdict repack, invoke and the cache share; then
bootstrap by gobuild.check.bootstrap and gobuild.check.binary. Work is bounded: see
gobuild.check.zipread for the reader's limits.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from gobuild.check.archive import judge_archive, unreadable
from gobuild.check.binary import AL2023_LOADERS
from gobuild.check.bootstrap import judge_bootstrap
from gobuild.check.findings import CODES, MAX_PER_CODE, Finding, FindingList, Report
from gobuild.check.zipentry import READ_CAP
from gobuild.check.zipread import NotRegularFile, bytes_file, open_zip
from gobuild.errors import UsageError
from gobuild.files import describe_mode
from gobuild.lambda_facts import ZIPPED_LIMIT, require_arch

__all__ = [
    "AL2023_LOADERS", "CODES", "MAX_PER_CODE", "READ_CAP", "ZIPPED_LIMIT", "Finding", "Report",
    "judge_zip", "verify_bytes", "verify_paths", "verify_zip",
]  # fmt: skip


def verify_zip(path: Path, *, arch: str | None = None) -> Report:
    """Verifies the zip at `path` for Lambda. Never raises for bad content; see module doc.

    Raises UsageError when `arch` is no spelling of amd64 or arm64, and NotRegularFile (a
    UsageError) when `path` is a directory, FIFO, device or socket (without reading it).
    """
    goarch = _goarch(arch)
    try:
        file, size = open_zip(path)
    except OSError as error:
        return Report(archive=str(path), findings=(unreadable(path, error),))
    with file:
        try:
            return _verify(file, size, archive=str(path), arch=goarch)
        except OSError as error:  # the file became unreadable while it was read (an I/O error)
            return Report(archive=str(path), findings=(unreadable(path, error),))


def verify_paths(paths: list[Path], *, arch: str | None = None) -> list[Report]:
    """Verifies each zip, after checking that every path names a regular file (so a typo or a
    FIFO late in the list stops the run before any work): UsageError otherwise."""
    goarch = _goarch(arch)
    for path in paths:
        require_regular(path)
    return [verify_zip(path, arch=goarch) for path in paths]


def require_regular(path: Path) -> None:
    """Raises UsageError unless `path` names an existing regular file; reads nothing."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror or error}") from None
    if not stat.S_ISREG(mode):
        raise NotRegularFile(f"{path} is {describe_mode(mode)}, not a zip file")


def verify_bytes(data: bytes, *, arch: str | None = None, name: str = "<bytes>") -> Report:
    """Verifies a zip held in memory; `name` is what the report calls it."""
    return _verify(bytes_file(data), len(data), archive=name, arch=_goarch(arch))


def judge_zip(source: Path | bytes, arch: str | None = None, *, name: str | None = None) -> Report:
    """The whole verdict on a zip file or bytes, for callers that decide whether to ship it (the
    cache): refuse it when `has_errors`; `build_info` is its bootstrap's Go build information.
    Costs one pass over the data (every entry is decompressed once to check its CRC)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return verify_bytes(bytes(source), arch=arch, name=name or "<bytes>")
    return verify_zip(source, arch=arch)


def _goarch(arch: str | None) -> str | None:
    return require_arch(arch) if arch is not None else None


def _verify(file: BinaryIO, size: int, *, archive: str, arch: str | None) -> Report:
    findings = FindingList()
    inflated: dict[int, bytes] = {}
    directory = judge_archive(file, size, findings, keep=inflated)
    if directory is None:
        return Report(archive=archive, findings=findings.result())
    if not directory.entries:
        findings.add("GB003", "the archive is empty: it has no entries (some deployment tools upload "
                     "an empty zip as a placeholder and replace it later)",
                     fix="deploy the zip gobuild build writes")
        return Report(archive=archive, findings=findings.result())
    learned = judge_bootstrap(file, directory, findings, arch, inflated)
    return Report(archive=archive, findings=findings.result(), arch=learned.arch,
                  go_version=learned.go_version, build_info=learned.build_info)
