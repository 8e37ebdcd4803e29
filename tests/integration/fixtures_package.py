"""gobuild as users get it: the source tree a clone or an archive holds, a git repository of it
(what pre-commit clones), and the sdist and wheel `python -m build` makes from it.

The tree is the working tree's tracked files plus new files git does not ignore, so a test sees
the code being written, and never a virtualenv, a build folder or a cache that happens to lie
in the checkout. Installs resolve dependencies from PyPI, pinned by requirements.lock
(PIP_CONSTRAINT), so they hit the same package caches the test virtualenv filled.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

BIN = Path(sys.executable).parent  # the test virtualenv's scripts: build, twine, uv, pipx, pre-commit
LOCK = REPO / "requirements.lock"
INSTALL_TIMEOUT = 900


def source_files() -> list[str]:
    """Paths (relative to the checkout) a clone of the working tree would hold."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO, check=True,
        capture_output=True,
    ).stdout.decode().split("\0")
    return sorted(name for name in listed if name and (REPO / name).is_file())


def copy_source_tree(dest: Path) -> Path:
    """A copy of the source tree at dest, as a clone or an archive gives it."""
    for name in source_files():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target, follow_symlinks=False)
    return dest


def install_env(**extra: str) -> dict[str, str]:
    """The caller's environment, with installs pinned to the tested versions."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PIP_CONSTRAINT=str(LOCK), UV_CONSTRAINT=str(LOCK), PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_INPUT="1", **extra)
    return env


def run(argv: Sequence[str | Path], *, cwd: Path, env: Mapping[str, str] | None = None,
        timeout: float = INSTALL_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Runs a command; fails the test with its output when it fails."""
    proc = subprocess.run([str(a) for a in argv], cwd=cwd, env=dict(env or install_env()), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, argv))} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@dataclass(frozen=True, kw_only=True)
class Dists:
    """What `python -m build` made, and what it printed while making it."""

    sdist: Path
    wheel: Path
    log: str


@pytest.fixture(scope="session")
def source_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The source tree, as a clone or an archive holds it. Shared: copy before changing it."""
    return copy_source_tree(tmp_path_factory.mktemp("source") / "gobuild")


@pytest.fixture(scope="session")
def source_repo(source_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository whose one commit is the source tree (what pre-commit clones)."""
    repo = copy_source_tree(tmp_path_factory.mktemp("repo") / "gobuild")
    git = ["git", "-c", "user.name=gobuild tests", "-c", "user.email=tests@gobuild.invalid", "-c",
           "commit.gpgsign=false"]
    run([*git, "init", "-q", "-b", "main"], cwd=repo)
    run([*git, "add", "-A"], cwd=repo)
    run([*git, "commit", "-q", "-m", "snapshot of the working tree"], cwd=repo)
    return repo


@pytest.fixture(scope="session")
def dists(source_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """The sdist, and the wheel built from it, by `python -m build` (isolated, as a user runs it)."""
    out = tmp_path_factory.mktemp("dists")
    tree = shutil.copytree(source_tree, out.parent / "build-tree")
    done = run([sys.executable, "-m", "build", "--outdir", out, tree], cwd=tree)
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return Dists(sdist=sdist, wheel=wheel, log=done.stdout + done.stderr)


def fresh_venv(path: Path) -> Path:
    """A new, empty virtualenv (uv's: fast, and no pip in it to hide a missing dependency)."""
    run([BIN / "uv", "venv", "--quiet", "--python", sys.executable, path], cwd=path.parent)
    return path / "bin"
