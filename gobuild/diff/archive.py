"""Reading two zips without extracting them, and what differs between them as archives.

Zips are read through Python's zipfile over bytes already in memory, with explicit caps: the
entries' declared sizes must add up to at most MAX_UNZIPPED (Lambda's unzipped limit plus a
margin), an entry is inflated only up to its declared size, and its CRC is checked. Any damage
is a DiffInputError (exit 2) naming the zip and the entry.
"""

from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass

import deflate

from gobuild.diff.model import Difference, DiffInputError
from gobuild.lambda_facts import MIB, UNZIPPED_LIMIT

MAX_UNZIPPED = UNZIPPED_LIMIT + MIB
MAX_ENTRIES = 65535  # a zip without zip64 holds at most this many
LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
LOCAL_SIGNATURE = 0x04034B50
UNIX = 3
ENCRYPTED = 0x1  # general purpose flag bit 0
METHOD_NAMES = {
    0: "stored", 8: "deflate", 9: "deflate64", 12: "bzip2", 14: "lzma", 93: "zstandard", 95: "xz", 98: "ppmd",
}  # fmt: skip
EXTRA_NAMES = {
    0x0001: "zip64", 0x000A: "NTFS times", 0x5455: "UT extended timestamp", 0x7875: "ux Unix uid/gid",
    0x5855: "UX Unix (old)", 0x7855: "Ux Unix uid/gid (old)", 0xCAFE: "jar marker", 0xD935: "Android alignment",
}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One entry's central directory record, and where its compressed bytes are."""

    name: str
    index: int  # position in the central directory
    create_system: int
    mode: int | None  # Unix st_mode bits (type and permissions), None when not made on Unix
    date_time: tuple[int, int, int, int, int, int]
    method: int
    flag_bits: int
    create_version: int
    extract_version: int
    internal_attr: int
    external_attr: int
    extra: bytes
    comment: bytes
    crc: int
    compressed_size: int
    file_size: int
    data_offset: int  # where the compressed bytes start in the zip


