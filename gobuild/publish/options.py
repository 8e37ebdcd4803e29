"""Publish settings and object keys (pure): flags over the [publish] table, key templates, metadata.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from string import Formatter

from gobuild.build.artifacts import Artifact, ArtifactsFile
from gobuild.errors import UsageError
from gobuild.manifest import PublishSettings
from gobuild.publish.formats import FORMAT_FILES
from gobuild.publish.model import DEFAULT_JOBS, DEFAULT_KEY_TEMPLATE, PublishOptions

KEY_FIELDS = ("name", "arch", "sha256")
MAX_KEY_BYTES = 1024
# S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens.
BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")



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
        profile_source="--profile" if profile is not None else "[publish] profile in gobuild.toml",
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


