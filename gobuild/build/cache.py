"""The shared artifact cache: zips stored in S3 under their inputs fingerprint.

`gobuild build --cache s3://bucket/prefix` looks each target's fingerprint up before
compiling; a hit is downloaded instead of built, a miss is built and stored. The key is
`{prefix}{fingerprint}.zip`; fingerprints hold no paths, users or machines, so every clone
and CI runner shares hits.

Nothing a cached object says about itself is believed. A hit is shipped only when:
- it is at most MAX_CACHED_ZIP bytes, judged from ContentLength before its body is read,
  then enforced while it streams to a temporary file beside the zip it may become;
- its bytes hash to the sha256 recorded when it was stored;
- with GOBUILD_CACHE_KEY set, its metadata carries an HMAC-SHA256 under that key of the
  fingerprint and that sha256 (written by `put`, in the spirit of Turborepo's signed remote
  cache), so only holders of the key can make objects this build accepts;
- gobuild.build.proof shows it is what this target would build (verify, entries, Go build
  information), and its entries digest is recomputed there.
Anything else is reported once per object, ignored and rebuilt (and the rebuilt zip then
replaces it). At most DOWNLOADS objects are downloaded and proven at once, whatever -j is.
The cache only ever saves work: when it cannot be reached, the build warns once and compiles
as if it were empty.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections.abc import Mapping
from pathlib import Path

from botocore.exceptions import ClientError

from gobuild import __version__
from gobuild.build.artifacts import Artifact
from gobuild.build.proof import MAX_CACHED_ZIP, Expected, Unproven, prove
from gobuild.build.runner import CachedZip
from gobuild.errors import GobuildError, UsageError
from gobuild.report import Reporter
from gobuild.s3 import Bucket, ObjectTooLargeError, RemoteObject

KEY_VARIABLE = "GOBUILD_CACHE_KEY"
SIGNATURE = "gobuild-signature"  # x-amz-meta-gobuild-signature: hex HMAC-SHA256
DOWNLOADS = 4  # concurrent downloads and proofs: bounds memory (one bootstrap each) and connections
_SIGNED = "gobuild-cache-v1"  # what a signature is for; a new scheme gets a new name


def parse_url(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix` → (bucket, prefix ending in '/' or empty)."""
    if not url.startswith("s3://") or len(url) <= 5:
        raise UsageError(f"cache url {url!r} is not s3://bucket/prefix")
    bucket, _, prefix = url[5:].partition("/")
    if not bucket:
        raise UsageError(f"cache url {url!r} names no bucket")
    return bucket, (prefix.rstrip("/") + "/") if prefix else ""


def signing_key(environ: Mapping[str, str]) -> bytes | None:
    """The cache signing key from GOBUILD_CACHE_KEY, or None (unset or empty: objects are not signed)."""
    value = environ.get(KEY_VARIABLE, "")
    return value.encode("utf-8") if value else None


def sign(key: bytes, fingerprint: str, sha256: str) -> str:
    """The signature of a cache object: binds its bytes (sha256) to the fingerprint it is stored under."""
    return hmac.new(key, f"{_SIGNED}\n{fingerprint}\n{sha256}".encode(), hashlib.sha256).hexdigest()


