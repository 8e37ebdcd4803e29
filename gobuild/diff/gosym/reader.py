"""Bounded reads from a binary, failing only with GoSymError."""

from __future__ import annotations

from gobuild.check.elf import ElfError, Source, as_source


class GoSymError(ElfError):
    """Not an ELF Go executable that gosym can read, or a malformed one; the message says why."""


class BoundedFile:
    """Reads from bytes or a gobuild.check.elf Source, every read checked against the size."""

    def __init__(self, data: bytes | Source) -> None:
        self.source = as_source(data)
        self.size = self.source.size

    def read(self, offset: int, length: int) -> bytes:
        """Exactly `length` bytes at `offset`, or GoSymError."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise GoSymError(f"{length} bytes at offset {offset} lie outside the file")
        try:
            chunk = self.source.read_at(offset, length)
        except (OSError, ValueError) as error:
            raise GoSymError(f"cannot read {length} bytes at offset {offset}: {error}") from None
        if len(chunk) != length:
            raise GoSymError(f"short read: {len(chunk)} of {length} bytes at offset {offset}")
        return chunk
