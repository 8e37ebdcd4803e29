"""Incremental correctness: after each kind of edit, did a tool rebuild exactly what changed?

A fleet is built once by each tool that has an incremental mode (gobuild; `sam build --cached`)
and by GoReleaser, which has none (every run builds every target: shown for comparison). Then
six edits are applied one after another, each tool rebuilding after each:

    one handler body; a shared internal package two in three functions import; a dependency
    moved to another version (`go get`: go.mod and go.sum change); the same dependency
    replaced by a local copy of it (a `replace` in go.mod); the file a package embeds
    (//go:embed); a file only arm64 builds compile (//go:build arm64)

What should change comes from neither tool: after each edit a clean grouped `go build` of the
whole fleet (fresh output folder) is hashed, and a target should change when its binary's
SHA-256 differs from the previous state's. What a tool did is read from what it left and
what it ran: the binary it produced (gobuild: the zip's bootstrap; sam: .aws-sam/build/*/
bootstrap; GoReleaser: its zips), and every `go build` it started, logged by a `go` shim put
first on its PATH. A target counts as rebuilt when the tool started a `go build` for it or its
binary changed; "that changed" counts the targets that should change whose binary now equals
the clean build's; "needlessly" counts rebuilt targets that should not have changed.
"""

from __future__ import annotations

import hashlib
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import fleet, peers
from bench.common import SAM_GOFLAGS, Bench, gobuild_build, gobuild_env, grouped_go_build, one_line, plural
from bench.measure import CommandFailed, fresh_env, measure, run
from bench.report import Section, Table, Target

Key = tuple[str, str]  # (function, arch)
Digests = dict[Key, str]

SHIM = """#!/bin/sh
# Logs every `go build` (arch, folder, arguments) for the benchmark, then runs the real go.
if [ "$1" = build ]; then printf '%s\\t%s\\t%s\\n' "$GOARCH" "$PWD" "$*" >> "$BENCH_GO_LOG"; fi
exec {go} "$@"
"""


@dataclass(frozen=True, kw_only=True)
class Edit:
    """One kind of change, applied to a checkout."""

    label: str
    apply: Callable[[Path, int], None]


@dataclass(frozen=True, kw_only=True)
class Score:
    """How one incremental build did against the expected set."""

    expected: int  # targets whose bytes should change
    rebuilt_changed: int  # of those, rebuilt with the clean build's bytes
    needless: int  # rebuilt though their bytes should not change
    wrong: tuple[str, ...]  # targets whose bytes now differ from the clean build's

    @property
    def perfect(self) -> bool:
        return self.rebuilt_changed == self.expected and self.needless == 0 and not self.wrong

    def text(self) -> str:
        words = f"rebuilt {self.rebuilt_changed}/{self.expected} that changed, {self.needless} needlessly"
        if self.wrong:
            shown = ", ".join(self.wrong[:4]) + (", ..." if len(self.wrong) > 4 else "")
            count = "1 binary differs" if len(self.wrong) == 1 else f"{len(self.wrong)} binaries differ"
            words += f"; {count} from a clean build (stale since this or an earlier edit): {shown}"
        return words


def score(before: Digests, after: Digests, clean_before: Digests, clean_after: Digests, started: set[Key]) -> Score:
    """Counts what a tool rebuilt against what a clean build says changed."""
    expected = {k for k in clean_after if clean_after[k] != clean_before.get(k)}
    rebuilt = started | {k for k in after if after[k] != before.get(k)}
    good = {k for k in expected if k in rebuilt and after.get(k) == clean_after[k]}
    wrong = sorted(f"{n}/{a}" for (n, a) in clean_after if after.get((n, a)) != clean_after[(n, a)])
    return Score(expected=len(expected), rebuilt_changed=len(good), needless=len(rebuilt - expected),
                 wrong=tuple(wrong))


