"""What each argument of `gobuild diff` names: one zip (a file or an s3:// object), or a fleet (a
dist/ folder, an artifacts.json, a published.json), as candidates labelled "name/arch".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gobuild.diff.archive import MAX_UNZIPPED
from gobuild.diff.model import DiffInputError
from gobuild.errors import GobuildError
from gobuild.files import NotReadable, parse_json, read_small_file
from gobuild.lambda_facts import ARTIFACTS_NAME, arch_name, function_of_artifact

Kind = Literal["zip", "s3", "dist", "artifacts", "published"]
PUBLISHED_SCHEMA_VERSION = 1  # the version gobuild publish writes
MAX_ZIP_BYTES = MAX_UNZIPPED  # a Lambda zip cannot be larger than what it may unzip to
PUBLISHED_FIELDS = ("name", "arch", "bucket", "key", "sha256", "code_sha256")


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """One zip on one side: where its bytes are, and what an index recorded about it."""

    label: str  # "orders/arm64", or the zip's own name
    source: str  # the path or s3:// URI, for messages
    path: Path | None = None
    bucket: str | None = None
    key: str | None = None
    sha256: str | None = None  # hex, as recorded (published.json, artifacts.json)
    code_sha256: str | None = None
    settings: Mapping[str, Any] | None = field(default=None, hash=False)  # artifacts.json's record


@dataclass(frozen=True, kw_only=True)
class Side:
    """Everything one argument names."""

    argument: str
    kind: Kind
    candidates: tuple[Candidate, ...]

    @property
    def fleet(self) -> bool:
        return self.kind in ("dist", "artifacts", "published")


def label_of_zip(file_name: str) -> str:
    """orders-arm64.zip → "orders/arm64"; a name without an architecture stays as it is."""
    stem = file_name[: -len(".zip")] if file_name.lower().endswith(".zip") else file_name
    function = function_of_artifact(file_name)
    arch = arch_name(stem[len(function) + 1 :]) if stem != function else None
    return f"{function}/{arch}" if arch else file_name


def resolve(argument: str) -> Side:
    """The zips an argument names; DiffInputError when it names nothing readable."""
    if argument.startswith("s3://"):
        bucket, _, key = argument[len("s3://") :].partition("/")
        if not bucket or not key or key.endswith("/"):
            raise DiffInputError(f"{argument}: not an s3://BUCKET/KEY of one zip")
        candidate = Candidate(label=label_of_zip(key.rsplit("/", 1)[-1]), source=argument, bucket=bucket, key=key)
        return Side(argument=argument, kind="s3", candidates=(candidate,))
    path = Path(argument)
    if path.is_dir():
        return _folder(argument, path)
    if not path.exists():
        raise DiffInputError(f"{argument}: no such file or folder")
    if path.suffix.lower() == ".json":
        return _index(argument, path)
    return Side(argument=argument, kind="zip",
                candidates=(Candidate(label=label_of_zip(path.name), source=argument, path=path),))


def _folder(argument: str, folder: Path) -> Side:
    index = folder / ARTIFACTS_NAME
    if index.is_file():
        return Side(argument=argument, kind="dist", candidates=_artifacts(index))
    zips = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".zip" and p.is_file())
    if not zips:
        raise DiffInputError(f"{argument}: no {ARTIFACTS_NAME} and no zips in this folder",
                             hint="name a dist/ folder that `gobuild build` wrote, a zip, or an index file")
    candidates = tuple(Candidate(label=label_of_zip(p.name), source=str(p), path=p) for p in zips)
    return Side(argument=argument, kind="dist", candidates=candidates)


def _index(argument: str, path: Path) -> Side:
    document = _read_json(path)
    entries = document.get("artifacts") if isinstance(document, dict) else None
    if isinstance(entries, list) and any(isinstance(e, dict) and "bucket" in e for e in entries):
        return Side(argument=argument, kind="published", candidates=_published(path, document))
    if isinstance(entries, list):
        return Side(argument=argument, kind="artifacts", candidates=_artifacts(path))
    raise DiffInputError(f"{argument}: neither an artifacts.json nor a published.json (no \"artifacts\" list)")


def _read_json(path: Path) -> Any:
    from gobuild.build.artifacts import MAX_INDEX_BYTES  # it imports the manifest reader: only for an index

    try:
        data = read_small_file(str(path), MAX_INDEX_BYTES)  # a FIFO or device is refused unread
    except OSError as error:
        raise DiffInputError(f"{path}: cannot read ({error.strerror})") from None
    except NotReadable as error:
        raise DiffInputError(f"{path}: {error}", hint="name an artifacts.json or a published.json") from None
    try:
        return parse_json(data)
    except ValueError as error:
        raise DiffInputError(f"{path}: not valid JSON ({error})") from None


def _artifacts(index: Path) -> tuple[Candidate, ...]:
    from gobuild.build.artifacts import load  # it imports the manifest reader: only for an index

    try:
        document = load(index)
    except GobuildError as error:
        raise DiffInputError(error.message, hint=error.hint) from None
    return tuple(
        Candidate(label=f"{a.name}/{a.arch}", source=str(index.parent / a.path), path=index.parent / a.path,
                  sha256=a.sha256, code_sha256=a.code_sha256, settings=a.settings)
        for a in document.artifacts
    )


def _published(path: Path, document: dict[str, Any]) -> tuple[Candidate, ...]:
    if document.get("schema_version") != PUBLISHED_SCHEMA_VERSION:
        raise DiffInputError(f"{path}: schema_version {document.get('schema_version')!r} is not "
                             f"{PUBLISHED_SCHEMA_VERSION}", hint="publish again with this gobuild version")
    candidates = []
    for number, entry in enumerate(document["artifacts"], start=1):
        missing = [k for k in PUBLISHED_FIELDS if not isinstance(entry, dict) or not isinstance(entry.get(k), str)]
        if missing:
            raise DiffInputError(f"{path}: artifacts[{number}]: missing or not text: {', '.join(missing)}")
        candidates.append(Candidate(
            label=f"{entry['name']}/{entry['arch']}", source=f"s3://{entry['bucket']}/{entry['key']}",
            bucket=entry["bucket"], key=entry["key"], sha256=entry["sha256"], code_sha256=entry["code_sha256"],
        ))  # fmt: skip
    return tuple(candidates)


def read_local(candidate: Candidate) -> bytes:
    """The bytes of a local zip, refusing one larger than any Lambda zip can be."""
    if candidate.path is None:
        raise DiffInputError(f"{candidate.source}: not a local file")
    try:
        # A FIFO or a device such as /dev/zero is refused unread, a larger file before it is read.
        return read_small_file(str(candidate.path), MAX_ZIP_BYTES)
    except FileNotFoundError:
        raise DiffInputError(f"{candidate.source}: no such file", hint="run `gobuild build` again") from None
    except OSError as error:
        raise DiffInputError(f"{candidate.source}: cannot read ({error.strerror})") from None
    except NotReadable as error:
        raise DiffInputError(f"{candidate.source}: {error}", hint="name a zip file") from None
