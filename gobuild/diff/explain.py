"""Explains why two zips differ: archive first, then each differing Go binary's build
information, then its code. Needs nothing but the bytes (no Go, no network).
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from gobuild.check.buildinfo import BuildInfo, read_buildinfo
from gobuild.check.elf import ElfError, ElfFile, is_elf, parse_elf
from gobuild.diff.archive import Archive, compare_archives
from gobuild.diff.code import explain_code, module_of
from gobuild.diff.goinfo import compare_buildinfo, compare_recorded, parse_ldflags
from gobuild.diff.gosym import GoBinary, GoSymError, diff
from gobuild.diff.model import Difference, ordered
from gobuild.lambda_facts import BOOTSTRAP

STAMPED_INPUTS = "stamped-inputs"  # an -X value gobuild stamped from the inputs fingerprint
MAX_TEXT_DIFF = 1 << 16  # text entries up to this size get a line diff
MAX_DIFF_LINES = 12


def explain_zips(old: bytes, new: bytes, *, old_label: str, new_label: str,
                 old_recorded: Mapping[str, Any] | None = None,
                 new_recorded: Mapping[str, Any] | None = None) -> tuple[Difference, ...]:
    """Every difference between two zips, most decisive first; () when the bytes are equal.

    `*_recorded` are the settings artifacts.json recorded for each zip, if any: compared when
    both sides have them, and either side's ldflags name the variables of changed -X values
    (-trimpath builds leave -ldflags out of the binary).
    Raises DiffInputError when either zip cannot be read.
    """
    if old == new:
        return ()
    a, b = Archive(old, old_label), Archive(new, new_label)
    found, changed = compare_archives(a, b)
    for entry_a, entry_b in changed:
        found += explain_entry(entry_a.name, a.contents(entry_a), b.contents(entry_b))
    if old_recorded is not None and new_recorded is not None:
        found += compare_recorded(old_recorded, new_recorded)
    found = _unique(_name_x_values(found, old_recorded or {}, new_recorded or {}))
    if not found:
        found.append(Difference(level="archive", kind="headers", subject="",
                                message="the zips differ only outside what is compared (local headers, "
                                        "data descriptors or bytes between entries)"))
    return _inputs_stamps_last(ordered(found))


def _inputs_stamps_last(found: tuple[Difference, ...]) -> tuple[Difference, ...]:
    """An -X value stamped from {inputs} changes because the inputs did: the differences that
    say how come first, and the stamp leads only when nothing else differs."""
    stamps = tuple(d for d in found if d.kind == STAMPED_INPUTS)
    return (*(d for d in found if d.kind != STAMPED_INPUTS), *stamps)


def _name_x_values(found: list[Difference], old_recorded: Mapping[str, Any],
                   new_recorded: Mapping[str, Any]) -> list[Difference]:
    """A changed string value that an -X of either side's recorded ldflags set is that -X change.

    A stripped binary holds the value but not the variable's name; artifacts.json's ldflags
    name it, so one recorded side (a dist/ against a published.json) is enough.
    """
    old_x = dict(parse_ldflags(str(old_recorded.get("ldflags") or "")).assignments)
    new_x = dict(parse_ldflags(str(new_recorded.get("ldflags") or "")).assignments)
    # gobuild's stamping: the template says which placeholder an -X value came from.
    templates = {**dict(parse_ldflags(str(old_recorded.get("ldflags_template") or "")).assignments),
                 **dict(parse_ldflags(str(new_recorded.get("ldflags_template") or "")).assignments)}
    named = []
    for item in found:
        key = None
        if item.kind == "strings" and item.old is not None and item.new is not None:
            key = next((k for k, v in new_x.items() if v == item.new and old_x.get(k, item.old) == item.old), None)
            key = key or next((k for k, v in old_x.items() if v == item.old and new_x.get(k, item.new) == item.new),
                              None)
        if key is None:
            named.append(_stamped(item, templates))
            continue
        named.append(_stamped(Difference(
            level="build", kind="ldflags-x", subject=key, message=f"-X {key} changed ({item.old} → {item.new})",
            old=item.old, new=item.new,
            details=("the binary holds the value; artifacts.json's ldflags name the variable",)), templates))
    return named


def _stamped(item: Difference, templates: Mapping[str, str]) -> Difference:
    """An -X change whose value gobuild stamped from a placeholder says so ({inputs}: its own kind)."""
    template = templates.get(item.subject, "") if item.kind == "ldflags-x" else ""
    if "{" not in template:
        return item
    kind = STAMPED_INPUTS if "{inputs}" in template else item.kind
    return replace(item, kind=kind, details=(*item.details, f"stamped from the template -X {item.subject}={template}"))


def _unique(found: list[Difference]) -> list[Difference]:
    seen: set[tuple[str, str, str | None, str | None]] = set()
    unique = []
    for item in found:
        key = (item.kind, item.subject, item.old, item.new)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def explain_entry(name: str, old: bytes, new: bytes) -> list[Difference]:
    """Why one entry's contents differ: a Go binary by build information and code, else its bytes."""
    if is_elf(old) and is_elf(new):
        return explain_binary(name, old, new)
    return [_contents(name, old, new)]


