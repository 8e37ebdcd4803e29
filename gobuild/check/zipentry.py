"""Entry data, read through the one bounded reader: never more than an entry declares.

    EntryReader(file, entry).read(n)          decompressed bytes; EntryError and nothing else
    read_entry(file, entry) -> bytes          a whole (small) entry
    EntrySource(file, entry)                  an elf.Source over an entry, for ELF headers

Output never exceeds an entry's declared size (nor READ_CAP), whatever the stream says, and
Deflate64 is fed in small pieces because its decompressor has no output limit. Stored, deflate
and Deflate64 are read; Lambda itself unzips only the first two, which the structure check
(gobuild.check.structure) reports. Size and CRC are checked when an entry ends.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any, BinaryIO

from zipfile_deflate64 import deflate64  # type: ignore[import-untyped]

from gobuild.check import zipformat as zf
from gobuild.check.elf import ElfError, check_range
from gobuild.check.zipread import Entry, decode_name
from gobuild.lambda_facts import MIB, UNZIPPED_LIMIT

# Hard cap on the bytes one entry may decompress to: the unzipped limit plus a margin.
READ_CAP = UNZIPPED_LIMIT + MIB
# A symlink's target is a path: anything longer is not one.
MAX_LINK = 4096


class EntryError(ValueError):
    """An entry's data cannot be read back as its directory record promises."""


def read_entry(file: BinaryIO, entry: Entry) -> bytes:
    """One entry's bytes, never more than it declares (nor READ_CAP), size- and CRC-checked.
    Raises EntryError when the entry is corrupt, encrypted or compressed in a way not read here."""
    reader = EntryReader(file, entry)
    chunks = []
    while chunk := reader.read(1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


class EntryReader:
    """Streams one entry's decompressed bytes, checking its size and CRC when it ends.

    Output never exceeds the declared uncompressed size (nor READ_CAP), whatever the
    compressed stream claims, so a zip bomb costs at most what its directory admits to.
    """

    INPUT_CHUNK = 64 * 1024
    # Deflate64 cannot limit its output; at its extreme ratio (about 29,000:1) feeding it
    # 512 bytes at a time bounds one call's output to about 15 MiB.
    DEFLATE64_FEED = 512

    def __init__(self, file: BinaryIO, entry: Entry) -> None:
        self._file = file
        self._entry = entry
        self._produced = 0
        self._crc = 0
        self._pending = b""
        self._finished = False
        self._input = b""
        self._input_used = 0
        self._compressed_left = entry.compress_size
        self._inflater: Any = None
        if entry.is_encrypted:
            raise EntryError("it is encrypted")
        if entry.method == zf.DEFLATED:
            self._inflater = zlib.decompressobj(-15)
        elif entry.method == zf.DEFLATE64:
            self._inflater = deflate64.Deflate64()
        elif entry.method != zf.STORED:
            raise EntryError(f"cannot decompress {zf.method_name(entry.method)}")
        if entry.method == zf.STORED and entry.compress_size != entry.file_size:
            raise EntryError(
                f"stored entry has {entry.compress_size} bytes of data but declares {entry.file_size}"
            )
        self._position = self._data_offset()

    def _data_offset(self) -> int:
        offset = self._entry.header_offset
        header = self._read_raw(offset, zf.LOCAL_HEADER_SIZE)
        if len(header) < zf.LOCAL_HEADER_SIZE or header[:4] != zf.LOCAL_SIGNATURE:
            raise EntryError(f"no local header at offset {offset}")
        name_length: int
        extra_length: int
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        name = self._read_raw(offset + zf.LOCAL_HEADER_SIZE, name_length)
        if name != self._entry.raw_name:
            # Readers that walk local headers would see another name than the directory's.
            shown = decode_name(name, 0)[:80]
            raise EntryError(f"its local header names it {shown!r}, the directory does not")
        return offset + zf.LOCAL_HEADER_SIZE + name_length + extra_length

    def _read_raw(self, offset: int, length: int) -> bytes:
        try:
            self._file.seek(offset)
            return self._file.read(length)
        except (OSError, ValueError, OverflowError) as error:
            raise EntryError(f"cannot read the archive at offset {offset}: {error}") from None

    def read(self, size: int) -> bytes:
        """Up to `size` decompressed bytes; b"" at the end (after the CRC has been checked)."""
        while len(self._pending) < size and not self._finished:
            self._pending += self._next_chunk(size - len(self._pending))
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def read_exactly(self, size: int) -> bytes:
        """Exactly `size` bytes, or EntryError if the entry ends first."""
        data = self.read(size)
        if len(data) != size:
            raise EntryError(f"data ends after {self._produced} of {self._entry.file_size} bytes")
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
            raise EntryError(f"bad compressed data: {error}") from None
        self._produced += len(chunk)
        if self._produced > self._entry.file_size or self._produced > READ_CAP:
            raise EntryError(
                f"decompresses to more than the {self._entry.file_size} bytes it declares (zip bomb?)"
            )
        self._crc = zlib.crc32(chunk, self._crc)
        if ended is not None:
            self._finish(stream_ended=ended)
        return chunk

    def _decompress(self, wanted: int) -> tuple[bytes, bool | None]:
        """(output, ended): ended is True at the stream's end, False if input ran out first."""
        method = self._entry.method
        if method == zf.STORED:
            chunk = self._take_input(min(wanted, self.INPUT_CHUNK))
            return chunk, (True if not chunk else None)
        if method == zf.DEFLATED:
            data = self._inflater.unconsumed_tail or self._take_input(self.INPUT_CHUNK)
        else:
            data = self._feed_deflate64()
        if not data and not self._inflater.eof:
            return b"", False
        if method == zf.DEFLATED:
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
            raise EntryError("compressed data runs past the end of the archive (truncated)")
        self._position += size
        self._compressed_left -= size
        return data

    def _finish(self, *, stream_ended: bool) -> None:
        self._finished = True
        if not stream_ended:
            raise EntryError("compressed data ends early (truncated)")
        if self._produced != self._entry.file_size:
            raise EntryError(f"data ends after {self._produced} of {self._entry.file_size} bytes")
        if self._crc != self._entry.crc:
            raise EntryError(f"CRC-32 is {self._crc:08x}, the directory says {self._entry.crc:08x}")


class EntrySource:
    """An elf.Source over a zip entry: random reads by decompressing forward, restarting to go back."""

    def __init__(self, file: BinaryIO, entry: Entry) -> None:
        self._file = file
        self._entry = entry
        self._reader: EntryReader | None = None
        self._offset = 0

    @property
    def size(self) -> int:
        return self._entry.file_size

    def read_at(self, offset: int, length: int) -> bytes:
        if offset + length > READ_CAP:
            raise ElfError(f"reading past {READ_CAP // MIB} MiB of the entry, gobuild's limit")
        check_range(offset, length, self.size)
        if self._reader is None or offset < self._offset:
            self._reader, self._offset = EntryReader(self._file, self._entry), 0
        self._reader.skip(offset - self._offset)
        data = self._reader.read_exactly(length)
        self._offset = offset + length
        return data
