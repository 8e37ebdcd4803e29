"""gobuild's own outputs next to a definition: dist/artifacts.json and dist/published.json.

A template "uses gobuild's outputs" when its code is a zip gobuild built (listed in the
artifacts.json beside it) or when its S3 key comes from what `gobuild publish --format`
wrote: a `<Name><Arch>S3Key` parameter (SAM, CloudFormation) or
`var.gobuild_artifacts[name][arch].s3_key` (Terraform). The out_dir is the manifest's, found
by walking up from the definition to the nearest gobuild.toml (else `dist` beside it).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gobuild.errors import GobuildError
from gobuild.lambda_facts import ARTIFACTS_NAME, DEFAULT_OUT_DIR, MANIFEST_NAME, PUBLISHED_NAME, out_dir_of

if TYPE_CHECKING:  # the modules themselves load only when an out_dir has these files
    from gobuild.build.artifacts import Artifact
    from gobuild.publish.model import Published

MAX_INDEX_BYTES = 64 * 1024 * 1024
# How far up from a definition the manifest is looked for.
MAX_PARENTS = 8


@dataclass(frozen=True, kw_only=True)
class Outputs:
    """One out_dir's artifacts.json and published.json entries (empty when absent or unreadable)."""

    out_dir: Path
    artifacts: tuple[Artifact, ...] = ()
    published: tuple[Published, ...] = ()

    def artifact_at(self, zip_path: Path) -> Artifact | None:
        """The artifacts.json entry whose zip is this file."""
        target = _real(zip_path)
        return next((a for a in self.artifacts if _real(self.out_dir / a.path) == target), None)

    def artifact(self, name: str, arch: str) -> Artifact | None:
        return next((a for a in self.artifacts if (a.name, a.arch) == (name, arch)), None)

    def entry(self, name: str, arch: str) -> Published | None:
        return next((p for p in self.published if (p.name, p.arch) == (name, arch)), None)

    def by_parameter(self, parameter: str) -> Published | None:
        """The entry `gobuild publish --format sam/cloudformation` named `parameter` after."""
        stem = parameter.removesuffix("S3Key")
        if stem == parameter or not self.published:
            return None
        from gobuild.publish.formats import parameter_prefix

        return next((p for p in self.published if parameter_prefix(p.name, p.arch) == stem), None)


class OutputsFinder:
    """Finds and caches the Outputs for definitions' folders."""

    def __init__(self) -> None:
        self._by_out_dir: dict[Path, Outputs] = {}
        self._by_folder: dict[Path, Path] = {}

    def for_definition(self, folder: Path) -> Outputs:
        """The outputs of the project a definition in `folder` belongs to."""
        folder = _real(folder)
        if folder not in self._by_folder:
            self._by_folder[folder] = _out_dir(folder)
        return self.at(self._by_folder[folder])

    def at(self, out_dir: Path) -> Outputs:
        """The outputs held in `out_dir` (for a zip's own folder)."""
        out_dir = _real(out_dir)
        if out_dir not in self._by_out_dir:
            self._by_out_dir[out_dir] = _load(out_dir)
        return self._by_out_dir[out_dir]


def code_sha256(path: Path) -> str:
    """Lambda's CodeSha256 of a zip: its SHA-256, base64."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return base64.b64encode(digest.digest()).decode("ascii")


def _out_dir(folder: Path) -> Path:
    for candidate in [folder, *folder.parents][:MAX_PARENTS]:
        manifest = candidate / MANIFEST_NAME
        if manifest.is_file():
            return Path(out_dir_of(str(manifest), _manifest_data(manifest)))
    return folder / DEFAULT_OUT_DIR


def _manifest_data(manifest: Path) -> dict[str, object]:
    """The parsed manifest, or {} (the default out_dir) when it cannot be read: check judges
    deployments, and a broken manifest is `gobuild build`'s to report."""
    from gobuild.manifest import parse_toml

    try:
        return parse_toml(manifest.read_text(encoding="utf-8"), str(manifest))
    except (OSError, UnicodeDecodeError, GobuildError):
        return {}


def _load(out_dir: Path) -> Outputs:
    artifacts: tuple[Artifact, ...] = ()
    index = out_dir / ARTIFACTS_NAME
    if _small_file(index):
        from gobuild.build.artifacts import load

        try:
            artifacts = load(index).artifacts
        except GobuildError:
            artifacts = ()
    published: tuple[Published, ...] = ()
    published_file = out_dir / PUBLISHED_NAME
    if _small_file(published_file):
        from gobuild.publish.formats import parse_published

        try:
            published = parse_published(published_file.read_bytes())
        except OSError:
            published = ()
    return Outputs(out_dir=out_dir, artifacts=artifacts, published=published)


def _small_file(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size <= MAX_INDEX_BYTES
    except OSError:
        return False


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()
