"""Inputs fingerprints: a content hash of everything a target's build reads.

A target's fingerprint covers the Go version (and for cgo, zig's version and target), the
compressor that writes its zip (gobuild.build.package.COMPRESSOR), its build
settings, the zip timestamp, the bytes of every local source file Go compiles into it (from
`go list -deps`: Go, assembly, and for cgo the C, C++ and header files; vendor/ files included), the bytes of
go.mod/go.sum, the versions of the modules it uses, and its included files. Paths in it
are module-relative, so two clones at different places agree (a shared cache relies on it).
The settings hashed are the ldflags *template* and the values of its placeholders but
{inputs} (gobuild.stamp); {inputs} is this fingerprint, filled in afterwards, so the ldflags
the linker gets are never part of it.

Hashing every file on each run would be slow, so a state file (out_dir/.gobuild/state.json,
local to one checkout) remembers each file's stat and hash, as git's index does: a file
whose size, mtime and inode are unchanged keeps its hash; any other file is read again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gobuild.build.package import COMPRESSOR
from gobuild.files import RACY_SECONDS, parse_json, stat_key, write_atomic
from gobuild.plan import BuildSettings, Target

STATE_VERSION = 2
# What Go reads of a .go file to load a package: its top up to the first declaration
# (build constraints, package clause, imports) and //go:embed lines. Comments and strings
# are matched whole so that a keyword inside them does not count as a declaration.
_GO_TOKENS = re.compile(rb"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\\n])*\"|`[^`]*`|^(?:func|type|var|const)\b",
                        re.DOTALL | re.MULTILINE)
_EMBED_LINE = re.compile(rb"^[ \t]*//go:embed\b.*$", re.MULTILINE)


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """What one target's build reads: local files (absolute path → portable key) and modules."""

    files: tuple[tuple[str, str], ...]  # (absolute path, module-relative key)
    dirs: tuple[str, ...]  # package folders whose listing decides which files count
    modules: tuple[str, ...]  # "path@version" of modules taken from the module cache
    excluded: tuple[str, ...] = ()  # files left out by build constraints: their headers can change that
    trees: tuple[str, ...] = ()  # folders //go:embed patterns reach into, with everything below them


class HashCache:
    """File hashes keyed by stat, loaded from and saved to the state file."""

    def __init__(self, entries: Mapping[str, list[Any]] | None = None) -> None:
        self.entries: dict[str, list[Any]] = dict(entries or {})
        self.listings: dict[str, str] = {}  # for this run only: listings are not kept
        self.trees: dict[str, str] = {}
        self.started = time.time()

    def file(self, path: str) -> str:
        """Hex SHA-256 of a file, reusing the remembered hash when its stat is unchanged."""
        return str(self._entry(path)[3])

    def header(self, path: str) -> str:
        """Hex SHA-256 of what decides how Go loads the file: go_header() of a .go file, all of
        any other file."""
        return str(self._entry(path)[4])

    def _entry(self, path: str) -> list[Any]:
        stamp = stat_key(path)
        if stamp is None:
            return [None, None, None, "missing", "missing"]
        known = self.entries.get(path)
        fresh = self.started - stamp[1] / 1e9 > RACY_SECONDS
        if known and known[:3] == stamp and fresh and len(known) == 5:
            return known
        try:
            data = Path(path).read_bytes()
        except OSError:  # vanished or unreadable since the stat: Go will say so if it matters
            return [*stamp, "unreadable", "unreadable"]
        digest = hashlib.sha256(data).hexdigest()
        header = hashlib.sha256(go_header(data)).hexdigest() if path.endswith(".go") else digest
        self.entries[path] = [*stamp, digest, header]
        return self.entries[path]

    def remember(self, path: str, digest: str) -> None:
        """Records the hash of a file gobuild just wrote (a zip), so the next run need not read it."""
        stamp: list[Any] = stat_key(path) or [None, None, None]
        self.entries[path] = [*stamp, digest, digest]

    def listing(self, directory: str) -> str:
        """A hash of a folder's file names as Go sees them: a new or removed file changes what Go
        compiles. A dangling symlink counts (Go tries to read a `.go` one and fails); names Go
        ignores (`.#main.go` editor lock files, `_draft.go`) do not."""
        if directory not in self.listings:
            try:
                names = sorted(e.name for e in os.scandir(directory)
                               if not e.name.startswith((".", "_")) and not _is_dir(e))
                self.listings[directory] = hashlib.sha256("\n".join(names).encode()).hexdigest()
            except OSError:
                self.listings[directory] = "missing"
        return self.listings[directory]

    def tree(self, root: str) -> str:
        """A hash of the relative paths of every file below a folder: what an embed pattern can reach."""
        if root not in self.trees:
            paths = sorted(os.path.relpath(os.path.join(folder, name), root)
                           for folder, _, names in os.walk(root) for name in names)
            self.trees[root] = hashlib.sha256("\n".join(paths).encode()).hexdigest() if paths else "missing"
        return self.trees[root]


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def fingerprint(target: Target, settings: BuildSettings, inputs: Inputs, cache: HashCache,
                go_version: str, epoch: int, *, zig_version: str | None = None) -> str:
    """The content fingerprint of one target (hex); equal fingerprints mean equal zips. A cgo
    target's also holds the zig version and target that compile its C code."""
    digest = hashlib.sha256()
    record = {
        "go": go_version,
        "zip": COMPRESSOR,
        "settings": settings.as_record(),
        "package": target.function.package,
        "epoch": epoch,
        "modules": list(inputs.modules),
        "listings": sorted(cache.listing(d) for d in inputs.dirs),
        "include": [(i.target, cache.file(str(i.source)), os.access(i.source, os.X_OK))
                    for i in target.function.include],
    }
    if inputs.trees:  # only then, so that fingerprints without embedded folders keep their value
        record["trees"] = sorted(cache.tree(d) for d in inputs.trees)
    if settings.cgo is not None:  # only then, so that static fingerprints keep their value
        record["zig"] = {"version": zig_version, "target": settings.cgo.target(settings.arch)}
    digest.update(json.dumps(record, sort_keys=True).encode())
    for path, key in sorted(inputs.files, key=lambda f: f[1]):
        digest.update(f"\n{key}\0{cache.file(path)}".encode())
    return digest.hexdigest()


