"""A small ELF reader: header, program headers, sections and the program interpreter.

It reads only what it needs, through a `Source` (random access with bounded reads), so a
bootstrap inside a zip can be inspected without extracting it or holding it in memory.
Every inconsistency (bad magic, offsets beyond the end, absurd counts) raises `ElfError`;
nothing else escapes for any input bytes.

    elf = parse_elf(data)               # bytes, or any Source
    elf.goarch                          # "amd64", "arm64", "386", ... or None
    elf.interpreter                     # "/lib64/ld-linux-x86-64.so.2" or None (static)
    elf.section(".go.buildinfo")        # Section or None
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO, Protocol

ELF_MAGIC = b"\x7fELF"

# e_type values.
ET_REL = 1
ET_EXEC = 2
ET_DYN = 3
ET_CORE = 4

# p_type values and p_flags bits.
PT_LOAD = 1
PT_INTERP = 3
PF_X = 1
PF_W = 2

# Section header index sentinels for files with more than 0xff00 sections.
SHN_UNDEF = 0
SHN_XINDEX = 0xFFFF

# Limits far above any real executable; they keep hostile headers from costing memory.
MAX_TABLE_BYTES = 1 << 20
MAX_NAME_TABLE = 1 << 20
MAX_INTERPRETER = 4096

# e_machine → GOARCH, for the architectures Go targets.
GOARCH_BY_MACHINE = {
    3: "386",
    8: "mips",
    20: "ppc",
    21: "ppc64",
    22: "s390x",
    40: "arm",
    62: "amd64",
    183: "arm64",
    243: "riscv64",
    258: "loong64",
}

OSABI_NAMES = {
    0: "System V",
    1: "HP-UX",
    2: "NetBSD",
    3: "Linux",
    6: "Solaris",
    7: "AIX",
    9: "FreeBSD",
    12: "OpenBSD",
    97: "ARM",
    255: "standalone",
}

TYPE_NAMES = {
    0: "no file type",
    ET_REL: "relocatable object",
    ET_EXEC: "executable",
    ET_DYN: "position-independent executable or shared object",
    ET_CORE: "core dump",
}


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


@dataclass(frozen=True, kw_only=True)
class ProgramHeader:
    """One segment: what the kernel maps or reads when it starts the program."""

    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int


@dataclass(frozen=True, kw_only=True)
class Section:
    """One section header, with its name resolved."""

    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int


@dataclass(frozen=True, kw_only=True)
class ElfFile:
    """What gobuild needs to know about an ELF file."""

    bits: int
    little_endian: bool
    osabi: int
    type: int
    machine: int
    program_headers: tuple[ProgramHeader, ...]
    sections: tuple[Section, ...]
    interpreter: str | None

    @property
    def goarch(self) -> str | None:
        """The GOARCH this machine type corresponds to, or None for machines Go does not target."""
        if self.machine == 21 and self.little_endian:
            return "ppc64le"
        if self.machine == 8 and self.bits == 64:
            return "mips64le" if self.little_endian else "mips64"
        if self.machine == 8 and self.little_endian:
            return "mipsle"
        return GOARCH_BY_MACHINE.get(self.machine)

    @property
    def arch_name(self) -> str:
        """The GOARCH if known, else 'machine N' so messages always name something."""
        return self.goarch or f"machine {self.machine}"

    @property
    def os_name(self) -> str:
        return OSABI_NAMES.get(self.osabi, f"OS ABI {self.osabi}")

    @property
    def type_name(self) -> str:
        return TYPE_NAMES.get(self.type, f"type {self.type:#x}")

    @property
    def is_executable(self) -> bool:
        return self.type in (ET_EXEC, ET_DYN)

    @property
    def is_dynamic(self) -> bool:
        """True when the kernel must load an interpreter (a dynamic loader) to run it."""
        return self.interpreter is not None

    def section(self, name: str) -> Section | None:
        """The first section with this name, or None."""
        for section in self.sections:
            if section.name == name:
                return section
        return None

    def file_offset(self, vaddr: int, length: int) -> int | None:
        """The file offset of `length` bytes at virtual address `vaddr`, if a segment holds them."""
        for header in self.program_headers:
            if header.type != PT_LOAD:
                continue
            if header.vaddr <= vaddr and vaddr + length <= header.vaddr + header.filesz:
                return header.offset + (vaddr - header.vaddr)
        return None


@dataclass(frozen=True, kw_only=True)
class _Layout:
    """Byte order and struct formats for one ELF class and data encoding."""

    bits: int
    order: str

    @property
    def header(self) -> str:
        # e_type .. e_shstrndx, after the 16-byte e_ident.
        return self.order + ("HHIQQQIHHHHHH" if self.bits == 64 else "HHIIIIIHHHHHH")

    @property
    def program_header(self) -> str:
        return self.order + ("IIQQQQQQ" if self.bits == 64 else "IIIIIIII")

    @property
    def section_header(self) -> str:
        return self.order + ("IIQQQQIIQQ" if self.bits == 64 else "IIIIIIIIII")


def is_elf(prefix: bytes) -> bool:
    """True when the bytes start with the ELF magic number."""
    return prefix[:4] == ELF_MAGIC


def parse_elf(data: bytes | Source) -> ElfFile:
    """Parses the ELF header, program headers, section headers and interpreter path.

    Reads a few kilobytes at most for a real executable. Raises ElfError for anything
    malformed, including segments or tables that lie beyond the end of the file.
    """
    source = as_source(data)
    ident = source.read_at(0, 16) if source.size >= 16 else b""
    if not is_elf(ident):
        raise ElfError("not an ELF file (no \\x7fELF magic)")
    layout = _layout(ident)
    header_size = struct.calcsize(layout.header)
    fields = struct.unpack(layout.header, source.read_at(16, header_size))
    (e_type, machine, _version, _entry, phoff, shoff, _flags, _ehsize,
     phentsize, phnum, shentsize, shnum, shstrndx) = fields  # fmt: skip
    program_headers = _program_headers(source, layout, phoff, phentsize, phnum)
    return ElfFile(
        bits=layout.bits,
        little_endian=layout.order == "<",
        osabi=ident[7],
        type=e_type,
        machine=machine,
        program_headers=program_headers,
        sections=_sections(source, layout, shoff, shentsize, shnum, shstrndx),
        interpreter=_interpreter(source, program_headers),
    )


def _layout(ident: bytes) -> _Layout:
    elf_class, encoding = ident[4], ident[5]
    if elf_class not in (1, 2):
        raise ElfError(f"unknown ELF class {elf_class} (expected 1 for 32-bit or 2 for 64-bit)")
    if encoding not in (1, 2):
        raise ElfError(f"unknown ELF data encoding {encoding} (expected 1 or 2)")
    return _Layout(bits=32 if elf_class == 1 else 64, order="<" if encoding == 1 else ">")


def _table(
    source: Source, offset: int, entry_size: int, count: int, min_entry: int, what: str
) -> list[bytes]:
    """Reads `count` fixed-size entries of a header table in one bounded read."""
    if count == 0:
        return []
    if entry_size < min_entry:
        raise ElfError(f"{what} entry size {entry_size} is smaller than {min_entry}")
    if entry_size * count > MAX_TABLE_BYTES:
        raise ElfError(f"{count} {what}s of {entry_size} bytes: more than any real executable has")
    raw = source.read_at(offset, entry_size * count)
    return [raw[i * entry_size : i * entry_size + min_entry] for i in range(count)]


def _program_headers(
    source: Source, layout: _Layout, phoff: int, phentsize: int, phnum: int
) -> tuple[ProgramHeader, ...]:
    fmt = layout.program_header
    headers = []
    for raw in _table(source, phoff, phentsize, phnum, struct.calcsize(fmt), "program header"):
        values = struct.unpack(fmt, raw)
        if layout.bits == 64:
            p_type, flags, offset, vaddr, _paddr, filesz, memsz, _align = values
        else:
            p_type, offset, vaddr, _paddr, filesz, memsz, flags, _align = values
        if p_type == PT_LOAD and offset + filesz > source.size:
            raise ElfError(
                f"a loadable segment ends at {offset + filesz}, beyond the end of the file "
                f"({source.size} bytes): truncated"
            )
        headers.append(
            ProgramHeader(
                type=p_type, flags=flags, offset=offset, vaddr=vaddr, filesz=filesz, memsz=memsz
            )
        )
    return tuple(headers)


# Section header fields sit in the same order in both classes.
_SH_NAME, _SH_TYPE, _SH_FLAGS, _SH_ADDR, _SH_OFFSET, _SH_SIZE, _SH_LINK = range(7)


def _sections(
    source: Source, layout: _Layout, shoff: int, shentsize: int, shnum: int, shstrndx: int
) -> tuple[Section, ...]:
    if shoff == 0:
        return ()
    fmt = layout.section_header
    entry = struct.calcsize(fmt)
    if shnum == 0 or shstrndx == SHN_XINDEX:
        # Extended numbering: the real count and name-table index live in section 0.
        raw_first = _table(source, shoff, shentsize, 1, entry, "section header")[0]
        first = struct.unpack(fmt, raw_first)
        shnum = shnum or first[_SH_SIZE]
        if shstrndx == SHN_XINDEX:
            shstrndx = first[_SH_LINK]
    raw_rows = _table(source, shoff, shentsize, shnum, entry, "section header")
    rows = [struct.unpack(fmt, raw) for raw in raw_rows]
    names = _name_table(source, rows, shstrndx)
    return tuple(
        Section(
            name=_name_at(names, row[_SH_NAME]),
            type=row[_SH_TYPE],
            flags=row[_SH_FLAGS],
            addr=row[_SH_ADDR],
            offset=row[_SH_OFFSET],
            size=row[_SH_SIZE],
        )
        for row in rows
    )


def _name_table(source: Source, rows: list[tuple[int, ...]], index: int) -> bytes:
    if index == SHN_UNDEF or index >= len(rows):
        return b""
    offset, size = rows[index][_SH_OFFSET], rows[index][_SH_SIZE]
    if size > MAX_NAME_TABLE:
        raise ElfError(f"section name table of {size} bytes: more than any real executable has")
    return source.read_at(offset, size)


def _name_at(table: bytes, offset: int) -> str:
    if offset >= len(table):
        return ""
    end = table.find(b"\0", offset)
    return table[offset : end if end >= 0 else len(table)].decode("utf-8", "replace")


def _interpreter(source: Source, headers: tuple[ProgramHeader, ...]) -> str | None:
    for header in headers:
        if header.type == PT_INTERP:
            length = min(header.filesz, MAX_INTERPRETER)
            raw = source.read_at(header.offset, length)
            return raw.split(b"\0", 1)[0].decode("utf-8", "replace")
    return None
