"""Judges `bootstrap`: where it is, its attributes, and whether it is a script or an ELF.

    judge_bootstrap(file, directory, findings, arch) -> Learned

The executable itself (ELF headers, dynamic needs, Go build information) is judged by
gobuild.check.binary; this module finds it, follows a symlink to it, and reads its first bytes.
"""

from __future__ import annotations

import posixpath
import stat
from typing import BinaryIO

from gobuild.check import zipformat as zf
from gobuild.check.binary import Learned, judge_elf
from gobuild.check.elf import is_elf
from gobuild.check.findings import FindingList, display, listing
from gobuild.check.structure import add_corrupt, link_target
from gobuild.check.zipentry import EntryError, EntryReader, EntrySource
from gobuild.check.zipread import Directory, Entry
from gobuild.lambda_facts import BOOTSTRAP

# Entries whose first bytes are read to list the ELF executables when bootstrap is missing.
MAX_PROBED_ENTRIES = 200
# An archive without bootstrap whose files are this few and this small is a placeholder.
PLACEHOLDER_FILES = 3
PLACEHOLDER_BYTES = 1024


def find(entries: tuple[Entry, ...], path: str) -> Entry | None:
    """The entry that extracts to `path` ('bootstrap', 'bin/orders'); with duplicates, the last
    one, which is what an extracting tool leaves behind."""
    found = None
    for entry in entries:
        if entry.path == path and not entry.name.startswith("/"):
            found = entry
    return found


def judge_bootstrap(file: BinaryIO, directory: Directory, findings: FindingList, arch: str | None) -> Learned:
    """Adds findings about bootstrap and returns what its ELF and build information say."""
    entries = directory.entries
    entry = find(entries, BOOTSTRAP)
    if entry is None:
        _report_missing(file, entries, findings)
        return Learned()
    if entry.is_dir:
        findings.add("GB106", "bootstrap is a directory; Lambda needs an executable file with that name",
                     fix="put the executable itself at the root, named bootstrap", entry=BOOTSTRAP)
        return Learned()
    if entry.is_symlink:
        target = _follow_symlink(file, entry, entries, findings)
        if target is None:
            return Learned()
        entry = target
    _check_permissions(entry, findings)
    return _check_contents(file, entry, findings, arch, bundled_libraries(entries))


def bundled_libraries(entries: tuple[Entry, ...]) -> frozenset[str]:
    """Files at the root or in lib/: where Lambda's LD_LIBRARY_PATH (/var/task, /var/task/lib)
    lets the loader find the shared libraries a zip carries."""
    found = set()
    for entry in entries:
        parts = entry.parts
        if not entry.is_dir and (len(parts) == 1 or (len(parts) == 2 and parts[0] == "lib")):
            found.add(parts[-1])
    return frozenset(found)


def _report_missing(file: BinaryIO, entries: tuple[Entry, ...], findings: FindingList) -> None:
    if any(e.parts[:1] == (BOOTSTRAP,) for e in entries):
        findings.add("GB106", "bootstrap is a directory; Lambda needs an executable file with that name",
                     fix="put the executable itself at the root, named bootstrap", entry="bootstrap/")
        return
    files = [e for e in entries if not e.is_dir]
    nested = [e.name for e in files if _basename(e.name).lower() in ("bootstrap", "bootstrap.exe")]
    executables = [name for name in _elf_entries(file, files) if name not in nested]
    if not nested and not executables and _is_placeholder(files):
        held = listing([e.name for e in files]) if files else "only folders"
        findings.add("GB007", f"the archive is a placeholder, not a function: no bootstrap, and "
                     f"{sum(e.file_size for e in files)} bytes in {len(files)} "
                     f"file{'' if len(files) == 1 else 's'} ({held})",
                     fix="deploy the zip gobuild build writes; if a deployment tool uploads this "
                     "placeholder, make sure the real code replaces it")
        return
    parts = ["no bootstrap at the archive root"]
    if nested:
        parts.append(f"found {listing(nested)} instead")
    if executables:
        parts.append(f"ELF executables in the archive: {listing(executables)}")
    if nested:
        fix = ("zip the files from inside their folder so bootstrap sits at the root "
               "(names are case-sensitive), or rebuild with gobuild build")
    elif executables:
        fix = ("this looks like a go1.x-runtime zip: rename the executable to bootstrap, use "
               "runtime provided.al2023, and rebuild with gobuild build")
    else:
        fix = "build the Go program as bootstrap at the zip root: gobuild build"
    findings.add("GB101", "; ".join(parts), fix=fix)


def _is_placeholder(files: list[Entry]) -> bool:
    return len(files) <= PLACEHOLDER_FILES and sum(e.file_size for e in files) <= PLACEHOLDER_BYTES


def _basename(name: str) -> str:
    return name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _elf_entries(file: BinaryIO, files: list[Entry]) -> list[str]:
    """Names of entries that start with the ELF magic (a bounded number are probed)."""
    names = []
    probed = 0
    for entry in files:
        if entry.file_size < 4 or not entry.readable:
            continue
        if probed >= MAX_PROBED_ENTRIES:
            break
        probed += 1
        try:
            if is_elf(EntryReader(file, entry).read_exactly(4)):
                names.append(entry.name)
        except EntryError:
            continue  # reported by the integrity check
    return names


