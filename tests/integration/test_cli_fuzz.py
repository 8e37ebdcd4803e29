"""Random argument lists and random manifests for every registered command, through the real CLI:
whatever the input, gobuild ends with a documented exit code (0, 1, 2 or 3; no signal is sent
here), never shows a traceback, and says what went wrong in one `error:` line (and at most one
`hint:` line), or in click's usage panel for a flag click itself refuses.

Most runs are in-process (typer's CliRunner) on a fresh workspace each: the built example,
templates, and hostile files (device nodes, FIFOs, symlink loops, garbage zips, an index whose
paths escape its folder; cli_fuzz_inputs.py). A few run `python -m gobuild` to see the real
stderr, including argv that is not UTF-8. The commands come from the app's registry, so a new
command is fuzzed without a change here. Nothing leaves 127.0.0.1: S3 is a dead loopback port
or the SeaweedFS fixture, and in-process runs refuse any other address.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import resource
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gobuild.cli import load_commands
from gobuild.cli.app import app
from gobuild.locals3 import AWS_VARIABLES_TO_DROP
from tests.integration.cli_fuzz_inputs import (
    MANIFESTS,
    Servers,
    argument_lists,
    copy_workspace,
    make_pristine,
    write_manifest,
)

MEMORY_CAP = 6 << 30  # bytes of address space a run may add
DOCUMENTED = {0, 1, 2, 3}  # 130 and 143 belong to signals, and none is sent here
HANG_SECONDS = 120  # far beyond any case; an alarm turns a hang into a failure naming the arguments
# Examples per command (about 50 s in all): the ones that start servers, compilers or functions,
# or walk folders, get fewer. GOBUILD_FUZZ_EXAMPLES=N gives every command N, for a deeper run.
EXAMPLES = {"local-s3": 4, "check": 8, "invoke": 10, "build": 10, "publish": 10, "init": 10}
DEFAULT_EXAMPLES = 15


def registered_commands() -> dict[str, Any]:
    """Every command the CLI registers (all modules loaded), by name, as click sees it."""
    load_commands([])
    group: Any = typer.main.get_command(app)
    return dict(sorted(group.commands.items()))


COMMANDS = registered_commands()


class Hang(Exception):
    """A run outlived HANG_SECONDS."""


def judge(argv: list[str], code: int | None, stdout: str, stderr: str) -> None:
    """What every run promises, whatever its input."""
    context = f"gobuild {shlex.join(argv)[:3000]}\n--- exit {code}\n--- stdout\n{stdout[-2000:]}\n--- stderr\n{stderr[-4000:]}"
    assert code in DOCUMENTED, context
    assert "Traceback" not in stdout + stderr, context
    lines = stderr.splitlines()
    errors = [i for i, line in enumerate(lines) if line.startswith("error:")]
    usage = code == 2 and "─ Error ─" in stderr  # click's own panel for a flag or argument it refuses
    if code in (2, 3) and not usage:
        assert errors, context
    for i in errors:
        assert lines[i].removeprefix("error:").strip(), context
    if errors:
        # One error line, the last thing said but for one hint.
        assert len(errors) == 1, context
        after = lines[errors[0] + 1:]
        assert after == [] or (len(after) == 1 and after[0].startswith("hint: ")), context
        assert code != 0, context


@pytest.fixture(autouse=True)
def bounded_memory() -> Iterator[None]:
    """Address space for this process (and what it starts) capped at MEMORY_CAP more than it has:
    a command that reads a device without bound fails with MemoryError, not the machine."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        in_use = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (in_use + MEMORY_CAP, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.fixture(scope="module")
