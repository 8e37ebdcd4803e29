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


def copy_example(dest: Path) -> Path:
    """A copy of the example module without build output."""
    shutil.copytree(TESTDATA, dest, ignore=shutil.ignore_patterns("dist", "migrate", "*.pyc", "__pycache__"))
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


@pytest.fixture(scope="session")
def built_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of testdata/ after `gobuild build`: dist/ holds every zip and artifacts.json.

    Session-scoped and shared: tests must not modify it (copy it first).
    """
    project = copy_example(tmp_path_factory.mktemp("example") / "shop")
    gobuild("build", "-C", str(project), check=True)
    return project