def started_builds(log: Path, names: set[str]) -> set[Key]:
    """The (function, arch) targets of every `go build` in a shim log; the log is emptied."""
    import re

    found: set[Key] = set()
    if log.is_file():
        for line in log.read_text().splitlines():
            arch, folder, args = [*line.split("\t"), "", ""][:3]
            for name in re.findall(r"cmd/(fn\d+)", f"{folder} {args}"):
                if name in names:
                    found.add((name, arch or "amd64"))
        log.unlink()
    return found


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _bootstrap_of(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            return _sha(archive.read("bootstrap"))
    except (OSError, KeyError, zipfile.BadZipFile):
        return None


def _file_digest(path: Path) -> str | None:
    return _sha(path.read_bytes()) if path.is_file() else None


class Tool:
    """A builder under test: its checkout, how it builds, where its binaries are."""

    label = ""

    def __init__(self, project: Path, env: dict[str, str], log: Path) -> None:
        self.project = project
        self.env = {**env, "BENCH_GO_LOG": str(log)}
        self.log = log
        self.seconds: list[float] = []

    def build(self) -> None:
        raise NotImplementedError

    def binary(self, key: Key) -> str | None:
        raise NotImplementedError

    def digests(self, keys: list[Key]) -> Digests:
        return {k: d for k in keys if (d := self.binary(k)) is not None}


class Gobuild(Tool):
    label = "gobuild build"

    def build(self) -> None:
        self.seconds.append(gobuild_build(self.project, self.env).seconds)

    def binary(self, key: Key) -> str | None:
        return _bootstrap_of(self.project / "dist" / f"{key[0]}-{key[1]}.zip")


class Sam(Tool):
    label = "sam build --cached"

    def __init__(self, project: Path, env: dict[str, str], log: Path, sam: Path) -> None:
        super().__init__(project, env, log)
        self.sam = sam

    def build(self) -> None:
        argv = [str(self.sam), "build", "--cached", "--template-file", "template.yaml",
                "--build-dir", str(self.project / ".aws-sam" / "build"),
                "--cache-dir", str(self.project / ".aws-sam" / "cache")]
        self.seconds.append(measure(argv, cwd=self.project, env=self.env, label="sam build --cached").seconds)

    def binary(self, key: Key) -> str | None:
        resource = fleet.resource_name(*key)
        return _file_digest(self.project / ".aws-sam" / "build" / resource / "bootstrap")


class GoReleaser(Tool):
    label = "goreleaser release --snapshot"

    def __init__(self, project: Path, env: dict[str, str], log: Path, goreleaser: Path) -> None:
        super().__init__(project, env, log)
        self.goreleaser = goreleaser

    def build(self) -> None:
        argv = [str(self.goreleaser), "release", "--snapshot", "--clean", "--skip=validate"]
        self.seconds.append(measure(argv, cwd=self.project, env=self.env, label="goreleaser").seconds)

    def binary(self, key: Key) -> str | None:
        return _bootstrap_of(self.project / "gr-dist" / f"{key[0]}-{key[1]}.zip")


def _edits(module_dir: Path, environ: dict[str, str]) -> tuple[Edit, ...]:
    return (
        Edit(label="one handler body (fn001)", apply=lambda p, i: fleet.touch_function(p, "fn001", i)),
        Edit(label="shared internal package (store, 2 in 3 functions)", apply=fleet.edit_store),
        Edit(label="go.mod and go.sum: go get aws-lambda-go@v1.47.0",
             apply=lambda p, i: fleet.change_dependency_version(p, environ)),
        Edit(label="dependency bumped: go.mod replace to a local copy",
             apply=lambda p, i: fleet.replace_dependency(p, module_dir)),
        Edit(label="embedded file (//go:embed, 1 in 4 functions)", apply=fleet.edit_embedded),
        Edit(label="build-tag file (//go:build arm64)", apply=fleet.edit_arm64_file),
    )


def _goreleaser_note(tool: Path, env: dict[str, str]) -> str:
    """What GoReleaser's own help says about caching: the evidence for 'no incremental mode'."""
    flags: set[str] = set()
    for command in ("build", "release"):
        done = subprocess.run([str(tool), command, "--help"], env=env, capture_output=True, text=True, check=False)
        for line in done.stdout.splitlines():
            words = line.strip().split()
            if words and words[0].startswith("-") and any(w in line.lower() for w in ("cache", "incremental",
                                                                                       "unchanged", "changed")):
                flags.add(f"{command} {words[0].rstrip(',')}")
    found = ", ".join(sorted(flags)) if flags else "none"
    return ("GoReleaser has no incremental mode: flags of `goreleaser build --help` and `release --help` that mention "
            f"a cache, incremental or (un)changed inputs: {found}; every run builds every target again (its --skip "
            "skips whole steps such as validate or publish), so it is shown for comparison")


def section_correctness(bench: Bench) -> Section:
    n = bench.correctness_functions
    base = fleet.generate(bench.work / "correctness" / "base", functions=n, both_arches=n // 2)
    run(["go", "mod", "download"], cwd=base, env=bench.base_env)
    arches = fleet.arches_of(base)
    keys = sorted((name, arch) for name, archs in arches.items() for arch in archs)
    names = {k[0] for k in keys}
    module_dir = Path(run_output(["go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go"], base,
                                 bench.base_env))
    shim_dir = bench.work / "correctness" / "shim"
    shim_dir.mkdir(parents=True)
    real_go = run_output(["sh", "-c", "command -v go"], base, bench.base_env)
    (shim_dir / "go").write_text(SHIM.format(go=real_go))
    (shim_dir / "go").chmod(0o755)
    # One warm GOCACHE for everything here: what is compared is what each tool decides to rebuild.
    env = fresh_env(bench.base_env, bench.work / "gocache" / "correctness")
    shimmed = {**env, "PATH": f"{shim_dir}:{env.get('PATH', '')}"}

    tools: list[Tool] = [Gobuild(fleet.copy_sources(base, bench.work / "correctness" / "gobuild"),
                                 gobuild_env(bench, shimmed), bench.work / "correctness" / "gobuild.log")]
    notes: list[str] = []
    sam = peers.ensure_sam(bench.base_env)
    if isinstance(sam, peers.Tool):
        project = fleet.copy_sources(base, bench.work / "correctness" / "sam")
        fleet.sam_template(project, arches)
        sam_env = {**peers.sam_env(shimmed), "CGO_ENABLED": "0", "GOFLAGS": SAM_GOFLAGS}
        tools.append(Sam(project, sam_env, bench.work / "correctness" / "sam.log", sam.path))
    else:
        notes.append(f"sam build --cached skipped: {sam.reason}")
    goreleaser = peers.ensure_goreleaser(bench.base_env)
    if isinstance(goreleaser, peers.Tool):
        project = fleet.copy_sources(base, bench.work / "correctness" / "goreleaser")
        fleet.goreleaser_config(project, arches)
        fleet.git_commit(project, bench.base_env)
        tools.append(GoReleaser(project, shimmed, bench.work / "correctness" / "goreleaser.log", goreleaser.path))
        notes.append(_goreleaser_note(goreleaser.path, shimmed))
    else:
        notes.append(f"goreleaser skipped: {goreleaser.reason}")

    reference = fleet.copy_sources(base, bench.work / "correctness" / "reference")

    def clean_build(state: int) -> Digests:
        out = bench.work / "correctness" / f"clean-{state}"
        grouped_go_build(reference, arches, env, out)
        return {k: d for k in keys if (d := _file_digest(out / k[1] / k[0])) is not None}

    clean = clean_build(0)
    previous: dict[str, Digests] = {}
    rows: list[tuple[str, ...]] = []
    failed: list[str] = []
    identical: list[str] = []
    for tool in tools:
        try:
            tool.build()
        except CommandFailed as failure:
            failed.append(f"{tool.label}: first build failed: {one_line(str(failure))}")
            continue
        started_builds(tool.log, names)
        previous[tool.label] = tool.digests(keys)
        same = sum(previous[tool.label].get(k) == clean[k] for k in keys)
        identical.append(f"{tool.label} {same}/{len(keys)}")
    live = [t for t in tools if t.label in previous]
    gobuild_scores: list[tuple[str, Score]] = []
    edits = _edits(module_dir, bench.base_env)
    for state, edit in enumerate(edits, start=1):
        edit.apply(reference, state)
        clean_next = clean_build(state)
        expected = sum(clean_next[k] != clean.get(k) for k in keys)
        for tool in live:
            edit.apply(tool.project, state)
            try:
                tool.build()
            except CommandFailed as failure:
                rows.append((edit.label, str(expected), tool.label, "-", f"build failed: {one_line(str(failure))}"))
                continue
            after = tool.digests(keys)
            result = score(previous[tool.label], after, clean, clean_next, started_builds(tool.log, names))
            previous[tool.label] = after
            if isinstance(tool, Gobuild):
                gobuild_scores.append((edit.label, result))
            rows.append((edit.label, str(expected), tool.label, f"{tool.seconds[-1]:.2f}", result.text()))
        clean = clean_next

    perfect = [label for label, s in gobuild_scores if not s.perfect]
    notes += [f"first build's binaries identical to a clean grouped go build: {', '.join(identical)}", *failed]
    table = Table(title=f"incremental correctness: {len(arches)} functions ({n // 2} for both arches) = "
                        f"{plural(len(keys), 'target')}, edits applied one after another",
                  header=("edit", "should change", "tool", "seconds", "result"), rows=tuple(rows), notes=tuple(notes))
    return Section(
        name="correctness", title="correctness: what each tool rebuilt after each kind of edit, against a clean build",
        rows=(), floor="", tables=(table,),
        targets=(Target(
            name="gobuild rebuilds 100% of what changed, 0 needlessly",
            met=(not perfect) if len(gobuild_scores) == len(edits) else False,
            detail=("every edit: " + "; ".join(f"{label}: {s.text()}" for label, s in gobuild_scores)
                    if not perfect else "FAILED for: " + "; ".join(
                        f"{label}: {s.text()}" for label, s in gobuild_scores if not s.perfect)),
        ),),
    )


def run_output(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    """The stripped standard output of a set-up command."""
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CommandFailed(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout.strip()

