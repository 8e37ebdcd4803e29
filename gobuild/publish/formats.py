"""dist/published.json, merged under a lock, and the same data as SAM / CloudFormation parameters
and Terraform variables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import portalocker

from gobuild import __version__
from gobuild.build.artifacts import ArtifactsFile
from gobuild.errors import UsageError
from gobuild.files import parse_json, write_atomic
from gobuild.publish.model import Published

PUBLISHED_NAME = "published.json"
PUBLISHED_SCHEMA_VERSION = 1
LOCK_TIMEOUT = 120.0
# Output formats besides published.json: name → file written next to it.
FORMAT_FILES = {
    "sam": "published.parameters.txt",
    "cloudformation": "published.parameters.json",
    "tfvars": "published.tfvars.json",
}
TFVARS_VARIABLE = "gobuild_artifacts"



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
        document = parse_json(data)
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
