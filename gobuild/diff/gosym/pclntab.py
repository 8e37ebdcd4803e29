"""The Go function table ("pclntab") of one binary: its header, function records and pc-value tables.

Layouts by the Go release that introduced them (runtime/symtab.go, internal/abi/symtab.go):
go1.16 (magic 0xfffffffa), go1.18 (0xfffffff0) and go1.20 (0xfffffff1, still used by 1.27).
Every offset is checked against the table before it is used, and every count against the
bytes that must hold it, so malformed input raises GoSymError and never allocates much.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from itertools import pairwise

from gobuild.diff.gosym.names import package_of, package_of_file
from gobuild.diff.gosym.reader import GoSymError

# The first four bytes of runtime.pcHeader, by the Go release that introduced the layout.
MAGICS = {0xFFFFFFFA: "go1.16", 0xFFFFFFF0: "go1.18", 0xFFFFFFF1: "go1.20"}
GO12_MAGIC = 0xFFFFFFFB  # Go 1.2 to 1.15: another layout, not supported

# Indexes into a _func's pcdata and funcdata arrays (internal/abi/symtab.go).
PCDATA_INLTREEINDEX = 2
FUNCDATA_INLTREE = 3
FUNC_RECORD_SIZE = 44  # _func from Go 1.20 on; the last byte is nfuncdata
START_LINE_OFFSET = 36  # _func.startLine (Go 1.20 and later)


@dataclass(frozen=True, kw_only=True)
class Header:
    """runtime.pcHeader: the layout version and where the tables after it start."""

    version: str  # "go1.16", "go1.18" or "go1.20"
    quantum: int  # instruction alignment: pc deltas in the pc tables are multiples of it
    nfunc: int
    text_start: int  # written by Go 1.18 to 1.25 only
    funcnames: int  # offsets from the header of the tables that follow it, in this order
    cutab: int
    filetab: int
    pctab: int
    functab: int


def parse_header(tab: bytes | memoryview, ptr: str) -> Header:
    """The pcHeader at the start of `tab`, checked so that every table lies inside `tab`.

    `ptr` is the struct code of a target pointer ("Q" for 64-bit files, "I" for 32-bit).
    """
    word = struct.calcsize(ptr)
    if len(tab) < 8 + 8 * word:
        raise GoSymError("pclntab header is truncated")
    magic, pad1, pad2, quantum, ptrsize = struct.unpack_from("<IBBBB", tab)
    if magic == GO12_MAGIC:
        raise GoSymError("this pclntab was written by Go 1.15 or older, which is not supported")
    if magic not in MAGICS or pad1 or pad2 or quantum not in (1, 2, 4) or ptrsize != word:
        raise GoSymError("no valid pclntab header")
    version = MAGICS[magic]
    if version == "go1.16":  # nfunc, nfiles, then five table offsets
        nfunc, _, *offsets = struct.unpack_from(f"<7{ptr}", tab, 8)
        text_start, header_size = 0, 8 + 7 * word
    else:  # nfunc, nfiles, textStart, five table offsets
        nfunc, _, text_start, *offsets = struct.unpack_from(f"<8{ptr}", tab, 8)
        header_size = 8 + 8 * word
    bounds = [header_size, *offsets, len(tab)]
    if any(a > b for a, b in pairwise(bounds)):
        raise GoSymError("pclntab table offsets are out of order or beyond the table")
    field = word if version == "go1.16" else 4
    if nfunc <= 0 or (2 * nfunc + 1) * field > len(tab) - offsets[4]:
        raise GoSymError(f"pclntab claims {nfunc} functions, more than its table holds")
    funcnames, cutab, filetab, pctab, functab = offsets
    return Header(version=version, quantum=quantum, nfunc=nfunc, text_start=text_start, funcnames=funcnames,
                  cutab=cutab, filetab=filetab, pctab=pctab, functab=functab)


def uvarint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """An unsigned LEB128 varint of at most 32 bits at `pos` (before `end`), and the next position."""
    value = shift = 0
    while shift < 35:
        if pos >= end:
            break
        byte = buf[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if byte < 0x80:
            return value, pos
    raise GoSymError("malformed varint in a pc-value table")


def zigzag(value: int) -> int:
    """Decodes a zig-zag encoded signed value."""
    return -((value + 1) >> 1) if value & 1 else value >> 1


@dataclass(frozen=True, kw_only=True, slots=True)
class Function:
    """One function: [entry, end) holds its code and the padding after it."""

    name: str
    entry: int
    end: int
    file: str  # source file of the function's first instruction; "" if none recorded

    @property
    def size(self) -> int:
        """Bytes from its entry to the next function's, padding included."""
        return self.end - self.entry

    @property
    def package(self) -> str:
        """The package path from the name, else from the source file's directory."""
        return package_of(self.name) or package_of_file(self.file)


