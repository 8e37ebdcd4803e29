"""An archive's own verdict, before anyone looks at bootstrap: the one judgment that verify,
repack, invoke's extraction and the cache share, so they accept and refuse the same zips.

    judge_archive(file, size, findings, integrity=True) -> Directory | None
    refusal(findings) -> Finding | None      the first error: why the archive is refused
    ArchiveRefused(label, finding)           the VerifyError that carries it

Findings here: GB001 (unreadable), GB002 (corrupt), GB004 (over 50 MiB), GB005 (over 250 MiB
unzipped), GB104/GB107-GB114 (unsafe or unextractable paths, encryption, methods) as errors,
and GB006/GB115-GB117 as warnings. An empty archive is fine here: there is nothing to refuse,
only nothing to run (verify's GB003).
"""

from __future__ import annotations

from typing import BinaryIO

from gobuild.check.findings import Finding, FindingList, display, finding, mib
from gobuild.check.structure import check_integrity, judge_structure, lint_structure
from gobuild.check.zipread import Directory, ZipFormatError, read_directory
from gobuild.errors import VerifyError
from gobuild.lambda_facts import ZIPPED_LIMIT


class ArchiveRefused(VerifyError):
    """An archive has a problem that makes it unusable; `finding` is the first one."""

    def __init__(self, label: str, finding: Finding) -> None:
        super().__init__(f"{label}: {finding.message}", hint=finding.fix or None)
        self.finding = finding


def judge_archive(file: BinaryIO, size: int, findings: FindingList, *, integrity: bool = True) -> Directory | None:
    """Reads and judges the archive; returns its directory, or None when it is unreadable.
    Without `integrity` the entries are not decompressed (an extractor checks them as it goes)."""
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
        check_integrity(file, directory, findings)
    return directory


def refusal(findings: FindingList) -> Finding | None:
    """The first error finding, or None when the archive may be used."""
    errors = findings.errors
    return errors[0] if errors else None


def unreadable(path: object, error: OSError) -> Finding:
    """The GB001 finding for a path that cannot be opened or read."""
    return finding("GB001", f"cannot read {path}: {error.strerror or error}", fix="check the path")
