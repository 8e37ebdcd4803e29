"""Every call to S3, through one boto3 client: made from the standard chain, counted, translated.

Credentials, region and endpoint come from boto3's usual places (profile, `AWS_*` variables,
`AWS_ENDPOINT_URL`, instance roles); gobuild only passes on what the user gave as flags or in
the [publish] table. Checksums are explicit: botocore >= 1.36 would add a CRC32 to every upload
by default, so the client asks for checksums only "when required" and the caller sends the
SHA-256 it already has (which S3 then verifies and stores: it equals Lambda's CodeSha256).

Errors leave as PublishError with one line that says what failed and why, and never the
secret key or session token (they are masked even if a library puts them in a message).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from gobuild import __version__
from gobuild.errors import PublishError, UsageError
from gobuild.files import TEMP_SUFFIX, temp_name

if TYPE_CHECKING:
    from botocore.response import StreamingBody

DEFAULT_MAX_ATTEMPTS = 5
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 120
READ_CHUNK = 1 << 20
ACCESS_DENIED_CODES = {
    "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
    "AllAccessDisabled", "InvalidClientTokenId", "UnrecognizedClientException", "403",
}
MISSING_BUCKET_CODES = {"NoSuchBucket"}
WRONG_REGION_CODES = {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException", "301"}
# 412: someone wrote the key between our HEAD and PUT; 409: a concurrent conditional write.
CONDITION_FAILED_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
NOT_IMPLEMENTED_CODES = {"NotImplemented", "501"}
_USERINFO = re.compile(r"(//)[^/@\s]+@")


class UnusableBucketError(PublishError):
    """The endpoint, the bucket or the credentials fail every request: no point trying others."""


@dataclass(frozen=True, kw_only=True)
class RemoteObject:
    """What HeadObject says about an existing object.

    Only `checksum_sha256` is evidence of the bytes: the server computed (or verified) it. The
    metadata is whatever the writer chose to send, so it is never proof of content.
    """

    size: int
    checksum_sha256: str | None  # base64, from S3 itself (full-object checksum only)
    version_id: str | None
    metadata: Mapping[str, str] = field(default_factory=dict)  # x-amz-meta-*, keys lower-cased


class ObjectTooLargeError(PublishError):
    """An object is larger than the caller accepts; its bytes were not (all) read."""


@dataclass(frozen=True, kw_only=True)
class Fetched:
    """An object saved to a temporary file: its path, size and the SHA-256 of the bytes received."""

    path: Path
    size: int
    sha256: str  # hex


@dataclass(frozen=True, kw_only=True)
class Traffic:
    """Requests made (retries included) and request-body bytes sent."""

    requests: int
    bytes_sent: int


def client_config(*, max_attempts: int, retry_mode: str, pool: int) -> Config:
    """The botocore Config every gobuild S3 client uses; see the module docstring for checksums."""
    options: dict[str, Any] = {
        # Standard mode retries throttling, 5xx, timeouts and dropped connections with jittered
        # exponential backoff; legacy mode would also retry BadDigest (a changed file) 5 times.
        "retries": {"mode": retry_mode, "total_max_attempts": max_attempts},
        "max_pool_connections": pool,
        "connect_timeout": CONNECT_TIMEOUT,
        "read_timeout": READ_TIMEOUT,
        "user_agent_extra": f"gobuild/{__version__}",
    }
    try:
        return Config(**options, request_checksum_calculation="when_required",
                      response_checksum_validation="when_required")
    except TypeError:  # botocore < 1.36 has neither option and computes no default checksum
        return Config(**options)


class Bucket:
    """One bucket at one endpoint, with the few operations publishing needs.

    Thread-safe: boto3 clients may be shared between threads; the traffic counters are locked.
    """

    def __init__(self, name: str, *, endpoint_url: str | None = None, region: str | None = None,
                 profile: str | None = None, pool: int = 10, profile_source: str = "--profile") -> None:
        self.name = name
        try:
            core = botocore.session.Session(profile=profile)
            # AWS_MAX_ATTEMPTS / AWS_RETRY_MODE and the config file still decide, when set.
            attempts = int(core.get_config_variable("max_attempts") or DEFAULT_MAX_ATTEMPTS)
            mode = core.get_config_variable("retry_mode")
            session = boto3.session.Session(botocore_session=core, region_name=region)
            credentials = session.get_credentials()
        except ProfileNotFound as error:
            raise profile_not_found(error, profile, profile_source) from None
        except (CredentialRetrievalError, BotoCoreError) as error:
            raise PublishError(f"cannot load AWS credentials: {type(error).__name__}",
                               hint=_CREDENTIALS_HINT) from None
        if credentials is None:
            raise PublishError("no AWS credentials found", hint=_CREDENTIALS_HINT)
        frozen = credentials.get_frozen_credentials()
        # Kept only to mask them in messages; never shown, logged or stored.
        self._secrets = tuple(s for s in (frozen.secret_key, frozen.token) if s)
        config = client_config(max_attempts=max(attempts, 1),
                               retry_mode=mode if mode in ("standard", "adaptive") else "standard",
                               pool=pool)
        try:
            self.client = session.client("s3", endpoint_url=endpoint_url, config=config)
        except ValueError as error:  # botocore's "Invalid endpoint: ..." for a URL without a host
            shown = _USERINFO.sub(r"\1****@", repr(endpoint_url))
            raise UsageError(f"endpoint URL {shown} is not a valid URL ({type(error).__name__})",
                             hint="give scheme and host, such as http://127.0.0.1:8333") from None
        self.endpoint = self.redact(str(self.client.meta.endpoint_url))
        self._lock = threading.Lock()
        self._requests = 0
        self._bytes_sent = 0
        self.client.meta.events.register("before-send.s3", self._count)

    def _count(self, request: Any, **_: Any) -> None:
        # before-send fires once per attempt, so retried uploads are counted every time.
        length = int(request.headers.get("Content-Length", 0) or 0)
        with self._lock:
            self._requests += 1
            self._bytes_sent += length

    def traffic(self) -> Traffic:
        with self._lock:
            return Traffic(requests=self._requests, bytes_sent=self._bytes_sent)

    def uri(self, key: str) -> str:
        return f"s3://{self.name}/{key}"

    def check_access(self) -> None:
        """HeadBucket: fails with one clear line when the server, the bucket or the rights are missing."""
        try:
            self.client.head_bucket(Bucket=self.name)
        except (ClientError, BotoCoreError) as error:
            raise self.error(error, "HeadBucket", None) from None

    def head(self, key: str) -> RemoteObject | None:
        """The object at `key`, or None when there is none."""
        try:
            response = self.client.head_object(Bucket=self.name, Key=key, ChecksumMode="ENABLED")
        except ClientError as error:
            if _status(error) == 404 or _code(error) in ("NoSuchKey", "NotFound", "404"):
                return None
            raise self.error(error, "HeadObject", key) from None
        except BotoCoreError as error:
            raise self.error(error, "HeadObject", key) from None
        checksum: str | None = response.get("ChecksumSHA256")
        # A multipart upload's checksum is a checksum of part checksums ("...-3"): not comparable.
        if checksum and ("-" in checksum or response.get("ChecksumType") == "COMPOSITE"):
            checksum = None
        metadata = {k.lower(): v for k, v in (response.get("Metadata") or {}).items()}
        return RemoteObject(
            size=int(response.get("ContentLength", -1)),
            checksum_sha256=checksum,
            version_id=_version(response.get("VersionId")),
            metadata=metadata,
        )

    def read_sha256(self, key: str, *, limit: int) -> tuple[str, int]:
        """Downloads the object and returns its SHA-256 (hex) and size; for objects without a checksum.

        Reads at most `limit` + 1 bytes: a longer object cannot be the one expected, and its
        size (over `limit`) is all the caller needs to say so.
        """
        download = self.open(key)
        if download is None:
            return "", -1
        with download:
            digest, size = hashlib.sha256(), 0
            for chunk in download.chunks(limit + 1):
                digest.update(chunk)
                size += len(chunk)
            return digest.hexdigest(), size

    def open(self, key: str) -> Download | None:
        """Starts a GetObject: the object's size and metadata, with its bytes not yet read; None
        when there is no such key. Close it (or use `with`) when done."""
        try:
            response = self.client.get_object(Bucket=self.name, Key=key, ChecksumMode="ENABLED")
        except ClientError as error:
            if _status(error) == 404 or _code(error) in ("NoSuchKey", "NotFound", "404"):
                return None
            raise self.error(error, "GetObject", key) from None
        except BotoCoreError as error:
            raise self.error(error, "GetObject", key) from None
        metadata = {k.lower(): v for k, v in (response.get("Metadata") or {}).items()}
        return Download(self, key, response["Body"], int(response.get("ContentLength", -1)), metadata)

    def read(self, key: str, *, limit: int) -> bytes | None:
        """The object's bytes, or None when there is none; a PublishError when it is over `limit` bytes
        (checked against its length before reading, and while reading)."""
        try:
            response = self.client.get_object(Bucket=self.name, Key=key)
            length = int(response.get("ContentLength", 0) or 0)
            if length > limit:
                raise PublishError(f"{self.uri(key)} is {length} bytes, more than the {limit}-byte limit")
            body, chunks, size = response["Body"], [], 0
            for chunk in iter(lambda: body.read(READ_CHUNK), b""):
                size += len(chunk)
                if size > limit:
                    raise PublishError(f"{self.uri(key)} is more than the {limit}-byte limit")
                chunks.append(chunk)
            return b"".join(chunks)
        except ClientError as error:
            missing = _status(error) == 404 or _code(error) in ("NoSuchKey", "NotFound", "404")
            if missing and _code(error) not in MISSING_BUCKET_CODES:
                return None
            raise self.error(error, "GetObject", key) from None
        except BotoCoreError as error:
            raise self.error(error, "GetObject", key) from None

    def put_new(self, key: str, path: Path, *, code_sha256: str, metadata: Mapping[str, str],
                if_none_match: bool) -> str | None:
        """One PutObject with ChecksumSHA256 (and If-None-Match: * when asked); returns the version id.

        Raises ClientError for a failed condition or an unsupported header, so the caller can
        decide; every other failure becomes a PublishError.
        """
        extra: dict[str, Any] = {"IfNoneMatch": "*"} if if_none_match else {}
        try:
            with open(path, "rb") as body:
                response = self._put(key, body, code_sha256, metadata, extra)
        except ClientError as error:
            if _code(error) in CONDITION_FAILED_CODES | NOT_IMPLEMENTED_CODES:
                raise
            raise self.error(error, "PutObject", key) from None
        except BotoCoreError as error:
            raise self.error(error, "PutObject", key) from None
        except OSError as error:
            raise PublishError(f"{path}: cannot read: {error.strerror}") from None
        stored = response.get("ChecksumSHA256")
        if stored and stored != code_sha256:
            raise PublishError(f"{self.uri(key)}: S3 stored checksum {stored}, expected {code_sha256}")
        return _version(response.get("VersionId"))

    def _put(self, key: str, body: BinaryIO, code_sha256: str, metadata: Mapping[str, str],
             extra: dict[str, Any]) -> dict[str, Any]:
        response = self.client.put_object(
            Bucket=self.name, Key=key, Body=body, ContentType="application/zip",
            ChecksumSHA256=code_sha256, Metadata=dict(metadata), **extra,
        )
        return dict(response)

    def redact(self, text: str) -> str:
        """`text` without the secret key, the session token or user:password in a URL."""
        for secret in self._secrets:
            text = text.replace(secret, "****")
        return _USERINFO.sub(r"\1****@", text)

    def error(self, error: Exception, operation: str, key: str | None) -> PublishError:
        """One line for a boto3 failure of `operation` ("PutObject"): what, where, why; secrets masked."""
        target = self.uri(key) if key else f"bucket {self.name!r}"
        attempt = f"{operation} {self.uri(key) if key else self.name}"
        if isinstance(error, (BotoConnectionError, HTTPClientError)):
            return UnusableBucketError(
                self.redact(f"cannot reach S3 at {self.endpoint}: {_reason(error)} ({attempt})"),
                hint="check --endpoint-url (or AWS_ENDPOINT_URL) and that the server is running",
            )
        if isinstance(error, (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError)):
            return UnusableBucketError("no usable AWS credentials", hint=_CREDENTIALS_HINT)
        if not isinstance(error, ClientError):
            return PublishError(self.redact(f"{attempt} failed: {type(error).__name__}: {error}"))
        code, status = _code(error), _status(error)
        if code in MISSING_BUCKET_CODES or (key is None and status == 404):
            return UnusableBucketError(f"bucket {self.name!r} does not exist at {self.endpoint}",
                                hint="create it first, or pass the right --bucket / --endpoint-url")
        if code in ACCESS_DENIED_CODES or status == 403:
            return UnusableBucketError(
                f"access denied to {target} at {self.endpoint} ({_describe(code, status)})",
                hint="check the credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, --profile); publishing "
                     "needs s3:ListBucket, s3:GetObject and s3:PutObject on the bucket",
            )
        if code in WRONG_REGION_CODES or status == 301:
            region = _header(error, "x-amz-bucket-region")
            return UnusableBucketError(
                f"bucket {self.name!r} is in another region" + (f" ({region})" if region else ""),
                hint=f"pass --region {region}" if region else "pass --region",
            )
        message = error.response.get("Error", {}).get("Message") or ""
        return PublishError(self.redact(f"{attempt} failed: {_describe(code, status)} {message}".rstrip()))


class Download:
    """A GetObject whose headers have arrived: decide from its size and metadata, then read it
    (in chunks, or into a temporary file) or close it without reading."""

    def __init__(self, bucket: Bucket, key: str, body: StreamingBody, size: int,
                 metadata: Mapping[str, str]) -> None:
        self.bucket = bucket
        self.key = key
        self.size = size  # ContentLength, as the server announced it
        self.metadata = metadata  # x-amz-meta-*, keys lower-cased: claims, not proof
        self._body = body

    def __enter__(self) -> Download:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._body.close()

    def chunks(self, limit: int) -> Iterator[bytes]:
        """The object's bytes in chunks, stopping after `limit` bytes whatever the server sends."""
        taken = 0
        try:
            while taken < limit:
                chunk = self._body.read(min(READ_CHUNK, limit - taken))
                if not chunk:
                    return
                taken += len(chunk)
                yield chunk
        except (ClientError, BotoCoreError) as error:
            raise self.bucket.error(error, "GetObject", self.key) from None

    def save(self, dest: Path, *, limit: int, received: Callable[[int], None] | None = None) -> Fetched:
        """Streams the object into a temporary file beside `dest` (named as files.write_atomic
        names its own) and hashes it on the way. More than `limit` bytes, announced or sent,
        raise ObjectTooLargeError; on any failure the temporary file is removed. `received` is
        called with the size of each chunk written, for progress."""
        if self.size > limit:
            raise ObjectTooLargeError(f"{self.bucket.uri(self.key)} is {self.size} bytes, more than {limit}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=dest.parent, prefix=temp_name(dest), suffix=TEMP_SUFFIX)
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in self.chunks(limit + 1):
                    size += len(chunk)
                    if size > limit:
                        raise ObjectTooLargeError(f"{self.bucket.uri(self.key)} sent more than {limit} bytes")
                    digest.update(chunk)
                    handle.write(chunk)
                    if received is not None:
                        received(len(chunk))
        except BaseException:
            os.unlink(name)
            raise
        return Fetched(path=Path(name), size=size, sha256=digest.hexdigest())


def profile_not_found(error: ProfileNotFound, profile: str | None, source: str) -> UsageError:
    """The profile botocore could not find, named with where it came from: the caller's
    `source` (a flag or a manifest key) or the environment variable botocore read it from."""
    name = str(error.kwargs.get("profile") or profile)
    if profile is None:
        # botocore reads AWS_DEFAULT_PROFILE first, then AWS_PROFILE.
        source = next((v for v in ("AWS_DEFAULT_PROFILE", "AWS_PROFILE") if os.environ.get(v) == name), "AWS_PROFILE")
        fix = f"unset {source}"
    else:
        fix = f"fix {source}"
    return UsageError(f"AWS profile {name!r} (from {source}) not found",
                      hint=f"name a profile from ~/.aws/config or ~/.aws/credentials, or {fix}")


_CREDENTIALS_HINT = ("gobuild uses boto3's standard chain: set AWS_PROFILE (or --profile), "
                     "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where an instance role is available")


def error_code(error: ClientError) -> str:
    """The S3 error code of a ClientError ("PreconditionFailed", "404", ...)."""
    return _code(error)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _header(error: ClientError, name: str) -> str | None:
    headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    value = headers.get(name)
    return str(value) if value else None


def _describe(code: str, status: int) -> str:
    return code if code and code != str(status) else f"HTTP {status}"


def _version(value: Any) -> str | None:
    # Unversioned buckets answer "null" (AWS) or nothing at all.
    return str(value) if value and value != "null" else None


def _reason(error: Exception) -> str:
    # botocore wraps the socket error; its own text only repeats the URL.
    inner = getattr(error, "kwargs", {}).get("error")
    text = f"{error} {inner or ''}"
    if "refused" in text.lower():
        return "connection refused"
    if "timed out" in text.lower() or "timeout" in type(error).__name__.lower():
        return "timed out"
    return type(error).__name__