def pristine(built_example: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-fuzz") / "pristine"
    make_pristine(root, built_example)
    return root


@pytest.fixture(scope="module")
def servers(s3_server: Any) -> Iterator[Servers]:
    # Bound but never listening: every connection to it is refused at once.
    with socket.socket() as dead:
        dead.bind(("127.0.0.1", 0))
        bucket = "gobuild-fuzz"
        s3_server.create_bucket(bucket)
        yield Servers(dead=f"http://127.0.0.1:{dead.getsockname()[1]}", live=s3_server.endpoint_url, bucket=bucket)


def environment(s3_server: Any, endpoint: str) -> dict[str, str | None]:
    """The overlay CliRunner applies to os.environ: the fixture's credentials only, one endpoint."""
    overlay: dict[str, str | None] = dict.fromkeys(AWS_VARIABLES_TO_DROP)
    overlay.update(s3_server.client_env({}))
    overlay.update({"AWS_ENDPOINT_URL": endpoint, "AWS_MAX_ATTEMPTS": "1", "GOBUILD_CACHE_KEY": None})
    return overlay


def is_loopback(host: object) -> bool:
    if host in (None, "localhost", b"localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs may reach 127.0.0.1 only: any other address fails as an unreachable network would."""
    real_connect, real_connect_ex, real_getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def refuse(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            raise OSError(errno.ENETUNREACH, f"fuzz: no network beyond loopback ({address[0]})")

    def connect(sock: socket.socket, address: Any) -> None:
        refuse(sock, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        refuse(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, f"fuzz: no name resolution beyond loopback ({host})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def run_in_process(shop: Path, argv: list[str], env: dict[str, str | None]) -> tuple[int | None, str, str]:
    """Runs `gobuild ARGV` in-process from `shop`, as main() would, under a hang alarm."""
    def alarm(_signum: int, _frame: FrameType | None) -> None:
        raise Hang(f"gobuild {shlex.join(argv)} ran over {HANG_SECONDS}s")

    previous_handler = signal.signal(signal.SIGALRM, alarm)
    previous_dir = os.getcwd()
    os.chdir(shop)
    signal.alarm(HANG_SECONDS)
    try:
        result = CliRunner().invoke(app, argv, env=env, catch_exceptions=True)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous_handler)
        os.chdir(previous_dir)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"gobuild {shlex.join(argv)[:3000]} raised\n{result.stderr[-4000:]}") from result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_random_arguments_and_manifests_never_end_in_a_traceback(
        name: str, pristine: Path, servers: Servers, s3_server: Any, loopback_only: None) -> None:
    command = COMMANDS[name]

    @settings(max_examples=int(os.environ.get("GOBUILD_FUZZ_EXAMPLES", "0")) or EXAMPLES.get(name, DEFAULT_EXAMPLES), deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(argv=argument_lists(command, servers), manifest=MANIFESTS, replace=st.booleans(),
           endpoint=st.sampled_from([servers.dead, servers.live]))
    def case(argv: list[str], manifest: bytes, replace: bool, endpoint: str) -> None:
        with tempfile.TemporaryDirectory(prefix="fuzz-") as scratch:
            shop = copy_workspace(pristine, Path(scratch) / "ws")
            write_manifest(shop, manifest, replace=replace)
            code, stdout, stderr = run_in_process(shop, [name, *argv], environment(s3_server, endpoint))
            judge([name, *argv], code, stdout, stderr)

    case()


def run_gobuild(argv: list[bytes | str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "gobuild", *argv], cwd=cwd, env=env, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=HANG_SECONDS)


def subprocess_env(s3_server: Any, endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in environment(s3_server, endpoint).items() if v is not None}
    return {**{k: v for k, v in os.environ.items() if k not in AWS_VARIABLES_TO_DROP}, **env, "COLUMNS": "120"}


# What a command needs beside -m to get as far as reading its manifest.
REQUIRED = {"invoke": ["orders"], "merge": ["dist/artifacts.json"]}
# Bytes that are not UTF-8 (a Latin-1 file name), a right-to-left override, a terminal escape.
ODD = [b"caf\xe9.zip", "\u202eevil.zip", "\x1b[2J"]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_real_entry_point_on_hostile_input_prints_one_clean_error(
        name: str, pristine: Path, servers: Servers, s3_server: Any, tmp_path: Path) -> None:
    """`python -m gobuild` (the no-op fast path included) on hostile paths and names: real stderr."""
    shop = copy_workspace(pristine, tmp_path / "ws")
    command = COMMANDS[name]
    takes = {p.name for p in command.params if p.param_type_name == "argument"}
    options = {o for p in command.params if p.param_type_name == "option" for o in p.opts}
    cases: list[list[bytes | str]] = []
    for hostile in ["../hostile/zero", "../hostile/fifo", "../hostile/dir", "../hostile/loop", *ODD]:
        if name == "local-s3":
            cases.append(["--bucket", hostile, "--", "true"] if isinstance(hostile, str) else ["--", hostile])
            continue
        assert takes or "-m" in options, f"{name} takes neither -m nor an argument: give it a case here"
        if takes:
            cases.append([hostile] * (2 if name == "diff" else 1))
        if "-m" in options:
            cases.append(["-m", hostile, *REQUIRED.get(name, [])])
    env = subprocess_env(s3_server, servers.dead)
    for argv in cases:
        proc = run_gobuild([name, *argv], shop, env)
        stdout, stderr = proc.stdout.decode(errors="backslashreplace"), proc.stderr.decode(errors="backslashreplace")
        judge([name, *map(os.fsdecode, argv)], proc.returncode, stdout, stderr)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_arguments_through_the_real_entry_point(
        data: st.DataObject, pristine: Path, servers: Servers, s3_server: Any) -> None:
    """A few drawn argument lists through `python -m gobuild`, where argv cannot hold a NUL or
    more than 128 KiB an argument: the arguments are the in-process test's, minus those."""
    name = data.draw(st.sampled_from(sorted(set(COMMANDS) - {"local-s3"})))
    argv = data.draw(argument_lists(COMMANDS[name], servers).filter(
        lambda a: all("\x00" not in x and len(x.encode(errors="surrogateescape")) < 100_000 for x in a)))
    with tempfile.TemporaryDirectory(prefix="fuzz-") as scratch:
        shop = copy_workspace(pristine, Path(scratch) / "ws")
        write_manifest(shop, data.draw(MANIFESTS), replace=data.draw(st.booleans()))
        proc = run_gobuild([name, *argv], shop, subprocess_env(s3_server, servers.dead))
        judge([name, *argv], proc.returncode, proc.stdout.decode(errors="backslashreplace"),
              proc.stderr.decode(errors="backslashreplace"))
