"""Random access to a file's bytes, bounded: what the ELF and Go build info readers read through.

A `Source` is bytes in memory, a file, or a zip entry decompressed on demand
(gobuild.check.zipread.EntrySource); every read outside its bounds raises ElfError.
"""

from __future__ import annotations

from typing import BinaryIO, Protocol


class ElfError(ValueError):
    """The bytes are not a well-formed ELF file; the message says what is wrong."""


class Source(Protocol):
    """Random access to a file's bytes, so callers read headers without loading the file."""

    @property
    def size(self) -> int:
        """Total size in bytes."""
        ...

    def read_at(self, offset: int, length: int) -> bytes:
        """Returns exactly `length` bytes at `offset`, or raises ElfError if they are not there."""
        ...


class BytesSource:
    """A Source over bytes already in memory."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    @property
    def size(self) -> int:
        return len(self._data)

    def read_at(self, offset: int, length: int) -> bytes:
        check_range(offset, length, self.size)
        return self._data[offset : offset + length]


class FileSource:
    """A Source over a seekable binary file whose size is known."""

    def __init__(self, file: BinaryIO, size: int) -> None:
        self._file = file
        self._size = size

    @property
    def size(self) -> int:
        return self._size

    def read_at(self, offset: int, length: int) -> bytes:
        check_range(offset, length, self._size)
        self._file.seek(offset)
        data = self._file.read(length)
        if len(data) != length:
            raise ElfError(
                f"file ends at {offset + len(data)}, expected {length} bytes at {offset}"
            )
        return data


def check_range(offset: int, length: int, size: int) -> None:
    """Raises ElfError unless [offset, offset+length) lies inside a file of `size` bytes."""
    if offset < 0 or length < 0 or offset + length > size:
        raise ElfError(
            f"{length} bytes at offset {offset} lie beyond the end of the file ({size} bytes): "
            "truncated or corrupt"
        )


def as_source(data: bytes | Source) -> Source:
    """Wraps bytes in a BytesSource; passes a Source through."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return BytesSource(bytes(data))
    return data
