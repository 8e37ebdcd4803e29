"""After a successful build: the record that lets the next identical build be answered by the
no-op fast path (gobuild.noop) without loading the CLI or running `go list`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gobuild import noop, stamp
from gobuild.build.runner import BuildResult, ignored_env_warning
from gobuild.manifest import Manifest
from gobuild.plan import Target


def record_noop(manifest: Manifest, result: BuildResult, targets: Sequence[Target], selection: str,
                environ: Mapping[str, str]) -> bool:
    """Records what this build consulted and what it would print if nothing changed; False when
    nothing was recorded (a source changed too recently, or the record cannot be written)."""
    consulted = result.consulted
    if consulted is None or not result.ok:
        return False
    used = {key for t in targets for key in stamp.placeholders(t.function.ldflags)}
    if stamp.MODULE_VERSION in used:
        return False  # a new tag changes the stamp, and only git can say: the full check runs git
    stamped_env = sorted(key.partition(":")[2] for key in used if key.startswith(f"{stamp.ENV}:"))
    sizes = {a.key: a.size for a in result.artifacts}
    return noop.record(
        str(manifest.out_dir), selection, environ=environ, go=consulted.go, sources=consulted.sources,
        outputs=consulted.outputs, since=consulted.since,
        warnings=[ignored_env_warning(name) for name in result.ignored_env],
        targets=[(t.label, sizes[t.key]) for t in targets], stamped_env=stamped_env,
    )
