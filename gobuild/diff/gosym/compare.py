"""Function-by-function comparison of two Go binaries, grouped and ranked by package.

Functions are matched by name (repeats keyed "name#2"), sliced from the text and trimmed
of alignment padding. Equal bytes are "same"; a different length is a "size" change; equal
length with differences only in relocated addresses is "moved" (see relocations); anything
else is a "code" change. Packages are ranked by how many functions were added, removed or
resized, then by how many were recoded, then by the size change.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from gobuild.diff.gosym.binary import GoBinary
from gobuild.diff.gosym.names import package_of, package_of_file
from gobuild.diff.gosym.pclntab import Function
from gobuild.diff.gosym.reader import GoSymError
from gobuild.diff.gosym.relocations import Relocations

Change = Literal["added", "removed", "size", "code"]
MAX_INLINE_LOOKUPS = 2000  # changed functions whose inline trees diff() reads
# The build ID notes differ whenever anything does; .shstrtab holds only section names.
IGNORED_SECTIONS = frozenset({".note.go.buildid", ".note.gnu.build-id", ".shstrtab"})


@dataclass(frozen=True, kw_only=True)
class FunctionDiff:
    """A function that was added, removed, or whose code changed."""

    name: str
    package: str
    change: Change  # "size": the code size without padding differs; "code": same size
    old_size: int  # bytes of code without alignment padding; 0 when added
    new_size: int  # 0 when removed
    file: str
    inlined: tuple[str, ...] = ()  # functions inlined into it (Go 1.20+ tables)

    @property
    def delta(self) -> int:
        return self.new_size - self.old_size


@dataclass(frozen=True, kw_only=True)
class PackageDiff:
    """The changed functions of one package, largest size change first."""

    package: str
    functions: tuple[FunctionDiff, ...]

    def count(self, change: Change) -> int:
        """How many of its functions have this kind of change."""
        return sum(1 for f in self.functions if f.change == change)

    @property
    def size_delta(self) -> int:
        return sum(f.delta for f in self.functions)

    @property
    def directory(self) -> str:
        """The source directory most of these functions come from (names "main"'s path)."""
        dirs = Counter(package_of_file(f.file) for f in self.functions if f.file)
        return dirs.most_common(1)[0][0] if dirs else ""

    @property
    def rank(self) -> tuple[int, int, int]:
        """Sort key: most functions added, removed or resized, then most recoded."""
        structural = sum(1 for f in self.functions if f.change != "code")
        return (-structural, -self.count("code"), -abs(self.size_delta))


@dataclass(frozen=True, kw_only=True)
class BinaryDiff:
    """What differs between two Go binaries' code, by function and package."""

    functions: tuple[FunctionDiff, ...]
    packages: tuple[PackageDiff, ...]  # the package most likely changed first
    same: int  # functions with equal bytes
    moved: int  # functions equal but for the addresses of code or data that moved
    sections: tuple[str, ...]  # sections whose bytes differ, build ID notes aside
    old_build_id: str
    new_build_id: str
    # Packages whose unchanged functions start on another line (comments or code added
    # above them in their file), with how many: (package, count), most first. Counted only
    # when no function changed, the one case that it explains.
    relined: tuple[tuple[str, int], ...] = ()

    def inlined_elsewhere(self) -> list[tuple[str, int]]:
        """Functions of other packages inlined into changed functions, most often first.

        A change to a small function shows only in the functions it was inlined into,
        which may belong to other packages; a function inlined into many of the changed
        ones explains them all. Each item is (name, number of changed functions).
        """
        counts = Counter(name for f in self.functions for name in f.inlined if package_of(name) != f.package)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    @property
    def main_package_changed(self) -> bool | None:
        """Whether the compiled main package differs, from the build IDs, if both have one.

        A binary's Go build ID is actionID(link)/actionID(main)/contentID(main)/contentID(link);
        contentID(main) hashes the main package's compiled object.
        """
        old, new = self.old_build_id.split("/"), self.new_build_id.split("/")
        if len(old) != 4 or len(new) != 4:
            return None
        return old[2] != new[2]

    @property
    def only_build_ids_differ(self) -> bool:
        """True when the files differ in their build IDs alone (the contentIDs match)."""
        old, new = self.old_build_id.split("/"), self.new_build_id.split("/")
        return len(old) == len(new) == 4 and old[3] == new[3] and old != new


def _trim(code: bytes, goarch: str) -> bytes:
    """The code without the padding that aligns the next function."""
    if goarch in ("amd64", "386"):
        return code.rstrip(b"\xcc")  # INT3
    trimmed = code.rstrip(b"\0")  # zero words elsewhere
    return code[: len(trimmed) + (-len(trimmed)) % 4]


def diff(old: GoBinary, new: GoBinary) -> BinaryDiff:
    """Compares two binaries function by function and groups the changes by package.

    A function of both binaries changed when its code size without padding differs
    ("size"), or when its bytes differ in more than relative addresses ("code").
    Raises GoSymError when the binaries are for different architectures.
    """
    if old.goarch != new.goarch:
        raise GoSymError(f"cannot compare {old.goarch} code with {new.goarch} code")
    relocations = Relocations(old, new)
    checks: dict[str, Callable[[bytes, bytes, int, int], bool]] = {
        "amd64": relocations.amd64, "arm64": relocations.arm64,
    }
    moved_only = checks.get(old.goarch)
    goarch = old.goarch
    old_text, old_base, new_text, new_base = old.text, old.text_start, new.text, new.text_start
    old_entries, new_entries = old.entries, new.entries
    after = {key: index for index, key in enumerate(new.keys)}
    changed: list[tuple[Change, GoBinary, int, int, int]] = []  # change, binary, index, sizes
    unchanged: list[tuple[int, int]] = []  # (old index, new index) of functions with the same code
    moved = 0
    for i, key in enumerate(old.keys):
        a = old_text[old_entries[i] - old_base : old_entries[i + 1] - old_base]
        j = after.pop(key, None)
        if j is None:
            changed.append(("removed", old, i, len(_trim(a, goarch)), 0))
            continue
        b = new_text[new_entries[j] - new_base : new_entries[j + 1] - new_base]
        if a == b:  # padding included: the common case needs no trimming
            unchanged.append((i, j))
            continue
        a, b = _trim(a, goarch), _trim(b, goarch)
        if a == b:
            unchanged.append((i, j))
        elif len(a) != len(b):
            changed.append(("size", new, j, len(a), len(b)))
        elif moved_only is not None and moved_only(a, b, old_entries[i], new_entries[j]):
            unchanged.append((i, j))
            moved += 1
        else:
            changed.append(("code", new, j, len(a), len(b)))
    changed += [("added", new, j, 0, len(_trim(new.code(j), goarch))) for j in after.values()]
    # Start lines explain a diff with no changed function; with changed ones they are noise.
    relined: Counter[str] = Counter()
    if not changed:
        for i, j in unchanged:
            if old.start_line(i) != new.start_line(j):
                relined[_package(new, j)] += 1
    return _result(old, new, changed, same=len(unchanged) - moved, moved=moved, relined=relined)


def _package(binary: GoBinary, index: int) -> str:
    return package_of(binary.names[index]) or package_of_file(binary.file(index))


def _result(old: GoBinary, new: GoBinary, changed: list[tuple[Change, GoBinary, int, int, int]], *,
            same: int, moved: int, relined: Counter[str]) -> BinaryDiff:
    # Inline trees explain changes that come from other packages; a diff this large
    # (a different Go version, say) is not about them.
    inlines = len(changed) <= MAX_INLINE_LOOKUPS
    changes: list[FunctionDiff] = []
    for change, binary, index, old_size, new_size in changed:
        f: Function = binary.function(index)
        inlined = binary.inlined(index) if inlines and change != "removed" else ()
        changes.append(FunctionDiff(name=f.name, package=f.package, change=change, old_size=old_size,
                                    new_size=new_size, file=f.file, inlined=inlined))
    by_package: dict[str, list[FunctionDiff]] = defaultdict(list)
    for item in changes:
        by_package[item.package].append(item)
    packages = sorted(
        (
            PackageDiff(package=name, functions=tuple(sorted(items, key=lambda c: (-abs(c.delta), c.name))))
            for name, items in by_package.items()
        ),
        key=lambda p: (p.rank, p.package),
    )
    return BinaryDiff(
        functions=tuple(changes),
        packages=tuple(packages),
        same=same,
        moved=moved,
        sections=differing_sections(old, new),
        old_build_id=old.build_id,
        new_build_id=new.build_id,
        relined=tuple(sorted(relined.items(), key=lambda item: (-item[1], item[0]))),
    )


def differing_sections(old: GoBinary, new: GoBinary) -> tuple[str, ...]:
    """Sections (segments if a file has no section headers) whose bytes differ, build IDs aside."""
    old_parts, new_parts = old.parts(), new.parts()
    names = [n for n in old_parts if n not in IGNORED_SECTIONS]
    names += [n for n in new_parts if n not in IGNORED_SECTIONS and n not in old_parts]
    return tuple(
        name
        for name in names
        if name not in old_parts or name not in new_parts or old.read(*old_parts[name]) != new.read(*new_parts[name])
    )
