"""Artifacts → S3: verified first, content-addressed keys, never an overwrite, nothing sent twice.

    options = resolve_options(manifest.publish, bucket="artifacts")     # flags win over [publish]
    document = load_artifacts(manifest)                                 # refuses stale builds
    result = publish(document, manifest.out_dir, options, reporter)

Before anything is sent every zip is hashed again (it must still be what the build wrote) and
verified as Lambda will see it (gobuild.verify). One refused zip stops the whole publish: a
fleet goes out as built or not at all. Verification results are remembered by content hash
in dist/.publish-verified.json, so publishing the same dist again re-hashes but does not
re-verify (the hash is always recomputed, so the memo can only ever vouch for the same bytes).

For each zip, HeadObject asks whether its key exists. An object with the same SHA-256 is kept
without sending its bytes; one with other bytes is an error naming the key. A new object is
written by one PutObject carrying ChecksumSHA256 (S3 checks the bytes; the stored checksum
is Lambda's CodeSha256) and `If-None-Match: *`, so a race with another writer cannot
overwrite either. "Same SHA-256" is decided by, in order of trust: the checksum S3 computed
(HeadObject ChecksumMode=ENABLED, AWS and SeaweedFS both return it), the `sha256` metadata
gobuild writes plus the size (servers that do not keep checksums), or downloading and hashing.

dist/published.json records every published zip (bucket, key, s3:// URI, CodeSha256, size,
version id, uploaded or already present). It is merged under a file lock and written
atomically, so concurrent publishes of one project both land. `formats` add the same data as
SAM / CloudFormation parameters and as Terraform variables (see render_* below and docs/publish.md).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from string import Formatter
from typing import Any, Literal

import portalocker
from botocore.exceptions import ClientError

from gobuild import __version__
from gobuild.artifacts import Artifact, ArtifactsFile, load_fresh
from gobuild.errors import GobuildError, PublishError, UsageError
from gobuild.manifest import Manifest, PublishSettings
from gobuild.package import sha256_file, write_atomic
from gobuild.report import Reporter
from gobuild.s3 import (
    CONDITION_FAILED_CODES,
    NOT_IMPLEMENTED_CODES,
    Bucket,
    RemoteObject,
    UnusableBucketError,
    error_code,
)
from gobuild.verify import verify_zip

DEFAULT_KEY_TEMPLATE = "{sha256}.zip"
KEY_FIELDS = ("name", "arch", "sha256")
DEFAULT_JOBS = 8
PUBLISHED_NAME = "published.json"
VERIFIED_NAME = ".publish-verified.json"
PUBLISHED_SCHEMA_VERSION = 1
LOCK_TIMEOUT = 120.0
MAX_KEY_BYTES = 1024
# Output formats besides published.json: name → file written next to it.
FORMAT_FILES = {
    "sam": "published.parameters.txt",
    "cloudformation": "published.parameters.json",
    "tfvars": "published.tfvars.json",
}
TFVARS_VARIABLE = "gobuild_artifacts"
# S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens.
BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# Tries of HEAD + conditional PUT when another writer keeps racing us for the same key.
CONDITIONAL_ROUNDS = 3

Status = Literal["uploaded", "present", "to upload"]
FailureStage = Literal["check", "conflict", "upload"]


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


# ---------------------------------------------------------------------------------------------
# Settings and keys (pure).


def resolve_options(
    settings: PublishSettings,
    *,
    bucket: str | None = None,
    prefix: str | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    jobs: int | None = None,
    only: Sequence[str] = (),
    dry_run: bool = False,
    formats: Sequence[str] = (),
) -> PublishOptions:
    """Merges flags over the [publish] table (a flag given wins) and checks the result."""
    chosen_bucket = bucket if bucket is not None else settings.bucket
    if not chosen_bucket:
        raise UsageError("no bucket to publish to",
                         hint="pass --bucket NAME or set `bucket` in the [publish] table of gobuild.toml")
    if not BUCKET_PATTERN.match(chosen_bucket):
        raise UsageError(f"bucket {chosen_bucket!r} is not a valid S3 bucket name",
                         hint="3-63 lowercase letters, digits, '.' and '-'; no s3:// and no key")
    chosen_prefix = prefix if prefix is not None else settings.prefix
    template = settings.key_template or DEFAULT_KEY_TEMPLATE
    check_key_template(template)
    check_prefix(chosen_prefix)
    for name in formats:
        if name not in FORMAT_FILES:
            raise UsageError(f"--format {name!r} is not one of {', '.join(FORMAT_FILES)}")
    chosen_jobs = jobs if jobs is not None else (settings.jobs or DEFAULT_JOBS)
    if chosen_jobs < 1:
        raise UsageError(f"-j {chosen_jobs} must be at least 1")
    return PublishOptions(
        bucket=chosen_bucket,
        prefix=chosen_prefix,
        key_template=template,
        endpoint_url=endpoint_url if endpoint_url is not None else settings.endpoint_url,
        region=region if region is not None else settings.region,
        profile=profile if profile is not None else settings.profile,
        jobs=chosen_jobs,
        only=tuple(dict.fromkeys(only)),
        dry_run=dry_run,
        formats=tuple(dict.fromkeys(formats)),
    )


def check_key_template(template: str) -> None:
    """A key template uses only {name}, {arch}, {sha256}, and must use {sha256}.

    Keys are never overwritten, so a key without the content hash could hold one build only.
    """
    try:
        fields = [f for _, f, spec, conv in Formatter().parse(template) if f is not None]
        specs = [(spec, conv) for _, f, spec, conv in Formatter().parse(template) if f is not None]
    except ValueError as error:
        raise UsageError(f"publish.key_template {template!r}: {error}",
                         hint="placeholders are {name}, {arch} and {sha256}") from None
    for field_name in fields:
        if field_name not in KEY_FIELDS:
            raise UsageError(f"publish.key_template {template!r}: unknown placeholder {{{field_name}}}",
                             hint="placeholders are {name}, {arch} and {sha256}")
    if any(spec or conv for spec, conv in specs):
        raise UsageError(f"publish.key_template {template!r}: placeholders take no format spec")
    if "sha256" not in fields:
        raise UsageError(
            f"publish.key_template {template!r} has no {{sha256}}",
            hint="keys are never overwritten, so each build needs its own key: "
                 "e.g. \"{name}/{arch}/{sha256}.zip\"",
        )
    if template.startswith("/"):
        raise UsageError(f"publish.key_template {template!r} starts with '/'")


def check_prefix(prefix: str) -> None:
    """A prefix is literal text before the key (usually a folder, "lambda/")."""
    if prefix.startswith("/"):
        raise UsageError(f"prefix {prefix!r} starts with '/'", hint="S3 keys have no leading slash")
    if "{" in prefix or "}" in prefix:
        raise UsageError(f"prefix {prefix!r} contains a brace", hint="use key_template for placeholders")


def object_key(options: PublishOptions, artifact: Artifact) -> str:
    """The S3 key for a zip: prefix + key_template with name, arch and the zip's hex SHA-256."""
    key = options.prefix + options.key_template.format(
        name=artifact.name, arch=artifact.arch, sha256=artifact.sha256
    )
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise UsageError(f"key {key[:60]}... is longer than S3's {MAX_KEY_BYTES} bytes")
    return key


