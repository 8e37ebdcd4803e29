"""`gobuild diff` on pairs of real zips that differ in exactly one way: it names that way first.

Each pair is testdata/diff/app built with the local Go (or, for the Go version, a second
toolchain from the Go module proxy) and zipped by gobuild's own zip writer. The command runs
as a user runs it, with a PATH that has no `go`: it needs nothing but the zips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gobuild.build import package
from gobuild.build.package import ZipEntry, write_zip, zip_bytes
from tests.conftest import TESTDATA
from tests.integration.fixtures_gobinaries import go_env, run_go

DIFF_DATA = TESTDATA / "diff"
SECOND_TOOLCHAIN = "go1.25.14"  # any release other than the local one; fetched from the module proxy
CONFIG = "config/app.json"

Build = Callable[..., bytes]


def no_go_env() -> dict[str, str]:
    """The caller's environment with a PATH on which there is no `go`."""
    path = os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"])
    assert shutil.which("go", path=path) is None, "this PATH must not have go"
    return {**os.environ, "PATH": path, "GOBUILD_GO": "/nonexistent/go"}


def diff(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m gobuild diff ARGS` without go on PATH."""
    return subprocess.run([sys.executable, "-m", "gobuild", "diff", *args], env=no_go_env(),
                          capture_output=True, text=True, timeout=300, check=False)


def diff_json(old: Path, new: Path) -> dict[str, Any]:
    proc = diff("--json", str(old), str(new))
    assert proc.returncode == 1, proc.stderr
    document: dict[str, Any] = json.loads(proc.stdout)
    return document


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """build(name, tags=..., ldflags=..., edit=(file, old, new), go_mod=(old, new), toolchain=...) →
    the bytes of testdata/diff/app built for arm64 the way gobuild builds, cached by name."""
    root = tmp_path_factory.mktemp("diffapp")
    cache: dict[str, bytes] = {}

    def make(name: str, *, tags: str = "lambda.norpc", ldflags: str = "-s -w -X main.version=1.2.3",
             edit: tuple[str, str, str] | None = None, toolchain: str = "local") -> bytes:
        if name not in cache:
            src = root / name
            shutil.copytree(DIFF_DATA, src, ignore=shutil.ignore_patterns("variants"))
            if edit is not None:
                path = src / edit[0]
                text = path.read_text()
                assert edit[1] in text, edit
                path.write_text(text.replace(edit[1], edit[2]))
            out = root / f"{name}.bin"
            args = ["build", "-trimpath", "-buildvcs=false", "-tags", tags, f"-ldflags={ldflags}", "-o", str(out), "."]
            run_go(args, cwd=src / "app", env=go_env(GOARCH="arm64", GOTOOLCHAIN=toolchain))
            cache[name] = out.read_bytes()
        return cache[name]

    return make


def zipped(path: Path, binary: bytes, *, mode: int = 0o755, config: bytes | None = None) -> Path:
    entries = [ZipEntry(name="bootstrap", data=binary, mode=mode)]
    if config is not None:
        entries.append(ZipEntry(name=CONFIG, data=config))
    write_zip(path, entries)
    return path


def first(document: dict[str, Any]) -> dict[str, Any]:
    (artifact,) = document["artifacts"]
    assert artifact["status"] == "different"
    found: dict[str, Any] = artifact["differences"][0]
    assert artifact["summary"] == found["message"]
    return found


def test_identical_builds_are_identical(build: Build, tmp_path: Path) -> None:
    """Two separate zips of the same build (gobuild's builds are reproducible): exit 0."""
    old = zipped(tmp_path / "a.zip", build("base"))
    new = zipped(tmp_path / "b.zip", build("base"))
    proc = diff(str(old), str(new))
    assert (proc.returncode, proc.stdout) == (0, f"identical  {old} and {new}\n"), proc.stderr
    proc = diff("--json", str(old), str(new))
    assert json.loads(proc.stdout)["identical"] is True and proc.returncode == 0


def test_an_x_value(build: Build, tmp_path: Path) -> None:
    old = zipped(tmp_path / "a.zip", build("base"))
    new = zipped(tmp_path / "b.zip", build("x", ldflags="-s -w -X main.version=1.2.4"))
    found = first(diff_json(old, new))
    assert (found["kind"], found["old"], found["new"]) == ("strings", "1.2.3", "1.2.4")
    proc = diff(str(old), str(new))
    assert proc.stdout.splitlines()[1] == (
        '  code     no code changed; string data did: "1.2.3" → "1.2.4" (an -X value or a string constant)'
    )


def test_a_tag(build: Build, tmp_path: Path) -> None:
    old = zipped(tmp_path / "a.zip", build("base"))
    new = zipped(tmp_path / "b.zip", build("tag", tags="lambda.norpc,extra"))
    found = first(diff_json(old, new))
    assert found["message"] == "-tags lambda.norpc → lambda.norpc,extra (+extra)"


def test_a_dependency_version(build: Build, tmp_path: Path) -> None:
    """go.mod requires example.com/greet v1.1.0 instead of v1.0.0, each replaced by a local copy."""
    old = zipped(tmp_path / "a.zip", build("base"))
    edit = ("app/go.mod", "v1.0.0", "v1.1.0")
    new = zipped(tmp_path / "b.zip", build("dep", edit=edit))
    document = diff_json(old, new)
    found = first(document)
    assert found["kind"] == "dependency" and found["subject"] == "example.com/greet"
    assert found["message"] == (
        "example.com/greet v1.0.0 → v1.1.0 (replaced by ../greet-v1.0.0 (devel) → ../greet-v1.1.0 (devel))"
    )
    code = document["artifacts"][0]["differences"][1]
    assert code["kind"] == "package" and code["subject"] == "example.com/greet"


def test_the_go_version(build: Build, tmp_path: Path) -> None:
    local = run_go(["env", "GOVERSION"], cwd=DIFF_DATA, env=go_env()).stdout.strip()
    if local == SECOND_TOOLCHAIN:
        pytest.skip(f"the local Go is {SECOND_TOOLCHAIN}: no second toolchain to compare with")
    try:
        older = build("go-version", toolchain=SECOND_TOOLCHAIN)
    except AssertionError as error:
        pytest.skip(f"a second Go toolchain ({SECOND_TOOLCHAIN}) could not be had from the Go module proxy "
                    f"(GOTOOLCHAIN={SECOND_TOOLCHAIN}): {str(error)[-300:]}")
    old = zipped(tmp_path / "a.zip", older)
    new = zipped(tmp_path / "b.zip", build("base"))
    found = first(diff_json(old, new))
    assert found["message"] == f"Go version {SECOND_TOOLCHAIN} → {local}"


def test_one_packages_code(build: Build, tmp_path: Path) -> None:
    old = zipped(tmp_path / "a.zip", build("base"))
    edit = ("app/internal/shapes/shapes.go", 'strings.HasPrefix(spec, "rect:")',
            'strings.HasPrefix(spec, "rect:") && len(spec) > 6')
    new = zipped(tmp_path / "b.zip", build("code", edit=edit))
    document = diff_json(old, new)
    found = first(document)
    assert found["kind"] == "package" and found["subject"] == "example.com/diffapp/internal/shapes"
    assert found["message"].startswith(
        "the code itself changed in package example.com/diffapp/internal/shapes: Count "
    )
    assert len(document["artifacts"][0]["differences"]) == 1


def test_a_zip_entrys_mode(build: Build, tmp_path: Path) -> None:
    old = zipped(tmp_path / "a.zip", build("base"))
    new = zipped(tmp_path / "b.zip", build("base"), mode=0o644)
    document = diff_json(old, new)
    assert [d["message"] for d in document["artifacts"][0]["differences"]] == ["bootstrap: mode 0755 → 0644"]


def test_an_include_file(build: Build, tmp_path: Path) -> None:
    old = zipped(tmp_path / "a.zip", build("base"), config=b'{"level": "info"}\n')
    new = zipped(tmp_path / "b.zip", build("base"), config=b'{"level": "debug"}\n')
    found = first(diff_json(old, new))
    assert found["message"] == f"{CONFIG}: contents differ (18 → 19 bytes)"
    assert found["details"] == ["@@ -1 +1 @@", '-{"level": "info"}', '+{"level": "debug"}']


def test_compression(build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same entries deflated at another level by the same writer."""
    entries = [ZipEntry(name="bootstrap", data=build("base"), mode=0o755)]
    old = tmp_path / "a.zip"
    old.write_bytes(zip_bytes(entries))
    monkeypatch.setattr(package, "DEFLATE_LEVEL", 1)
    new = tmp_path / "b.zip"
    new.write_bytes(zip_bytes(entries))
    document = diff_json(old, new)
    (found,) = document["artifacts"][0]["differences"]
    assert found["kind"] == "compression-level"
    assert found["message"].startswith("bootstrap: compression level or compressor differs (deflate, same contents; ")


def test_bad_input_exits_2(build: Build, tmp_path: Path) -> None:
    good = zipped(tmp_path / "good.zip", build("base"))
    text = tmp_path / "notes.zip"
    text.write_text("not a zip\n")
    broken = tmp_path / "dist"
    broken.mkdir()
    (broken / "artifacts.json").write_text("{ this is not json")
    cases = {
        str(tmp_path / "missing.zip"): "missing.zip: no such file or folder",
        str(text): "notes.zip: not a readable zip",
        str(broken): "artifacts.json: unreadable",
    }
    for argument, message in cases.items():
        proc = diff(str(good), argument)
        assert proc.returncode == 2, (argument, proc.stdout, proc.stderr)
        assert message in proc.stderr and "Traceback" not in proc.stderr
        assert proc.stdout == ""
