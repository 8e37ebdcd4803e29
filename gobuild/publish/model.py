"""What a publish is asked to do and what it did: options, published entries, failures, the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gobuild.errors import PublishError

Status = Literal["uploaded", "present", "to upload"]
FailureStage = Literal["check", "conflict", "upload"]

DEFAULT_KEY_TEMPLATE = "{sha256}.zip"
DEFAULT_JOBS = 8


class ConflictError(PublishError):
    """A key already holds bytes other than the zip's: reported, never overwritten."""


@dataclass(frozen=True, kw_only=True)
class PublishOptions:
    """Where and how to publish: the [publish] table with command-line overrides applied."""

    bucket: str
    prefix: str = ""
    key_template: str = DEFAULT_KEY_TEMPLATE
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    profile_source: str = "--profile"  # where `profile` came from, for messages
    jobs: int = DEFAULT_JOBS
    only: tuple[str, ...] = ()
    dry_run: bool = False
    formats: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Published:
    """One zip in S3, as recorded in published.json."""

    name: str
    arch: str
    bucket: str
    key: str
    uri: str
    code_sha256: str  # base64: Lambda's CodeSha256, Terraform's source_code_hash
    sha256: str  # hex
    size: int
    version_id: str | None
    status: Status

    @property
    def label(self) -> str:
        return f"{self.name}/{self.arch}"


@dataclass(frozen=True, kw_only=True)
class Failure:
    """A zip that was not published and why.

    `stage`: "check" (refused locally: nothing at all was sent), "conflict" (its key holds
    other bytes), "upload" (S3 failed; a rerun may succeed).
    """

    name: str
    arch: str
    stage: FailureStage
    reason: str

    @property
    def label(self) -> str:
        return f"{self.name}/{self.arch}"


@dataclass(frozen=True, kw_only=True)
class PublishResult:
    """What one publish did. `written` lists published.json and format files (none on a dry run)."""

    bucket: str
    total: int  # zips selected for this publish
    published: tuple[Published, ...]
    failures: tuple[Failure, ...]
    requests: int
    bytes_sent: int
    dry_run: bool
    written: tuple[Path, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures

    def count(self, status: Status) -> int:
        return sum(1 for p in self.published if p.status == status)


