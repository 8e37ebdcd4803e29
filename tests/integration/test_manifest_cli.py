"""The real CLI on a copy of testdata/: a bad gobuild.toml is refused before anything is written,
and `gobuild init` writes a manifest that loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from gobuild.manifest import load_manifest
from tests.integration.fixtures_build import copy_example, gobuild

EXAMPLE_FUNCTIONS = ["healthcheck", "inventory-lambda", "orders-lambda", "payments-lambda"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An unbuilt copy of the example (overrides the built copy of fixtures_build)."""
    return copy_example(tmp_path / "shop")


def edit_manifest(project: Path, old: str, new: str) -> None:
    path = project / "gobuild.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in the example manifest"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def files_under(project: Path) -> set[Path]:
    return {p.relative_to(project) for p in project.rglob("*")}


# (text in testdata/gobuild.toml, replacement, what stderr must say)
BAD_MANIFESTS = {
    "unknown key": (
        'ldflags = "-s -w"',
        'ldflag = "-s -w"',
        "error: gobuild.toml: defaults.ldflag: unknown key\nhint: did you mean 'ldflags'?",
    ),
    "bad architecture": (
        'name = "payments"\n',
        'name = "payments"\narchitectures = ["x86"]\n',
        "error: gobuild.toml: function[2].architectures: 'x86' is not one of amd64 (x86_64) or arm64 (aarch64)",
    ),
    "syntax error": (
        'out_dir = "dist"',
        "out_dir = dist",
        "error: gobuild.toml:2: invalid TOML",
    ),
    "duplicate name": (
        'name = "inventory"',
        'name = "payments"',
        "error: gobuild.toml: function[3].name: 'payments' is already used by function[2]",
    ),
    "unsafe name": (
        'name = "orders"',
        'name = "../orders"',
        "error: gobuild.toml: function[1].name: '../orders' is not a safe file name",
    ),
    "package outside the module": (
        'package = "./cmd/healthcheck"',
        'package = "./../other"',
        "error: gobuild.toml: function[4].package: './../other' is outside the module at",
    ),
    "package not main": (
        'package = "./cmd/inventory-lambda"',
        'package = "./internal/shop"',
        "error: gobuild.toml: function[3].package: './internal/shop' is not a main package (package shop)",
    ),
    "CGO_ENABLED=1": (
        'include = ["config/healthcheck.json"]',
        'include = ["config/healthcheck.json"]\nenv = { CGO_ENABLED = "1" }',
        (
            "error: gobuild.toml: function[4].env.CGO_ENABLED: CGO_ENABLED=1 is refused here: with the build "
            "machine's C compiler a cgo binary needs that machine's C library"
        ),
    ),
}


@pytest.mark.parametrize(
    ("old", "new", "expected"), BAD_MANIFESTS.values(), ids=BAD_MANIFESTS.keys()
)
def test_build_refuses_bad_manifest_and_writes_nothing(
    project: Path, tmp_path: Path, old: str, new: str, expected: str
) -> None:
    edit_manifest(project, old, new)
    before = files_under(project)
    result = gobuild("build", "-C", str(project), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert files_under(project) == before  # no dist/, no zip, no log


def test_init_writes_a_manifest_for_every_main_package(project: Path, tmp_path: Path) -> None:
    (project / "gobuild.toml").unlink()
    result = gobuild("init", "-C", str(project), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"with 4 functions: {', '.join(EXAMPLE_FUNCTIONS)}" in result.stderr
    manifest = load_manifest(project / "gobuild.toml")
    assert [(f.name, f.package, f.architectures) for f in manifest.functions] == [
        (name, f"./cmd/{name}", ("arm64",)) for name in EXAMPLE_FUNCTIONS
    ]
    assert manifest.out_dir == (project / "dist").resolve()
    assert not (project / "dist").exists()


def test_init_writes_the_architectures_asked_for(project: Path, tmp_path: Path) -> None:
    (project / "gobuild.toml").unlink()
    result = gobuild(
        "init", "-C", str(project), "--arch", "x86_64", "--arch", "arm64", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    manifest = load_manifest(project / "gobuild.toml")
    assert {f.architectures for f in manifest.functions} == {("amd64", "arm64")}


def test_init_with_an_invalid_arch_writes_no_manifest(project: Path, tmp_path: Path) -> None:
    (project / "gobuild.toml").unlink()
    result = gobuild("init", "-C", str(project), "--arch", "x86", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "'x86' is not one of amd64 (x86_64) or arm64 (aarch64)" in result.stderr
    assert not (project / "gobuild.toml").exists()


def test_init_refuses_to_replace_a_manifest_unless_forced(project: Path, tmp_path: Path) -> None:
    manifest_path = project / "gobuild.toml"
    hand_written = manifest_path.read_bytes()

    refused = gobuild("init", "-C", str(project), cwd=tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert f"error: {manifest_path} already exists" in refused.stderr
    assert "hint: edit it, or pass --force to replace it" in refused.stderr
    assert manifest_path.read_bytes() == hand_written

    forced = gobuild("init", "-C", str(project), "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert [f.name for f in load_manifest(manifest_path).functions] == EXAMPLE_FUNCTIONS