class S3Cache:
    """ArtifactCache over one S3 bucket; thread-safe like Bucket."""

    def __init__(self, url: str, *, endpoint_url: str | None = None, region: str | None = None,
                 profile: str | None = None, key: bytes | None = None) -> None:
        name, self.prefix = parse_url(url)
        self.url = url
        self.bucket = Bucket(name, endpoint_url=endpoint_url, region=region, profile=profile,
                             pool=DOWNLOADS + 2, profile_source="[cache] profile in gobuild.toml")
        self.broken = False
        self._key = key  # never shown, logged or stored
        self._downloads = threading.BoundedSemaphore(DOWNLOADS)
        self._lock = threading.Lock()

    def key(self, fingerprint: str) -> str:
        return f"{self.prefix}{fingerprint}.zip"

    def get(self, fingerprint: str, expected: Expected, reporter: Reporter) -> CachedZip | None:
        """The cached zip for this fingerprint, proven to be what `expected` describes, saved to a
        temporary file beside expected.dest; None when missing, unusable or unproven (reported)."""
        key = self.key(fingerprint)
        with self._downloads:
            if self.broken:
                return None
            try:
                return self._fetch(fingerprint, key, expected)
            except Unproven as problem:
                reporter.warning(f"cache object {self.bucket.uri(key)} is not what {expected.target.label} "
                                 f"would build: {problem}; ignoring it and rebuilding")
            except GobuildError as error:
                self.give_up(reporter, error)
        return None

    def _fetch(self, fingerprint: str, key: str, expected: Expected) -> CachedZip | None:
        download = self.bucket.open(key)
        if download is None:
            return None
        with download:
            claimed = download.metadata.get("sha256", "")
            self._check_signature(fingerprint, claimed, download.metadata.get(SIGNATURE))
            if download.size > MAX_CACHED_ZIP:
                raise Unproven(f"it is {download.size} bytes, more than Lambda accepts ({MAX_CACHED_ZIP}); "
                               "not downloaded")
            try:
                saved = download.save(expected.dest, limit=MAX_CACHED_ZIP)
            except ObjectTooLargeError:
                raise Unproven(f"it sent more than Lambda accepts ({MAX_CACHED_ZIP} bytes)") from None
        try:
            if saved.sha256 != claimed:
                raise Unproven("its bytes do not match its recorded sha256")
            contents = prove(saved.path, expected)
            os.chmod(saved.path, 0o644)  # as files.write_atomic leaves every zip
        except BaseException:
            saved.path.unlink(missing_ok=True)
            raise
        return CachedZip(path=saved.path, size=saved.size, sha256=saved.sha256, contents_sha256=contents)

    def _check_signature(self, fingerprint: str, sha256: str, signature: str | None) -> None:
        if self._key is None:
            return  # unsigned caches rest on the proofs alone
        if not signature:
            raise Unproven(f"it is unsigned and {KEY_VARIABLE} is set")
        if not hmac.compare_digest(signature, sign(self._key, fingerprint, sha256)):
            raise Unproven(f"its signature does not match {KEY_VARIABLE}")

    def _holds(self, existing: RemoteObject, fingerprint: str, artifact: Artifact) -> bool:
        """Whether the stored object is already this zip, as the server's checksum (not metadata) shows."""
        if existing.checksum_sha256 != artifact.code_sha256:
            return False
        if self._key is None:
            return True
        signature = existing.metadata.get(SIGNATURE, "")
        return hmac.compare_digest(signature, sign(self._key, fingerprint, artifact.sha256))

    def put(self, fingerprint: str, artifact: Artifact, path: Path, reporter: Reporter) -> None:
        """Stores the zip at `path` unless the cache already holds it; replaces an object that is
        not this zip (one that get() refused), and creates new ones with If-None-Match: *."""
        if self.broken:
            return
        key = self.key(fingerprint)
        metadata = {"sha256": artifact.sha256, "contents-sha256": artifact.contents_sha256,
                    "gobuild-version": __version__}
        if self._key is not None:
            metadata[SIGNATURE] = sign(self._key, fingerprint, artifact.sha256)
        try:
            existing = self.bucket.head(key)
            if existing is not None and self._holds(existing, fingerprint, artifact):
                return
            self.bucket.put_new(key, path, code_sha256=artifact.code_sha256, metadata=metadata,
                                if_none_match=existing is None)
        except ClientError:
            return  # another runner stored it between our HEAD and PUT
        except GobuildError as error:
            self.give_up(reporter, error)

    def give_up(self, reporter: Reporter, error: GobuildError) -> None:
        """Stops using the cache for this build; the first failure is reported, once."""
        with self._lock:
            if self.broken:
                return
            self.broken = True
        reporter.warning(f"cache {self.url} unusable, building without it: {error.message}")