def object_metadata(artifact: Artifact, document: ArtifactsFile) -> dict[str, str]:
    """x-amz-meta-* for a new object: what it is and what built it, plus the hex SHA-256."""
    return {
        "function": artifact.name,
        "arch": artifact.arch,
        "go-version": document.go_version,
        "gobuild-version": document.gobuild_version,
        "sha256": artifact.sha256,
    }


def select(document: ArtifactsFile, only: Sequence[str]) -> tuple[Artifact, ...]:
    """The artifacts to publish: all, or those of the functions named by --only."""
    if not only:
        return document.artifacts
    known = sorted({a.name for a in document.artifacts})
    for name in only:
        if name not in known:
            raise UsageError(f"--only {name!r}: no such function in artifacts.json",
                             hint=f"built functions: {', '.join(known)}")
    return tuple(a for a in document.artifacts if a.name in only)


# ---------------------------------------------------------------------------------------------
# Local checks: the zip is still what the build wrote, and Lambda would run it.


def load_artifacts(manifest: Manifest, only: Sequence[str] = ()) -> ArtifactsFile:
    """The project's artifacts.json, refused (StaleError) when missing or when the functions in
    `only` (or all) may not match the sources or the manifest."""
    return load_fresh(manifest, only)


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The local check of one zip: why it is refused (None: it may go), and verify's warnings."""

    reason: str | None
    warnings: tuple[str, ...] = ()
    remembered: bool = False  # the verification result came from the memo, not a new run


