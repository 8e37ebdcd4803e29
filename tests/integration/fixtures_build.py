"""Fixtures that run the real CLI on copies of testdata/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.conftest import TESTDATA

# The example project: everything else under testdata/ is other tests' fixtures (projects of their own).
EXAMPLE_FOLDERS = ("cmd", "internal", "config")


def copy_example(dest: Path) -> Path:
    """A copy of the example module without build output."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in TESTDATA.iterdir():
        if entry.is_file():
            shutil.copy2(entry, dest / entry.name)
        elif entry.name in EXAMPLE_FOLDERS:
            shutil.copytree(entry, dest / entry.name, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))
    return dest


def gobuild(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None,
            check: bool = False, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Runs `python -m gobuild ARGS` as a user would, capturing its output."""
    proc = subprocess.run(
        [sys.executable, "-m", "gobuild", *args], cwd=cwd, env=dict(env if env is not None else os.environ),
        capture_output=True, text=True, input=input, timeout=900,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"gobuild {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def go_shim(folder: Path) -> tuple[dict[str, str], Path]:
    """An environment whose `go` (GOBUILD_GO) is the real go behind a shim that logs each
    command line to the returned file, so tests can see what gobuild ran."""
    real = shutil.which("go")
    assert real, "go is not on PATH"
    log = folder / "go-calls.log"
    shim = folder / "go-shim"
    shim.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n')
    shim.chmod(0o755)
    return {**os.environ, "GOBUILD_GO": str(shim)}, log


def go_builds(log: Path) -> list[str]:
    """The `go build` command lines in a go_shim log."""
    return [line for line in log.read_text().splitlines() if line.startswith("build")] if log.exists() else []


@pytest.fixture(scope="session")
def built_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of testdata/ after `gobuild build`: dist/ holds every zip and artifacts.json.

    Session-scoped and shared: tests must not modify it (copy it first).
    """
    project = copy_example(tmp_path_factory.mktemp("example") / "shop")
    gobuild("build", "-C", str(project), check=True)
    return project


def copy_built(built_example: Path, dest: Path) -> Path:
    """A private copy of the built example (copy2 keeps mtimes, so artifacts.json stays fresh)."""
    return Path(shutil.copytree(built_example, dest, symlinks=True))


@pytest.fixture
def project(built_example: Path, tmp_path: Path) -> Path:
    """This test's own copy of the built example, at tmp_path/shop."""
    return copy_built(built_example, tmp_path / "shop")
