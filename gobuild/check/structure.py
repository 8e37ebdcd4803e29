"""Judges an archive's structure: whether Lambda (and `unzip`) can lay it out as a folder.

    judge_structure(file, directory, findings)   names, paths, links, methods, sizes, overlaps
    lint_structure(directory, findings)          warnings: Zip64, versions, descriptors, modes
    check_integrity(file, directory, findings)   every entry decompressed: size and CRC

Every error here makes the archive unextractable or unsafe to extract, and verify, repack,
invoke's extraction and the cache all refuse an archive for any of them (repack alone reads
Deflate64, its reason to exist). Work is bounded: names and paths are judged from the
directory, link targets are at most MAX_LINK bytes, and at most MAX_LINKS links are followed.
"""

from __future__ import annotations

import re
import stat
from collections import Counter
from itertools import pairwise
from typing import BinaryIO

from gobuild.check import zipformat as zf
from gobuild.check.findings import Finding, FindingList, display, finding, mib
from gobuild.check.zipentry import MAX_LINK, EntryError, EntryReader
from gobuild.check.zipread import Directory, Entry, decode_name
from gobuild.lambda_facts import BOOTSTRAP, LAMBDA_ZIP_METHODS, UNZIPPED_LIMIT

# Symlinks a path may pass through before it is called a loop (Linux's own limit).
MAX_HOPS = 40
# Archives with more links than this are not followed link by link.
MAX_LINKS = 10_000
_DRIVE = re.compile(r"[A-Za-z]:")
# Linux's NAME_MAX and PATH_MAX: a longer name cannot be created.
MAX_NAME = 255
MAX_PATH = 4096

REBUILD = "rebuild the zip with gobuild build (or gobuild repack)"


def escapes_root(name: str) -> bool:
    """Absolute, drive-letter or UNC paths, and '..' components (either slash counts)."""
    path = name.replace("\\", "/")
    return path.startswith("/") or bool(_DRIVE.match(path)) or ".." in path.split("/")


def judge_structure(file: BinaryIO, directory: Directory, findings: FindingList) -> bool:
    """Adds an error finding for everything that makes the archive unextractable or unsafe.
    Returns whether its declared unzipped size is within Lambda's limit."""
    entries = directory.entries
    for entry in entries:
        _judge_name(entry, findings)
        _judge_method(entry, findings)
    _judge_paths(entries, findings)
    _judge_overlaps(entries, findings)
    _judge_links(file, entries, findings)
    return _judge_size(entries, findings)


