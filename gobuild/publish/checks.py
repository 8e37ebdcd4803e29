"""Local checks before anything is sent: the zip is still what the build wrote, and Lambda would run
it. Verdicts are remembered by content hash in dist/.publish-verified.json.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gobuild import __version__
from gobuild.build.artifacts import Artifact, ArtifactsFile, load_fresh
from gobuild.check.verify import verify_zip
from gobuild.files import parse_json, sha256_file, write_atomic
from gobuild.manifest import Manifest

VERIFIED_NAME = ".publish-verified.json"



# ---------------------------------------------------------------------------------------------
# Local checks: the zip is still what the build wrote, and Lambda would run it.


def load_artifacts(manifest: Manifest, only: Sequence[str] = (),
                   environ: Mapping[str, str] | None = None) -> ArtifactsFile:
    """The project's artifacts.json, refused (StaleError) when missing or when the functions in
    `only` (or all) may not match the sources or the manifest (by content: see build.fresh)."""
    return load_fresh(manifest, only, environ)


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
        data = parse_json((out_dir / VERIFIED_NAME).read_text(encoding="utf-8"))
        return {str(k): [str(w) for w in v] for k, v in data["passed"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def save_verified(out_dir: Path, passed: Mapping[str, Sequence[str]]) -> None:
    """Writes the memo atomically; a lost update between concurrent runs only costs a re-check."""
    data = {"passed": {k: list(v) for k, v in sorted(passed.items())}}
    write_atomic(out_dir / VERIFIED_NAME, (json.dumps(data, indent=1) + "\n").encode("utf-8"))


