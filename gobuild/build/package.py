"""Deterministic zip writer: the same entries always give the same bytes.

Every entry has a fixed timestamp, Unix "made by" attributes (so the mode survives on
Lambda whatever OS wrote the zip), no extra fields, and entries are sorted by name.
Deflate comes from libdeflate (the `deflate` package): smaller than zlib level 9 and
several times faster. The result is a plain Deflate zip that every reader opens.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import deflate

from gobuild.check import zipformat as zf
from gobuild.errors import GobuildError
from gobuild.files import write_atomic

# libdeflate level 7 beats zlib level 9 in both size and time on Go binaries (see bench/).
DEFLATE_LEVEL = 7
# What decides the compressed bytes: a libdeflate release may compress the same input to other
# bytes, so the `deflate` package is pinned (pyproject.toml), and this is part of every fingerprint:
# a zip made by another compressor is made again, never kept as if current.
COMPRESSOR = f"libdeflate level {DEFLATE_LEVEL} (deflate {deflate.__version__})"
DOS_EPOCH = 315532800  # 1980-01-01 00:00:00 UTC, the earliest time a zip can hold.
MAX_ENTRY_SIZE = zf.MAX_32  # no Zip64: Lambda's 250 MB limit is far below it.
MODE_EXECUTABLE = 0o755
MODE_REGULAR = 0o644
_UNIX_MADE_BY = (zf.UNIX << 8) | zf.VERSION_DEFLATE  # creator system Unix, zip spec 2.0


class ZipWriteError(GobuildError, ValueError):
    """The entries cannot make a plain zip that every unzipper (and Lambda) lays out as a folder."""


@dataclass(frozen=True, kw_only=True)
class ZipEntry:
    """One file to store: its name in the archive, its bytes and its Unix mode."""

    name: str
    data: bytes
    mode: int = MODE_REGULAR


@dataclass(frozen=True, kw_only=True)
class ZipFile:
    """A zip written to disk and the digests Lambda and S3 will report for it."""

    path: Path
    size: int
    sha256: str
    code_sha256: str


def code_sha256(digest: bytes) -> str:
    """Lambda's CodeSha256: base64 of the raw SHA-256 digest."""
    return base64.b64encode(digest).decode("ascii")


def contents_digest(entries: Iterable[tuple[str, int, bytes]], epoch: int) -> str:
    """What a zip's bytes are a function of: each entry's name, mode and SHA-256 (raw digest of
    its data), and the timestamp. Equal digests mean the writer produces equal zips."""
    digest = hashlib.sha256(str(epoch).encode())
    for name, mode, data_sha256 in sorted(entries, key=lambda e: e[0]):
        digest.update(f"\n{name}\0{mode:o}\0".encode() + data_sha256)
    return digest.hexdigest()


def zip_timestamp(environ: dict[str, str] | None = None) -> int:
    """The fixed time for every entry: SOURCE_DATE_EPOCH clamped to 1980, else 1980-01-01."""
    value = (environ if environ is not None else os.environ).get("SOURCE_DATE_EPOCH", "")
    try:
        epoch = int(value)
    except ValueError:
        return DOS_EPOCH
    return max(epoch, DOS_EPOCH)


def dos_datetime(epoch: int) -> tuple[int, int]:
    """The (time, date) pair every entry gets: `epoch` in UTC, to DOS's 2-second resolution."""
    # DOS time has no zone: write UTC so TZ never changes the bytes.
    import time

    t = time.gmtime(min(epoch, 4354819199))  # 2107-12-31 is the last DOS date
    dos_time = (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2)
    dos_date = ((t.tm_year - 1980) << 9) | (t.tm_mon << 5) | t.tm_mday
    return dos_time, dos_date


