"""`gobuild repack`: turns a go1.x artifact into provided.al2023 zips without the source.

A go1.x zip holds one or more Go binaries named after their handlers (possibly Deflate64-
compressed, as some Windows tools write them). Repack stores the chosen binary as
`bootstrap` with the same reproducible rules as `gobuild build`, keeps the archive's other
regular files (configuration, certificates) and drops the other binaries. Before writing,
the new archive goes through `gobuild verify`: an aws-lambda-go older than v1.18.0 cannot
talk to the Runtime API, so such a binary is refused with the rebuild advice; information
findings (no lambda.norpc, say) are passed on.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gobuild.build.package import (
    DOS_EPOCH,
    MODE_EXECUTABLE,
    MODE_REGULAR,
    ZipEntry,
    write_zip,
    zip_bytes,
)
from gobuild.check.elf import is_elf
from gobuild.check.verify import Finding, read_entry, verify_bytes
from gobuild.errors import UsageError, VerifyError
from gobuild.lambda_facts import UNZIPPED_LIMIT, artifact_name


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


def repack(source: Path, *, handlers: Sequence[str] = (), every: bool = False, arch: str | None = None,
           output: Path | None = None, epoch: int = DOS_EPOCH) -> tuple[Repacked, ...]:
    """Repacks the named handler binaries (or all with `every`) of a go1.x zip; see module doc."""
    entries = _read(source)
    binaries = {name: data for name, (data, _) in entries.items() if is_elf(data[:4])}
    if not binaries:
        raise VerifyError(f"{source}: holds no Linux binary (ELF) to repack")
    chosen = _choose(source, binaries, handlers, every)
    others = [ZipEntry(name=name, data=data, mode=mode) for name, (data, mode) in entries.items()
              if name not in binaries]
    results = []
    for name in chosen:
        handler = PurePosixPath(name).name
        archive = [ZipEntry(name="bootstrap", data=binaries[name], mode=MODE_EXECUTABLE), *others]
        data = zip_bytes(archive, epoch=epoch)
        report = verify_bytes(data, arch=arch, name=f"{source}:{name}")
        if report.has_errors:
            first = report.errors[0]
            raise VerifyError(f"{source}: {name}: {first.message}", hint=first.fix or None)
        dest = _destination(source, output, handler, report.arch or "unknown", every)
        written = write_zip(dest, archive, epoch=epoch)
        notes = tuple(f for f in report.findings if f.severity in ("info", "warning") and f.code != "GB208")
        results.append(Repacked(handler=handler, arch=report.arch or "unknown", path=written.path,
                                size=written.size, sha256=written.sha256, code_sha256=written.code_sha256,
                                notes=notes))
    return tuple(results)


def _read(source: Path) -> dict[str, tuple[bytes, int]]:
    """Regular-file entries of the old zip: name → (bytes, 0755 or 0644); refuses unsafe archives.

    Entries are read by verify's bounded reader: never more than an entry declares, so a
    lying Deflate64 stream cannot inflate past Lambda's limit.
    """
    try:
        with open(source, "rb") as handle, zipfile.ZipFile(handle) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            if sum(i.file_size for i in infos) > UNZIPPED_LIMIT:
                raise VerifyError(f"{source}: unzips to more than Lambda's 250 MiB")
            result: dict[str, tuple[bytes, int]] = {}
            for info in infos:
                name = info.filename
                path = PurePosixPath(name)
                if path.is_absolute() or ".." in path.parts or "\\" in name:
                    raise VerifyError(f"{source}: entry {name!r} escapes the archive root")
                mode = (info.external_attr >> 16) if info.create_system == 3 else 0
                if mode and (mode & 0o170000) not in (0, 0o100000):
                    continue  # symlinks and special files are not carried over
                if name in result:
                    raise VerifyError(f"{source}: entry {name!r} appears twice")
                try:
                    data = read_entry(handle, info)
                except ValueError as error:
                    raise VerifyError(f"{source}: cannot read entry {name!r}: {error}",
                                      hint="check the file with `gobuild verify`") from None
                result[name] = (data, MODE_EXECUTABLE if (mode & 0o111 or is_elf(data[:4])) else MODE_REGULAR)
            return result
    except FileNotFoundError:
        raise UsageError(f"{source}: no such file") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise VerifyError(f"{source}: cannot read the archive: {error}",
                          hint="check the file with `gobuild verify`") from None


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
