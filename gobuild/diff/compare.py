"""`gobuild diff A B`: match what A and B name, compare by hash first, explain what differs.

Differences read A → B, except that a published.json (what is deployed) is always the "before"
side of a comparison with a local build, whichever argument it is.

Pairs are matched by label ("name/arch"); one zip against a fleet takes the fleet's zip of
the same label. Local zips are hashed from their bytes; published.json entries compare by
their recorded SHA-256 and are downloaded only when they differ and S3 can be read.
"""

from __future__ import annotations

import base64
import hashlib

from gobuild.diff.explain import explain_zips
from gobuild.diff.fetch import Fetcher, S3Options
from gobuild.diff.inputs import Candidate, Side, read_local, resolve
from gobuild.diff.model import ArtifactDiff, DiffInputError, DiffResult, Origin
from gobuild.report import NullReporter, Reporter


def compare(a: str, b: str, *, s3: S3Options | None = None, reporter: Reporter | None = None) -> DiffResult:
    """Compares everything A and B name. Raises DiffInputError (exit 2) for unreadable input."""
    reporter = reporter or NullReporter()
    old, new = resolve(a), resolve(b)
    # published.json describes what is deployed: it is the "before" side of a local build.
    swapped = new.kind == "published" and old.kind != "published"
    if swapped:
        old, new, a, b = new, old, b, a
    fetcher = Fetcher(s3 or S3Options())
    artifacts = []
    for label, x, y in match(old, new):
        if x is None and y is not None:
            artifacts.append(ArtifactDiff(label=label, status="only-in-b", a=None, b=_origin(y), note=f"only in {b}"))
        elif y is None and x is not None:
            artifacts.append(ArtifactDiff(label=label, status="only-in-a", a=_origin(x), b=None, note=f"only in {a}"))
        elif x is not None and y is not None:
            artifacts.append(_compare_pair(label, x, y, fetcher, reporter))
    return DiffResult(a=a, b=b, fleet=old.fleet or new.fleet, artifacts=tuple(artifacts), swapped=swapped)


def match(old: Side, new: Side) -> list[tuple[str, Candidate | None, Candidate | None]]:
    """(label, A's candidate, B's candidate) for every label either side names, sorted."""
    if not old.fleet and not new.fleet:
        x, y = old.candidates[0], new.candidates[0]
        label = x.label if x.label == y.label else f"{x.label} ↔ {y.label}"
        return [(label, x, y)]
    if not old.fleet or not new.fleet:
        single, fleet = (old, new) if not old.fleet else (new, old)
        wanted = single.candidates[0]
        found = next((c for c in fleet.candidates if c.label == wanted.label), None)
        if found is None:
            names = ", ".join(c.label for c in fleet.candidates) or "nothing"
            raise DiffInputError(f"{fleet.argument} has no {wanted.label} to compare {single.argument} with "
                                 f"(it has {names})")
        return [(wanted.label, wanted, found) if single is old else (wanted.label, found, wanted)]
    before = {c.label: c for c in old.candidates}
    after = {c.label: c for c in new.candidates}
    return [(label, before.get(label), after.get(label)) for label in sorted(set(before) | set(after))]


def _origin(candidate: Candidate, data: bytes | None = None) -> Origin:
    if data is not None:
        digest = hashlib.sha256(data).digest()
        return Origin(source=candidate.source, sha256=digest.hex(), code_sha256=base64.b64encode(digest).decode())
    return Origin(source=candidate.source, sha256=candidate.sha256, code_sha256=candidate.code_sha256)


def _local_bytes(candidate: Candidate, fetcher: Fetcher) -> bytes | None:
    """Bytes that are ours to read without asking S3 whether we may: local files and s3:// arguments."""
    if candidate.path is not None:
        return read_local(candidate)
    if candidate.sha256 is None and candidate.bucket and candidate.key:  # an s3:// argument
        return fetcher.read(candidate.bucket, candidate.key)
    return None


def _compare_pair(label: str, x: Candidate, y: Candidate, fetcher: Fetcher, reporter: Reporter) -> ArtifactDiff:
    old, new = _local_bytes(x, fetcher), _local_bytes(y, fetcher)
    a, b = _origin(x, old), _origin(y, new)
    if a.sha256 is not None and a.sha256 == b.sha256:
        return ArtifactDiff(label=label, status="identical", a=a, b=b)
    reasons = []
    if old is None:
        old, reason = _published_bytes(x, fetcher, reporter)
        reasons.append(reason)
    if new is None:
        new, reason = _published_bytes(y, fetcher, reporter)
        reasons.append(reason)
    if old is None or new is None:
        why = next(r for r in reasons if r)
        note = f"differs (CodeSha256 {a.code_sha256} → {b.code_sha256}); fetch with --endpoint-url to explain ({why})"
        return ArtifactDiff(label=label, status="not-fetched", a=a, b=b, note=note)
    # A downloaded zip's origin describes the bytes S3 holds now, which the index may not.
    if x.path is None:
        a = _origin(x, old)
    if y.path is None:
        b = _origin(y, new)
    if old == new:
        return ArtifactDiff(label=label, status="identical", a=a, b=b)
    differences = explain_zips(old, new, old_label=x.source, new_label=y.source,
                               old_recorded=x.settings, new_recorded=y.settings)
    return ArtifactDiff(label=label, status="different", a=a, b=b, differences=differences)


def _published_bytes(candidate: Candidate, fetcher: Fetcher, reporter: Reporter) -> tuple[bytes | None, str]:
    """A published zip's bytes from S3, or None and why they cannot be had."""
    if candidate.bucket is None or candidate.key is None:
        return None, f"{candidate.source} is not in S3"
    reason = fetcher.unavailable(candidate.bucket)
    if reason is not None:
        return None, reason
    data = fetcher.read(candidate.bucket, candidate.key)
    if candidate.sha256 is not None and hashlib.sha256(data).hexdigest() != candidate.sha256:
        reporter.warning(f"{candidate.source} no longer holds the bytes published.json records "
                         f"(CodeSha256 {candidate.code_sha256}); comparing what it holds now")
    return data, ""