def check_artifact(artifact: Artifact, out_dir: Path,
                   verified: Mapping[str, Sequence[str]] | None = None) -> Verdict:
    """Re-hashes the zip against artifacts.json, then verifies it as Lambda will see it.

    `verified` maps verify_key() of zips that passed before to their warnings: the zip was
    just hashed, so the same key means the same bytes and arch, and the same verdict.
    """
    path = out_dir / artifact.path
    try:
        sha256, size = sha256_file(path), path.stat().st_size
    except FileNotFoundError:
        return Verdict(reason=f"{path.name} is missing; run `gobuild build`")
    except OSError as error:
        return Verdict(reason=f"cannot read {path.name}: {error.strerror}")
    if sha256 != artifact.sha256 or size != artifact.size:
        return Verdict(reason=f"{path.name} changed since the build (sha256 {sha256[:12]}…, "
                              f"artifacts.json says {artifact.sha256[:12]}…); run `gobuild build`")
    if verified is not None and verify_key(artifact) in verified:
        return Verdict(reason=None, warnings=tuple(verified[verify_key(artifact)]), remembered=True)
    report = verify_zip(path, arch=artifact.arch)
    if report.has_errors:
        return Verdict(reason="; ".join(f"{f.code} {f.message}" for f in report.errors))
    return Verdict(reason=None, warnings=tuple(f"{f.code} {f.message}" for f in report.warnings))


def verify_key(artifact: Artifact) -> str:
    """What a verification result depends on: the bytes, the declared arch, the verifier."""
    return f"{artifact.sha256}/{artifact.arch}/{__version__}"


