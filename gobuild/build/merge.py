"""`gobuild merge`: joins the artifacts.json of several shards into one.

Each input is an artifacts.json with its zips beside it (as a CI job uploads its dist/).
The merge refuses a target found in two inputs (overlap), a manifest target found in none
(gap), shards built with different Go versions, and a zip whose bytes do not match its
record. Zips are copied next to the merged artifacts.json when they live elsewhere.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from gobuild.build import artifacts as artifacts_file
from gobuild.build.artifacts import Artifact, ArtifactsFile
from gobuild.errors import UsageError
from gobuild.files import TEMP_SUFFIX, check_replaceable, sha256_file, temp_name
from gobuild.manifest import Manifest
from gobuild.plan import Target


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` → (K, N) with 1 <= K <= N."""
    try:
        k_text, n_text = text.split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise UsageError(f"--shard {text}: expected K/N, e.g. 2/4") from None
    if not 1 <= k <= n:
        raise UsageError(f"--shard {text}: K must be between 1 and N")
    return k, n


def shard(targets: Sequence[Target], k: int, n: int) -> tuple[Target, ...]:
    """Shard K of N: targets sorted by (name, arch), dealt round-robin, so shards differ by at most one."""
    ordered = sorted(targets, key=lambda t: t.key)
    return tuple(t for i, t in enumerate(ordered) if i % n == k - 1)


def merge(manifest: Manifest, inputs: Sequence[Path], output: Path) -> ArtifactsFile:
    """Joins shard indexes into `output`, copying zips beside it; raises UsageError on overlap or gap."""
    if not inputs:
        raise UsageError("gobuild merge: name at least one artifacts.json")
    documents = [(path, artifacts_file.load(path)) for path in inputs]
    versions = {doc.go_version for _, doc in documents}
    if len(versions) > 1:
        raise UsageError(f"shards were built with different Go versions: {', '.join(sorted(versions))}",
                         hint="build every shard with the same toolchain")
    zigs = {doc.zig_version for _, doc in documents if doc.zig_version}
    if len(zigs) > 1:
        raise UsageError(f"shards built cgo functions with different zig versions: {', '.join(sorted(zigs))}",
                         hint="install the same ziglang (gobuild's cgo extra) on every shard")
    owner: dict[tuple[str, str], Path] = {}
    chosen: list[tuple[Path, Artifact]] = []
    for path, document in documents:
        for artifact in document.artifacts:
            if artifact.key in owner:
                raise UsageError(f"{artifact.name}/{artifact.arch} is in both {owner[artifact.key]} and {path}",
                                 hint="each target must come from exactly one shard")
            owner[artifact.key] = path
            chosen.append((path, artifact))
    wanted = {(f.name, a) for f in manifest.functions for a in f.architectures}
    missing = sorted(wanted - set(owner))
    if missing:
        names = ", ".join(f"{n}/{a}" for n, a in missing)
        raise UsageError(f"no shard built {names}", hint="check that every shard K/N from 1 to N ran and was merged")
    unknown = sorted(set(owner) - wanted)
    if unknown:
        names = ", ".join(f"{n}/{a}" for n, a in unknown)
        raise UsageError(f"{names} not in {manifest.path.name}", hint="merge shards of this manifest only")
    # Every path and zip is checked before anything is copied: a refused merge changes nothing.
    moves = [_checked(path, output, artifact) for path, artifact in chosen]
    for source, dest in moves:
        _copy(source, dest)
    merged = ArtifactsFile(
        artifacts=tuple(sorted((a for _, a in chosen), key=lambda a: a.key)),
        go_version=versions.pop(),
        zig_version=zigs.pop() if zigs else None,
        ignored_env=tuple(sorted({v for _, d in documents for v in d.ignored_env})),
    )
    with artifacts_file.locked(output.parent):
        artifacts_file.save(output, merged)
    return merged


def _checked(index: Path, output: Path, artifact: Artifact) -> tuple[Path, Path]:
    """The zip an index entry names and where it goes, refused (UsageError) unless its `path`
    stays inside the shard's folder and the output folder and its bytes match the record."""
    label = f"{artifact.name}/{artifact.arch}"
    name = artifact.path
    relative = Path(name)
    if not name or "\0" in name or relative.is_absolute() or ".." in relative.parts or "\\" in name:
        raise UsageError(f"{index}: {label} has path {name!r}, which leaves its folder",
                         hint="a shard index names its zips relative to its own folder; rebuild that shard")
    source, dest = index.parent / relative, output.parent / relative
    for folder, file in ((index.parent, source), (output.parent, dest)):
        if not file.resolve().is_relative_to(folder.resolve()):
            raise UsageError(f"{index}: {label} has path {name!r}, which resolves outside {folder}",
                             hint="remove the symbolic link, or rebuild that shard")
    if not source.is_file():
        raise UsageError(f"{source}: missing zip for {label}", hint="upload each shard's whole dist/ folder")
    if sha256_file(source) != artifact.sha256:
        raise UsageError(f"{source}: bytes do not match the sha256 recorded for it", hint="rebuild that shard")
    return source, dest


def _copy(source: Path, dest: Path) -> None:
    """Copies through a temporary file named as write_atomic names its own, then renames."""
    if source.resolve() == dest.resolve():
        return
    check_replaceable(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=temp_name(dest), suffix=TEMP_SUFFIX)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        os.unlink(tmp)
        raise
