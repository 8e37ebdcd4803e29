"""Proof that a zip from the shared cache is what this target would build, before it is shipped.

A cache key is only a claim: whoever can write to the bucket can put any bytes under any
fingerprint, with any metadata. So nothing a cached object says about itself is believed.
The zip must pass `verify` for the target's architecture and Lambda's limits; hold exactly
the bootstrap and the target's include files (the includes byte for byte, as they are on
disk here), with gobuild's modes and timestamps; and its bootstrap's Go build information
must name this target's main package, module, GOOS/GOARCH, tags, CGO_ENABLED, trimpath and
Go version. Its entries digest is recomputed from what it holds.

What this cannot prove is that the bootstrap was compiled from *these* sources: a binary
built from other code with the same package path and flags passes. That is what signing
(GOBUILD_CACHE_KEY, see gobuild.build.cache) is for.
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gobuild.build.gotool import NEUTRAL
from gobuild.build.package import MODE_EXECUTABLE, contents_digest, dos_datetime, file_mode
from gobuild.cgo import link_flags
from gobuild.check.buildinfo import BuildInfo, read_buildinfo
from gobuild.check.elf import ElfError, ElfFile, parse_elf
from gobuild.check.verify import judge_zip
from gobuild.check.zipentry import EntryError, read_entry
from gobuild.check.zipread import Entry, ZipFormatError, open_zip, read_directory
from gobuild.lambda_facts import BOOTSTRAP, LAMBDA_ZIP_METHODS, UNZIPPED_LIMIT
from gobuild.plan import BuildSettings, Target, import_path

# The largest cached object worth downloading: a gobuild zip is never larger than what it holds
# (entries that deflate cannot shrink are stored), and Lambda unzips at most this much.
MAX_CACHED_ZIP = UNZIPPED_LIMIT
_UNIX = 3  # the "made by" system gobuild's writer records
# The variable that sets each architecture's microarchitecture level (Go's default is in NEUTRAL).
_LEVELS = {"amd64": "GOAMD64", "arm64": "GOARM64"}


class Unproven(Exception):
    """The cached zip is not what this target would build; the message says why."""


@dataclass(frozen=True, kw_only=True)
class Expected:
    """What this build would produce for one target: the facts a cached zip must match."""

    target: Target
    settings: BuildSettings
    module: str  # the module path in go.mod
    go_version: str  # `go env GOVERSION` of the toolchain this build uses
    epoch: int  # the zip timestamp (SOURCE_DATE_EPOCH or 1980)
    dest: Path  # where the zip goes in out_dir

    @property
    def import_path(self) -> str:
        return import_path(self.module, self.target.function.package)


def prove(path: Path, expected: Expected) -> str:
    """The entries digest of the zip at `path`, recomputed, when it is what `expected` would build;
    raises Unproven naming the first difference otherwise. The zip is judged and read by the one
    bounded reader verify, repack and invoke use (gobuild.check)."""
    size = path.stat().st_size
    if size > MAX_CACHED_ZIP:
        raise Unproven(f"{size} bytes is more than Lambda accepts ({MAX_CACHED_ZIP})")
    report = judge_zip(path, expected.target.arch)
    if report.has_errors:
        raise Unproven("verify: " + "; ".join(f"{f.code} {f.message}" for f in report.errors[:3]))
    file, size = open_zip(path)
    with file:
        try:
            entries = read_directory(file, size).entries
        except ZipFormatError as error:
            raise Unproven(str(error)) from None
        _check_layout(entries, expected)
        digests: list[tuple[str, int, bytes]] = []
        for entry in entries:
            try:
                data = read_entry(file, entry)
            except EntryError as error:
                raise Unproven(f"{entry.name}: {error}") from None
            mode = stat.S_IMODE(entry.unix_mode)
            if entry.name == BOOTSTRAP:
                _check_bootstrap(data, mode, expected)
            else:
                _check_include(entry.name, data, mode, expected)
            digests.append((entry.name, mode, hashlib.sha256(data).digest()))
    return contents_digest(digests, expected.epoch)


def _check_layout(entries: tuple[Entry, ...], expected: Expected) -> None:
    """Exactly the entries gobuild's writer would make for the target, in its order and format."""
    names = [e.name for e in entries]
    wanted = sorted([BOOTSTRAP, *(i.target for i in expected.target.function.include)])
    if names != wanted:
        raise Unproven(f"it holds {_list(names)}; this target's zip holds {_list(wanted)}")
    dos_time, dos_date = dos_datetime(expected.epoch)
    for entry in entries:
        if (entry.dos_time, entry.dos_date) != (dos_time, dos_date):
            raise Unproven(f"{entry.name} is dated {entry.epoch}, this build dates entries {expected.epoch}")
        if entry.create_system != _UNIX or not stat.S_ISREG(entry.unix_mode):
            raise Unproven(f"{entry.name} is not a regular file with Unix attributes")
        if entry.method not in LAMBDA_ZIP_METHODS or entry.zip64:
            raise Unproven(f"{entry.name} is not stored the way gobuild writes entries")


