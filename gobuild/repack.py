"""`gobuild repack`: turns a go1.x artifact into provided.al2023 zips without the source.

A go1.x zip holds one or more Go binaries named after their handlers (possibly Deflate64-
compressed, as some Windows tools write them). Repack stores the chosen binary as
`bootstrap` with the same reproducible rules as `gobuild build`, keeps the archive's other
regular files (configuration, certificates) and drops the other binaries.

The old zip is judged as `gobuild verify` judges any archive (gobuild.check.archive) and
refused for the same problems, with one intended difference: Deflate64 entries are read, since
converting such zips is what repack is for. Every new archive then goes through verify before
anything is written: an aws-lambda-go older than v1.18.0 cannot talk to the Runtime API, so
such a binary is refused with the rebuild advice; information findings (no lambda.norpc, say)
are passed on. Nothing is written unless every requested zip passes and no two would land on
the same path.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gobuild.build.package import (
    DOS_EPOCH,
    MODE_EXECUTABLE,
    MODE_REGULAR,
    ZipEntry,
    ZipWriteError,
    store_zip,
    zip_bytes,
)
from gobuild.check import zipformat as zf
from gobuild.check.archive import ArchiveRefused, judge_archive, unreadable
from gobuild.check.elf import is_elf
from gobuild.check.findings import Finding, FindingList, display
from gobuild.check.verify import Report, verify_bytes
from gobuild.check.zipentry import EntryError, read_entry
from gobuild.check.zipread import Directory, Entry, open_zip
from gobuild.errors import UsageError, VerifyError
from gobuild.lambda_facts import BOOTSTRAP, artifact_name


@dataclass(frozen=True, kw_only=True)
class Repacked:
    """One new zip: which binary it holds, where it is, and what verify said about it."""

    handler: str
    arch: str
    path: Path
    size: int
    sha256: str
    code_sha256: str
    notes: tuple[Finding, ...]


@dataclass(frozen=True, kw_only=True)
class _Plan:
    binary: str
    handler: str
    dest: Path
    data: bytes
    report: Report


def repack(source: Path, *, handlers: Sequence[str] = (), every: bool = False, arch: str | None = None,
           output: Path | None = None, epoch: int = DOS_EPOCH) -> tuple[Repacked, ...]:
    """Repacks the named handler binaries (or all with `every`) of a go1.x zip; see module doc."""
    entries = _read(source)
    binaries = {name: data for name, (data, _) in entries.items() if is_elf(data[:4])}
    if not binaries:
        raise VerifyError(f"{source}: holds no Linux binary (ELF) to repack")
    others = [ZipEntry(name=name, data=data, mode=mode) for name, (data, mode) in entries.items()
              if name not in binaries]
    if any(e.name == BOOTSTRAP for e in others):
        raise UsageError(f"{source} already has a bootstrap that is not a Linux binary (a script?) beside "
                         f"{', '.join(sorted(binaries))}; a provided.al2023 zip holds one bootstrap",
                         hint="if the script starts the binary, the zip may already suit provided.al2023: "
                         "check it with gobuild verify; otherwise remove the script and repack")
    plans = [_plan(source, name, others, binaries[name], arch, output, every, epoch)
             for name in _choose(source, binaries, handlers, every)]
    _refuse_shared_destinations(source, plans)
    results = []
    for plan in plans:
        written = store_zip(plan.dest, plan.data)
        notes = tuple(f for f in plan.report.findings if f.severity in ("info", "warning") and f.code != "GB208")
        results.append(Repacked(handler=plan.handler, arch=plan.report.arch or "unknown", path=written.path,
                                size=written.size, sha256=written.sha256, code_sha256=written.code_sha256,
                                notes=notes))
    return tuple(results)


def _plan(source: Path, name: str, others: list[ZipEntry], binary: bytes, arch: str | None,
          output: Path | None, every: bool, epoch: int) -> _Plan:
    """The new zip for one binary, built in memory and verified."""
    handler = PurePosixPath(name).name
    try:
        data = zip_bytes([ZipEntry(name=BOOTSTRAP, data=binary, mode=MODE_EXECUTABLE), *others], epoch=epoch)
    except ZipWriteError as error:
        raise VerifyError(f"{source}: {name}: {error.message}", hint="the old zip's other files go into the new "
                          "zip beside bootstrap: move or remove the ones in the way, then repack") from None
    report = verify_bytes(data, arch=arch, name=f"{source}:{name}")
    if report.has_errors:
        first = report.errors[0]
        raise VerifyError(f"{source}: {name}: {first.message}", hint=first.fix or None)
    dest = _destination(source, output, handler, report.arch or "unknown", every)
    return _Plan(binary=name, handler=handler, dest=dest, data=data, report=report)


def _refuse_shared_destinations(source: Path, plans: list[_Plan]) -> None:
    """Two binaries written to one path would lose one of them: refused before writing any."""
    seen: dict[str, str] = {}
    for plan in plans:
        key = os.path.abspath(plan.dest)
        first = seen.setdefault(key, plan.binary)
        if first != plan.binary:
            raise UsageError(f"{source}: {first} and {plan.binary} would both be written to {plan.dest}",
                             hint="repack them one at a time: --handler NAME -o NEW.zip")


def _read(source: Path) -> dict[str, tuple[bytes, int]]:
    """Regular-file entries of the old zip: path → (bytes, 0755 or 0644); refuses what verify
    refuses about the archive itself, except Deflate64. Entries are read by the bounded reader:
    never more than an entry declares, so a lying Deflate64 stream cannot inflate past it."""
    try:
        file, size = open_zip(source)
    except FileNotFoundError:
        raise UsageError(f"{source}: no such file") from None
    except OSError as error:
        raise ArchiveRefused(str(source), unreadable(source, error)) from None
    with file:
        findings = FindingList()
        directory = judge_archive(file, size, findings)
        problem = _problem(findings, directory)
        if problem is not None or directory is None:
            raise ArchiveRefused(str(source), problem or unreadable(source, OSError("unreadable")))
        result: dict[str, tuple[bytes, int]] = {}
        for entry in directory.entries:
            if entry.is_dir or entry.is_symlink or _file_type(entry) not in (0, zf.S_IFREG):
                continue  # folders are implied; symlinks and special files are not carried over
            try:
                data = read_entry(file, entry)
            except EntryError as error:
                raise VerifyError(f"{source}: cannot read entry {display(entry.name)}: {error}",
                                  hint="check the file with `gobuild verify`") from None
            executable = entry.unix_mode & 0o111 or is_elf(data[:4])
            result[entry.path] = (data, MODE_EXECUTABLE if executable else MODE_REGULAR)
        return result


def _file_type(entry: Entry) -> int:
    """The file type bits of an entry's Unix mode (0 when it has none)."""
    return entry.unix_mode & zf.S_IFMT


