"""Which string values changed between two binaries whose code did not: -X values and constants.

`-X importpath.name=value` and a changed `var name = "..."` both change only data: the
variable's string header (pointer, length) in .data points at other bytes in .rodata, or at
the same place whose bytes changed. Headers whose strings differ give the exact old and new
value (the variable's name is not in a stripped binary). Constants used only by code have no
header: the bytes that differ in a same-size .rodata are shown with a little context, since Go
packs string data without separators.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from collections.abc import Iterator

from gobuild.diff.gosym.binary import GoBinary, Section
from gobuild.diff.gosym.relocations import differing_runs

MAX_STRING = 4096  # longer values are not version stamps or messages worth showing
MAX_FOUND = 20
MAX_DATA = 4 << 20  # bytes of .data scanned for string headers
MAX_RUNS = 10_000  # changed runs of .rodata considered
CONTEXT = 12  # bytes shown each side of a changed constant


def changed_strings(old: GoBinary, new: GoBinary) -> tuple[tuple[str, str], ...]:
    """(old value, new value) of string data that differs, in file order, without repeats."""
    runs = _rodata_runs(old, new)
    found = list(_string_headers(old, new, runs))
    if not found:
        found = list(_rodata_text(old, new, runs))
    unique: list[tuple[str, str]] = []
    for pair in found:
        if pair not in unique:
            unique.append(pair)
        if len(unique) >= MAX_FOUND:
            break
    return tuple(unique)


def _pair(old: GoBinary, new: GoBinary, name: str) -> tuple[Section, Section] | None:
    a, b = old.sections.get(name), new.sections.get(name)
    if a is None or b is None or a.size != b.size or old.pointer_format != new.pointer_format:
        return None
    return a, b


def _rodata_runs(old: GoBinary, new: GoBinary) -> list[tuple[int, int]]:
    """Address ranges [start, end) where a .rodata of unchanged place and size differs."""
    sections = _pair(old, new, ".rodata")
    if sections is None or sections[0].addr != sections[1].addr:
        return []
    a, b = sections
    runs = []
    for run in differing_runs(old.read(a.offset, a.size), new.read(b.offset, b.size)):
        runs.append((a.addr + run.start(), a.addr + run.end()))
        if len(runs) >= MAX_RUNS:
            break
    return runs


def _touches(runs: list[tuple[int, int]], starts: list[int], address: int, length: int) -> bool:
    i = bisect_right(starts, address + length - 1) - 1
    return i >= 0 and runs[i][1] > address


def _string_headers(old: GoBinary, new: GoBinary, runs: list[tuple[int, int]]) -> Iterator[tuple[str, str]]:
    """Values of (pointer, length) pairs in .data whose text differs between the files: the
    header itself changed, or it points at bytes of .rodata that did."""
    sections = _pair(old, new, ".data")
    if sections is None:
        return
    a, b = sections
    size = min(a.size, MAX_DATA)
    ptr = old.pointer_format
    word = struct.calcsize(ptr)
    count = size // word
    old_words = struct.unpack_from(f"<{count}{ptr}", old.read(a.offset, count * word))
    new_words = struct.unpack_from(f"<{count}{ptr}", new.read(b.offset, count * word))
    starts = [start for start, _ in runs]
    for i in range(count - 1):
        old_header, new_header = old_words[i : i + 2], new_words[i : i + 2]
        length = old_header[1]
        if not (0 < length <= MAX_STRING and 0 < new_header[1] <= MAX_STRING):
            continue
        if old_header == new_header and not (runs and _touches(runs, starts, old_header[0], length)):
            continue
        pair = _text_pair(old, new, old_header, new_header)
        if pair is not None:
            yield pair


def _text_pair(old: GoBinary, new: GoBinary, a: tuple[int, ...], b: tuple[int, ...]) -> tuple[str, str] | None:
    old_text, new_text = _text_at(old, a[0], a[1]), _text_at(new, b[0], b[1])
    if old_text is None or new_text is None or old_text == new_text:
        return None
    return old_text, new_text


def _text_at(binary: GoBinary, address: int, length: int) -> str | None:
    """Printable UTF-8 text at `address` in .rodata, else None."""
    rodata = binary.sections.get(".rodata")
    if rodata is None or not rodata.addr <= address < address + length <= rodata.addr + rodata.size:
        return None
    raw = binary.read_address(address, length)
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text.isprintable() else None


def _rodata_text(old: GoBinary, new: GoBinary, runs: list[tuple[int, int]]) -> Iterator[tuple[str, str]]:
    """The printable bytes that differ in .rodata, with CONTEXT bytes around them ("…" marks a cut)."""
    rodata = old.sections.get(".rodata")
    if not runs or rodata is None:
        return
    old_data = old.read(rodata.offset, rodata.size)
    new_data = new.read(new.sections[".rodata"].offset, rodata.size)
    ends = {start - rodata.addr: end - rodata.addr for start, end in runs}  # offsets in the section
    covered = -1
    for count, (start, end) in enumerate(runs):
        if count >= MAX_FOUND * 4:
            return
        start, end = start - rodata.addr, end - rodata.addr
        if end <= covered or not _printable(old_data[start:end]) or not _printable(new_data[start:end]):
            continue
        left, right = _widen(old_data, new_data, start, end, ends)
        covered = right
        cut_left = "…" if left > 0 and _printable(old_data[left - 1 : left]) else ""
        cut_right = "…" if right < len(old_data) and _printable(old_data[right : right + 1]) else ""
        old_text, new_text = (cut_left + data[left:right].decode("ascii") + cut_right for data in (old_data, new_data))
        yield old_text, new_text


def _printable(data: bytes) -> bool:
    return bool(data) and all(32 <= c < 127 for c in data)


def _widen(old: bytes, new: bytes, start: int, end: int, ends: dict[int, int]) -> tuple[int, int]:
    """[start, end) grown over printable bytes: CONTEXT each way, and across nearby changes."""
    left = start
    while left > max(0, start - CONTEXT) and _printable(old[left - 1 : left]) and _printable(new[left - 1 : left]):
        left -= 1
    right, limit = end, end + CONTEXT
    while right < min(len(old), limit) and _printable(old[right : right + 1]) and _printable(new[right : right + 1]):
        right += 1
        if right in ends:  # another change close by: show it too
            limit = ends[right] + CONTEXT
    return left, right
