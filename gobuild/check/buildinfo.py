"""Reads the Go build information embedded in an ELF executable, without running `go`.

The Go linker writes a blob that starts with the magic "\\xff Go buildinf:" into the
`.go.buildinfo` section (or, when section headers are gone, near the start of the first
writable segment). Since Go 1.18 the 32-byte header is followed inline by two
varint-length-prefixed strings: the Go version and the module information, the latter
wrapped in 16-byte sentinels. Older binaries hold pointers instead; for those the reader
returns a BuildInfo whose `go_version` is None rather than chase pointers.

    info = read_buildinfo(data)      # bytes or an elf.Source; None for a non-Go binary
    info.go_version                  # "go1.26.8"
    info.dep("github.com/aws/aws-lambda-go")   # Module(path, version, sum, replace)
    info.setting("CGO_ENABLED")      # "0"
    info.tags                        # ("lambda.norpc",)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from gobuild.check.elf import PF_W, PF_X, PT_LOAD, ElfError, ElfFile, Source, as_source, parse_elf

MAGIC = b"\xff Go buildinf:"
HEADER_SIZE = 32
ALIGN = 16
FLAG_INLINE_STRINGS = 0x2
SENTINEL_SIZE = 16

# The module information of a large program is tens of kilobytes; this bounds hostile lengths.
MAX_STRING = 1 << 20
# When the blob has no section of its own the linker puts it near the segment start.
SEARCH_WINDOW = 1 << 20


class BuildInfoError(ElfError):
    """Build information is present but malformed."""


@dataclass(frozen=True, kw_only=True)
class Module:
    """A module as `go version -m` lists it; `replace` is what the build used instead, if any."""

    path: str
    version: str
    sum: str = ""
    replace: Module | None = None

    @property
    def effective_version(self) -> str:
        """The version whose code was compiled: the replacement's when it has one."""
        if self.replace is not None and self.replace.version:
            return self.replace.version
        return self.version