class Archive:
    """A zip held in memory: its entries in order, their raw and inflated bytes on demand."""

    def __init__(self, data: bytes, label: str) -> None:
        self.data = data
        self.label = label
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error) as error:
            raise DiffInputError(f"{label}: not a readable zip ({error})",
                                 hint="download or build it again") from None
        if len(infos) > MAX_ENTRIES:
            raise DiffInputError(f"{label}: {len(infos)} entries, more than a zip without zip64 holds")
        declared = sum(info.file_size for info in infos)
        if declared > MAX_UNZIPPED:
            raise DiffInputError(f"{label}: entries add up to {declared} bytes unzipped, "
                                 f"more than the {MAX_UNZIPPED}-byte limit (Lambda allows {UNZIPPED_LIMIT})")
        self.comment: bytes = self._zip.comment
        self._infos = infos
        self.entries: tuple[Entry, ...] = tuple(self._entry(index, info) for index, info in enumerate(infos))
        self._contents: dict[int, bytes] = {}

    def _entry(self, index: int, info: zipfile.ZipInfo) -> Entry:
        mode = info.external_attr >> 16 if info.create_system == UNIX else None
        return Entry(
            name=info.filename, index=index, create_system=info.create_system, mode=mode,
            date_time=info.date_time, method=info.compress_type, flag_bits=info.flag_bits,
            create_version=info.create_version, extract_version=info.extract_version,
            internal_attr=info.internal_attr, external_attr=info.external_attr, extra=info.extra,
            comment=info.comment, crc=info.CRC, compressed_size=info.compress_size, file_size=info.file_size,
            data_offset=self._data_offset(info),
        )  # fmt: skip

    def _data_offset(self, info: zipfile.ZipInfo) -> int:
        at = info.header_offset
        if at < 0 or at + LOCAL_HEADER.size > len(self.data):
            raise DiffInputError(f"{self.label}: {info.filename}: local header beyond the end of the zip")
        fields = LOCAL_HEADER.unpack_from(self.data, at)
        if fields[0] != LOCAL_SIGNATURE:
            raise DiffInputError(f"{self.label}: {info.filename}: no local header where the directory says")
        start = at + LOCAL_HEADER.size + int(fields[9]) + int(fields[10])
        if start + info.compress_size > len(self.data):
            raise DiffInputError(f"{self.label}: {info.filename}: data beyond the end of the zip (truncated)")
        return start

    def raw(self, entry: Entry) -> bytes:
        """The entry's bytes as stored (compressed)."""
        return self.data[entry.data_offset : entry.data_offset + entry.compressed_size]

    def contents(self, entry: Entry) -> bytes:
        """The entry's inflated bytes, at most its declared size, CRC-checked."""
        cached = self._contents.get(entry.index)
        if cached is not None:
            return cached
        info = self._infos[entry.index]
        if entry.method == zipfile.ZIP_DEFLATED and not entry.flag_bits & ENCRYPTED:
            data = self._inflate(entry)
            self._contents[entry.index] = data
            return data
        try:
            with self._zip.open(info) as stream:
                data = stream.read(info.file_size + 1)
        except NotImplementedError:
            raise DiffInputError(f"{self.label}: {entry.name}: compression method "
                                 f"{method_name(entry.method)} cannot be read here") from None
        except RuntimeError as error:  # encrypted
            raise DiffInputError(f"{self.label}: {entry.name}: {error}") from None
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as error:
            raise DiffInputError(f"{self.label}: {entry.name}: corrupt entry ({error})",
                                 hint="download or build it again") from None
        if len(data) != info.file_size:
            raise DiffInputError(f"{self.label}: {entry.name}: {len(data)} bytes, but the directory says "
                                 f"{info.file_size}")
        self._contents[entry.index] = data
        return data


    def _inflate(self, entry: Entry) -> bytes:
        """Deflate through libdeflate: 2-3 times zlib's speed, into exactly the declared size."""
        try:
            raw = memoryview(self.data)[entry.data_offset : entry.data_offset + entry.compressed_size]
            data = bytes(deflate.deflate_decompress(raw, entry.file_size)) if entry.file_size else b""
        except deflate.DeflateError:
            data = None
        if data is None or len(data) != entry.file_size:
            raise DiffInputError(f"{self.label}: {entry.name}: corrupt entry (its data does not inflate to "
                                 f"the declared {entry.file_size} bytes)", hint="download or build it again")
        if deflate.crc32(data) != entry.crc:
            raise DiffInputError(f"{self.label}: {entry.name}: corrupt entry (bad CRC)",
                                 hint="download or build it again")
        return data


def method_name(method: int) -> str:
    return METHOD_NAMES.get(method, f"method {method}")


def _mode_text(entry: Entry) -> str:
    if entry.mode is None:
        return f"no Unix mode (made on system {entry.create_system})"
    kind = {0o100000: "", 0o120000: "symlink ", 0o040000: "directory "}.get(entry.mode & 0o170000, "")
    return f"{kind}{entry.mode & 0o7777:04o}"


def _time_text(value: tuple[int, int, int, int, int, int]) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", (*value, 0, 1, -1))


def _extra_text(extra: bytes) -> str:
    """The extra fields' names: "UT extended timestamp, ux Unix uid/gid", or "none"."""
    names, at = [], 0
    while at + 4 <= len(extra):
        header, size = struct.unpack_from("<HH", extra, at)
        names.append(EXTRA_NAMES.get(header, f"0x{header:04x}"))
        at += 4 + size
    return ", ".join(names) or "none"