def check_names(names: Sequence[str]) -> None:
    """Raises ZipWriteError unless every name is a plain relative path that extracts on its own:
    no duplicates, and no file that is also a folder of another (bootstrap and bootstrap/x)."""
    if len(names) > zf.MAX_ENTRIES:
        raise ZipWriteError(f"{len(names):,} entries: more than a zip without Zip64 holds "
                            f"({zf.MAX_ENTRIES:,}); a Lambda zip never needs that many")
    if len(set(names)) != len(names):
        raise ZipWriteError(f"duplicate entry names in {sorted(names)[:20]}")
    files = set()
    for name in names:
        parts = name.split("/")
        if not name or "\x00" in name or "\\" in name or any(p in ("", ".", "..") for p in parts):
            raise ZipWriteError(f"entry name {name!r} is not a plain relative path (a/b/c)")
        files.add(name)
    for name in names:
        parts = name.split("/")
        for depth in range(1, len(parts)):
            if "/".join(parts[:depth]) in files:
                raise ZipWriteError(f"{'/'.join(parts[:depth])} is a file, and also a folder of {name}: "
                                    "no unzipper can extract both", hint="rename the file or the folder")


def zip_bytes(entries: Sequence[ZipEntry], *, epoch: int = DOS_EPOCH) -> bytes:
    """Builds the whole archive in memory; entries are sorted by name. Raises ZipWriteError (a
    ValueError) for names check_names refuses and for sizes a plain zip cannot hold."""
    check_names([e.name for e in entries])
    dos_time, dos_date = dos_datetime(epoch)
    body = bytearray()
    central = bytearray()
    for entry in sorted(entries, key=lambda e: e.name):
        if len(entry.data) > MAX_ENTRY_SIZE:
            raise ZipWriteError(f"{entry.name}: {len(entry.data)} bytes is too large for a Lambda zip")
        name = entry.name.encode("utf-8")
        flags = 0 if name.isascii() else zf.FLAG_UTF8
        crc = zlib.crc32(entry.data)
        packed = deflate.deflate_compress(entry.data, DEFLATE_LEVEL) if entry.data else b""
        method = zf.DEFLATED
        if len(packed) >= len(entry.data):
            packed, method = entry.data, zf.STORED  # stored: nothing to gain
        fields = (zf.VERSION_DEFLATE, flags, method, dos_time, dos_date, crc, len(packed), len(entry.data))
        offset = len(body)
        if offset > zf.MAX_32:
            raise ZipWriteError(f"{entry.name}: the archive passes 4 GiB, which needs Zip64")
        body += struct.pack("<4sHHHHHIIIHH", zf.LOCAL_SIGNATURE, *fields, len(name), 0) + name + packed
        attrs = (zf.S_IFREG | entry.mode) << 16
        central += struct.pack(
            "<4sHHHHHHIIIHHHHHII", zf.CENTRAL_SIGNATURE, _UNIX_MADE_BY, *fields, len(name), 0, 0, 0, 0, attrs,
            offset,
        ) + name
    count = len(entries)
    if len(body) > zf.MAX_32:
        raise ZipWriteError("the archive passes 4 GiB, which needs Zip64; a Lambda zip is at most 250 MiB")
    end = struct.pack("<4sHHHHIIH", zf.END_SIGNATURE, 0, 0, count, count, len(central), len(body), 0)
    return b"".join((body, central, end))  # one copy of the compressed data, not two


def write_zip(dest: Path, entries: Sequence[ZipEntry], *, epoch: int = DOS_EPOCH) -> ZipFile:
    """Writes a reproducible zip atomically and returns its size and digests."""
    return store_zip(dest, zip_bytes(entries, epoch=epoch))


def store_zip(dest: Path, data: bytes) -> ZipFile:
    """Writes zip bytes (from zip_bytes) atomically and returns their size and digests."""
    write_atomic(dest, data)
    digest = hashlib.sha256(data).digest()
    return ZipFile(path=dest, size=len(data), sha256=digest.hex(), code_sha256=code_sha256(digest))


def file_mode(path: Path) -> int:
    """0755 for an executable file, 0644 otherwise: the only two modes a zip entry gets."""
    return MODE_EXECUTABLE if os.stat(path).st_mode & 0o111 else MODE_REGULAR
