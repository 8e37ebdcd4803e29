"""The one bounded zip reader: the central directory, and entry data streamed within limits.

    file, size = open_zip(path)               # refuses what is not a regular file, unread
    directory = read_directory(file, size)    # Directory; ZipFormatError and nothing else

Entry data is read by gobuild.check.zipentry (EntryReader, read_entry, EntrySource).

The directory is parsed here rather than by `zipfile`, so names keep the bytes the archive
holds (zipfile cuts them at a NUL), Zip64 use and versions are visible, and nothing hostile
costs more than the archive's own size: the directory is capped at MAX_DIRECTORY bytes and
MAX_READ_ENTRIES entries.
"""

from __future__ import annotations

import calendar
import io
import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from gobuild.check import zipformat as zf
from gobuild.errors import UsageError
from gobuild.files import describe_mode
from gobuild.lambda_facts import MIB

# Far above any Lambda zip (node_modules trees reach tens of thousands of entries).
MAX_READ_ENTRIES = 250_000
MAX_DIRECTORY = 64 * MIB


class ZipFormatError(ValueError):
    """The archive's directory cannot be read; the message says why, in one line."""


class NotRegularFile(UsageError):
    """A path names a directory, FIFO, device or socket: it is refused without being read."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Entry:
    """One central directory record, with Zip64 sizes resolved and offsets made absolute, and
    what it extracts to worked out once: `parts` of its path, its Unix mode and kind."""

    index: int
    name: str
    raw_name: bytes
    method: int
    flags: int
    crc: int
    compress_size: int
    file_size: int
    header_offset: int
    made_by: int
    needed: int
    external_attr: int
    zip64: bool = False  # the record carried a Zip64 extra field
    dos_time: int = 0  # modification time and date as MS-DOS packs them (no time zone)
    dos_date: int = 0
    parts: tuple[str, ...] = ()  # the path it extracts to: './a//b/' → ('a', 'b')
    unix_mode: int = 0  # file type and permissions; 0 when the zip recorded none (made on Windows)
    is_dir: bool = False
    is_symlink: bool = False

    @property
    def create_system(self) -> int:
        return self.made_by >> 8

    @property
    def epoch(self) -> int:
        """The modification time as seconds since 1970, reading the DOS fields as UTC (as gobuild
        writes them); 0 when they are not a valid date."""
        date, time = self.dos_date, self.dos_time
        fields = (1980 + (date >> 9), (date >> 5) & 0xF, date & 0x1F, time >> 11, (time >> 5) & 0x3F,
                  (time & 0x1F) * 2)
        month, day, hour, minute, second = fields[1:]
        if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 60):
            return 0
        return calendar.timegm((*fields, 0, 0, 0))

    @property
    def path(self) -> str:
        """The relative path it extracts to, '/'-separated ('' for the root itself)."""
        return "/".join(self.parts)

    @property
    def is_encrypted(self) -> bool:
        return bool(self.flags & (zf.FLAG_ENCRYPTED | zf.FLAG_STRONG_ENCRYPTION)) or (
            self.method == zf.AES_ENCRYPTED
        )

    @property
    def readable(self) -> bool:
        """Whether gobuild can decompress it: not encrypted, and stored, deflate or Deflate64."""
        return not self.is_encrypted and self.method in (zf.STORED, zf.DEFLATED, zf.DEFLATE64)


def path_parts(name: str) -> tuple[str, ...]:
    """The path components an entry name extracts to ('./a//b/' → ('a', 'b'))."""
    return tuple(part for part in name.split("/") if part not in ("", "."))


@dataclass(frozen=True, kw_only=True)
class Directory:
    """What the central directory lists, and how the archive around it is laid out."""

    entries: tuple[Entry, ...]
    size: int
    zip64: bool = False  # Zip64 end records are present
    prefix: int = 0  # bytes before the archive proper (a self-extractor stub)


def open_zip(path: Path) -> tuple[BinaryIO, int]:
    """Opens a zip for reading and returns it with its size.

    Raises NotRegularFile (a UsageError) for a directory, FIFO, device or socket, without
    reading from it or waiting on it, and OSError when the path cannot be opened.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)  # O_NONBLOCK: opening a FIFO must not wait for a writer
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(f"{path} is {describe_mode(info.st_mode)}, not a zip file")
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise


def read_directory(file: BinaryIO, size: int) -> Directory:
    """Parses the end records and the central directory. Raises ZipFormatError, and nothing
    else, for any bytes; reads at most the directory and the last 64 KiB of the archive."""
    try:
        return _read_directory(file, size)
    except ZipFormatError:
        raise
    except (struct.error, ValueError, OverflowError, OSError, IndexError) as error:
        raise ZipFormatError(f"the directory cannot be read: {error}") from None


def _read_at(file: BinaryIO, offset: int, length: int) -> bytes:
    file.seek(offset)
    return file.read(length)


