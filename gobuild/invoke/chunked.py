"""HTTP/1.1 chunked request bodies, read within a bound: how Go's client posts to the Runtime API."""

from __future__ import annotations

from typing import Protocol

# An oversized body is read and dropped up to this size, so the runtime gets its 413.
DISCARD_LIMIT = 64 * 1024 * 1024
_MAX_CHUNK_LINE = 4096
_MAX_TRAILER_LINES = 100
_READ_PIECE = 1 << 20


class ByteStream(Protocol):
    """What read_chunked needs: a buffered binary stream (a socket's rfile, a BytesIO)."""

    def readline(self, size: int = -1, /) -> bytes: ...

    def read(self, size: int = -1, /) -> bytes: ...


class BodyError(ValueError):
    """A request body that is malformed or larger than allowed."""

    def __init__(self, message: str, *, too_large: bool = False, drained: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large
        self.drained = drained  # the whole body was read: the connection can serve another request


def read_chunked(stream: ByteStream, limit: int) -> tuple[bytes, dict[str, str]]:
    """Reads an HTTP/1.1 chunked body and its trailers; raises BodyError past `limit` bytes.

    Go's client sends every Runtime API post chunked, because aws-lambda-go declares
    trailers (an error met while streaming the body arrives as trailers). A body over the
    limit is still read to its end (up to DISCARD_LIMIT), so the client can read the refusal.
    """
    body = bytearray()
    total = 0
    while True:
        line = stream.readline(_MAX_CHUNK_LINE)
        if not line.endswith(b"\n"):
            raise BodyError("truncated chunk size line")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise BodyError(f"bad chunk size {size_text!r}") from None
        if size < 0:
            raise BodyError(f"bad chunk size {size_text!r}")
        if size == 0:
            break
        total += size
        if total > DISCARD_LIMIT:
            raise BodyError(f"body exceeds {limit} bytes", too_large=True)
        # Read in pieces: a chunk may declare up to DISCARD_LIMIT bytes, and only `limit` are kept.
        for offset in range(0, size, _READ_PIECE):
            piece = stream.read(min(_READ_PIECE, size - offset))
            if len(piece) != min(_READ_PIECE, size - offset):
                raise BodyError("truncated chunk")
            if total <= limit:
                body += piece
        if stream.read(2) != b"\r\n":
            raise BodyError("truncated chunk")
    trailers: dict[str, str] = {}
    for _ in range(_MAX_TRAILER_LINES):
        line = stream.readline(_MAX_CHUNK_LINE)
        if line in (b"\r\n", b"\n"):
            if total > limit:
                raise BodyError(f"body exceeds {limit} bytes", too_large=True, drained=True)
            return bytes(body), trailers
        if not line.endswith(b"\n"):
            raise BodyError("truncated trailers")
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep:
            raise BodyError(f"bad trailer line {line!r}")
        trailers[name.strip().lower()] = value.strip()
    raise BodyError("too many trailer lines")
