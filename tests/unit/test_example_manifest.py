"""The manifest reference the package ships (`gobuild init --example`) documents every key, and it loads."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from gobuild import example_manifest
from gobuild.manifest import CACHE_KEYS, FUNCTION_KEYS, PUBLISH_KEYS, TOP_KEYS, parse_manifest
from tests.conftest import TESTDATA

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def test_example_names_every_key() -> None:
    data = tomllib.loads(example_manifest())
    assert set(data) == set(TOP_KEYS)
    assert set(data["defaults"]) | {"name", "package"} == set(FUNCTION_KEYS)
    assert set(data["publish"]) == set(PUBLISH_KEYS)
    assert set(data["cache"]) == set(CACHE_KEYS)


def test_every_key_has_a_comment() -> None:
    for line in example_manifest().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            assert "#" in line, f"no comment on: {line}"


def test_example_loads_next_to_a_module(tmp_path: Path) -> None:
    shutil.copy(TESTDATA / "go.mod", tmp_path / "go.mod")
    shutil.copytree(TESTDATA / "cmd" / "orders-lambda", tmp_path / "cmd" / "orders-lambda")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "orders.json").write_text("{}")
    manifest = parse_manifest(example_manifest(), path=tmp_path / "gobuild.toml")
    (orders,) = manifest.functions
    assert orders.architectures == ("amd64", "arm64")
    assert orders.include[0].target == "config.json"
    assert manifest.publish.bucket == "my-artifacts"
