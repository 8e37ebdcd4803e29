"""An archive's own verdict, before anyone looks at bootstrap: the one judgment that verify,
repack, invoke's extraction and the cache share, so they accept and refuse the same zips.

    judge_archive(file, size, findings, integrity=True) -> Directory | None
    refusal(findings) -> Finding | None      the first error: why the archive is refused
    ArchiveRefused(label, finding)           the VerifyError that carries it
    read_files(path_or_bytes) -> (StoredFile, ...)   the regular files of an accepted archive

Findings here: GB001 (unreadable), GB002 (corrupt), GB004 (over 50 MiB), GB005 (over 250 MiB
unzipped), GB104/GB107-GB114 (unsafe or unextractable paths, encryption, methods) as errors,
and GB006/GB115-GB117 as warnings. An empty archive is fine here: there is nothing to refuse,
only nothing to run (verify's GB003).
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from gobuild.check.findings import Finding, FindingList, display, finding, mib
from gobuild.check.structure import check_integrity, corrupt, judge_structure, lint_structure
from gobuild.check.zipentry import EntryError, read_entry
from gobuild.check.zipread import Directory, ZipFormatError, bytes_file, open_zip, read_directory
from gobuild.errors import VerifyError
from gobuild.lambda_facts import ZIPPED_LIMIT


class ArchiveRefused(VerifyError):
    """An archive has a problem that makes it unusable; `finding` is the first one."""

    def __init__(self, label: str, finding: Finding) -> None:
        super().__init__(f"{label}: {finding.message}", hint=finding.fix or None)
        self.finding = finding


def judge_archive(file: BinaryIO, size: int, findings: FindingList, *, integrity: bool = True,
                  keep: dict[int, bytes] | None = None) -> Directory | None:
    """Reads and judges the archive; returns its directory, or None when it is unreadable.
    Without `integrity` the entries are not decompressed (an extractor checks them as it goes);
    with `keep`, bootstrap's checked bytes are left there (see check_integrity)."""
    if size > ZIPPED_LIMIT:
        findings.add(
            "GB004",
            f"the zip is {mib(size)}; Lambda accepts at most {mib(ZIPPED_LIMIT)} uploaded directly",
            fix="upload it through S3 (gobuild publish), or shrink the binary "
            "(-ldflags='-s -w', -tags lambda.norpc)",
        )
    try:
        directory = read_directory(file, size)
    except ZipFormatError as error:
        findings.add("GB001", f"not a readable zip archive: {display(str(error))}",
                     fix="the file is truncated or damaged: rebuild it with gobuild build, or download it again")
        return None
    within_limit = judge_structure(file, directory, findings)
    lint_structure(directory, findings)
    if integrity and within_limit:
        check_integrity(file, directory, findings, keep)
    return directory


def accepted(file: BinaryIO, size: int, label: str) -> Directory:
    """The archive's directory when its judgment (without decompressing) accepts it, for readers
    that check each entry as they go; ArchiveRefused with the first problem otherwise."""
    findings = FindingList()
    directory = judge_archive(file, size, findings, integrity=False)
    problem = refusal(findings)
    if problem is not None or directory is None:
        raise ArchiveRefused(label, problem or unreadable(label, OSError("unreadable")))
    return directory


def refusal(findings: FindingList) -> Finding | None:
    """The first error finding, or None when the archive may be used."""
    errors = findings.errors
    return errors[0] if errors else None


def unreadable(path: object, error: OSError) -> Finding:
    """The GB001 finding for a path that cannot be opened or read."""
    return finding("GB001", f"cannot read {path}: {error.strerror or error}", fix="check the path")


@dataclass(frozen=True, kw_only=True)
class StoredFile:
    """A regular file of a zip: its path, permission bits, modification time and bytes."""

    path: str
    mode: int  # permission bits only: 0o755 and 0o644 in gobuild's zips; 0o644 when none were recorded
    epoch: int  # seconds since 1970, from the DOS time read as UTC
    data: bytes


def read_files(source: Path | bytes, *, name: str = "<bytes>") -> tuple[StoredFile, ...]:
    """The regular files of a zip (folders and symlinks left out), in directory order, read through
    the bounded reader after the archive judgment accepts it; ArchiveRefused otherwise. For callers
    that recompute what a zip holds (the cache's entries digest); at most 250 MiB in memory."""
    label = str(source) if isinstance(source, Path) else name
    if isinstance(source, Path):
        try:
            file, size = open_zip(source)
        except OSError as error:
            raise ArchiveRefused(label, unreadable(source, error)) from None
    else:
        file, size = bytes_file(source), len(source)
    with file:
        directory = accepted(file, size, label)
        files = []
        for entry in directory.entries:
            if entry.is_dir or entry.is_symlink:
                continue
            try:
                data = read_entry(file, entry)
            except EntryError as error:
                raise ArchiveRefused(label, corrupt(entry, error)) from None
            files.append(StoredFile(path=entry.path, mode=stat.S_IMODE(entry.unix_mode) or 0o644,
                                    epoch=entry.epoch, data=data))
        return tuple(files)
