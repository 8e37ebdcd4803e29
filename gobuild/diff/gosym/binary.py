"""GoBinary: the function table of one ELF Go executable, found even with `-s -w` and without
section headers, with access to each function's code, inline tree and start line.

The ELF headers come from gobuild.check.elf; this module finds the pclntab (by section, else
by scanning the loadable segments for a header that validates), runtime.moduledata (for the
text start and the funcdata base) and the Go build ID note.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass

from gobuild.check.elf import PF_X, PT_LOAD, ElfError, ElfFile, ProgramHeader, Source, parse_elf
from gobuild.diff.gosym.pclntab import MAGICS, Function, Header, Pclntab, parse_header
from gobuild.diff.gosym.reader import BoundedFile, GoSymError

PT_NOTE = 4
SHT_NOBITS = 8
GO_BUILD_ID_NOTE = 4  # the note type cmd/link writes for the Go build ID, owner "Go\0\0"

# Words of runtime.moduledata: the pcHeader pointer, six slices of three words,
# findfunctab, minpc, maxpc, then text (the same from Go 1.16 to 1.27). Further on come
# rodata and gofunc, the base of funcdata offsets, at words 37-38 (Go 1.18, 1.19),
# 39-40 (1.20 to 1.26) or 42-43 (1.27).
MODULEDATA_TEXT = 22
MODULEDATA_RODATA = range(36, 46)
MODULEDATA_WORDS = 47

MAX_INLINED = 1 << 16  # inline tree entries of one function; real ones have at most hundreds
INLINED_CALL_SIZE = 16  # runtime.inlinedCall from Go 1.20 on; the callee's name offset is at +4


@dataclass(frozen=True, kw_only=True)
class Section:
    """A named section with bytes in the file."""

    name: str
    addr: int
    offset: int
    size: int


class _Elf:
    """What gosym needs from gobuild.check.elf: little-endian files, named sections, segments."""

    def __init__(self, file: BoundedFile) -> None:
        try:
            elf: ElfFile = parse_elf(file.source)
        except GoSymError:
            raise
        except ElfError as error:
            raise GoSymError(str(error)) from None
        if not elf.little_endian:
            raise GoSymError("only little-endian ELF files are supported")
        self.goarch = elf.goarch or f"machine {elf.machine}"
        self.ptr = "Q" if elf.bits == 64 else "I"  # struct code of a target pointer
        self.segments: tuple[ProgramHeader, ...] = elf.program_headers
        self.sections: dict[str, Section] = {}
        for s in elf.sections:
            if s.name and s.type != SHT_NOBITS and s.offset + s.size <= file.size:
                self.sections.setdefault(s.name, Section(name=s.name, addr=s.addr, offset=s.offset, size=s.size))
        self._elf = elf

    def loads(self) -> list[ProgramHeader]:
        return [s for s in self.segments if s.type == PT_LOAD]

    def file_offset(self, vaddr: int, length: int) -> int | None:
        """The file offset of `length` bytes at `vaddr`, or None if no segment holds them."""
        return self._elf.file_offset(vaddr, length)

    def offset_of(self, vaddr: int, length: int) -> int:
        """The file offset of `length` bytes at `vaddr`; GoSymError if no segment holds them."""
        offset = self._elf.file_offset(vaddr, length)
        if offset is None:
            raise GoSymError(f"{length} bytes at address {vaddr:#x} are not in the file")
        return offset


def _go_build_id(file: BoundedFile, elf: _Elf) -> str:
    """The Go build ID from the "Go" ELF note of type 4, or "" if there is none."""
    section = elf.sections.get(".note.go.buildid")
    spans = [(section.offset, section.size)] if section else []
    spans += [(s.offset, s.filesz) for s in elf.segments if s.type == PT_NOTE]
    for offset, size in spans:
        notes = file.read(offset, min(size, 4096))
        at = 0
        while at + 12 <= len(notes):
            namesz, descsz, kind = struct.unpack_from("<III", notes, at)
            name_at = at + 12
            desc_at = name_at + (namesz + 3) // 4 * 4
            at = desc_at + (descsz + 3) // 4 * 4
            if at > len(notes):
                break
            if kind == GO_BUILD_ID_NOTE and notes[name_at : name_at + namesz] == b"Go\0\0":
                return notes[desc_at : desc_at + descsz].decode("ascii", "replace")
    return ""


def _find_pclntab(file: BoundedFile, elf: _Elf) -> tuple[int, int, int]:
    """File offset, address and largest possible length of the pclntab."""
    section = elf.sections.get(".gopclntab")
    if section is not None:
        return elf.offset_of(section.addr, section.size), section.addr, section.size
    # No section headers: look for a valid header in the segments, read-only ones first.
    word = 8 if elf.ptr == "Q" else 4
    for seg in sorted(elf.loads(), key=lambda s: s.flags & PF_X != 0):
        data = file.read(seg.offset, seg.filesz)
        for magic in MAGICS:
            needle = struct.pack("<IH", magic, 0)
            at = data.find(needle)
            while at >= 0:
                if at % word == 0:
                    try:
                        parse_header(memoryview(data)[at:], elf.ptr)
                    except GoSymError:
                        pass
                    else:
                        return seg.offset + at, seg.vaddr + at, seg.filesz - at
                at = data.find(needle, at + 1)
    raise GoSymError("no Go function table (pclntab) found: not a Go binary, or Go 1.15 or older")


def _find_moduledata(file: BoundedFile, elf: _Elf, pclntab_addr: int, header: Header) -> tuple[int, ...]:
    """The first words of runtime.moduledata, or () if it cannot be found.

    It is the word-aligned record that starts with the addresses of the pcHeader and of
    the funcnametab after it, in .go.module (Go 1.26) or .noptrdata, or else anywhere in
    a non-executable segment.
    """
    needle = struct.pack(f"<2{elf.ptr}", pclntab_addr, pclntab_addr + header.funcnames)
    word = len(needle) // 2
    section = elf.sections.get(".go.module") or elf.sections.get(".noptrdata")
    spans = [(section.offset, section.size)] if section else []
    spans += [(s.offset, s.filesz) for s in elf.loads() if not s.flags & PF_X]
    for offset, size in spans:
        data = file.read(offset, size)
        at = data.find(needle)
        while at >= 0:
            if at % word == 0 and at + MODULEDATA_WORDS * word <= len(data):
                return struct.unpack_from(f"<{MODULEDATA_WORDS}{elf.ptr}", data, at)
            at = data.find(needle, at + 1)
    return ()


def _text_start(moduledata: tuple[int, ...], elf: _Elf, header: Header) -> int:
    """Where function entry offsets count from: moduledata.text, as the runtime uses.

    Else the .text section (what debug/gosym uses), else the header field that Go 1.18
    to 1.25 wrote (zero in files whose relocations were not applied).
    """
    if moduledata:
        return moduledata[MODULEDATA_TEXT]
    text = elf.sections.get(".text")
    if text is not None:
        return text.addr
    if header.text_start:
        return header.text_start
    raise GoSymError("cannot tell where the Go code starts")


def _gofunc(moduledata: tuple[int, ...], elf: _Elf) -> int:
    """moduledata.gofunc: the word after the last one that holds the start of rodata, or 0."""
    rodata = elf.sections.get(".rodata")
    data = [s.vaddr for s in elf.loads() if not s.flags & PF_X]
    start = rodata.addr if rodata is not None else min(data, default=-1)
    found = [i for i in MODULEDATA_RODATA if i + 1 < len(moduledata) and moduledata[i] == start]
    return moduledata[found[-1] + 1] if found else 0


def unique_keys(names: list[str]) -> list[str]:
    """A unique name per function, in order: repeats of a name get "#2", "#3" (ABI wrappers
    share their function's name)."""
    repeated = {name for name, count in Counter(names).items() if count > 1}
    if not repeated:
        return list(names)
    seen: dict[str, int] = {}
    keys = list(names)
    for i, name in enumerate(names):
        if name in repeated:
            n = seen.get(name, 0) + 1
            seen[name] = n
            if n > 1:
                keys[i] = f"{name}#{n}"
    return keys


class GoBinary:
    """The Go function table of one ELF executable, with access to its code.

    Functions are numbered in address order: `names[i]`, `entries[i]` to `entries[i + 1]`
    (the last entry is the end of the code). `functions` makes Function records of them.
    Raises GoSymError (a gobuild.check.elf.ElfError) for anything it cannot read.
    """

    def __init__(self, data: bytes | Source) -> None:
        self._file = file = BoundedFile(data)
        self._elf = elf = _Elf(file)
        self.goarch: str = elf.goarch
        self.sections: dict[str, Section] = dict(elf.sections)
        self.build_id: str = _go_build_id(file, elf)
        offset, addr, length = _find_pclntab(file, elf)
        table = Pclntab(file.read(offset, length), elf.ptr)
        self.pclntab_version: str = table.header.version  # layout: "go1.16", "go1.18", "go1.20"
        new_layout = table.header.version != "go1.16"
        moduledata = _find_moduledata(file, elf, addr, table.header) if new_layout else ()
        start = _text_start(moduledata, elf, table.header) if new_layout else 0
        self._table = table
        self.names, self.entries, self._records = table.functions(start)
        self.text_start: int = self.entries[0] if table.header.version == "go1.16" else start
        self.text_end: int = self.entries[-1]
        elf.offset_of(self.text_start, self.text_end - self.text_start)  # the code must be in the file
        self._text: bytes | None = None
        self._keys: list[str] | None = None
        self._functions: tuple[Function, ...] | None = None
        spans = [(s.vaddr, s.vaddr + s.memsz) for s in elf.loads() if not s.flags & PF_X]
        # Go lays out rodata, then data and bss, after the code: one span covers them.
        self.data_span: tuple[int, int] = (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else (0, 0)
        gofunc = _gofunc(moduledata, elf) if table.header.version == "go1.20" else 0
        # The inline trees are read only from Go 1.20 on, whose moduledata layout is known.
        self._gofunc = gofunc if self.data_span[0] <= gofunc < self.data_span[1] else 0

    @property
    def functions(self) -> tuple[Function, ...]:
        """Every function with its name, code range and source file, made on first use."""
        if self._functions is None:
            self._functions = tuple(self.function(i) for i in range(len(self.names)))
        return self._functions

    def function(self, index: int) -> Function:
        """The Function record of functions[index]."""
        return Function(name=self.names[index], entry=self.entries[index], end=self.entries[index + 1],
                        file=self.file(index))

    def file(self, index: int) -> str:
        """The source file of the first instruction of functions[index] ("" if none is recorded)."""
        return self._table.file(self._records[index])

    @property
    def text(self) -> bytes:
        """The code from text_start to text_end, read on first use."""
        if self._text is None:
            size = self.text_end - self.text_start
            self._text = self._file.read(self._elf.offset_of(self.text_start, size), size)
        return self._text

    @property
    def keys(self) -> list[str]:
        """A unique name per function, in address order (see unique_keys)."""
        if self._keys is None:
            self._keys = unique_keys(self.names)
        return self._keys

    def code(self, index: int) -> bytes:
        """The bytes of functions[index], with the padding up to the next function."""
        base = self.text_start
        return self.text[self.entries[index] - base : self.entries[index + 1] - base]

    def start_line(self, index: int) -> int | None:
        """The line of the "func" keyword of functions[index] (Go 1.20 and later), else None."""
        return self._table.start_line(self._records[index])

    def inlined(self, index: int) -> tuple[str, ...]:
        """Names of the functions the compiler inlined into functions[index], sorted.

        Empty when there are none, and for tables older than Go 1.20.
        """
        if not self._gofunc:
            return ()
        found = self._table.inline_tree(self._records[index], self.entries[index + 1] - self.entries[index])
        if found is None:
            return ()
        offset, count = found
        if count > MAX_INLINED:
            raise GoSymError(f"{self.names[index]} claims {count} inlined calls")
        length = INLINED_CALL_SIZE * count
        raw = self._file.read(self._elf.offset_of(self._gofunc + offset, length), length)
        return tuple(sorted({self._table.name(name) for (name,) in struct.iter_unpack("<4xi8x", raw)}))

    def parts(self) -> dict[str, tuple[int, int]]:
        """File offset and size of each named section, else of each loadable segment."""
        if self.sections:
            return {name: (s.offset, s.size) for name, s in self.sections.items()}
        return {
            f"segment {i} ({'x' if s.flags & PF_X else '-'})": (s.offset, s.filesz)
            for i, s in enumerate(self._elf.segments)
            if s.type == PT_LOAD
        }

    def read(self, offset: int, length: int) -> bytes:
        """Bytes of the file, bounds-checked."""
        return self._file.read(offset, length)

    def read_address(self, vaddr: int, length: int) -> bytes | None:
        """`length` bytes at a virtual address, or None when no segment holds them in the file."""
        offset = self._elf.file_offset(vaddr, length)
        return None if offset is None else self._file.read(offset, length)

    @property
    def pointer_format(self) -> str:
        """The struct code of a target pointer: "Q" (64-bit) or "I" (32-bit)."""
        return self._elf.ptr

    def locate(self, address: int) -> tuple[str, int] | None:
        """The (key, offset) of the function holding `address`, or None outside the code."""
        entries = self.entries
        i = bisect_right(entries, address) - 1
        if i < 0 or i >= len(self.names) or address >= entries[i + 1]:
            return None
        return self.keys[i], address - entries[i]
