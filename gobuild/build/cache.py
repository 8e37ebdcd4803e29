"""The shared artifact cache: zips stored in S3 under their inputs fingerprint.

`gobuild build --cache s3://bucket/prefix` looks each target's fingerprint up before
compiling; a hit is downloaded instead of built, a miss is built and stored. The key is
`{prefix}{fingerprint}.zip`; fingerprints hold no paths, users or machines, so every clone
and CI runner shares hits. A cached object is trusted only when its bytes hash to the sha256
recorded in its metadata at upload (S3 also checks ChecksumSHA256 on the way in); anything
else is reported and rebuilt. The metadata also carries the digest of the zip's entries, so a
hit needs no unzipping to be recorded in artifacts.json. The cache only ever saves work: when it cannot be reached, the
build warns and compiles as if it were empty.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from gobuild import __version__
from gobuild.build.artifacts import Artifact
from gobuild.build.runner import CachedZip
from gobuild.errors import GobuildError, UsageError
from gobuild.report import Reporter
from gobuild.s3 import Bucket, error_code


def parse_url(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix` → (bucket, prefix ending in '/' or empty)."""
    if not url.startswith("s3://") or len(url) <= 5:
        raise UsageError(f"cache url {url!r} is not s3://bucket/prefix")
    bucket, _, prefix = url[5:].partition("/")
    if not bucket:
        raise UsageError(f"cache url {url!r} names no bucket")
    return bucket, (prefix.rstrip("/") + "/") if prefix else ""


class S3Cache:
    """ArtifactCache over one S3 bucket; thread-safe like Bucket."""

    def __init__(self, url: str, *, endpoint_url: str | None = None, region: str | None = None,
                 profile: str | None = None) -> None:
        name, self.prefix = parse_url(url)
        self.url = url
        self.bucket = Bucket(name, endpoint_url=endpoint_url, region=region, profile=profile)
        self.broken = False

    def key(self, fingerprint: str) -> str:
        return f"{self.prefix}{fingerprint}.zip"

    def get(self, fingerprint: str, reporter: Reporter) -> CachedZip | None:
        """The cached zip for this fingerprint, or None (missing, unreadable or not matching)."""
        if self.broken:
            return None
        key = self.key(fingerprint)
        try:
            response = self.bucket.client.get_object(Bucket=self.bucket.name, Key=key)
            data = response["Body"].read()
            metadata = {k.lower(): v for k, v in (response.get("Metadata") or {}).items()}
        except ClientError as error:
            if error_code(error) in ("NoSuchKey", "404", "NotFound"):
                return None
            self.give_up(reporter, self.bucket.error(error, "GetObject", key))
            return None
        except BotoCoreError as error:
            self.give_up(reporter, self.bucket.error(error, "GetObject", key))
            return None
        contents = metadata.get("contents-sha256")
        if metadata.get("sha256") != hashlib.sha256(data).hexdigest() or not contents:
            reporter.warning(f"cache object {self.bucket.uri(key)} does not match its recorded sha256; "
                             "ignoring it and rebuilding")
            return None
        return CachedZip(data=data, contents_sha256=contents)

    def put(self, fingerprint: str, artifact: Artifact, path: Path, reporter: Reporter) -> None:
        """Stores the zip at `path` unless the cache already has it (If-None-Match: *, where supported)."""
        if self.broken:
            return
        key = self.key(fingerprint)
        try:
            existing = self.bucket.head(key)
            if existing is not None and existing.metadata_sha256 == artifact.sha256:
                return
            self.bucket.put_new(
                key, path, code_sha256=artifact.code_sha256,
                metadata={"sha256": artifact.sha256, "contents-sha256": artifact.contents_sha256,
                          "gobuild-version": __version__},
                if_none_match=existing is None,
            )
        except ClientError:
            return  # another runner stored it between our HEAD and PUT
        except GobuildError as error:
            self.give_up(reporter, error)

    def give_up(self, reporter: Reporter, error: GobuildError) -> None:
        self.broken = True
        reporter.warning(f"cache {self.url} unusable, building without it: {error.message}")
