"""What `gobuild diff` finds: differences, most decisive first, per artifact and for a fleet.

A Difference has a level ("archive", "build", "code"), a stable kind (below), the subject it
is about (an entry name, a build setting, a module path, a package) and one line of message;
`old`/`new` carry the two values where there are two. An ArtifactDiff lists the differences
of one zip pair; the first one is its headline. A DiffResult holds every pair compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from gobuild.errors import UsageError

Level = Literal["archive", "build", "code"]
Status = Literal["identical", "different", "only-in-a", "only-in-b", "not-fetched"]

# Kinds, in the order the explanation lists them within a level.
ARCHIVE_KINDS = (
    "entry-added", "entry-removed", "entry-duplicated", "contents", "mode", "timestamp",
    "compression-method", "compression-level", "order", "extra-fields", "entry-comment", "comment", "headers",
)  # fmt: skip
# A tuple is one rank: build settings keep the order in which they are explained.
BUILD_KINDS: tuple[str | tuple[str, ...], ...] = (
    "not-comparable", "architecture", "go-version", "stamp",
    ("setting", "ldflags-x", "stamped-inputs", "ldflags", "recorded-setting"),
    "main-package", "main-module", "dependency", "dependency-replace", "dependency-checksum", "dependency-added",
    "dependency-removed",
)  # fmt: skip
CODE_KINDS = ("not-compared", "build-ids", "line-numbers", "data", "strings", "package", "inlined", "unreadable")


class DiffInputError(UsageError):
    """An input cannot be read: a missing file, not a zip, an unreadable index, an unknown S3 object."""


@dataclass(frozen=True, kw_only=True)
class Difference:
    """One way two artifacts differ."""

    level: Level
    kind: str
    subject: str
    message: str
    old: str | None = None
    new: str | None = None
    details: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level, "kind": self.kind, "subject": self.subject, "message": self.message,
            "old": self.old, "new": self.new, "details": list(self.details),
        }  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Origin:
    """Where one side of a pair came from, and its digests when known."""

    source: str  # a path or an s3:// URI
    sha256: str | None = None  # hex
    code_sha256: str | None = None  # base64, as Lambda reports CodeSha256

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "sha256": self.sha256, "code_sha256": self.code_sha256}


@dataclass(frozen=True, kw_only=True)
class ArtifactDiff:
    """The comparison of one artifact (a function and architecture, or one zip) on both sides."""

    label: str
    status: Status
    a: Origin | None
    b: Origin | None
    differences: tuple[Difference, ...] = ()
    note: str = ""  # what to say when there are no differences to list ("only in dist/")

    @property
    def identical(self) -> bool:
        return self.status == "identical"

    @property
    def headline(self) -> str:
        """The most decisive difference in one line (or the status)."""
        if self.differences:
            return self.differences[0].message
        if self.note:
            return self.note
        return {
            "identical": "identical",
            "different": "differs",
            "only-in-a": "only in A",
            "only-in-b": "only in B",
            "not-fetched": "differs",
        }[self.status]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "status": self.status,
            "summary": None if self.identical else self.headline,
            "a": None if self.a is None else self.a.to_dict(),
            "b": None if self.b is None else self.b.to_dict(),
            "differences": [d.to_dict() for d in self.differences],
        }


@dataclass(frozen=True, kw_only=True)
class DiffResult:
    """Every artifact compared between A and B; `fleet` when either side named several."""

    a: str  # the "before" side: what values on the left of an arrow come from
    b: str
    fleet: bool
    artifacts: tuple[ArtifactDiff, ...]
    swapped: bool = False  # B was a published.json, so it became the "before" side

    @property
    def identical(self) -> bool:
        return all(artifact.identical for artifact in self.artifacts)

    @property
    def differing(self) -> tuple[ArtifactDiff, ...]:
        return tuple(artifact for artifact in self.artifacts if not artifact.identical)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "fleet": self.fleet,
            "swapped": self.swapped,
            "identical": self.identical,
            "compared": len(self.artifacts),
            "differing": len(self.differing),
            "artifacts": [artifact.to_dict() for artifact in self.artifacts],
        }


def ordered(differences: list[Difference]) -> tuple[Difference, ...]:
    """Most decisive first: archive, then build, then code; by kind within a level; stable otherwise."""
    rank: dict[str, int] = {}
    for position, kinds in enumerate((*ARCHIVE_KINDS, *BUILD_KINDS, *CODE_KINDS)):
        rank.update(dict.fromkeys((kinds,) if isinstance(kinds, str) else kinds, position))
    levels = {"archive": 0, "build": 1, "code": 2}
    return tuple(sorted(differences, key=lambda d: (levels[d.level], rank.get(d.kind, len(rank)))))
