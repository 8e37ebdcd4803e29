"""`gobuild build --check-reproducible`: rebuild every selected target in a varied copy of the
project (gobuild.build.rebuild) and compare the zips byte for byte; any difference is explained
as `gobuild diff` explains it (gobuild.diff.explain), with the settings each build recorded.

The rebuild reports through the build's reporter as "<target> (rebuild)": its progress while
it compiles, then "reproducible" or "not reproducible" with the explanation; and the tally
"check-reproducible" counts the zips rebuilt.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from gobuild.build.artifacts import Artifact
from gobuild.build.outcome import BuildResult
from gobuild.build.rebuild import Rebuild, Variation, rebuilt
from gobuild.diff.explain import explain_zips
from gobuild.diff.model import Difference, DiffInputError
from gobuild.lines import plural
from gobuild.manifest import Manifest
from gobuild.plan import Target
from gobuild.report import Reporter

Status = Literal["reproducible", "not-reproducible", "rebuild-failed"]
SUFFIX = " (rebuild)"
TALLY = "check-reproducible"  # the tally of zips rebuilt


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """One target: its zip from the build and from the rebuild, and why they differ."""

    label: str
    status: Status
    sha256: str
    rebuild_sha256: str | None
    differences: tuple[Difference, ...] = ()
    output: str = ""  # Go's output when the rebuild failed

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "status": self.status, "sha256": self.sha256,
                "rebuild_sha256": self.rebuild_sha256, "differences": [d.to_dict() for d in self.differences],
                "output": self.output}


@dataclass(frozen=True, kw_only=True)
class Reproducibility:
    """Every target compared, and what the rebuild varied."""

    comparisons: tuple[Comparison, ...]
    variations: tuple[Variation, ...]

    @property
    def ok(self) -> bool:
        return all(c.status == "reproducible" for c in self.comparisons)

    @property
    def failing(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.comparisons if c.status != "reproducible")

    def summary(self) -> str:
        """One line: how many zips the rebuild reproduced, and what it varied."""
        total = len(self.comparisons)
        varied = ", ".join(v.name for v in self.variations if v.varied)
        if self.ok:
            return f"reproducible: {plural(total, 'zip')} rebuilt byte for byte with another {varied}"
        bad = len(self.failing)
        verb = "differs" if bad == 1 else "differ"
        return f"not reproducible: {bad} of {plural(total, 'zip')} {verb} when rebuilt with another {varied}"

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "compared": len(self.comparisons), "differing": len(self.failing),
                "targets": [c.to_dict() for c in self.comparisons],
                "varied": [v.to_dict() for v in self.variations]}


def check_reproducible(manifest: Manifest, targets: Sequence[Target], first: BuildResult, reporter: Reporter,
                       environ: Mapping[str, str]) -> Reproducibility:
    """Rebuilds `targets` (which `first` built) in a varied copy and compares every zip."""
    relabelled = _Relabelled(reporter, total=len(first.artifacts))
    with rebuilt(manifest, targets, first, relabelled, environ) as again:
        comparisons = tuple(_compare(manifest.out_dir, artifact, again, reporter) for artifact in first.artifacts)
    return Reproducibility(comparisons=comparisons, variations=again.variations)


def _compare(out_dir: Path, artifact: Artifact, again: Rebuild, reporter: Reporter) -> Comparison:
    label = f"{artifact.name}/{artifact.arch}"
    task = label + SUFFIX
    other = next((a for a in again.result.artifacts if a.key == artifact.key), None)
    if other is None:
        failure = next((f for f in again.result.failures if f.target.key == artifact.key), None)
        output = failure.output if failure else "the rebuild made no zip for it\n"
        reporter.finished(task, False, "rebuild failed", output=output)
        return Comparison(label=label, status="rebuild-failed", sha256=artifact.sha256, rebuild_sha256=None,
                          output=output)
    if other.sha256 == artifact.sha256:
        reporter.finished(task, True, "reproducible", size=artifact.size, sha256=artifact.sha256)
        return Comparison(label=label, status="reproducible", sha256=artifact.sha256, rebuild_sha256=other.sha256)
    reporter.progress(task, "explaining")
    first_zip, second_zip = out_dir / artifact.path, again.out_dir / other.path
    try:
        differences = explain_zips(first_zip.read_bytes(), second_zip.read_bytes(), old_label=str(first_zip),
                                   new_label=f"rebuild/{other.path}", old_recorded=artifact.settings,
                                   new_recorded=other.settings)
    except (OSError, DiffInputError) as error:
        differences = (Difference(level="archive", kind="not-comparable", subject=label,
                                  message=f"the zips differ and cannot be explained: {error}"),)
    reporter.finished(task, False, "not reproducible", output=explanation(differences))
    return Comparison(label=label, status="not-reproducible", sha256=artifact.sha256,
                      rebuild_sha256=other.sha256, differences=differences)


def explanation(differences: Sequence[Difference]) -> str:
    """The differences as `gobuild diff` prints them, in plain text: level, message, details."""
    lines = []
    for difference in differences:
        lines.append(f"{difference.level:<8} {difference.message}")
        lines += [f"         {detail}" for detail in difference.details]
    return "\n".join(lines) + "\n"


class _Relabelled:
    """The rebuild's events as "<target> (rebuild)"; its finished zips wait for the comparison."""

    def __init__(self, reporter: Reporter, *, total: int) -> None:
        self.reporter = reporter
        self.total = total
        self.done = 0
        self.lock = threading.Lock()
        reporter.tally(TALLY, done=0, total=total, unit="zip")

    def started(self, task: str, detail: str = "") -> None:
        self.reporter.started(task + SUFFIX, detail)

    def progress(self, task: str, detail: str) -> None:
        self.reporter.progress(task + SUFFIX, detail)

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None:
        if ok:
            self.reporter.progress(task + SUFFIX, "comparing")
        # A failure is reported by the comparison, with Go's output.
        with self.lock:
            self.done += 1
            self.reporter.tally(TALLY, done=self.done, total=self.total, unit="zip")

    def warning(self, message: str) -> None:
        self.reporter.warning(f"rebuild: {message}")

    def tally(self, task: str, *, done: int, total: int, unit: str, done_bytes: int = 0,
              total_bytes: int = 0) -> None:
        self.reporter.tally(task + SUFFIX, done=done, total=total, unit=unit, done_bytes=done_bytes,
                            total_bytes=total_bytes)