def _read_directory(file: BinaryIO, size: int) -> Directory:
    tail_start = max(0, size - zf.END_SIZE - zf.MAX_COMMENT)
    tail = _read_at(file, tail_start, size - tail_start)
    end_at = _find_end(tail)
    if end_at < 0:
        raise ZipFormatError("no end-of-central-directory record (not a zip, or truncated)")
    end_pos = tail_start + end_at
    (disk, cd_disk, _on_disk, count, cd_size, cd_offset, _comment) = struct.unpack(
        "<HHHHIIH", tail[end_at + 4 : end_at + zf.END_SIZE]
    )
    zip64 = False
    cd_end = end_pos
    locator_pos = end_pos - zf.ZIP64_LOCATOR_SIZE
    if locator_pos >= 0 and _read_at(file, locator_pos, 4) == zf.ZIP64_LOCATOR_SIGNATURE:
        zip64 = True
        cd_end = locator_pos - zf.ZIP64_END_SIZE
        record = _read_at(file, cd_end, zf.ZIP64_END_SIZE) if cd_end >= 0 else b""
        if len(record) < zf.ZIP64_END_SIZE or record[:4] != zf.ZIP64_END_SIGNATURE:
            raise ZipFormatError("the Zip64 end record is missing or damaged")
        disk, cd_disk, _on_disk64, count, cd_size, cd_offset = struct.unpack("<IIQQQQ", record[16:56])
    if disk != 0 or cd_disk != 0:
        raise ZipFormatError("the archive spans several disks (a split zip)")
    prefix = cd_end - cd_size - cd_offset
    if prefix < 0 or cd_size > cd_end:
        raise ZipFormatError(f"the central directory ({cd_size} bytes at offset {cd_offset}) lies "
                             "beyond the end of the archive (truncated)")
    if cd_size > MAX_DIRECTORY or count > MAX_READ_ENTRIES:
        raise ZipFormatError(f"the central directory lists {count} entries in {cd_size} bytes, "
                             f"more than gobuild reads ({MAX_READ_ENTRIES} entries)")
    if count * zf.CENTRAL_HEADER_SIZE > cd_size:
        raise ZipFormatError(f"the end record counts {count} entries, more than a {cd_size}-byte "
                             "central directory holds")
    data = _read_at(file, cd_end - cd_size, cd_size)
    if len(data) != cd_size:
        raise ZipFormatError("the central directory is cut short (truncated)")
    entries = _parse_entries(data, count, prefix)
    return Directory(entries=entries, size=size, zip64=zip64, prefix=prefix)


def _find_end(tail: bytes) -> int:
    """The offset of the end record in the archive's tail, or -1: the last one whose comment
    fits, as zip readers look for it."""
    at = tail.rfind(zf.END_SIGNATURE, 0, max(0, len(tail) - zf.END_SIZE + 4))
    while at >= 0:
        (comment,) = struct.unpack("<H", tail[at + 20 : at + 22])
        if at + zf.END_SIZE + comment <= len(tail):
            return at
        at = tail.rfind(zf.END_SIGNATURE, 0, at)
    return -1


def _parse_entries(data: bytes, count: int, prefix: int) -> tuple[Entry, ...]:
    entries = []
    position = 0
    for index in range(count):
        fixed = data[position : position + zf.CENTRAL_HEADER_SIZE]
        if len(fixed) < zf.CENTRAL_HEADER_SIZE or fixed[:4] != zf.CENTRAL_SIGNATURE:
            raise ZipFormatError(f"central directory record {index + 1} of {count} is damaged "
                                 f"(no signature at offset {position})")
        (made_by, needed, flags, method, dos_time, dos_date, crc, compress_size, file_size, name_len,
         extra_len, comment_len, _disk, _internal, external) = struct.unpack("<HHHHHHIIIHHHHHI", fixed[4:42])
        (header_offset,) = struct.unpack("<I", fixed[42:46])
        name_end = position + zf.CENTRAL_HEADER_SIZE + name_len
        extra_end = name_end + extra_len
        if extra_end + comment_len > len(data):
            raise ZipFormatError(f"central directory record {index + 1} runs past the directory's end")
        raw_name = data[name_end - name_len : name_end]
        extra = data[name_end:extra_end]
        sizes = [file_size, compress_size, header_offset]
        zip64 = _apply_zip64(extra, sizes)
        file_size, compress_size, header_offset = sizes
        name = decode_name(raw_name, flags)
        mode = (external >> 16) & 0xFFFF if made_by >> 8 == zf.UNIX else 0
        kind = mode & zf.S_IFMT
        entries.append(Entry(
            index=index, name=name, raw_name=raw_name, method=method, flags=flags, crc=crc,
            compress_size=compress_size, file_size=file_size, header_offset=header_offset + prefix,
            made_by=made_by, needed=needed, external_attr=external, zip64=zip64, dos_time=dos_time,
            dos_date=dos_date, parts=path_parts(name),
            unix_mode=mode, is_dir=name.endswith("/") or kind == zf.S_IFDIR,
            is_symlink=kind == zf.S_IFLNK and not name.endswith("/"),
        ))
        position = extra_end + comment_len
    if position != len(data):
        raise ZipFormatError(f"the central directory holds {len(data) - position} bytes after the "
                             f"{count} entries its end record counts")
    return tuple(entries)


def _apply_zip64(extra: bytes, sizes: list[int]) -> bool:
    """Replaces the 0xFFFFFFFF fields in `sizes` (file size, compressed size, offset) with the
    Zip64 extra field's values, in that order; returns whether the record has that field."""
    position = 0
    while position + 4 <= len(extra):
        field_id, length = struct.unpack("<HH", extra[position : position + 4])
        body = extra[position + 4 : position + 4 + length]
        if field_id == zf.ZIP64_EXTRA_ID:
            values = iter(struct.unpack(f"<{len(body) // 8}Q", body[: len(body) // 8 * 8]))
            for slot, value in enumerate(sizes):
                if value == zf.MAX_32:
                    sizes[slot] = next(values, value)
            return True
        position += 4 + length
    return False


def decode_name(raw: bytes, flags: int) -> str:
    """An entry name as text: UTF-8 when flagged or valid, else code page 437 (the zip default);
    bytes that are not UTF-8 under the flag survive as surrogates, so they are never lost."""
    if flags & zf.FLAG_UTF8:
        return raw.decode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp437")


def bytes_file(data: bytes) -> BinaryIO:
    """An in-memory archive, read like a file."""
    return io.BytesIO(data)
