"""What `gobuild invoke` tests share: zips of the real functions, AWS's emulator, qemu.

amd64_zips                {name: NAME-amd64.zip} of every testdata function, by gobuild's writer
broken_zips_amd64         testdata/make_broken_zips.py's cases around the amd64 orders function
aws_lambda_rie            the RIE binary: on PATH, in the test cache, or `go install`ed there
run_rie(rie, root, ...)   RIE serving one unpacked task root on free loopback ports
rie_invoke(url, event)    POSTs one event the way `curl .../invocations -d EVENT` does
arm64_runner()            how arm64 bootstraps run here: natively, through qemu, or skip
unzip_with_system_tool()  extracts a zip with `unzip`, so RIE never sees our own extractor
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from gobuild.build.package import ZipEntry, write_zip
from testdata.make_broken_zips import make_all

RIE_PACKAGE = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
# The version the Go module proxy serves (the module has no tagged releases).
RIE_VERSION = "v0.0.0-20261030222936-bef5c4ba774d"
RIE_PATH = "/2015-03-31/functions/function/invocations"


def cache_dir() -> Path:
    """Where tests keep downloaded tools between runs: $GOBUILD_TEST_CACHE or ~/.cache/gobuild-tests."""
    configured = os.environ.get("GOBUILD_TEST_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "gobuild-tests"


@pytest.fixture(scope="session")
def amd64_zips(
    tmp_path_factory: pytest.TempPathFactory, go_binaries: dict[tuple[str, str], Path]
) -> dict[str, Path]:
    """Every testdata command for amd64, zipped by gobuild's writer as NAME-amd64.zip."""
    out = tmp_path_factory.mktemp("amd64-zips")
    zips = {}
    for (command, arch), binary in go_binaries.items():
        if arch == "amd64":
            name = command.removesuffix("-lambda")
            entry = ZipEntry(name="bootstrap", data=binary.read_bytes(), mode=0o755)
            zips[name] = write_zip(out / f"{name}-amd64.zip", [entry]).path
    return zips


@pytest.fixture(scope="session")
def broken_zips_amd64(
    tmp_path_factory: pytest.TempPathFactory, go_binaries: dict[tuple[str, str], Path]
) -> dict[str, Path]:
    """testdata/make_broken_zips.py's cases around the real amd64 orders function."""
    return make_all(
        tmp_path_factory.mktemp("broken-amd64"), go_binaries["orders-lambda", "amd64"].read_bytes()
    )


@pytest.fixture(scope="session")
def aws_lambda_rie() -> Path:
    """The aws-lambda-rie binary; installed with `go install` into the test cache when absent.

    In CI (CI set) a missing emulator fails the run instead of skipping the comparison.
    """
    found = shutil.which("aws-lambda-rie")
    if found:
        return Path(found)
    gobin = cache_dir() / "bin" / RIE_VERSION
    binary = gobin / "aws-lambda-rie"
    if binary.is_file():
        return binary
    go = shutil.which("go")
    problem = "go is not installed"
    if go:
        env = {
            **os.environ,
            "GOBIN": str(gobin),
            "GOFLAGS": "-mod=mod",
            "GOTOOLCHAIN": "local",
            "GOWORK": "off",
        }
        proc = subprocess.run(
            [go, "install", f"{RIE_PACKAGE}@{RIE_VERSION}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if proc.returncode == 0 and binary.is_file():
            return binary
        problem = f"go install {RIE_PACKAGE}@{RIE_VERSION} failed:\n{proc.stderr[-2000:]}"
    if os.environ.get("CI"):
        pytest.fail(f"aws-lambda-rie is required in CI: {problem}")
    pytest.skip(f"aws-lambda-rie is not available: {problem}")


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def run_rie(
    rie: Path,
    task_root: Path,
    *,
    command: Sequence[str] = ("./bootstrap",),
    function_name: str,
    timeout_seconds: int = 3,
    log: Path,
) -> Iterator[str]:
    """Runs RIE on `task_root` (as cwd) and yields its invocation URL; stops it and its bootstrap after.

    RIE forwards its own environment to the function, so it gets a small, Lambda-like one.
    """
    api_port, rie_port = free_port(), free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(timeout_seconds),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_REGION": "us-east-1",
    }
    with open(log, "wb") as output:
        proc = subprocess.Popen(
            [
                str(rie),
                "--runtime-interface-emulator-address",
                f"127.0.0.1:{rie_port}",
                "--runtime-api-address",
                f"127.0.0.1:{api_port}",
                *command,
            ],
            cwd=task_root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its bootstrap joins the group, so one kill ends both
        )
    try:
        wait_for_port(rie_port, proc, log)
        yield f"http://127.0.0.1:{rie_port}{RIE_PATH}"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def wait_for_port(
    port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 15.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"aws-lambda-rie exited {proc.returncode}:\n{log.read_text(errors='replace')}"
            )
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(
        f"aws-lambda-rie did not listen on {port} within {timeout}s:\n{log.read_text()}"
    )


def rie_invoke(url: str, event: bytes, timeout: float = 60) -> tuple[int, bytes]:
    """POSTs one event to RIE; returns the HTTP status and body (502 for a runtime crash)."""
    request = urllib.request.Request(url, data=event, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def arm64_runner() -> list[str]:
    """The command prefix that runs an arm64 binary here; skips without qemu unless it is required.

    CI sets GOBUILD_REQUIRE_QEMU=1 so that a missing qemu-user-static fails instead.
    """
    if platform.machine().lower() in ("aarch64", "arm64"):
        return []
    qemu = shutil.which("qemu-aarch64-static")
    if qemu:
        return [qemu]
    if os.environ.get("GOBUILD_REQUIRE_QEMU"):
        pytest.fail(
            "qemu-aarch64-static is required (GOBUILD_REQUIRE_QEMU is set): apt-get install qemu-user-static"
        )
    pytest.skip("qemu-aarch64-static is not installed (apt-get install qemu-user-static)")


def unzip_with_system_tool(zip_path: Path, dest: Path) -> Path:
    """Extracts with Info-ZIP's unzip (modes kept), independent of gobuild's own extractor."""
    unzip = shutil.which("unzip")
    if unzip is None:
        pytest.skip("unzip is not installed (apt-get install unzip)")
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run([unzip, "-q", "-o", str(zip_path), "-d", str(dest)], check=True, timeout=120)
    return dest