def _follow_symlink(file: BinaryIO, link: Entry, entries: tuple[Entry, ...], findings: FindingList) -> Entry | None:
    """Resolves bootstrap → target inside the archive; returns the target entry if it is a file."""
    if findings.has("GB104", BOOTSTRAP):
        return None  # the structure check found it points outside the archive
    if not link.readable:
        findings.add("GB104", "bootstrap is a symlink whose target cannot be read",
                     fix="store the executable itself as bootstrap, or rebuild with gobuild build",
                     entry=BOOTSTRAP)
        return None
    try:
        target = link_target(file, link)
    except EntryError as error:
        add_corrupt(findings, link, error)
        return None
    resolved = posixpath.normpath(target)
    entry = find(entries, resolved) if not resolved.startswith(("/", "../")) and resolved != ".." else None
    if entry is None or entry.is_dir or entry.is_symlink or (
            entry.unix_mode and stat.S_IFMT(entry.unix_mode) not in (0, zf.S_IFREG)):
        findings.add("GB104", f"bootstrap is a symlink to {display(target)}, which is not a file in the archive",
                     fix="store the executable itself as bootstrap (zip without -y), or rebuild with gobuild build",
                     entry=BOOTSTRAP)
        return None
    findings.add("GB105", f"bootstrap is a symlink to {display(resolved)}; Lambda follows it, but tools "
                 "that re-zip or upload through consoles may drop it",
                 fix="store the executable itself as bootstrap (zip without -y)", entry=BOOTSTRAP)
    return entry


def _check_permissions(entry: Entry, findings: FindingList) -> None:
    name = display(entry.name)
    if entry.create_system != zf.UNIX:
        host = zf.HOST_SYSTEMS.get(entry.create_system, f"host system {entry.create_system}")
        findings.add("GB103", f"{name} has no Unix permissions (zip made on {host}); Lambda will not be "
                     "able to execute it", fix="run gobuild repack on the zip, or rebuild it with gobuild "
                     "build (or build-lambda-zip on Windows)", entry=name)
        return
    mode = stat.S_IMODE(entry.unix_mode)
    if mode & 0o111 == 0:
        problem = f"has mode {mode:04o}: no execute permission"
    elif mode & 0o005 != 0o005:
        # Lambda runs the function as a user that neither owns the file nor is in its group.
        problem = f"has mode {mode:04o}: others cannot read and execute it, and Lambda runs as another user"
    else:
        return
    findings.add("GB102", f"{name} {problem}",
                 fix="chmod 755 the executable before zipping, or run gobuild repack / gobuild build", entry=name)


def _check_contents(file: BinaryIO, entry: Entry, findings: FindingList, arch: str | None,
                    bundled: frozenset[str]) -> Learned:
    name = display(entry.name)
    if entry.file_size == 0:
        findings.add("GB201", f"{name} is empty (0 bytes)", fix="rebuild it with gobuild build", entry=name)
        return Learned()
    if not entry.readable:
        reason = ("it is encrypted" if entry.is_encrypted
                  else f"gobuild cannot decompress {zf.method_name(entry.method)}")
        findings.add("GB200", f"{name} was not inspected: {reason}", entry=name)
        return Learned()
    try:
        source = EntrySource(file, entry)
        head = source.read_at(0, min(entry.file_size, 256))
        if head[:2] == b"#!":
            _check_script(head, name, findings)
            return Learned()
        if not is_elf(head):
            findings.add("GB204", f"{name} is {describe_non_elf(head)}, not a Linux executable",
                         fix="build with GOOS=linux GOARCH=amd64|arm64 (gobuild build does)", entry=name)
            return Learned()
        return judge_elf(source, name, findings, arch, bundled=bundled)
    except EntryError as error:
        add_corrupt(findings, entry, error)
        return Learned()


def _check_script(head: bytes, name: str, findings: FindingList) -> None:
    line = head.split(b"\n", 1)[0]
    shebang = display(line.decode("utf-8", "replace").rstrip("\r"))
    if line.endswith(b"\r"):
        findings.add("GB203", f"{name} is a script whose first line ({shebang}) ends in CR: Linux looks for an "
                     "interpreter whose name ends in \\r", fix="convert the script to LF line endings (dos2unix)",
                     entry=name)
        return
    findings.add("GB202", f"{name} is a script ({shebang}); custom runtimes may be scripts, as long as the "
                 "interpreter exists in provided.al2023", entry=name)


def describe_non_elf(head: bytes) -> str:
    """What the first bytes of a non-ELF bootstrap look like, for the message."""
    if head[:2] == b"MZ":
        return "a Windows (PE) executable"
    if head[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"):
        return "a macOS (Mach-O) executable"
    if head[:4] == b"\xca\xfe\xba\xbe":
        return "a macOS universal (Mach-O) executable"
    if head[:4] == zf.LOCAL_SIGNATURE:
        return "a zip archive (a zip inside the zip?)"
    if head[:2] == b"\x1f\x8b":
        return "gzip-compressed data"
    return f"unrecognised data (starts with {head[:8].hex(' ')})"