def _problem(findings: FindingList, directory: Directory | None) -> Finding | None:
    """The first error verify's archive judgment found, leaving out Deflate64 (repack reads it)."""
    deflate64 = {display(e.name) for e in directory.entries if e.method == zf.DEFLATE64} if directory else set()
    for found in findings.errors:
        if not (found.code == "GB110" and found.entry in deflate64):
            return found
    return None


def _choose(source: Path, binaries: dict[str, bytes], handlers: Sequence[str], every: bool) -> list[str]:
    if every:
        return sorted(binaries)
    if not handlers:
        if len(binaries) == 1:
            return list(binaries)
        raise UsageError(f"{source} holds {len(binaries)} binaries: {', '.join(sorted(binaries))}",
                         hint="name one with --handler, or repack each with --all")
    chosen = []
    for handler in handlers:
        matches = [n for n in binaries if n == handler or PurePosixPath(n).name == handler]
        if len(matches) != 1:
            raise UsageError(f"{source}: no single binary named {handler!r}",
                             hint=f"binaries in it: {', '.join(sorted(binaries))}")
        chosen.append(matches[0])
    return chosen


def _destination(source: Path, output: Path | None, handler: str, arch: str, every: bool) -> Path:
    name = artifact_name(handler, arch)
    if output is None:
        return source.parent / name
    if every or output.is_dir():
        return output / name
    return output
