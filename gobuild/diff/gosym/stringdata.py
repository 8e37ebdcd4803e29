"""Which string values changed between two binaries whose code did not: -X values and constants.

`-X importpath.name=value` and a changed `var name = "..."` both change only data: the
variable's string header (pointer, length) in .data points at other bytes in .rodata. Headers
at the same place in both files whose strings differ name the old and new value (the
variable's name is not in a stripped binary). When .data holds none, differing runs of a
same-size .rodata are widened to the printable text around them (a changed constant).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from gobuild.diff.gosym.binary import GoBinary, Section
from gobuild.diff.gosym.relocations import differing_runs

MAX_STRING = 4096  # longer values are not version stamps or messages worth showing
MAX_FOUND = 20
MAX_CANDIDATES = 100_000  # differing words examined; bounds the work on a shifted layout
CONTEXT = 60  # printable bytes shown around a changed constant


def changed_strings(old: GoBinary, new: GoBinary) -> tuple[tuple[str, str], ...]:
    """(old value, new value) of string data that differs, in file order, without repeats."""
    found = list(_string_headers(old, new))
    if not found:
        found = list(_rodata_text(old, new))
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


def _string_headers(old: GoBinary, new: GoBinary) -> Iterator[tuple[str, str]]:
    """Values of (pointer, length) pairs in .data that point at different text in each file."""
    sections = _pair(old, new, ".data")
    if sections is None:
        return
    a, b = sections
    old_data, new_data = old.read(a.offset, a.size), new.read(b.offset, b.size)
    ptr = old.pointer_format
    word = struct.calcsize(ptr)
    header = struct.Struct(f"<2{ptr}")
    examined = 0
    last = -1
    for run in differing_runs(old_data, new_data):
        start, end = run.span()
        # A header covering any changed byte starts at most one word before it.
        first = max(start - start % word - word, last + word, 0)
        for at in range(first, min(end, len(old_data) - 2 * word + 1), word):
            last = at
            examined += 1
            if examined > MAX_CANDIDATES:
                return
            pair = _text_pair(old, new, header.unpack_from(old_data, at), header.unpack_from(new_data, at))
            if pair is not None:
                yield pair


def _text_pair(old: GoBinary, new: GoBinary, a: tuple[int, int], b: tuple[int, int]) -> tuple[str, str] | None:
    if not (0 < a[1] <= MAX_STRING and 0 < b[1] <= MAX_STRING) or a == b:
        return None
    old_text, new_text = _text_at(old, *a), _text_at(new, *b)
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


def _rodata_text(old: GoBinary, new: GoBinary) -> Iterator[tuple[str, str]]:
    """Printable text around the bytes that differ in a .rodata of unchanged size."""
    sections = _pair(old, new, ".rodata")
    if sections is None:
        return
    a, b = sections
    old_data, new_data = old.read(a.offset, a.size), new.read(b.offset, b.size)
    covered = -1
    for count, run in enumerate(differing_runs(old_data, new_data)):
        start, end = run.span()
        if count >= MAX_FOUND * 4:
            return
        if end <= covered:
            continue
        low, high = _printable_span(old_data, start, end), _printable_span(new_data, start, end)
        if low is None or high is None:
            continue
        left, right = min(low[0], high[0]), max(low[1], high[1])
        covered = right
        yield (old_data[left:right].decode("utf-8", "replace"), new_data[left:right].decode("utf-8", "replace"))


def _printable_span(data: bytes, start: int, end: int) -> tuple[int, int] | None:
    """[start, end) widened over printable ASCII up to CONTEXT bytes each way, or None."""
    if not all(32 <= c < 127 for c in data[start:end]):
        return None
    left = start
    while left > max(0, start - CONTEXT) and 32 <= data[left - 1] < 127:
        left -= 1
    right = end
    while right < min(len(data), end + CONTEXT) and 32 <= data[right] < 127:
        right += 1
    return left, right