def load_key(target: Target, settings: BuildSettings, inputs: Inputs, cache: HashCache, go_version: str) -> str:
    """A hash of everything that decides what `go list -deps` reports for the target: while it
    is unchanged, the recorded inputs still hold and only file contents can have changed."""
    digest = hashlib.sha256(json.dumps({
        "go": go_version, "settings": settings.as_record(), "package": target.function.package,
        "listings": sorted(cache.listing(d) for d in inputs.dirs),
        "trees": sorted(cache.tree(d) for d in inputs.trees),
    }, sort_keys=True).encode())
    for path in sorted({*(f[0] for f in inputs.files), *inputs.excluded}):
        digest.update(f"\n{path}\0{cache.header(path)}".encode())
    return digest.hexdigest()


def go_header(source: bytes) -> bytes:
    """The part of a Go file that package loading reads: everything before the first top-level
    declaration, and each //go:embed line. Body edits leave it unchanged."""
    end = len(source)
    for match in _GO_TOKENS.finditer(source):
        if match.group().startswith((b"func", b"type", b"var", b"const")):
            end = match.start()
            break
    return source[:end] + b"\n".join(_EMBED_LINE.findall(source, end))


@dataclass
class State:
    """The local state file: stat-keyed hashes, and each target's inputs from its last build."""

    path: Path
    root: str
    hashes: HashCache
    targets: dict[str, dict[str, Any]]

    def inputs(self, target: Target) -> tuple[Inputs, str] | None:
        """The target's inputs as `go list` last reported them, and their load_key then."""
        entry = self.targets.get(target.label)
        if not entry:
            return None
        inputs = Inputs(files=tuple((str(f[0]), str(f[1])) for f in entry["files"]),
                        dirs=tuple(entry["dirs"]), modules=tuple(entry["modules"]),
                        excluded=tuple(entry["excluded"]), trees=tuple(entry["trees"]))
        return inputs, str(entry["load_key"])

    def remember(self, target: Target, inputs: Inputs, key: str) -> None:
        self.targets[target.label] = {"files": [list(f) for f in inputs.files], "dirs": list(inputs.dirs),
                                      "modules": list(inputs.modules), "excluded": list(inputs.excluded),
                                      "trees": list(inputs.trees), "load_key": key}

    def consulted(self, targets: Iterable[Target]) -> list[str]:
        """The files and package folders the targets' fingerprints were computed from."""
        paths: set[str] = set()
        for target in targets:
            entry = self.targets.get(target.label, {})
            paths.update(f[0] for f in entry.get("files", ()))
            paths.update(entry.get("dirs", ()))
            paths.update(entry.get("excluded", ()))
            # Every folder below an embedded one: a file added anywhere there changes its stat.
            paths.update(folder for root in entry.get("trees", ()) for folder, _, _ in os.walk(root))
            paths.update(str(i.source) for i in target.function.include)
        return sorted(paths)

    def save(self) -> None:
        hashes = {p: v for p, v in self.hashes.entries.items() if os.path.exists(p)}  # forget deleted files
        data = {"version": STATE_VERSION, "root": self.root, "hashes": hashes, "targets": self.targets}
        text = json.dumps(data, sort_keys=True).encode()
        if not self.path.is_file() or self.path.read_bytes() != text:
            write_atomic(self.path, text)


def load_state(out_dir: Path, root: Path) -> State:
    """The state of this checkout's last build; empty when missing, unreadable, old, or copied
    from a checkout at another place (its absolute paths would name the other checkout's files)."""
    path = out_dir / ".gobuild" / "state.json"
    try:
        data = parse_json(path.read_text())
        if data.get("version") == STATE_VERSION and data.get("root") == str(root):
            return State(path=path, root=str(root), hashes=HashCache(data["hashes"]), targets=dict(data["targets"]))
    except (OSError, ValueError, KeyError, AttributeError):
        pass
    return State(path=path, root=str(root), hashes=HashCache(), targets={})