def _check_include(name: str, data: bytes, mode: int, expected: Expected) -> None:
    include = next(i for i in expected.target.function.include if i.target == name)
    try:
        local = include.source.read_bytes()
        local_mode = file_mode(include.source)
    except OSError as error:
        raise Unproven(f"{name}: cannot read {include.source} to compare: {error.strerror}") from None
    if data != local:
        raise Unproven(f"{name} differs from {include.source}")
    if mode != local_mode:
        raise Unproven(f"{name} has mode {mode:o}, this build gives it {local_mode:o}")


def _check_bootstrap(data: bytes, mode: int, expected: Expected) -> None:
    if mode != MODE_EXECUTABLE:
        raise Unproven(f"{BOOTSTRAP} has mode {mode:o}, not {MODE_EXECUTABLE:o}")
    try:
        elf = parse_elf(data)
        info = read_buildinfo(data, elf)
    except ElfError as error:
        raise Unproven(f"{BOOTSTRAP}: {error}") from None
    if info is None or info.go_version is None:
        raise Unproven(f"{BOOTSTRAP} has no Go build information to compare")
    problems = [*mismatches(info, expected), *_stripping(elf, expected.settings)]
    if problems:
        raise Unproven(f"{BOOTSTRAP} " + "; ".join(problems))


def mismatches(info: BuildInfo, expected: Expected) -> list[str]:
    """How the bootstrap's Go build information differs from what this target's build records."""
    settings = expected.settings
    found: list[str] = []
    if info.go_version != expected.go_version:
        found.append(f"was built with {info.go_version}, this build uses {expected.go_version}")
    if info.path != expected.import_path:
        found.append(f"is the main package {info.path or '(none)'}, this target is {expected.import_path}")
    module = info.main.path if info.main else ""
    if module != expected.module:
        found.append(f"is from module {module or '(none)'}, this target's is {expected.module}")
    for key, want in _wanted_settings(settings):
        have = info.setting(key)
        if have != want:
            found.append(f"has {key}={'(unset)' if have is None else have}, "
                         f"this build gives {'(unset)' if want is None else want}")
    return found


def _wanted_settings(settings: BuildSettings) -> Iterable[tuple[str, str | None]]:
    """The `build` lines cmd/go writes for this target's `go build`, as (key, value or None)."""
    env = dict(settings.env)
    yield "-buildmode", "exe"
    yield "-compiler", "gc"
    yield "-tags", ",".join(settings.tags) or None
    yield "-trimpath", "true" if settings.trimpath else None
    # cmd/go leaves -ldflags out of the build information under -trimpath (they may hold paths).
    ldflags = link_flags(settings.ldflags, settings.cgo) if settings.cgo is not None else settings.ldflags
    yield "-ldflags", None if settings.trimpath else (ldflags or None)
    yield "CGO_ENABLED", "1" if settings.cgo is not None else "0"
    yield "GOOS", "linux"
    yield "GOARCH", settings.arch
    level = _LEVELS[settings.arch]
    yield level, env.get(level, NEUTRAL[level])


def _stripping(elf: ElfFile, settings: BuildSettings) -> list[str]:
    """What the binary shows of -s and -w when the build information cannot (under -trimpath).
    A cgo binary is always stripped (gobuild.cgo.link_flags)."""
    flags = settings.ldflags.split() + (["-s"] if settings.cgo is not None else [])
    stripped = elf.section(".symtab") is None
    dwarf = any(s.name.startswith((".debug_", ".zdebug_")) for s in elf.sections)
    if stripped != ("-s" in flags):
        return [f"{'has no' if stripped else 'has a'} symbol table, which -ldflags={settings.ldflags!r} "
                f"{'keeps' if stripped else 'strips (-s)'}"]
    if dwarf and ("-w" in flags or "-s" in flags):
        return [f"has DWARF debug information, which -ldflags={settings.ldflags!r} leaves out"]
    return []


def _list(names: list[str], limit: int = 4) -> str:
    shown = ", ".join(names[:limit]) or "nothing"
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