def _judge_name(entry: Entry, findings: FindingList) -> None:
    raw = entry.raw_name
    if (raw and b"\0" not in raw and b"\\" not in raw and len(raw) <= MAX_PATH and not escapes_root(entry.name)
            and (entry.parts or entry.is_dir) and all(len(p) <= MAX_NAME // 4 for p in entry.parts)):
        return  # the usual case, decided without building a message
    name = display(entry.name)
    if not raw or b"\0" in raw:
        findings.add("GB112", f"entry {name} has an empty name or one with a NUL byte: extracting "
                     "tools cut the name there or give up", fix=REBUILD, entry=name)
        return
    if len(raw) > MAX_PATH or any(len(p.encode("utf-8", "surrogateescape")) > MAX_NAME for p in entry.parts):
        findings.add("GB112", f"entry {name} has a name longer than Linux allows ({MAX_NAME} bytes a "
                     f"component, {MAX_PATH} in all)", fix="shorten the path, then rebuild", entry=name)
    if "\\" in entry.name:
        findings.add("GB111", f"entry {name} has a backslash in its name: Linux tools keep it as "
                     "part of the file name, Windows tools make folders", fix="zip with forward "
                     "slashes (gobuild build does; on Windows use build-lambda-zip)", entry=name)
    if escapes_root(entry.name):
        findings.add("GB109", f"entry {name} points outside the archive root (absolute path or '..')",
                     fix="zip paths relative to the function root; rebuild with gobuild build",
                     entry=name)
    elif not entry.parts and not entry.is_dir:
        findings.add("GB112", f"entry {name} names the archive root itself, not a file in it",
                     fix=REBUILD, entry=name)


def _judge_method(entry: Entry, findings: FindingList) -> None:
    if entry.method in LAMBDA_ZIP_METHODS and not entry.is_encrypted:
        return
    name = display(entry.name)
    if entry.is_encrypted:
        findings.add("GB108", f"entry {name} is encrypted; Lambda cannot decrypt it",
                     fix="zip without a password (no zip -e / -P)", entry=name)
    elif entry.method not in LAMBDA_ZIP_METHODS:
        findings.add("GB110", f"entry {name} is compressed with {zf.method_name(entry.method)}; "
                     "Lambda only unzips stored and deflate entries",
                     fix="run gobuild repack on the zip, or rebuild it with gobuild build", entry=name)


def _judge_paths(entries: tuple[Entry, ...], findings: FindingList) -> None:
    """Duplicates (also after normalising), and paths that are a file and a folder at once."""
    usable = [e for e in entries if e.raw_name and b"\0" not in e.raw_name and not escapes_root(e.name)]
    exact = Counter(e.name for e in usable)
    for name, count in exact.items():
        if count > 1:
            findings.add("GB107", f"entry {display(name)} appears {count} times; which copy Lambda "
                         "extracts is undefined", fix="rebuild the zip so each path appears once "
                         "(gobuild build)", entry=display(name))
    by_path: dict[str, list[Entry]] = {}
    folders: dict[str, str] = {}  # a path that is a folder → an entry that makes it one
    listed: set[str] = set()  # folders with entries of their own
    for entry in usable:
        parts = entry.parts
        if not parts:
            continue
        path = entry.path
        by_path.setdefault(path, []).append(entry)
        folder = ""
        for part in parts[:-1]:
            folder = f"{folder}/{part}" if folder else part
            folders.setdefault(folder, entry.name)
        if entry.is_dir:
            folders.setdefault(path, entry.name)
            listed.add(path)
    for path, group in by_path.items():
        if len(group) == 1 and path not in folders:
            continue  # the usual case
        files = sorted({e.name for e in group if not e.is_dir})
        if len(files) > 1:
            findings.add("GB107", f"entries {' and '.join(display(n) for n in files[:3])} all "
                         f"extract to {display(path)}; which one Lambda keeps is undefined",
                         fix="rebuild the zip so each path appears once (gobuild build)",
                         entry=display(path))
        # Entries under a link are _judge_links' to name; a link beside a listed folder is ours.
        clash = [e for e in group if not e.is_dir and (not e.is_symlink or path in listed)]
        if path in folders and clash:
            kind = "symlink" if clash[0].is_symlink else "file"
            findings.add("GB113", f"{display(path)} is a {kind}, and also a folder of "
                         f"{display(folders[path])}: no tool can extract both",
                         fix="rename the file or the folder (a file cannot sit under bootstrap/, "
                         "say), then rebuild", entry=display(path))


def _judge_overlaps(entries: tuple[Entry, ...], findings: FindingList) -> None:
    """Entries whose data overlap (the trick behind non-recursive zip bombs)."""
    ordered = sorted(entries, key=lambda e: e.header_offset)
    for before, after in pairwise(ordered):
        # A lower bound of where `before` ends: its local header may add an extra field.
        end = before.header_offset + zf.LOCAL_HEADER_SIZE + len(before.raw_name) + before.compress_size
        if end > after.header_offset:
            name = display(after.name)
            if name in findings.corrupt:
                continue
            findings.corrupt.add(name)
            findings.add("GB002", f"entry {name} is corrupt: its data overlaps entry "
                         f"{display(before.name)}'s (a zip bomb trick)",
                         fix="the zip was damaged or crafted: rebuild it with gobuild build", entry=name)


def _judge_size(entries: tuple[Entry, ...], findings: FindingList) -> bool:
    total = sum(e.file_size for e in entries)
    if total <= UNZIPPED_LIMIT:
        return True
    findings.add(
        "GB005",
        f"entries add up to {mib(total)} unzipped; Lambda allows {mib(UNZIPPED_LIMIT)} "
        "for the function and its layers together",
        fix="shrink the binary (-ldflags='-s -w', -tags lambda.norpc), move data to S3 or a "
        "layer, or use a container image",
    )
    return False


# ─── Symlinks ─────────────────────────────────────────────────────────────────────────


def link_target(file: BinaryIO, entry: Entry) -> str:
    """A symlink entry's target; EntryError when it cannot be read or is not a path."""
    if entry.file_size > MAX_LINK:
        raise EntryError(f"its {entry.file_size}-byte target is not a path")
    raw = EntryReader(file, entry).read_exactly(entry.file_size)
    if not raw or b"\0" in raw:
        raise EntryError("its target is empty or holds a NUL byte")
    return decode_name(raw, zf.FLAG_UTF8)


def _judge_links(file: BinaryIO, entries: tuple[Entry, ...], findings: FindingList) -> None:
    """Links must resolve inside the archive, and nothing may be written through one."""
    links = [e for e in entries if e.is_symlink and e.readable and e.parts and not escapes_root(e.name)]
    if not links:
        return
    if len(links) > MAX_LINKS:
        findings.add("GB114", f"the archive holds {len(links)} symlinks, more than gobuild follows "
                     f"({MAX_LINKS})", fix="store files instead of symlinks")
        return
    targets: dict[str, str] = {}
    for entry in links:
        try:
            targets[entry.path] = link_target(file, entry)
        except EntryError as error:
            _bad_link(entry, f"is a symlink whose target cannot be read: {error}", findings)
    for entry in entries:
        parts = entry.parts
        for depth in range(1, len(parts)):
            above = "/".join(parts[:depth])
            if above in targets:
                findings.add("GB113", f"{display(entry.name)} lies under the symlink {display(above)}: "
                             "extracting it would write through the link", fix="store the folder "
                             "itself instead of a link to it, then rebuild", entry=display(entry.name))
                break
    for path, target in targets.items():
        parent = path.split("/")[:-1]
        resolved = None if target.startswith("/") else resolve(parent + target.split("/"), targets)
        if resolved is None:
            where = "outside the archive" if target.startswith("/") or ".." in target.split("/") else (
                "outside the archive through other links")
            _bad_link_path(path, target, where, findings)
        elif resolved is LOOP:
            _bad_link_path(path, target, "in a loop of symlinks", findings)


LOOP: list[str] = []  # the sentinel resolve() returns for a chain of links that never ends


def resolve(parts: list[str], links: dict[str, str]) -> list[str] | None:
    """Resolves a path inside the archive as the kernel would, following the archive's links:
    its components, None when it leaves the root, or LOOP after MAX_HOPS links."""
    resolved: list[str] = []
    pending = list(reversed(parts))
    hops = 0
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            if not resolved:
                return None
            resolved.pop()
            continue
        resolved.append(part)
        target = links.get("/".join(resolved))
        if target is None:
            continue
        hops += 1
        if hops > MAX_HOPS:
            return LOOP
        if target.startswith("/"):
            return None
        resolved.pop()
        pending.extend(reversed(target.split("/")))
    return resolved


def _bad_link(entry: Entry, problem: str, findings: FindingList) -> None:
    name = display(entry.name)
    code = "GB104" if entry.path == BOOTSTRAP else "GB114"
    findings.add(code, f"{name} {problem}", fix="store the file itself instead of a symlink "
                 "(zip without -y), or rebuild with gobuild build", entry=name)


def _bad_link_path(path: str, target: str, where: str, findings: FindingList) -> None:
    if path == BOOTSTRAP:
        findings.add("GB104", f"bootstrap is a symlink to {display(target)}, which is not a file in "
                     "the archive", fix="store the executable itself as bootstrap (zip without -y), "
                     "or rebuild with gobuild build", entry=BOOTSTRAP)
        return
    findings.add("GB114", f"{display(path)} is a symlink to {display(target)}, {where}",
                 fix="store the file itself instead of a symlink (zip without -y)", entry=display(path))


# ─── Lint: what works, but that Lambda's unzipper or its user may trip on ────────────


def lint_structure(directory: Directory, findings: FindingList) -> None:
    """Adds warnings: Zip64 records, zip versions above 2.0, data descriptors on stored entries,
    and files others cannot read (Lambda runs the function as a user that owns none of them)."""
    if directory.zip64 or any(e.zip64 for e in directory.entries):
        findings.add("GB006", "the archive uses Zip64 records; Lambda's unzipper has been seen to "
                     "refuse them (\"Could not unzip uploaded file\")",
                     fix="write a plain zip (gobuild build, or zip without -fz); Lambda zips never "
                     "need Zip64")
    zip64 = findings.has("GB006")
    for entry in directory.entries:
        version = _version_above_20(entry, zip64=zip64)
        if version:
            name = display(entry.name)
            findings.add("GB115", f"entry {name} is marked as made by or needing zip version "
                         f"{version // 10}.{version % 10}; Lambda's unzipper expects 2.0",
                         fix="rebuild the zip with gobuild build", entry=name)
        if entry.method == zf.STORED and entry.flags & zf.FLAG_DATA_DESCRIPTOR:
            findings.add("GB116", f"entry {display(entry.name)} is stored with its sizes after the data (a data "
                         "descriptor): streaming unzippers cannot find where it ends",
                         fix="rebuild the zip with gobuild build", entry=display(entry.name))
        _lint_mode(entry, findings)


def _version_above_20(entry: Entry, *, zip64: bool) -> int:
    """The zip version above 2.0 an entry claims (needed, or made by from Zip64's 4.5 on), or 0
    when GB006 (Zip64), GB108 (encryption) or GB110 (the method) already say why."""
    needed, made = entry.needed & 0xFF, entry.made_by & 0xFF
    explained = entry.is_encrypted or entry.method not in LAMBDA_ZIP_METHODS
    for version, floor in ((needed, zf.VERSION_DEFLATE + 1), (made, zf.VERSION_ZIP64)):
        if version >= floor and not explained and not (zip64 and version == zf.VERSION_ZIP64):
            return version
    return 0


def _lint_mode(entry: Entry, findings: FindingList) -> None:
    mode = entry.unix_mode
    if not mode or mode & 0o005 == 0o005 or entry.path == BOOTSTRAP:
        return  # no Unix mode: Lambda gives 0644; bootstrap's mode is GB102's business
    if entry.is_dir and not mode & stat.S_IXOTH:
        problem = f"is a folder with mode {stat.S_IMODE(mode):04o}: others cannot enter it"
    elif not entry.is_symlink and stat.S_IFMT(mode) in (0, zf.S_IFREG) and not mode & stat.S_IROTH:
        problem = f"has mode {stat.S_IMODE(mode):04o}: others cannot read it"
    else:
        return
    name = display(entry.name)
    findings.add("GB117", f"entry {name} {problem}, and Lambda runs the function as another user",
                 fix="chmod a+rX the files before zipping (gobuild build writes 0644 and 0755)",
                 entry=name)


# ─── Integrity ───────────────────────────────────────────────────────────────────────


def check_integrity(file: BinaryIO, directory: Directory, findings: FindingList) -> None:
    """Decompresses every readable entry and checks its size and CRC, like `unzip -t`."""
    for entry in directory.entries:
        if not entry.readable or entry.is_dir:
            continue
        try:
            reader = EntryReader(file, entry)
            while reader.read(256 * 1024):
                pass
        except EntryError as error:
            add_corrupt(findings, entry, error)


CORRUPT_FIX = "the zip was damaged after it was written: rebuild it with gobuild build"


def add_corrupt(findings: FindingList, entry: Entry, error: Exception) -> None:
    """A GB002 finding for an entry, once per entry."""
    name = display(entry.name)
    if name in findings.corrupt:
        return
    findings.corrupt.add(name)
    findings.add("GB002", f"entry {name} is corrupt: {error}", fix=CORRUPT_FIX, entry=name)


def corrupt(entry: Entry, error: Exception) -> Finding:
    """The GB002 finding add_corrupt adds, for readers that stop at the first one."""
    name = display(entry.name)
    return finding("GB002", f"entry {name} is corrupt: {error}", fix=CORRUPT_FIX, entry=name)