def load_verified(out_dir: Path) -> dict[str, list[str]]:
    """The memo of zips that passed verification; unreadable counts as empty."""
    try:
        data = json.loads((out_dir / VERIFIED_NAME).read_text(encoding="utf-8"))
        return {str(k): [str(w) for w in v] for k, v in data["passed"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def save_verified(out_dir: Path, passed: Mapping[str, Sequence[str]]) -> None:
    """Writes the memo atomically; a lost update between concurrent runs only costs a re-check."""
    data = {"passed": {k: list(v) for k, v in sorted(passed.items())}}
    write_atomic(out_dir / VERIFIED_NAME, (json.dumps(data, indent=1) + "\n").encode("utf-8"))


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
                    profile=options.profile, pool=max(options.jobs, 2))
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
        """Raises ConflictError naming the key unless the object holds exactly this zip."""
        if remote.size != artifact.size:
            raise self.conflict(key, f"{remote.size} bytes, this zip has {artifact.size}")
        if remote.checksum_sha256 is not None:
            if remote.checksum_sha256 != artifact.code_sha256:
                raise self.conflict(key, f"S3 checksum {remote.checksum_sha256}, this zip {artifact.code_sha256}")
            return
        if remote.metadata_sha256 is not None:
            if remote.metadata_sha256 != artifact.sha256:
                raise self.conflict(key, f"metadata sha256 {remote.metadata_sha256[:12]}…, "
                                         f"this zip {artifact.sha256[:12]}…")
            return
        # No checksum anywhere (written by another tool, or by a server that keeps none): hash it.
        sha256, size = self.bucket.read_sha256(key)
        if sha256 != artifact.sha256 or size != artifact.size:
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


# ---------------------------------------------------------------------------------------------
# published.json and the other formats.


def published_path(out_dir: Path) -> Path:
    return out_dir / PUBLISHED_NAME


def merge_published(previous: Iterable[Published], fresh: Iterable[Published],
                    current: ArtifactsFile) -> tuple[Published, ...]:
    """Previous entries still true of the current build, replaced by fresh ones; sorted.

    An entry whose zip is no longer in artifacts.json (rebuilt, or function removed) is
    dropped, so every entry describes a zip of the current build.
    """
    valid = {(a.name, a.arch, a.code_sha256) for a in current.artifacts}
    table = {(p.name, p.arch): p for p in previous if (p.name, p.arch, p.code_sha256) in valid}
    table.update({(p.name, p.arch): p for p in fresh})
    return tuple(table[k] for k in sorted(table))


def render_published(entries: Sequence[Published]) -> bytes:
    """The bytes of published.json."""
    document = {
        "schema_version": PUBLISHED_SCHEMA_VERSION,
        "gobuild_version": __version__,
        "artifacts": [asdict(e) for e in entries],
    }
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def parse_published(data: bytes) -> tuple[Published, ...]:
    """Entries of a published.json; an unreadable or foreign file counts as empty."""
    try:
        document = json.loads(data)
        if document.get("schema_version") != PUBLISHED_SCHEMA_VERSION:
            return ()
        return tuple(Published(**entry) for entry in document["artifacts"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return ()


def record(out_dir: Path, fresh: Sequence[Published], current: ArtifactsFile,
           formats: Sequence[str]) -> tuple[Path, ...]:
    """Merges `fresh` into published.json (and writes `formats`) under an exclusive file lock."""
    path = published_path(out_dir)
    lock_path = out_dir / f".{PUBLISHED_NAME}.lock"
    # The lock serialises read-merge-write between processes; the lock file itself stays,
    # because removing it would let a third process lock a different inode.
    flags = portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING  # polled until timeout
    with portalocker.Lock(str(lock_path), mode="a", timeout=LOCK_TIMEOUT, flags=flags):
        previous = parse_published(path.read_bytes()) if path.is_file() else ()
        entries = merge_published(previous, fresh, current)
        write_atomic(path, render_published(entries))
        written = [path]
        for name in formats:
            target = out_dir / FORMAT_FILES[name]
            write_atomic(target, RENDERERS[name](entries))
            written.append(target)
    return tuple(written)


def parameter_prefix(name: str, arch: str) -> str:
    """CloudFormation parameter stem for a function and arch: "payments-api", "arm64" → "PaymentsApiArm64"."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", f"{name} {arch}") if w]
    return "".join(w[:1].upper() + w[1:] for w in words)


def parameters(entries: Sequence[Published]) -> dict[str, str]:
    """CloudFormation/SAM parameters: <Stem>S3Bucket, <Stem>S3Key, <Stem>CodeSha256 (+ S3ObjectVersion)."""
    result: dict[str, str] = {}
    owners: dict[str, str] = {}
    for entry in entries:
        stem = parameter_prefix(entry.name, entry.arch)
        if stem in owners:
            raise UsageError(
                f"{entry.label} and {owners[stem]} both become CloudFormation parameters {stem}*",
                hint="rename one function: parameter names keep only letters and digits",
            )
        owners[stem] = entry.label
        result[f"{stem}S3Bucket"] = entry.bucket
        result[f"{stem}S3Key"] = entry.key
        result[f"{stem}CodeSha256"] = entry.code_sha256
        if entry.version_id:
            result[f"{stem}S3ObjectVersion"] = entry.version_id
    return result


def render_sam(entries: Sequence[Published]) -> bytes:
    """`Key=Value` pairs on one line: `sam deploy --parameter-overrides "$(cat FILE)"`."""
    pairs = [f"{k}={_quote(v)}" for k, v in parameters(entries).items()]
    return (" ".join(pairs) + "\n").encode("utf-8")


def _quote(value: str) -> str:
    # SAM splits pairs on spaces; keys and bucket names rarely hold one, but quote if they do.
    if re.fullmatch(r"[A-Za-z0-9_./+=:-]*", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_cloudformation(entries: Sequence[Published]) -> bytes:
    """[{"ParameterKey", "ParameterValue"}]: for `--parameters file://` and `deploy --parameter-overrides file://`."""
    items = [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters(entries).items()]
    return (json.dumps(items, indent=2) + "\n").encode("utf-8")


def render_tfvars(entries: Sequence[Published]) -> bytes:
    """A Terraform variable file: gobuild_artifacts[name][arch] = {s3_bucket, s3_key, ...}."""
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in entries:
        table.setdefault(entry.name, {})[entry.arch] = {
            "s3_bucket": entry.bucket,
            "s3_key": entry.key,
            "s3_object_version": entry.version_id,
            "source_code_hash": entry.code_sha256,
            "size": entry.size,
        }
    return (json.dumps({TFVARS_VARIABLE: table}, indent=2, sort_keys=True) + "\n").encode("utf-8")


RENDERERS = {"sam": render_sam, "cloudformation": render_cloudformation, "tfvars": render_tfvars}
