"""What every benchmark section shares: the Bench state, the runs being compared, small helpers."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.measure import ZERO, Usage, fresh_env, gobuild, measure, run

GO_FLAGS = ["-trimpath", "-buildvcs=false", "-tags=lambda.norpc", "-ldflags=-s -w"]
ARCHES = ("amd64", "arm64")
FLOOR = "grouped go build per arch (floor)"
NAIVE = "naive loop: go build + zip -X -9 per function"
CACHE_BUCKET = "gobuild-bench"
# sam's go1.x builder passes only GOOS/GOARCH and -trimpath: the rest of the flags the others
# use reach go through the environment, so every tool compiles the same binaries.
SAM_GOFLAGS = "-buildvcs=false -tags=lambda.norpc '-ldflags=-s -w'"


def cores() -> int:
    """The cores this process may run on (what a build can use)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@dataclass
class Bench:
    """What every section needs: the work folder, the environment, the options, shared results."""

    work: Path
    base_env: dict[str, str]
    functions: int
    scale_functions: int
    large_functions: int
    correctness_functions: int
    repeat: int
    noop_repeat: int
    fleet_project: Path | None = None  # the fleet the peers built (its out-floor/ holds binaries)
    gobuild_project: Path | None = None
    cold_floor: Usage | None = None
    cold_gobuild: float | None = None
    gobuild_cache: Path | None = None
    scale_project: Path | None = None  # the scale fleet, sources only (sections copy it)
    scale_cold: float | None = None  # cold single-machine gobuild of the scale fleet
    notes: list[str] = field(default_factory=list)

    def cold_env(self, name: str) -> dict[str, str]:
        """An environment with an empty GOCACHE of its own under the work folder."""
        return fresh_env(self.base_env, self.work / "gocache" / name)


def grouped_go_build(project: Path, arches: dict[str, list[str]], env: dict[str, str], out: Path) -> Usage:
    """One grouped go build -o DIR per arch: the least work Go can do."""
    total = ZERO
    for arch in ARCHES:
        packages = [f"./cmd/{n}" for n, a in arches.items() if arch in a]
        if packages:
            build_env = {**env, "GOOS": "linux", "GOARCH": arch, "CGO_ENABLED": "0"}
            total += measure(["go", "build", *GO_FLAGS, "-o", str(out / arch) + "/", *packages],
                             cwd=project, env=build_env, label="grouped go build")
    return total


def naive_loop(project: Path, arches: dict[str, list[str]], env: dict[str, str], out: Path) -> Usage:
    """What teams write today: one go build per function and arch, then zip -X -9."""
    total = ZERO
    for name, archs in arches.items():
        for arch in archs:
            work = out / f"{name}-{arch}"
            work.mkdir(parents=True)
            build_env = {**env, "GOOS": "linux", "GOARCH": arch, "CGO_ENABLED": "0"}
            total += measure(["go", "build", *GO_FLAGS, "-o", str(work / "bootstrap"), f"./cmd/{name}"],
                             cwd=project, env=build_env, label="naive go build")
            total += measure(["zip", "-X", "-9", "-q", str(out / f"{name}-{arch}.zip"), "bootstrap"],
                             cwd=work, env=env, label="zip")
    return total


def gobuild_build(project: Path, env: dict[str, str], *extra: str) -> Usage:
    """`gobuild build -q` in the project, its own peak RSS measured by bench/selfrss.py."""
    return gobuild(["build", "-C", str(project), "-q", *extra], cwd=project, env=env, label="gobuild build")


def gobuild_env(bench: Bench, env: dict[str, str]) -> dict[str, str]:
    """gobuild as installed: Python keeps its bytecode (compiled when it was installed)."""
    env = dict(env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def install_gobuild(work: Path, env: Mapping[str, str]) -> Path:
    """gobuild as a user installs it, `pip install .` (not a checkout's editable install, whose
    import hook costs every start about 25 ms), into a venv of its own under the work folder;
    its dependencies are read from this Python's site-packages. Returns that venv's python."""
    venv = work / "gobuild-venv"
    pip_env = {k: v for k, v in env.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")}
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=work, env=pip_env, label="python -m venv")
    python = venv / "bin" / "python"
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(REPO)],
        cwd=work, env=pip_env, label="pip install gobuild")
    run([str(python), "-m", "compileall", "-q", str(site / "gobuild")], cwd=work, env=pip_env, label="compileall")
    (site / "gobuild-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def gobuild_has(env: dict[str, str], command: str, option: str) -> bool:
    """Whether this gobuild's `command --help` lists `option` (sections skip what is not there yet)."""
    done = subprocess.run([sys.executable, "-m", "gobuild", command, "--help"], env={**env, "COLUMNS": "200"},
                          capture_output=True, text=True, cwd=REPO, check=False)
    return option in done.stdout


def one_line(text: str) -> str:
    """The line of a long output that says what went wrong (the last one naming an error)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower()]
    return (errors or lines or ["?"])[-1][:240]


def zips_of(arches: dict[str, list[str]]) -> int:
    return sum(len(a) for a in arches.values())


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
