"""Whether two same-size versions of a function differ only in relative addresses.

Calls, jumps and PC-relative loads encode their target relative to the instruction, so they
change whenever code or data moves. A difference is "moved" when it lies in such an operand
and the targets are the same function at the same offset, or data in both binaries (data
cannot be matched up without a symbol table). Computing the target is what makes this safe:
a changed immediate that merely looks like an operand points nowhere sensible and fails.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from typing import Protocol

_NONZERO = re.compile(rb"[^\x00]+")
_INT32 = struct.Struct("<i").unpack_from
_UINT32 = struct.Struct("<I").unpack_from


class Located(Protocol):
    """What the check needs of a binary: where data lies, and which function holds an address."""

    @property
    def data_span(self) -> tuple[int, int]: ...

    def locate(self, address: int) -> tuple[str, int] | None: ...


def differing_runs(a: bytes, b: bytes) -> Iterator[re.Match[bytes]]:
    """Matches spanning the [start, end) ranges where two equally long byte strings differ."""
    xor = (int.from_bytes(a, "little") ^ int.from_bytes(b, "little")).to_bytes(len(a), "little")
    return _NONZERO.finditer(xor)


class Relocations:
    """Tells whether two same-size versions of a function differ only in relative addresses."""

    def __init__(self, old: Located, new: Located) -> None:
        self.old, self.new = old, new
        self.old_data, self.new_data = old.data_span, new.data_span
        self._known: dict[tuple[int, int], bool] = {}  # most calls go to a few functions

    def same_code(self, old_target: int, new_target: int) -> bool:
        """Both targets are the same function at the same offset."""
        known = self._known.get((old_target, new_target))
        if known is None:
            found = self.old.locate(old_target)
            known = found is not None and found == self.new.locate(new_target)
            self._known[old_target, new_target] = known
        return known

    def same_data_or_code(self, old_target: int, new_target: int) -> bool:
        """Both targets are data, or the same function at the same offset."""
        (old_low, old_high), (new_low, new_high) = self.old_data, self.new_data
        if old_low <= old_target < old_high and new_low <= new_target < new_high:
            return True
        return self.same_code(old_target, new_target)

    def amd64(self, a: bytes, b: bytes, old_entry: int, new_entry: int) -> bool:
        """x86-64: rel32 of CALL (e8), JMP (e9), Jcc (0f 8x), and ModRM [RIP+disp32].

        Each run of differing bytes must fit in one such 4-byte operand, at offset s.
        The operand ends its instruction except in RIP-relative instructions with an
        immediate, whose computed target is then off by a few bytes in both alike. A
        changed immediate after a byte that merely looks like a prefix makes a target
        that points nowhere sensible, and fails.
        """
        covered, last = 0, len(a) - 4
        for run in differing_runs(a, b):
            start, end = run.span()
            if end <= covered:
                continue
            low = max(end - 4, covered, 1)  # the operand must cover [start, end)
            for s in range(min(max(start, covered), last), low - 1, -1):
                prefix = a[s - 1]
                if prefix in (0xE8, 0xE9) or (prefix & 0xF0 == 0x80 and s >= 2 and a[s - 2] == 0x0F):
                    check = self.same_code
                elif prefix & 0xC7 == 0x05:  # ModRM mod 00, r/m 101: [RIP+disp32]
                    check = self.same_data_or_code
                else:
                    continue
                if check(old_entry + s + 4 + _INT32(a, s)[0], new_entry + s + 4 + _INT32(b, s)[0]):
                    covered = s + 4
                    break
            else:
                return False
        return True

    def arm64(self, a: bytes, b: bytes, old_entry: int, new_entry: int) -> bool:
        """AArch64: imm26 of B and BL, ADRP pages, and the low 12 address bits after ADRP."""
        if len(a) % 4:
            return False  # not whole instructions
        done = -1
        for run in differing_runs(a, b):
            start, end = run.span()
            for pc in range(start & ~3, end, 4):
                if pc <= done:
                    continue
                done = pc
                wa, wb = _UINT32(a, pc)[0], _UINT32(b, pc)[0]
                if wa & 0x7C000000 == 0x14000000 and (wa ^ wb) & 0xFC000000 == 0:  # B, BL
                    old_target = old_entry + pc + _signed(wa & 0x3FFFFFF, 26) * 4
                    if not self.same_code(old_target, new_entry + pc + _signed(wb & 0x3FFFFFF, 26) * 4):
                        return False
                elif wa & 0x9F000000 == 0x90000000 and (wa ^ wb) & 0x9F00001F == 0:  # ADRP
                    old_target = _adrp(wa, old_entry + pc) + _low12(a, pc + 4)
                    if not self.same_data_or_code(old_target, _adrp(wb, new_entry + pc) + _low12(b, pc + 4)):
                        return False
                elif pc == 0 or _UINT32(a, pc - 4)[0] & 0x9F000000 != 0x90000000:
                    return False  # neither an address operand nor after an ADRP
                elif (wa ^ wb) & ~(0xFFF << 10):
                    return False
        return True


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


def _adrp(word: int, pc: int) -> int:
    """The 4 KiB page an ADRP instruction at `pc` addresses."""
    imm = _signed(((word >> 5) & 0x7FFFF) << 2 | (word >> 29) & 3, 21)
    return (pc & ~0xFFF) + (imm << 12)


def _low12(code: bytes, pc: int) -> int:
    """The address bits that the ADD or load/store after an ADRP adds to its page, else 0."""
    if pc + 4 > len(code):
        return 0
    word = int(_UINT32(code, pc)[0])
    if word & 0xFFC00000 == 0x91000000:  # ADD (immediate, 64-bit, unshifted)
        return (word >> 10) & 0xFFF
    if word & 0x3B000000 == 0x39000000:  # LDR/STR (unsigned offset): imm12 scaled by size
        return ((word >> 10) & 0xFFF) << (word >> 30)
    return 0
