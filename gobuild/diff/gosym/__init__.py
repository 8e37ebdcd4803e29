"""gosym: which Go functions changed between two stripped binaries, from the binaries alone.

`-ldflags='-s -w'` drops the ELF symbol table and DWARF, but the Go runtime needs its own
function table (the "pclntab") for stack traces and garbage collection, so every Go binary
keeps it: each function's name, entry address and the source file of its code. That is
enough to say which functions' machine code differs between two builds, and to which Go
packages they belong, without Go installed.

    binary = GoBinary(data)                 # bytes, or a gobuild.check.elf Source
    binary.functions[0]                     # Function(name, entry, end, file)
    package_of("github.com/a/b.(*T).M")     # "github.com/a/b"
    result = diff(GoBinary(old), GoBinary(new))
    result.packages[0].package              # the package most likely changed
    changed_strings(old_binary, new_binary) # (("1.2.3", "1.2.4"),): -X values, constants

Reads 32- and 64-bit little-endian ELF executables built by Go 1.16 to 1.27 (pclntab magics
0xfffffffa, 0xfffffff0 and 0xfffffff1). Every read is bounded by the file and every count by
the bytes that hold it; malformed input raises GoSymError (a gobuild.check.elf.ElfError).
"""

from gobuild.diff.gosym.binary import GoBinary, Section
from gobuild.diff.gosym.compare import BinaryDiff, Change, FunctionDiff, PackageDiff, diff
from gobuild.diff.gosym.names import is_standard_library, package_of, package_of_file
from gobuild.diff.gosym.pclntab import Function
from gobuild.diff.gosym.reader import GoSymError
from gobuild.diff.gosym.stringdata import changed_strings

__all__ = [
    "BinaryDiff", "Change", "Function", "FunctionDiff", "GoBinary", "GoSymError", "PackageDiff", "Section",
    "changed_strings", "diff", "is_standard_library", "package_of", "package_of_file",
]  # fmt: skip
