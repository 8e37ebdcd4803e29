"""Artifacts → S3: verified first, content-addressed keys, never an overwrite, nothing sent twice.

    options = resolve_options(manifest.publish, bucket="artifacts")     # flags win over [publish]
    document = load_artifacts(manifest)                                 # refuses stale builds
    result = publish(document, manifest.out_dir, options, reporter)

Before anything is sent every zip is hashed again (it must still be what the build wrote) and
verified as Lambda will see it (gobuild.check.verify). One refused zip stops the whole publish: a
fleet goes out as built or not at all. Verification results are remembered by content hash
in dist/.publish-verified.json, so publishing the same dist again re-hashes but does not
re-verify (the hash is always recomputed, so the memo can only ever vouch for the same bytes).

For each zip, HeadObject asks whether its key exists. An object with the same SHA-256 is kept
without sending its bytes; one with other bytes is an error naming the key. A new object is
written by one PutObject carrying ChecksumSHA256 (S3 checks the bytes; the stored checksum
is Lambda's CodeSha256) and `If-None-Match: *`, so a race with another writer cannot
overwrite either. "Same SHA-256" is decided only by what the server proves: the checksum it
stored (HeadObject ChecksumMode=ENABLED, AWS and SeaweedFS both return it for objects put with
one), or else the object's bytes, downloaded and hashed. Metadata is never proof.

dist/published.json records every published zip (bucket, key, s3:// URI, CodeSha256, size,
version id, uploaded or already present). It is merged under a file lock and written
atomically, so concurrent publishes of one project both land. `formats` add the same data as
SAM / CloudFormation parameters and as Terraform variables (see render_* below and docs/publish.md).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from botocore.exceptions import ClientError

from gobuild.build.artifacts import Artifact, ArtifactsFile
from gobuild.errors import GobuildError, PublishError
from gobuild.publish.checks import Verdict, check_artifact, load_verified, save_verified, verify_key
from gobuild.publish.formats import record
from gobuild.publish.model import (
    ConflictError,
    Failure,
    FailureStage,
    Published,
    PublishOptions,
    PublishResult,
    Status,
)
from gobuild.publish.options import object_key, object_metadata, select
from gobuild.report import Reporter
from gobuild.s3 import (
    CONDITION_FAILED_CODES,
    NOT_IMPLEMENTED_CODES,
    Bucket,
    RemoteObject,
    UnusableBucketError,
    error_code,
)

# Tries of HEAD + conditional PUT when another writer keeps racing us for the same key.
CONDITIONAL_ROUNDS = 3



# ---------------------------------------------------------------------------------------------
# The publish itself.


def publish(document: ArtifactsFile, out_dir: Path, options: PublishOptions, reporter: Reporter) -> PublishResult:
    """Checks every selected zip, then uploads what the bucket lacks; records it in published.json.

    Raises PublishError (or UsageError) before anything is sent when the endpoint, the bucket
    or the credentials are unusable. Per-zip problems come back in `PublishResult.failures`:
    if any zip fails its local check nothing is sent at all.
    """
    artifacts = select(document, options.only)
    keys = {a.key: object_key(options, a) for a in artifacts}
    failures = _check_all(artifacts, out_dir, options, reporter)
    if failures:
        return PublishResult(bucket=options.bucket, total=len(artifacts), published=(), failures=failures,
                             requests=0, bytes_sent=0, dry_run=options.dry_run)
    bucket = Bucket(options.bucket, endpoint_url=options.endpoint_url, region=options.region,
                    profile=options.profile, pool=max(options.jobs, 2), profile_source=options.profile_source)
    bucket.check_access()
    uploader = _Uploader(bucket, document, out_dir, options, reporter)
    # Identical zips share a key: one worker per key, so the bytes go once.
    by_key: dict[str, list[Artifact]] = {}
    for artifact in artifacts:
        by_key.setdefault(keys[artifact.key], []).append(artifact)
    with ThreadPoolExecutor(max_workers=options.jobs, thread_name_prefix="publish") as pool:
        outcomes = list(pool.map(lambda item: uploader.run(item[0], item[1]), by_key.items()))
    published = tuple(sorted((p for ok, _ in outcomes for p in ok), key=lambda p: (p.name, p.arch)))
    upload_failures = tuple(sorted((f for _, bad in outcomes for f in bad), key=lambda f: (f.name, f.arch)))
    written: tuple[Path, ...] = ()
    if not options.dry_run and published:
        written = record(out_dir, published, document, options.formats)
    traffic = bucket.traffic()
    return PublishResult(bucket=options.bucket, total=len(artifacts), published=published, failures=upload_failures,
                         requests=traffic.requests, bytes_sent=traffic.bytes_sent,
                         dry_run=options.dry_run, written=written)


def _check_all(artifacts: Sequence[Artifact], out_dir: Path, options: PublishOptions,
               reporter: Reporter) -> tuple[Failure, ...]:
    # verify_zip decompresses every entry and reads the bootstrap's ELF and Go build info; the
    # memo makes publishing the same dist again (another bucket or region, a rerun) cost only hashing.
    verified = load_verified(out_dir)

    def check(artifact: Artifact) -> Verdict:
        label = f"{artifact.name}/{artifact.arch}"
        reporter.started(label, "checking")
        verdict = check_artifact(artifact, out_dir, verified)
        if verdict.reason is not None:
            reporter.finished(label, False, "refused: nothing sent", output=verdict.reason)
            return verdict
        for warning in verdict.warnings:
            reporter.warning(f"{label}: {warning}")
        reporter.progress(label, "checked")
        return verdict

    with ThreadPoolExecutor(max_workers=options.jobs, thread_name_prefix="check") as pool:
        verdicts = list(zip(artifacts, pool.map(check, artifacts)))
    fresh = {verify_key(a): list(v.warnings) for a, v in verdicts if v.reason is None and not v.remembered}
    if fresh and not options.dry_run:
        save_verified(out_dir, {**verified, **fresh})
    return tuple(Failure(name=a.name, arch=a.arch, stage="check", reason=reason)
                 for a, v in verdicts if (reason := v.reason) is not None)


class _Uploader:
    """Publishes one key (and every artifact that shares it); safe to run from many threads."""

    def __init__(self, bucket: Bucket, document: ArtifactsFile, out_dir: Path,
                 options: PublishOptions, reporter: Reporter) -> None:
        self.bucket = bucket
        self.document = document
        self.out_dir = out_dir
        self.options = options
        self.reporter = reporter
        # Cleared once the server rejects If-None-Match; later uploads then rely on HEAD alone.
        self.conditional = True
        self.lock = threading.Lock()
        # Set by an error that every other upload would hit too (server gone, access denied);
        # read without the lock on purpose: a late reader only makes one more failing attempt.
        self.abort: str | None = None

    def run(self, key: str, artifacts: list[Artifact]) -> tuple[list[Published], list[Failure]]:
        first = artifacts[0]
        labels = [f"{a.name}/{a.arch}" for a in artifacts]
        if self.abort is not None:
            reason = f"not attempted: {self.abort}"
            for label in labels:
                self.reporter.finished(label, False, "skipped", output=reason)
            return [], [Failure(name=a.name, arch=a.arch, stage="upload", reason=reason) for a in artifacts]
        for label in labels:
            self.reporter.progress(label, "checking bucket")
        try:
            status, version_id = self.publish_one(key, first, labels)
        except GobuildError as error:
            reason = error.message
            if isinstance(error, UnusableBucketError):
                self.abort = reason
            stage: FailureStage = "conflict" if isinstance(error, ConflictError) else "upload"
            for label in labels:
                self.reporter.finished(label, False, stage if stage == "conflict" else "failed", output=reason)
            return [], [Failure(name=a.name, arch=a.arch, stage=stage, reason=reason) for a in artifacts]
        published = [self.entry(a, key, status, version_id) for a in artifacts]
        detail = {"uploaded": "uploaded", "present": "already present", "to upload": "would upload"}[status]
        for entry in published:
            self.reporter.finished(entry.label, True, f"{detail} {entry.uri}", size=entry.size, key=key)
        return published, []

    def publish_one(self, key: str, artifact: Artifact, labels: list[str]) -> tuple[Status, str | None]:
        for _ in range(CONDITIONAL_ROUNDS):
            remote = self.bucket.head(key)
            if remote is not None:
                self.require_same(key, artifact, remote)
                return "present", remote.version_id
            if self.options.dry_run:
                return "to upload", None
            for label in labels:
                self.reporter.progress(label, "uploading")
            conditional = self.conditional  # what this attempt sends, whatever other threads learn
            try:
                version_id = self.bucket.put_new(
                    key, self.out_dir / artifact.path, code_sha256=artifact.code_sha256,
                    metadata=object_metadata(artifact, self.document), if_none_match=conditional,
                )
                return "uploaded", version_id
            except ClientError as error:
                code = error_code(error)
                if code in NOT_IMPLEMENTED_CODES and conditional:
                    self.disable_conditional()
                    continue
                if code in CONDITION_FAILED_CODES:
                    continue  # written by someone else since our HEAD: look again
                raise self.bucket.error(error, "PutObject", key) from None
        raise PublishError(f"{self.bucket.uri(key)}: another writer kept changing the key",
                           hint="rerun `gobuild publish`")

    def disable_conditional(self) -> None:
        with self.lock:
            if self.conditional:
                self.conditional = False
                self.reporter.warning(
                    f"{self.bucket.endpoint} does not support If-None-Match on PutObject; "
                    "relying on the HeadObject check alone (a concurrent writer could overwrite)"
                )

    def require_same(self, key: str, artifact: Artifact, remote: RemoteObject) -> None:
        """Raises ConflictError naming the key unless the server proves the object holds exactly
        this zip: by the SHA-256 checksum it stored, or else by its bytes, downloaded and hashed.

        User metadata (x-amz-meta-sha256) is never proof: any writer can set it to anything.
        SeaweedFS 4.x (checked by experiment; tests/integration/test_publish_faults.py) returns
        ChecksumSHA256 on HeadObject and GetObject with ChecksumMode=ENABLED only for objects put
        with a ChecksumSHA256 (which it verifies: a wrong one is refused with BadDigest); objects
        put without one, or written through its filer, have no checksum (a filer rewrite drops an
        old one), and without ChecksumMode nothing is returned. AWS S3 likewise keeps a SHA-256
        only when the writer sent one. So an object gobuild did not write is hashed here.
        """
        if remote.size != artifact.size:
            raise self.conflict(key, f"{remote.size} bytes, this zip has {artifact.size}")
        if remote.checksum_sha256 is not None:
            if remote.checksum_sha256 != artifact.code_sha256:
                raise self.conflict(key, f"S3 checksum {remote.checksum_sha256}, this zip {artifact.code_sha256}")
            return
        sha256, size = self.bucket.read_sha256(key, limit=artifact.size)
        if size != artifact.size:
            raise self.conflict(key, f"its bytes are {'missing' if size < 0 else f'{size} bytes long'} "
                                     f"on download, this zip has {artifact.size}")
        if sha256 != artifact.sha256:
            raise self.conflict(key, f"its bytes hash to {sha256[:12]}…, this zip {artifact.sha256[:12]}…")

    def conflict(self, key: str, evidence: str) -> ConflictError:
        return ConflictError(
            f"{self.bucket.uri(key)} already exists with different content ({evidence}); "
            "it is never overwritten",
            hint="inspect that object: a key should only ever hold the bytes its SHA-256 names",
        )

    def entry(self, artifact: Artifact, key: str, status: Status, version_id: str | None) -> Published:
        return Published(
            name=artifact.name, arch=artifact.arch, bucket=self.bucket.name, key=key,
            uri=self.bucket.uri(key), code_sha256=artifact.code_sha256, sha256=artifact.sha256,
            size=artifact.size, version_id=version_id, status=status,
        )


