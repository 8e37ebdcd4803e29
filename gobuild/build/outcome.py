"""What a build is given and what it gives back: options, failures and the result. Shared by
the runner (gobuild.build.runner), its group workers (gobuild.build.groups) and the cache."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from gobuild.build.artifacts import Artifact
from gobuild.plan import Target
from gobuild.report import Reporter

if TYPE_CHECKING:
    from gobuild.build.proof import Expected


@dataclass(frozen=True, kw_only=True)
class CachedZip:
    """A zip from the shared cache, proven to be what its target builds, in a temporary file
    beside the target's zip; the digests were computed from its bytes, not taken from the cache."""

    path: Path
    size: int
    sha256: str  # hex
    contents_sha256: str


class ArtifactCache(Protocol):
    """A store of zips keyed by inputs fingerprint, shared between machines."""

    def get(self, fingerprint: str, expected: Expected, reporter: Reporter) -> CachedZip | None: ...

    def put(self, fingerprint: str, artifact: Artifact, path: Path, reporter: Reporter) -> None: ...


@dataclass(frozen=True, kw_only=True)
class Failure:
    """A target that did not build: Go's output (the command and what it printed) and,
    when gobuild knows the cause, a one-line hint."""

    target: Target
    output: str
    hint: str | None = None


@dataclass(frozen=True, kw_only=True)
class Consulted:
    """What a build read and wrote, by path: what lets a later no-op be answered from stat."""

    sources: tuple[str, ...]  # the manifest, the files and package folders behind the fingerprints
    outputs: tuple[str, ...]  # the zips, artifacts.json and out_dir
    go: tuple[str, str, str]  # the go binary, the folder it ran in, its version
    since: float  # when the build started reading


@dataclass(frozen=True, kw_only=True)
class BuildResult:
    """What a build produced: the artifacts of the selected targets, failures, and counts."""

    artifacts: tuple[Artifact, ...]
    failures: tuple[Failure, ...]
    go_version: str
    manifest_path: Path
    compiled: int = 0
    up_to_date: int = 0
    from_cache: int = 0
    ignored_env: tuple[str, ...] = ()
    consulted: Consulted | None = None

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    """Choices from the command line."""

    jobs: int
    fail_fast: bool = False
    cache: ArtifactCache | None = None
