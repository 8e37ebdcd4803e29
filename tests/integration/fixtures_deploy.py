"""Projects and zips for `gobuild check` tests: testdata/deploy/ definitions in a copy of the
built example, and the zips those definitions name that `gobuild build` does not make, built
with the real `go` and `gcc`.

deploy_zips         {name: zip} made once per session: avx-amd64 (GOAMD64=v3), glibc-amd64
                    (cgo calling arc4random, GLIBC_2.36), c-amd64 (a C program: not Go),
                    zip64-arm64 (Zip64-marked), placeholder (an empty zip)
deploy_project()    a copy of the built example holding one testdata/deploy/ case at its root
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import TESTDATA
from tests.integration.fixtures_build import copy_built
from tests.integration.fixtures_gobinaries import LAMBDA_FLAGS, go_env, run_go, zip_bootstrap

DEPLOY = TESTDATA / "deploy"

GLIBC_MAIN = """package main

// #include <stdlib.h>
import "C"

import "fmt"

// arc4random is new in glibc 2.36: Amazon Linux 2023 (glibc 2.34) cannot load this binary.
func main() {
	fmt.Println(uint32(C.arc4random()))
}
"""
C_MAIN = "#include <stdio.h>\nint main(void) { puts(\"not go\"); return 0; }\n"


def with_zip64_end_records(data: bytes) -> bytes:
    """The zip with Zip64 end records (record and locator) before its end record, as `zip -fz`
    and writers past 65,535 entries make them: a Zip64-marked zip any unzipper still reads."""
    end = data.rindex(zipfile.stringEndArchive)
    (_, _, _, count, _, size, offset, _) = struct.unpack(zipfile.structEndArchive, data[end:end + 22])
    record = struct.pack(zipfile.structEndArchive64, zipfile.stringEndArchive64, 44, 45, 45, 0, 0,
                         count, count, size, offset)
    locator = struct.pack(zipfile.structEndArchive64Locator, zipfile.stringEndArchive64Locator, 0, end, 1)
    return data[:end] + record + locator + data[end:]


def _compile_c(source: str, out: Path) -> Path:
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.skip("a C compiler is needed")
    src = out.with_suffix(".c")
    src.write_text(source)
    proc = subprocess.run([gcc, "-O2", "-o", str(out), str(src)], capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, f"gcc failed:\n{proc.stderr}"
    return out


@pytest.fixture(autouse=True)
def _private_check_verdicts(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`gobuild check` remembers verdicts in the user's cache folder: tests keep theirs apart."""
    monkeypatch.setenv("GOBUILD_CHECK_CACHE", str(tmp_path_factory.mktemp("verdicts") / "verdicts.json"))


@pytest.fixture(scope="session")
def deploy_zips(tmp_path_factory: pytest.TempPathFactory, go_binaries: dict[tuple[str, str], Path],
                host_arch: str) -> dict[str, Path]:
    """The zips testdata/deploy/sam-app names under build/, built for real."""
    if host_arch != "amd64":
        pytest.skip("the cgo and C fixtures are amd64 builds made with the host's gcc")
    out = tmp_path_factory.mktemp("deploy-zips")
    zips: dict[str, Path] = {}

    avx = out / "avx-bootstrap"
    run_go(["build", *LAMBDA_FLAGS, "-o", str(avx), "./cmd/orders-lambda"], cwd=TESTDATA,
           env=go_env(GOARCH="amd64", GOAMD64="v3"))
    zips["avx-amd64"] = zip_bootstrap(avx, out / "avx-amd64.zip")

    module = out / "glibcneed"
    module.mkdir()
    (module / "go.mod").write_text("module example.com/glibcneed\n\ngo 1.21\n")
    (module / "main.go").write_text(GLIBC_MAIN)
    run_go(["build", "-trimpath", "-o", "bootstrap", "."], cwd=module, env=go_env(CGO_ENABLED="1", GOARCH="amd64"))
    zips["glibc-amd64"] = zip_bootstrap(module / "bootstrap", out / "glibc-amd64.zip")

    zips["c-amd64"] = zip_bootstrap(_compile_c(C_MAIN, out / "c-bootstrap"), out / "c-amd64.zip")

    plain = zip_bootstrap(go_binaries["orders-lambda", "arm64"], out / "plain-arm64.zip")
    zips["zip64-arm64"] = out / "zip64-arm64.zip"
    zips["zip64-arm64"].write_bytes(with_zip64_end_records(plain.read_bytes()))

    placeholder = out / "placeholder.zip"
    with zipfile.ZipFile(placeholder, "w"):
        pass
    zips["placeholder"] = placeholder
    return zips


@pytest.fixture
def deploy_project(built_example: Path, tmp_path: Path, go_binaries: dict[tuple[str, str], Path]
                   ) -> Callable[[str], Path]:
    """deploy_project("sam-app"): the built example with that case's files at its root (and the
    other fixture folders removed, so discovery sees only this case)."""

    def make(case: str) -> Path:
        project = copy_built(built_example, tmp_path / "shop")
        for extra in ("deploy", "migrate"):
            shutil.rmtree(project / extra, ignore_errors=True)
        shutil.copytree(DEPLOY / case, project, dirs_exist_ok=True)
        folder = project / "functions" / "no-bootstrap"
        if folder.is_dir():  # the go1.x layout: the binary under its own name
            binary = folder / "orders-lambda"
            shutil.copyfile(go_binaries["orders-lambda", "amd64"], binary)
            binary.chmod(0o755)
        return project

    return make


def add_zips(project: Path, zips: dict[str, Path]) -> None:
    """Puts the deploy_zips where sam-app's template names them: build/<name>.zip."""
    (project / "build").mkdir(exist_ok=True)
    for name, path in zips.items():
        shutil.copyfile(path, project / "build" / f"{name}.zip")


def line_of(path: Path, marker: str) -> int:
    """The 1-based line of `path` that contains `marker` (exactly one must)."""
    lines = [i for i, line in enumerate(path.read_text().splitlines(), 1) if marker in line]
    assert len(lines) == 1, f"{marker!r} is on lines {lines} of {path}"
    return lines[0]


def line_after(path: Path, start: str, marker: str) -> int:
    """The first line holding `marker` after the line holding `start`."""
    lines = path.read_text().splitlines()
    begin = line_of(path, start)
    return next(i for i, line in enumerate(lines, 1) if i > begin and marker in line)
