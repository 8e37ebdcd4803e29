"""A small ELF reader: header, program headers, sections and the program interpreter.

It reads only what it needs, through a `Source` (random access with bounded reads), so a
bootstrap inside a zip can be inspected without extracting it or holding it in memory.
Every inconsistency (bad magic, offsets beyond the end, absurd counts) raises `ElfError`;
nothing else escapes for any input bytes.

    elf = parse_elf(data)               # bytes, or any Source
    elf.goarch                          # "amd64", "arm64", "386", ... or None
    elf.interpreter                     # "/lib64/ld-linux-x86-64.so.2" or None (static)
    elf.section(".go.buildinfo")        # Section or None
    read_dynamic(source, elf)           # DynamicNeeds: DT_NEEDED libraries, symbol versions
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from gobuild.check.source import BytesSource, ElfError, FileSource, Source, as_source, check_range

__all__ = [
    "BytesSource", "DynamicNeeds", "ElfError", "ElfFile", "FileSource", "Source", "as_source",
    "check_range", "is_elf", "parse_elf", "read_dynamic",
]  # fmt: skip

ELF_MAGIC = b"\x7fELF"

# e_type values.
ET_REL = 1
ET_EXEC = 2
ET_DYN = 3
ET_CORE = 4

# p_type values and p_flags bits.
PT_LOAD = 1
PT_DYNAMIC = 2
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
MAX_VERSION_RECORDS = 4096

# d_tag values read from the dynamic section.
DT_NULL = 0
DT_NEEDED = 1
DT_STRTAB = 5
DT_STRSZ = 10
DT_VERNEED = 0x6FFFFFFE
DT_VERNEEDNUM = 0x6FFFFFFF

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


# ─── The dynamic section: which libraries and symbol versions the loader must find ───


@dataclass(frozen=True, kw_only=True)
class DynamicNeeds:
    """What a dynamically linked executable asks of the system it runs on."""

    libraries: tuple[str, ...] = ()  # DT_NEEDED, in the order the loader looks them up
    # (library, version) from .gnu.version_r: ("libc.so.6", "GLIBC_2.34"), ...
    versions: tuple[tuple[str, str], ...] = ()


def read_dynamic(data: bytes | Source, elf: ElfFile) -> DynamicNeeds:
    """Reads DT_NEEDED and the version needs (.gnu.version_r) through the PT_DYNAMIC segment,
    as the loader does (section headers may be stripped). A static executable needs nothing.
    Raises ElfError when the tables are malformed; reads a few kilobytes."""
    source = as_source(data)
    segment = next((h for h in elf.program_headers if h.type == PT_DYNAMIC), None)
    if segment is None:
        return DynamicNeeds()
    layout = _Layout(bits=elf.bits, order="<" if elf.little_endian else ">")
    row = layout.order + ("qQ" if elf.bits == 64 else "iI")
    row_size = struct.calcsize(row)
    if segment.filesz > MAX_TABLE_BYTES:
        raise ElfError(f"a dynamic section of {segment.filesz} bytes: more than any real executable has")
    raw = source.read_at(segment.offset, segment.filesz - segment.filesz % row_size)
    tags: dict[int, int] = {}
    needed: list[int] = []
    for tag, value in struct.iter_unpack(row, raw):
        if tag == DT_NULL:
            break
        if tag == DT_NEEDED:
            needed.append(value)
        else:
            tags.setdefault(tag, value)
    if DT_STRTAB not in tags:
        if needed or DT_VERNEED in tags:
            raise ElfError("the dynamic section names libraries but has no string table")
        return DynamicNeeds()
    strings = _dynamic_strings(source, elf, tags[DT_STRTAB], tags.get(DT_STRSZ, 0))
    libraries = tuple(_name_at(strings, offset) for offset in needed)
    versions = _version_needs(source, elf, layout.order, tags, strings)
    return DynamicNeeds(libraries=libraries, versions=versions)


def _dynamic_strings(source: Source, elf: ElfFile, address: int, size: int) -> bytes:
    if size > MAX_NAME_TABLE:
        raise ElfError(f"a dynamic string table of {size} bytes: more than any real executable has")
    offset = elf.file_offset(address, size)
    if offset is None:
        raise ElfError(f"the dynamic string table at {address:#x} is in no loaded segment")
    return source.read_at(offset, size)


def _version_needs(source: Source, elf: ElfFile, order: str, tags: dict[int, int],
                   strings: bytes) -> tuple[tuple[str, str], ...]:
    """Walks the Elf_Verneed records and their Elf_Vernaux lists (16 bytes each in both classes)."""
    if DT_VERNEED not in tags:
        return ()
    position = elf.file_offset(tags[DT_VERNEED], 16)
    if position is None:
        raise ElfError(f"the version needs at {tags[DT_VERNEED]:#x} are in no loaded segment")
    found: list[tuple[str, str]] = []
    for _ in range(min(tags.get(DT_VERNEEDNUM, 0), MAX_VERSION_RECORDS)):
        _version, count, file, aux, following = struct.unpack(order + "HHIII", source.read_at(position, 16))
        library = _name_at(strings, file)
        entry = position + aux
        for _ in range(count):
            if len(found) >= MAX_VERSION_RECORDS:
                raise ElfError("more symbol versions than any real executable needs")
            _hash, _flags, _other, name, step = struct.unpack(order + "IHHII", source.read_at(entry, 16))
            found.append((library, _name_at(strings, name)))
            if step == 0:
                break
            entry += step
        if following == 0:
            break
        position += following
    return tuple(found)