def _contents(name: str, old: bytes, new: bytes, reason: str = "") -> Difference:
    details: tuple[str, ...] = ()
    if len(old) <= MAX_TEXT_DIFF and len(new) <= MAX_TEXT_DIFF:
        try:
            old_text, new_text = old.decode("utf-8"), new.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            lines = difflib.unified_diff(old_text.splitlines(), new_text.splitlines(), lineterm="", n=0)
            details = tuple(line for line in lines if not line.startswith(("---", "+++")))[:MAX_DIFF_LINES]
    extra = f"; {reason}" if reason else ""
    return Difference(level="archive", kind="contents", subject=name,
                      message=f"{name}: contents differ ({len(old)} → {len(new)} bytes{extra})",
                      old=str(len(old)), new=str(len(new)), details=details)


def _prefix(name: str, differences: list[Difference]) -> list[Difference]:
    """Names the entry in each message unless it is bootstrap, which every Lambda zip has."""
    if name == BOOTSTRAP:
        return differences
    return [replace(d, message=f"{name}: {d.message}") for d in differences]


def explain_binary(name: str, old: bytes, new: bytes) -> list[Difference]:
    """Why two ELF files differ: their Go build information, then their code."""
    try:
        old_elf, new_elf = parse_elf(old), parse_elf(new)
    except ElfError as error:
        return [_contents(name, old, new, f"not a readable ELF: {error}")]
    if old_elf.machine != new_elf.machine:
        return _prefix(name, [Difference(level="build", kind="architecture", subject="GOARCH",
                                         message=f"architecture {old_elf.arch_name} → {new_elf.arch_name}",
                                         old=old_elf.arch_name, new=new_elf.arch_name)])
    (old_info, old_error), (new_info, new_error) = _buildinfo(old, old_elf), _buildinfo(new, new_elf)
    if old_info is None or new_info is None:
        if old_info is None and new_info is None and not old_error and not new_error:
            return [_contents(name, old, new, "no Go build information")]
        which, reason = ("the old one", old_error) if old_info is None else ("the new one", new_error)
        why = f"{which}'s Go build information cannot be read: {reason}" if reason else \
            f"only one is a Go binary ({which} has no Go build information)"
        return _prefix(name, [Difference(level="build", kind="not-comparable", subject=name, message=why)])
    found = compare_buildinfo(old_info, new_info)
    if old_info.go_version != new_info.go_version:
        return _prefix(name, found)  # a new toolchain changes most functions: their list explains nothing
    try:
        old_binary, new_binary = GoBinary(old), GoBinary(new)
        result = diff(old_binary, new_binary)
        code = explain_code(old_binary, new_binary, result, old_info=old_info, new_info=new_info,
                            build_differs=bool(found))
    except GoSymError as error:
        found.append(Difference(level="code", kind="unreadable", subject=name,
                                message=f"the code differs; its Go function table cannot be read ({error})"))
        return _prefix(name, found)
    changed = Counter(module_of(f.package, new_info) for f in result.functions)
    found = _by_changed_code(found, changed)
    return _prefix(name, found + code)


def _buildinfo(data: bytes, elf: ElfFile) -> tuple[BuildInfo | None, str]:
    """The build information, or None and why it cannot be read ("" when there is none)."""
    try:
        return read_buildinfo(data, elf), ""
    except ElfError as error:
        return None, str(error)


def _by_changed_code(found: list[Difference], changed: Counter[str | None]) -> list[Difference]:
    """Dependency changes whose modules' code changed most first; the rest keep their order."""
    def key(item: Difference) -> tuple[int, int]:
        dependency = item.kind.startswith("dependency")
        return (1, -changed.get(item.subject, 0)) if dependency else (0, 0)

    return sorted(found, key=key)