def compare_archives(old: Archive, new: Archive) -> tuple[list[Difference], list[tuple[Entry, Entry]]]:
    """Archive-level differences, and the entry pairs whose contents differ (for the caller to
    explain: a Go binary by its build information and code, anything else by its bytes)."""
    found: list[Difference] = []
    old_by_name, new_by_name = _by_name(old, found), _by_name(new, found)
    for name in old_by_name:
        if name not in new_by_name:
            found.append(Difference(level="archive", kind="entry-removed", subject=name, message=f"{name} removed"))
    for name in new_by_name:
        if name not in old_by_name:
            found.append(Difference(level="archive", kind="entry-added", subject=name, message=f"{name} added"))
    changed: list[tuple[Entry, Entry]] = []
    for name, a in old_by_name.items():
        b = new_by_name.get(name)
        if b is None:
            continue
        same_contents = _same_contents(old, new, a, b)
        if not same_contents:
            changed.append((a, b))
        found += _entry_differences(old, new, a, b, same_contents=same_contents)
    common_old = [n for n in old_by_name if n in new_by_name]
    common_new = [n for n in new_by_name if n in old_by_name]
    if common_old != common_new:
        first = next(i for i, (x, y) in enumerate(zip(common_old, common_new)) if x != y)
        found.append(Difference(
            level="archive", kind="order", subject="", message=f"entry order differs from entry {first + 1} on "
            f"({', '.join(common_old[first:first + 3])} → {', '.join(common_new[first:first + 3])})",
        ))  # fmt: skip
    if old.comment != new.comment:
        found.append(Difference(level="archive", kind="comment", subject="", message="the zip comment differs",
                                old=old.comment.decode("utf-8", "replace"), new=new.comment.decode("utf-8", "replace")))
    return found, changed


def _by_name(archive: Archive, found: list[Difference]) -> dict[str, Entry]:
    table: dict[str, Entry] = {}
    for entry in archive.entries:
        if entry.name in table:
            found.append(Difference(level="archive", kind="entry-duplicated", subject=entry.name,
                                    message=f"{entry.name} appears more than once in {archive.label}"))
            continue
        table[entry.name] = entry
    return table


def _same_contents(old: Archive, new: Archive, a: Entry, b: Entry) -> bool:
    if a.crc != b.crc or a.file_size != b.file_size:
        return False
    if a.method == b.method and old.raw(a) == new.raw(b):
        return True
    return old.contents(a) == new.contents(b)


def _entry_differences(old: Archive, new: Archive, a: Entry, b: Entry, *, same_contents: bool) -> list[Difference]:
    name = a.name
    found: list[Difference] = []

    def add(kind: str, message: str, old_value: str | None = None, new_value: str | None = None) -> None:
        found.append(Difference(level="archive", kind=kind, subject=name, message=message, old=old_value,
                                new=new_value))

    if (a.mode, a.create_system) != (b.mode, b.create_system):
        old_mode, new_mode = _mode_text(a), _mode_text(b)
        add("mode", f"{name}: mode {old_mode} → {new_mode}", old_mode, new_mode)
    if a.date_time != b.date_time:
        old_time, new_time = _time_text(a.date_time), _time_text(b.date_time)
        add("timestamp", f"{name}: timestamp {old_time} → {new_time}", old_time, new_time)
    if a.method != b.method:
        old_method, new_method = method_name(a.method), method_name(b.method)
        add("compression-method", f"{name}: compression method {old_method} → {new_method}", old_method, new_method)
    elif same_contents and old.raw(a) != new.raw(b):
        add("compression-level", f"{name}: compression level or compressor differs ({method_name(a.method)}, "
            f"same contents; {a.compressed_size} → {b.compressed_size} bytes compressed)",
            str(a.compressed_size), str(b.compressed_size))
    if a.extra != b.extra:
        old_extra, new_extra = _extra_text(a.extra), _extra_text(b.extra)
        add("extra-fields", f"{name}: extra fields differ ({old_extra} → {new_extra})", old_extra, new_extra)
    if a.comment != b.comment:
        add("entry-comment", f"{name}: entry comment differs", a.comment.decode("utf-8", "replace"),
            b.comment.decode("utf-8", "replace"))
    headers = [
        f"{label} {x:#x} → {y:#x}"
        for label, x, y in (
            ("flag bits", a.flag_bits, b.flag_bits), ("made-by version", a.create_version, b.create_version),
            ("version needed", a.extract_version, b.extract_version),
            ("internal attributes", a.internal_attr, b.internal_attr),
            ("low external attributes", a.external_attr & 0xFFFF, b.external_attr & 0xFFFF),
        )
        if x != y
    ]  # fmt: skip
    if headers:
        add("headers", f"{name}: header fields differ ({'; '.join(headers)})")
    return found
