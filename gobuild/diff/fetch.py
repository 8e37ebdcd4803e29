"""Reading zips from S3 for `gobuild diff`: one gobuild.s3.Bucket per bucket, bounded downloads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gobuild.diff.inputs import MAX_ZIP_BYTES
from gobuild.diff.model import DiffInputError
from gobuild.errors import GobuildError

if TYPE_CHECKING:
    from gobuild.s3 import Bucket


@dataclass(frozen=True, kw_only=True)
class S3Options:
    """Where S3 is and who asks: the flags; boto3's standard chain supplies the rest."""

    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None


class Fetcher:
    """Downloads objects, making a Bucket (and finding credentials) only when first needed."""

    def __init__(self, options: S3Options) -> None:
        self.options = options
        self._buckets: dict[str, Bucket | GobuildError] = {}

    def _bucket(self, name: str) -> Bucket | GobuildError:
        if name not in self._buckets:
            from gobuild.s3 import Bucket  # boto3 costs 0.3 s to import: only when S3 is read

            try:
                self._buckets[name] = Bucket(name, endpoint_url=self.options.endpoint_url,
                                             region=self.options.region, profile=self.options.profile, pool=2)
            except GobuildError as error:
                self._buckets[name] = error
        return self._buckets[name]

    def unavailable(self, bucket: str) -> str | None:
        """Why objects of this bucket cannot be read (no credentials, say), or None when they can."""
        found = self._bucket(bucket)
        return found.message if isinstance(found, GobuildError) else None

    def read(self, bucket: str, key: str) -> bytes:
        """The object's bytes; DiffInputError when it is missing, too large or unreachable."""
        uri = f"s3://{bucket}/{key}"
        found = self._bucket(bucket)
        if isinstance(found, GobuildError):
            raise DiffInputError(f"{uri}: {found.message}", hint=found.hint) from None
        try:
            data = found.read(key, limit=MAX_ZIP_BYTES)
        except GobuildError as error:
            raise DiffInputError(error.message, hint=error.hint) from None
        if data is None:
            raise DiffInputError(f"{uri}: no such object", hint="check the bucket and key (and --endpoint-url)")
        return data
