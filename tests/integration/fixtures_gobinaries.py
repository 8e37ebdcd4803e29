"""Real Go binaries for `gobuild verify` tests, built once per session with the real `go`.

go_binaries            {(command, arch): path} for testdata/cmd/* on amd64 and arm64,
                       built the way Lambda wants (static, -trimpath, lambda.norpc, -s -w)
sloppy_binary          orders-lambda built carelessly: CGO_ENABLED=1, no -trimpath, no tags
old_lambda_binary      a function built against aws-lambda-go v1.17.0 (from the module proxy)
real_broken_zips       make_broken_zips.make_all() around the real arm64 orders-lambda
zip_bootstrap()        zips one file as bootstrap, like a careful zip tool would
run_gobuild()          `python -m gobuild ARGS` as a user runs it
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from testdata.make_broken_zips import make_all
from tests.conftest import TESTDATA

COMMANDS = ("orders-lambda", "payments-lambda", "inventory-lambda", "healthcheck")
ARCHES = ("amd64", "arm64")
LAMBDA_FLAGS = ("-trimpath", "-buildvcs=false", "-tags", "lambda.norpc", "-ldflags=-s -w")
OLD_LAMBDA_GO = "v1.17.0"

OLD_LAMBDA_MAIN = """package main

import "github.com/aws/aws-lambda-go/lambda"

func main() {
	lambda.Start(func() (string, error) { return "ok", nil })
}
"""


def go_env(**overrides: str) -> dict[str, str]:
    """The environment for `go`: the user's, pinned to the local toolchain, plus overrides."""
    env = dict(os.environ)
    env.update(GOTOOLCHAIN="local", GOWORK="off", GOFLAGS="", CGO_ENABLED="0", GOOS="linux")
    env.update(overrides)
    return env


def run_go(
    args: list[str], *, cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """Runs go quietly; on failure the assertion replays the command and its output."""
    go = shutil.which("go")
    assert go is not None, "the Go toolchain is required for integration tests (install go)"
    proc = subprocess.run(
        [go, *args],
        cwd=cwd,
        env=dict(env),
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, (
        f"go {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
    )
    return proc


def zip_bootstrap(binary: Path, dest: Path, *, name: str = "bootstrap", mode: int = 0o755) -> Path:
    """A zip holding `binary` as `name` with Unix mode `mode`, deflated."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.create_system = 3
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(dest, "w") as archive:
        archive.writestr(info, binary.read_bytes())
    return dest


def run_gobuild(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Runs `python -m gobuild ARGS` as a user would, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "gobuild", *args],
        cwd=cwd,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def go_version() -> str:
    """The local toolchain's version, e.g. "go1.26.8": what the binaries must report."""
    return run_go(["env", "GOVERSION"], cwd=TESTDATA, env=go_env()).stdout.strip()


@pytest.fixture(scope="session")
def go_binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Every testdata command for amd64 and arm64, built as Lambda wants them."""
    binaries = {}
    for arch in ARCHES:
        out = tmp_path_factory.mktemp(f"go-{arch}")
        run_go(
            ["build", *LAMBDA_FLAGS, "-o", f"{out}/", "./cmd/..."],
            cwd=TESTDATA,
            env=go_env(GOARCH=arch),
        )
        for command in COMMANDS:
            binaries[command, arch] = out / command
            assert binaries[command, arch].is_file()
    return binaries


@pytest.fixture(scope="session")
def host_arch() -> str:
    """GOHOSTARCH: cgo builds (no cross C compiler here) target the machine's own arch."""
    return run_go(["env", "GOHOSTARCH"], cwd=TESTDATA, env=go_env()).stdout.strip()


@pytest.fixture(scope="session")
def sloppy_binary(tmp_path_factory: pytest.TempPathFactory, host_arch: str) -> Path:
    """orders-lambda for the host's arch with cgo on, no -trimpath and no lambda.norpc."""
    if shutil.which("gcc") is None and shutil.which("cc") is None:
        pytest.skip("a C compiler is needed for a CGO_ENABLED=1 build")
    out = tmp_path_factory.mktemp("sloppy") / "orders-lambda"
    env = go_env(CGO_ENABLED="1", GOARCH=host_arch)
    run_go(
        ["build", "-buildvcs=false", "-o", str(out), "./cmd/orders-lambda"], cwd=TESTDATA, env=env
    )
    return out


@pytest.fixture(scope="session")
def old_lambda_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A function built against aws-lambda-go v1.17.0, which predates the Runtime API."""
    module = tmp_path_factory.mktemp("oldlambda")
    (module / "go.mod").write_text(
        f"module example.com/oldlambda\n\ngo 1.21\n\nrequire github.com/aws/aws-lambda-go {OLD_LAMBDA_GO}\n"
    )
    (module / "main.go").write_text(OLD_LAMBDA_MAIN)
    env = go_env(GOFLAGS="-mod=mod", GOARCH="amd64")
    go = shutil.which("go")
    assert go is not None, "the Go toolchain is required for integration tests (install go)"
    download = subprocess.run(
        [go, "mod", "download", f"github.com/aws/aws-lambda-go@{OLD_LAMBDA_GO}"],
        cwd=module,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if download.returncode != 0:
        # Not a skip: the tests that judge old binaries must run in CI, where the proxy serves it.
        pytest.fail(
            f"the Go module proxy did not serve aws-lambda-go {OLD_LAMBDA_GO}: {download.stderr[-500:]}"
        )
    run_go(["build", *LAMBDA_FLAGS, "-o", "bootstrap", "."], cwd=module, env=env)
    return module / "bootstrap"


@pytest.fixture(scope="session")
def real_broken_zips(
    tmp_path_factory: pytest.TempPathFactory, go_binaries: dict[tuple[str, str], Path]
) -> dict[str, Path]:
    """Every broken-zip case, built around the real arm64 orders-lambda."""
    elf = go_binaries["orders-lambda", "arm64"].read_bytes()
    return make_all(tmp_path_factory.mktemp("broken"), elf)