@dataclass(frozen=True, kw_only=True)
class BuildInfo:
    """Go version, main package path, modules and build settings of one binary."""

    go_version: str | None
    path: str = ""
    main: Module | None = None
    deps: tuple[Module, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()

    def setting(self, key: str) -> str | None:
        """The value of a build setting (e.g. "CGO_ENABLED", "-trimpath"), or None if absent."""
        for name, value in self.settings:
            if name == key:
                return value
        return None

    def dep(self, path: str) -> Module | None:
        """The dependency with this module path, or None."""
        for module in self.deps:
            if module.path == path:
                return module
        return None

    @property
    def tags(self) -> tuple[str, ...]:
        """The build tags given with -tags."""
        value = self.setting("-tags") or ""
        return tuple(tag for tag in value.split(",") if tag)


def read_buildinfo(data: bytes | Source, elf: ElfFile | None = None) -> BuildInfo | None:
    """Reads the Go build information from an ELF executable.

    Returns None when there is none (not a Go binary, or the blob was stripped). Raises
    BuildInfoError (an ElfError) when the blob is malformed and ElfError when the ELF is.
    Pass `elf` when the headers are already parsed to avoid reading them twice.
    """
    source = as_source(data)
    elf = elf or parse_elf(source)
    found = _find_blob(source, elf)
    if found is None:
        return None
    blob = _Blob(source, *found)
    header = blob.read(0, HEADER_SIZE)
    if not header[15] & FLAG_INLINE_STRINGS:
        # Before Go 1.18 the header holds pointers; the version is not worth chasing them for.
        return BuildInfo(go_version=None)
    version, after = blob.string(HEADER_SIZE)
    modinfo, _ = blob.string(after)
    if not version:
        raise BuildInfoError("Go build information has an empty version string")
    text = _strip_sentinels(modinfo).decode("utf-8", "replace")
    return parse_modinfo(text, go_version=version.decode("utf-8", "replace"))


class _Blob:
    """Reads relative to the blob's start, from the bytes already searched when they suffice."""

    def __init__(self, source: Source, offset: int, window: bytes) -> None:
        self._source = source
        self._offset = offset
        self._window = window

    def read(self, position: int, length: int) -> bytes:
        if position + length <= len(self._window):
            return self._window[position : position + length]
        return self._source.read_at(self._offset + position, length)

    def string(self, position: int) -> tuple[bytes, int]:
        """A uvarint length and that many bytes; returns them and the position after."""
        length = 0
        for shift in range(0, 70, 7):
            byte = self.read(position, 1)[0]
            position += 1
            length |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
        else:
            raise BuildInfoError("Go build information has a malformed length")
        if length > MAX_STRING:
            raise BuildInfoError(
                f"Go build information string of {length} bytes is implausibly long"
            )
        return self.read(position, length), position + length


def _find_blob(source: Source, elf: ElfFile) -> tuple[int, bytes] | None:
    """The file offset of the build info header and the bytes from there on that were read.

    Searched the way debug/buildinfo searches: the .go.buildinfo section, else the start of
    the first writable, non-executable segment.
    """
    section = elf.section(".go.buildinfo")
    if section is not None:
        start, size = section.offset, section.size
    else:
        segment = _first_writable_segment(elf)
        if segment is None:
            return None
        start, size = segment
    size = min(size, SEARCH_WINDOW, max(0, source.size - start))
    if size < HEADER_SIZE:
        return None
    window = source.read_at(start, size)
    index = window.find(MAGIC)
    while index >= 0:
        # The blob is 16-byte aligned in memory; an unaligned match is a coincidence.
        if index % ALIGN == 0 and index + HEADER_SIZE <= len(window):
            return start + index, window[index:]
        index = window.find(MAGIC, index + 1)
    return None


def _first_writable_segment(elf: ElfFile) -> tuple[int, int] | None:
    for header in elf.program_headers:
        if header.type == PT_LOAD and header.flags & (PF_X | PF_W) == PF_W:
            return header.offset, header.filesz
    return None


def _strip_sentinels(modinfo: bytes) -> bytes:
    # cmd/go wraps the text in 16-byte markers; without them the text is not module info.
    if len(modinfo) >= 2 * SENTINEL_SIZE + 1 and modinfo[-SENTINEL_SIZE - 1] == ord("\n"):
        return modinfo[SENTINEL_SIZE:-SENTINEL_SIZE]
    return b""


def parse_modinfo(text: str, *, go_version: str | None = None) -> BuildInfo:
    """Parses module information text ("path\\t...", "dep\\t...", "build\\tK=V" lines).

    Follows runtime/debug.ParseBuildInfo: a malformed line raises BuildInfoError.
    """
    path = ""
    main: Module | None = None
    deps: list[Module] = []
    settings: list[tuple[str, str]] = []
    # The module a following "=>" line replaces: "main", a dep index, or None.
    last: str | int | None = None
    lines = text.split("\n")[:-1]  # text after the last newline is not a complete line
    for number, line in enumerate(lines, start=1):
        word, _, rest = line.partition("\t")
        try:
            if word == "path":
                path = rest
            elif word == "mod":
                main, last = _module(rest.split("\t")), "main"
            elif word == "dep":
                deps.append(_module(rest.split("\t")))
                last = len(deps) - 1
            elif word == "=>":
                replacement = _replacement(rest.split("\t"))
                if last == "main" and main is not None:
                    main = replace(main, replace=replacement)
                elif isinstance(last, int):
                    deps[last] = replace(deps[last], replace=replacement)
                else:
                    raise BuildInfoError("replacement with no module on the previous line")
                last = None
            elif word == "build":
                settings.append(_setting(rest))
        except BuildInfoError as error:
            raise BuildInfoError(f"could not parse Go build info: line {number}: {error}") from None
    return BuildInfo(
        go_version=go_version, path=path, main=main, deps=tuple(deps), settings=tuple(settings)
    )


def _module(columns: list[str]) -> Module:
    if len(columns) not in (2, 3):
        raise BuildInfoError(f"expected 2 or 3 columns; got {len(columns)}")
    return Module(path=columns[0], version=columns[1], sum=columns[2] if len(columns) == 3 else "")


def _replacement(columns: list[str]) -> Module:
    if len(columns) != 3:
        raise BuildInfoError(f"expected 3 columns for replacement; got {len(columns)}")
    return Module(path=columns[0], version=columns[1], sum=columns[2])


def _setting(text: str) -> tuple[str, str]:
    """Splits `key=value` where either side may be a Go-quoted string."""
    if not text or text[0] == "=":
        raise BuildInfoError("build line with missing key")
    if text[0] in '"`':
        quoted = _quoted_prefix(text)
        if text[len(quoted) : len(quoted) + 1] != "=":
            raise BuildInfoError("build line missing '=' after quoted key")
        key, raw_value = go_unquote(quoted), text[len(quoted) + 1 :]
    else:
        key, equals, raw_value = text.partition("=")
        if not equals:
            raise BuildInfoError("build line missing '=' after key")
    if raw_value[:1] in ('"', "`"):
        quoted = _quoted_prefix(raw_value)
        if len(quoted) != len(raw_value):
            raise BuildInfoError("unexpected text after quoted value")
        return key, go_unquote(quoted)
    return key, raw_value


def _quoted_prefix(text: str) -> str:
    """The leading Go string literal of `text` (like strconv.QuotedPrefix)."""
    quote = text[0]
    index = 1
    while index < len(text):
        char = text[index]
        if char == quote:
            return text[: index + 1]
        if char == "\\" and quote == '"':
            index += 1
        elif char == "\n":
            break
        index += 1
    raise BuildInfoError("unterminated quoted string in build line")


_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|[abfnrtv\\'\"])")
_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    "\\": "\\", "'": "'", '"': '"',
}  # fmt: skip


def go_unquote(literal: str) -> str:
    """Decodes a Go interpreted ("...") or raw (`...`) string literal (like strconv.Unquote)."""
    if len(literal) < 2 or literal[0] != literal[-1] or literal[0] not in '"`':
        raise BuildInfoError(f"not a Go string literal: {literal[:40]!r}")
    body = literal[1:-1]
    if literal[0] == "`":
        return body
    if "\\" in _ESCAPE.sub("", body):
        raise BuildInfoError(f"invalid escape in Go string literal: {literal[:40]!r}")
    return _ESCAPE.sub(_decode_escape, body)


def _decode_escape(match: re.Match[str]) -> str:
    escape = match.group(1)
    if escape in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[escape]
    if escape[0] in "xuU":
        code = int(escape[1:], 16)
        # Surrogates and out-of-range values are invalid runes in Go too: they decode to U+FFFD.
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return chr(int(escape, 8))
