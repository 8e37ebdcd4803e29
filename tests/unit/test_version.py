"""gobuild's version has one source, the package metadata, and the no-op path never reads it."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
from types import SimpleNamespace

import pytest

import gobuild
from gobuild.cli.app import usage_metavar
from tests.conftest import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

# What `gobuild build` with nothing to do imports before it answers (gobuild/noop.py).
NOOP_PATH_MODULES = ("__init__.py", "main.py", "noop.py", "files.py", "lines.py", "lambda_facts.py")


def test_the_version_is_the_installed_distributions() -> None:
    assert gobuild.version() == importlib.metadata.version("gobuild")


def test_the_metadata_comes_from_pyproject() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert gobuild.version() == declared


def test_dunder_version_reads_the_same_source() -> None:
    from gobuild import __version__

    assert __version__ == gobuild.version()
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        _ = gobuild.nosuch  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", NOOP_PATH_MODULES)
def test_the_noop_path_never_imports_importlib_metadata_at_module_level(name: str) -> None:
    tree = ast.parse((REPO / "gobuild" / name).read_text(encoding="utf-8"))
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    modules = {alias.name for node in top_level if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module or "" for node in top_level if isinstance(node, ast.ImportFrom)}
    assert not {m for m in modules if m.startswith(("importlib", "typer", "rich"))}


def test_the_example_manifest_is_package_data() -> None:
    shipped = REPO / "gobuild" / gobuild.EXAMPLE_MANIFEST
    assert gobuild.example_manifest() == shipped.read_text(encoding="utf-8")
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert gobuild.EXAMPLE_MANIFEST in package_data["gobuild"]


@pytest.mark.parametrize(
    ("metavar", "name", "nargs", "required", "shown"),
    [
        ("ZIP", "zips", -1, True, "ZIP..."),
        ("PATH...", "paths", -1, True, "PATH..."),
        (None, "source", 1, True, "SOURCE"),
        ("FUNCTION|ZIP", "target", 1, True, "FUNCTION|ZIP"),
        (None, "name", 1, False, "[NAME]"),
        ("[-- COMMAND...]", "command", -1, False, "[-- COMMAND...]"),
    ],
)
def test_usage_lines_use_conventional_metavars(
    metavar: str | None, name: str, nargs: int, required: bool, shown: str
) -> None:
    param = SimpleNamespace(metavar=metavar, name=name, nargs=nargs, required=required)
    assert usage_metavar(param) == shown