class Pclntab:
    """The function records of one pclntab (the bytes of the whole table)."""

    def __init__(self, tab: bytes, ptr: str) -> None:
        self.tab, self.ptr = tab, ptr
        self.header = parse_header(tab, ptr)
        self._files: dict[int, str] = {}

    def _string(self, table: int, start: int, limit: int) -> str:
        """The NUL-terminated string at `start`, which must lie in [table, limit)."""
        end = self.tab.find(b"\0", start, limit) if table <= start < limit else -1
        if end < 0:
            raise GoSymError(f"unterminated string at pclntab offset {start}")
        return self.tab[start:end].decode("utf-8", "replace")

    def _file_at_entry(self, pcfile: int, cu_offset: int) -> str:
        """The first value of a function's pcfile table, as a file name.

        A pc-value table is a list of (value delta, pc delta) varint pairs; the value
        starts at -1 and its deltas are zig-zag encoded. The file number indexes the
        function's compilation unit in cutab, which holds offsets into filetab.
        """
        h, tab = self.header, self.tab
        pos = h.pctab + pcfile
        if pcfile == 0 or pos >= h.functab:
            return ""
        delta = tab[pos]
        if delta >= 0x80:  # the first value is almost always a one-byte varint
            delta, _ = uvarint(tab, pos, h.functab)
        number = -1 + zigzag(delta)
        if number < 0:
            return ""
        index = cu_offset + number
        name = self._files.get(index)
        if name is None:
            slot = h.cutab + 4 * index
            if slot + 4 > h.filetab:
                raise GoSymError("file number beyond the compilation unit table")
            (offset,) = struct.unpack_from("<I", tab, slot)
            name = "" if offset == 0xFFFFFFFF else self._string(h.filetab, h.filetab + offset, h.pctab)
            self._files[index] = name
        return name

    def functions(self, text_start: int) -> tuple[list[str], list[int], list[int]]:
        """The functions in address order: their names, their entry addresses followed by the
        end of the last one, and the offset of each one's _func record.

        functab holds nfunc (entry, record offset) pairs and one more entry, the end of
        the last function. Entries are offsets from the text start since Go 1.18, and
        absolute addresses (pointer-sized, as are record offsets) in Go 1.16.
        """
        h, tab = self.header, self.tab
        old = h.version == "go1.16"
        field = self.ptr if old else "I"
        pairs = struct.unpack_from(f"<{2 * h.nfunc + 1}{field}", tab, h.functab)
        base = 0 if old else text_start
        starts = [base + pc for pc in pairs[0::2]]
        if any(a > b for a, b in pairwise(starts)):
            raise GoSymError("pclntab function entries are not in address order")
        # _func: entry (pointer-sized before 1.18), nameOff, args, deferreturn, pcsp,
        # pcfile, pcln, npcdata, cuOffset, ...: the same order from 1.16 to 1.27.
        records = [h.functab + offset for offset in pairs[1:-1:2]]
        limit = len(tab) - struct.calcsize(f"<{field}iiIIIIII")
        if max(records) > limit:
            i = next(i for i, at in enumerate(records) if at > limit)
            raise GoSymError(f"the record of function {i} lies beyond the pclntab")
        name_at = struct.calcsize(field)
        name_offset = struct.Struct("<i").unpack_from
        known = self._names()
        names = []
        for at in records:
            (offset,) = name_offset(tab, at + name_at)
            name = known.get(offset)
            names.append(name if name is not None else self.name(offset))
        return names, starts, records

    def _names(self) -> dict[int, str]:
        """Every name in funcnametab by its offset: one split instead of a search per function."""
        h = self.header
        pieces = self.tab[h.funcnames : h.cutab].split(b"\0")
        names: dict[int, str] = {}
        at = 0
        for piece in pieces[:-1]:  # the text after the last NUL is not a terminated name
            names[at] = piece.decode("utf-8", "replace")
            at += len(piece) + 1
        return names

    def file(self, record: int) -> str:
        """The source file of the first instruction of the function whose _func is at `record`."""
        field = self.ptr if self.header.version == "go1.16" else "I"
        _, _, _, _, _, pcfile, _, _, cu_offset = struct.unpack_from(f"<{field}iiIIIIII", self.tab, record)
        return self._file_at_entry(pcfile, cu_offset)

    def name(self, offset: int) -> str:
        """The function name at `offset` in funcnametab."""
        return self._string(self.header.funcnames, self.header.funcnames + offset, self.header.cutab)

    def start_line(self, record: int) -> int | None:
        """_func.startLine: the line of the "func" keyword (Go 1.20 and later), else None."""
        if self.header.version != "go1.20" or record + START_LINE_OFFSET + 4 > len(self.tab):
            return None
        return int(struct.unpack_from("<i", self.tab, record + START_LINE_OFFSET)[0])

    def inline_tree(self, record: int, size: int) -> tuple[int, int] | None:
        """Where a function's inline tree is (offset from gofunc) and its length, if it has one.

        After the 44 bytes of _func (Go 1.20 and later; the last is nfuncdata) come npcdata
        uint32 offsets into pctab, then nfuncdata uint32 offsets from moduledata.gofunc. The
        tree has as many entries as the largest value of the function's inline-tree-index
        pc-value table, plus one.
        """
        h, tab = self.header, self.tab
        if h.version != "go1.20" or record + FUNC_RECORD_SIZE > len(tab):
            return None
        (npcdata,) = struct.unpack_from("<I", tab, record + 28)
        nfuncdata = tab[record + FUNC_RECORD_SIZE - 1]
        arrays = record + FUNC_RECORD_SIZE
        if arrays + 4 * (npcdata + nfuncdata) > len(tab):
            raise GoSymError("a function's pcdata and funcdata lie beyond the pclntab")
        if npcdata <= PCDATA_INLTREEINDEX or nfuncdata <= FUNCDATA_INLTREE:
            return None
        (index_table,) = struct.unpack_from("<I", tab, arrays + 4 * PCDATA_INLTREEINDEX)
        (tree,) = struct.unpack_from("<I", tab, arrays + 4 * (npcdata + FUNCDATA_INLTREE))
        if index_table == 0 or tree == 0xFFFFFFFF:
            return None
        count = self._largest_value(index_table, size) + 1
        return (tree, count) if count > 0 else None

    def _largest_value(self, table: int, size: int) -> int:
        """The largest value of a pc-value table over the first `size` bytes of a function.

        Each step reads at least two bytes of the table, so the loop ends with the table.
        """
        h, tab = self.header, self.tab
        pos, pc, value, largest = h.pctab + table, 0, -1, -1
        while pc < size:
            delta, pos = uvarint(tab, pos, h.functab)
            if delta == 0 and pc > 0:
                break  # end of table
            step, pos = uvarint(tab, pos, h.functab)
            value += zigzag(delta)
            largest = max(largest, value)
            pc += step * h.quantum
        return largest
