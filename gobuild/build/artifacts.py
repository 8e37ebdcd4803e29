"""dist/artifacts.json: what `gobuild build` produced, read by publish, verify and merge.

Schema (version 1), paths relative to the folder holding artifacts.json:
{
  "schema_version": 1,
  "gobuild_version": "0.1.0",
  "go_version": "go1.26.8",
  "ignored_env": ["GOFLAGS", ...],      # caller GO* variables gobuild cleared
  "zig_version": "0.17.1",              # only with cgo artifacts: the zig that compiled their C code
  "artifacts": [                          # sorted by name, then arch
    {"name", "arch", "package", "path", "size", "sha256", "code_sha256",
     "contents_sha256", "inputs", "settings": {...}}
  ]
}
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gobuild import __version__
from gobuild.errors import GobuildError, StaleError, UsageError
from gobuild.files import NotReadable, parse_json, read_small_file, write_atomic
from gobuild.manifest import Manifest
from gobuild.stamp import StampError

if TYPE_CHECKING:
    from gobuild.plan import Target

SCHEMA_VERSION = 1
MAX_INDEX_BYTES = 64 << 20  # an artifacts.json or published.json larger than this is not one
ARTIFACTS_NAME = "artifacts.json"


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """One zip: a function built for one architecture."""

    name: str
    arch: str
    package: str
    path: str  # relative to the folder of artifacts.json
    size: int
    sha256: str  # hex digest of the zip
    code_sha256: str  # base64 digest: what Lambda reports as CodeSha256
    contents_sha256: str  # digest of the entries (names, modes, bytes) and timestamp: equal means same zip
    inputs: str  # fingerprint of everything the build read (gobuild.build.fingerprint)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.arch)


@dataclass(frozen=True, kw_only=True)
class ArtifactsFile:
    """The whole artifacts.json."""

    artifacts: tuple[Artifact, ...]
    go_version: str
    gobuild_version: str = __version__
    ignored_env: tuple[str, ...] = ()
    schema_version: int = SCHEMA_VERSION
    zig_version: str | None = None  # the zig of the cgo artifacts; None (and absent) without them

    def find(self, name: str, arch: str) -> Artifact | None:
        return self._by_key.get((name, arch))

    @cached_property
    def _by_key(self) -> dict[tuple[str, str], Artifact]:
        # A build looks up every target: a scan each time would cost n^2 in a large fleet.
        return {a.key: a for a in reversed(self.artifacts)}  # the first of duplicate keys, as a scan found


def artifacts_path(out_dir: Path) -> Path:
    return out_dir / ARTIFACTS_NAME


@contextmanager
def locked(out_dir: Path) -> Iterator[None]:
    """Holds an exclusive lock on out_dir while its index files are read and rewritten."""
    import portalocker  # here: only writers need it, and it is slow to import

    out_dir.mkdir(parents=True, exist_ok=True)
    with portalocker.Lock(str(out_dir / ".gobuild.lock"), mode="a", timeout=600):
        yield


def render(document: ArtifactsFile) -> bytes:
    """The exact bytes of artifacts.json: sorted keys and entries, so no-op builds change nothing."""
    # Field by field, not dataclasses.asdict: that deep-copies every settings table, and a
    # fleet's index has thousands of them; json.dumps only reads them.
    data = {f.name: getattr(document, f.name) for f in fields(document)}
    data["artifacts"] = [{f.name: getattr(a, f.name) for f in fields(a)}
                         for a in sorted(document.artifacts, key=lambda a: a.key)]
    data["ignored_env"] = sorted(data["ignored_env"])
    if data["zig_version"] is None:  # absent, so that documents without cgo keep their bytes
        del data["zig_version"]
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8")


def holds(path: Path, data: bytes) -> bool:
    """Whether the file already holds exactly these bytes."""
    return path.is_file() and path.read_bytes() == data


def save(path: Path, document: ArtifactsFile, rendered: bytes | None = None) -> bool:
    """Writes atomically; returns False (and writes nothing) when the bytes are unchanged.
    `rendered` is render(document), when the caller has it already."""
    data = render(document) if rendered is None else rendered
    if holds(path, data):
        return False
    write_atomic(path, data)
    return True


def load(path: Path) -> ArtifactsFile:
    """Reads artifacts.json; a missing or unreadable file says to run `gobuild build`."""
    try:
        # Bounded, and a FIFO or a device is refused unread: `merge /dev/zero` must not read forever.
        data = parse_json(read_small_file(str(path), MAX_INDEX_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise StaleError(f"{path}: no artifacts yet", hint="run `gobuild build` first") from None
    except NotReadable as error:
        raise UsageError(f"{path}: {error}", hint="name the artifacts.json `gobuild build` wrote") from None
    except (OSError, ValueError) as error:
        raise StaleError(f"{path}: unreadable ({error})", hint="run `gobuild build` to write it again") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise StaleError(
            f"{path}: schema_version {data.get('schema_version') if isinstance(data, dict) else '?'} "
            f"is not {SCHEMA_VERSION}",
            hint="run `gobuild build` with this gobuild version",
        )
    try:
        artifacts = tuple(Artifact(**entry) for entry in data["artifacts"])
        return ArtifactsFile(
            artifacts=artifacts,
            go_version=data["go_version"],
            gobuild_version=data["gobuild_version"],
            ignored_env=tuple(data.get("ignored_env", ())),
            zig_version=data.get("zig_version"),
        )
    except (KeyError, TypeError) as error:
        raise StaleError(f"{path}: malformed ({error})", hint="run `gobuild build` to write it again") from None


def merged(previous: Iterable[Artifact], fresh: Iterable[Artifact], drop: set[tuple[str, str]]) -> tuple[Artifact, ...]:
    """Previous entries, replaced by fresh ones, without those in `drop`."""
    table = {a.key: a for a in previous}
    table.update({a.key: a for a in fresh})
    return tuple(a for k, a in sorted(table.items()) if k not in drop)


def stale_reason(manifest: Manifest, document: ArtifactsFile, index_path: Path,
                 only: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> str | None:
    """Why the recorded artifacts (of the functions in `only`, or all) may not match the project,
    or None. For warnings (invoke): a check that cannot run (no go for `go list`) is a reason too.

    `environ` gives SOURCE_DATE_EPOCH and finds go; None means this process's environment.
    """
    try:
        return _stale(manifest, document, index_path, only, os.environ if environ is None else environ)
    except GobuildError as error:
        return f"the sources could not be compared with {index_path.name} ({error.message})"


def load_fresh(manifest: Manifest, only: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> ArtifactsFile:
    """Loads artifacts.json, refusing it (StaleError) when a zip may not match the project: the
    manifest's functions and settings, and each target's inputs fingerprint (gobuild.build.fresh).
    Raises ToolError when that needs `go list` and there is no go."""
    path = artifacts_path(manifest.out_dir)
    document = load(path)
    reason = _stale(manifest, document, path, only, os.environ if environ is None else environ)
    if reason:
        raise StaleError(f"{path}: {reason}", hint="run `gobuild build` first")
    return document


def _stale(manifest: Manifest, document: ArtifactsFile, index_path: Path, only: Sequence[str],
           environ: Mapping[str, str]) -> str | None:
    """The manifest is compared by content (each target's package and settings), so editing only
    its [publish] table calls for no rebuild; the sources by their inputs fingerprints."""
    from gobuild.build.fresh import current_fingerprints
    from gobuild.plan import Target, settings_for

    recorded: list[tuple[Target, Artifact]] = []
    for function in manifest.functions:
        if only and function.name not in only:
            continue
        for arch in function.architectures:
            artifact = document.find(function.name, arch)
            if artifact is None:
                return f"{function.name}/{arch} is in {manifest.path.name} but not in {index_path.name}"
            target = _as_built(Target(function=function, arch=arch), artifact)
            try:
                expected = settings_for(target).artifact_record(artifact.inputs)
            except StampError:  # the template's placeholders are not those it was built with
                expected = {}
            if artifact.package != function.package or artifact.settings != expected:
                return f"{function.name}/{arch} was built with other settings than {manifest.path.name} gives now"
            recorded.append((target, artifact))
    wanted = {t.key for t, _ in recorded}
    for artifact in document.artifacts:
        if (not only or artifact.name in only) and artifact.key not in wanted:
            return f"{artifact.name}/{artifact.arch} is in {index_path.name} but not in {manifest.path.name}"
    now = current_fingerprints(manifest, [t for t, _ in recorded], go_version=document.go_version,
                               environ=environ, zig_version=document.zig_version)
    stale = sorted(((t, now[t.key]) for t, a in recorded if now[t.key].fingerprint != a.inputs),
                   key=lambda item: item[0].key)
    if not stale:
        return None
    changed = sorted({name for _, current in stale for name in current.changed})
    names = ", ".join(t.label for t, _ in stale)
    verb = "was" if len(stale) == 1 else "were"
    return (f"{names} {verb} built from other sources than the project holds now"
            + (f" (changed: {', '.join(changed[:5])}{' …' if len(changed) > 5 else ''})" if changed else ""))


def _as_built(target: Target, artifact: Artifact) -> Target:
    """The target with the ldflags placeholder values its zip was built with (artifacts.json's
    `stamps`): freshness is about the sources, so a publish job needs neither the build's
    environment nor its git tags."""
    from gobuild import stamp

    recorded = artifact.settings.get("stamps")
    if not stamp.uses_placeholders(target.function.ldflags) or not isinstance(recorded, dict):
        return target
    values = tuple(sorted((str(k), str(v)) for k, v in recorded.items()))
    return replace(target, function=replace(target.function, stamps=values))
