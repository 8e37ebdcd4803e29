"""Code in S3, read the way Lambda reads it: one object (a version, when the definition names
one), bounded and verified, through gobuild.s3.Bucket (boto3's standard credential chain,
--endpoint-url, --region, --profile; secrets never in a message).

Bounded: HeadObject first, and an object over Lambda's unzipped limit is not downloaded; the
download stops at the size HeadObject gave. Verified: the bytes must hash to the SHA-256 S3
stored for the object (or gobuild's `sha256` metadata) and, for a published.json entry, to the
CodeSha256 recorded there.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gobuild.errors import GobuildError
from gobuild.lambda_facts import MIB, UNZIPPED_LIMIT

MAX_OBJECT = UNZIPPED_LIMIT + MIB
CHUNK = MIB


class S3CodeError(Exception):
    """The object could not be read; `missing` when S3 says it does not exist."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True, kw_only=True)
class S3Settings:
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None


class S3Reader:
    """Downloads code objects into `folder`, one Bucket client per bucket, each object once."""

    def __init__(self, settings: S3Settings, folder: Path) -> None:
        self.settings = settings
        self.folder = folder
        self._lock = threading.Lock()
        self._buckets: dict[str, Any] = {}
        self._unusable: dict[str, str] = {}  # bucket → why every request to it fails
        self._done: dict[tuple[str, str, str | None], Path] = {}

    def fetch(self, bucket: str, key: str, version: str | None, *, code_sha256: str | None = None) -> Path:
        """The object as a local file; S3CodeError says why not."""
        wanted = (bucket, key, version)
        with self._lock:
            if wanted in self._done:
                return self._done[wanted]
            client = self._bucket(bucket)
            dest = self.folder / f"s3-{len(self._done)}.zip"
            try:
                self._download(client, key, version, dest, code_sha256)
            except S3CodeError:
                raise
            except OSError as error:  # the scratch folder: a full disk, not the object's fault
                raise S3CodeError(f"cannot store it: {error.strerror or error}") from None
            except GobuildError as error:
                from gobuild.s3 import UnusableBucketError

                if isinstance(error, UnusableBucketError):  # a dead server: do not ask it again
                    self._unusable[bucket] = error.message
                raise S3CodeError(error.message) from None
            self._done[wanted] = dest
            return dest

    def _bucket(self, name: str) -> Any:
        if name in self._unusable:
            raise S3CodeError(self._unusable[name])
        if name not in self._buckets:
            from gobuild.s3 import Bucket  # boto3 costs ~0.3 s to import: only when code is in S3

            try:
                self._buckets[name] = Bucket(name, endpoint_url=self.settings.endpoint_url,
                                             region=self.settings.region, profile=self.settings.profile)
            except GobuildError as error:
                self._unusable[name] = error.message
                raise S3CodeError(error.message) from None
        return self._buckets[name]

    def _download(self, bucket: Any, key: str, version: str | None, dest: Path, expected: str | None) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        uri = bucket.uri(key) + (f"?versionId={version}" if version else "")
        extra = {"VersionId": version} if version else {}
        try:
            head = bucket.client.head_object(Bucket=bucket.name, Key=key, ChecksumMode="ENABLED", **extra)
        except ClientError as error:
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            if status == 404:
                raise S3CodeError(f"{uri} does not exist", missing=True) from None
            raise bucket.error(error, "HeadObject", key) from None
        except BotoCoreError as error:
            raise bucket.error(error, "HeadObject", key) from None
        size = int(head.get("ContentLength", -1))
        if size > MAX_OBJECT:
            raise S3CodeError(f"{uri} is {size // MIB} MiB, over Lambda's {UNZIPPED_LIMIT // MIB} MiB limit")
        checksum = head.get("ChecksumSHA256")
        if checksum and ("-" in checksum or head.get("ChecksumType") == "COMPOSITE"):
            checksum = None  # a checksum of part checksums: not the object's
        metadata = {k.lower(): v for k, v in (head.get("Metadata") or {}).items()}
        digest = hashlib.sha256()
        received = 0
        try:
            body = bucket.client.get_object(Bucket=bucket.name, Key=key, **extra)["Body"]
            with dest.open("wb") as file:
                while received <= size:
                    chunk = body.read(min(CHUNK, size + 1 - received))
                    if not chunk:
                        break
                    received += len(chunk)
                    digest.update(chunk)
                    file.write(chunk)
            body.close()
        except (ClientError, BotoCoreError) as error:
            raise bucket.error(error, "GetObject", key) from None
        if received != size:
            raise S3CodeError(f"{uri}: received {received:,} bytes, HeadObject said {size:,}")
        _verify(uri, digest.digest(), checksum, metadata.get("sha256"), expected)


def _verify(uri: str, digest: bytes, checksum: str | None, metadata_hex: str | None, expected: str | None) -> None:
    actual = base64.b64encode(digest).decode("ascii")
    for claimed, by in ((checksum, "S3's stored checksum"), (expected, "published.json")):
        if claimed and claimed != actual:
            raise S3CodeError(f"{uri}: the bytes received hash to {actual}, {by} says {claimed}")
    if metadata_hex and metadata_hex.lower() != digest.hex():
        raise S3CodeError(f"{uri}: the bytes received do not match its sha256 metadata")
