"""Progress for long work, as a user sees it: `gobuild publish` on a terminal (a pseudo-terminal
here) draws a rich bar of objects and bytes; piped, its output has no bar and reads as before."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

from gobuild.lines import human_size
from tests.integration.fixtures_build import gobuild

TERMINAL_ENV = {"TERM": "xterm-256color", "COLUMNS": "160", "LINES": "50"}


def on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Runs `python -m gobuild ARGS` with stderr on a pseudo-terminal; its exit code and what it drew."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "gobuild", *args], env={**env, **TERMINAL_ENV},
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    drawn = bytearray()
    while True:
        ready, _, _ = select.select([master], [], [], 300)
        if not ready:
            proc.kill()
            raise AssertionError(f"gobuild {' '.join(args)} drew nothing for 300 s:\n{drawn.decode(errors='replace')}")
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer of the terminal is gone
            break
        if not chunk:
            break
        drawn += chunk
    os.close(master)
    assert proc.stdout is not None
    proc.stdout.read()
    return proc.wait(timeout=60), drawn.decode("utf-8", errors="replace")


def test_publish_on_a_terminal_shows_objects_and_bytes_and_piped_output_stays_plain(
        project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]) -> None:
    artifacts = json.loads((project / "dist" / "artifacts.json").read_text())["artifacts"]
    sizes = {a["sha256"]: a["size"] for a in artifacts}  # one object per distinct zip
    total = human_size(sum(sizes.values()))
    args = ["publish", "-C", str(project), "--bucket", bucket, "--endpoint-url", s3_server.endpoint_url]
    code, drawn = on_a_terminal(args, s3_env)
    assert code == 0, drawn
    assert "publish" in drawn and "━" in drawn
    assert f"{len(sizes)}/{len(sizes)} objects, {total}/{total}" in drawn, drawn[-2000:]

    piped = gobuild(*args, env=s3_env)
    assert piped.returncode == 0, piped.stderr
    assert "━" not in piped.stderr and "objects," not in piped.stderr
    lines = piped.stderr.splitlines()
    assert len(lines) == len(artifacts) + 1  # a line per zip (all already present now), then the summary
    assert all(line.startswith("ok   ") and "already present" in line for line in lines[:-1])
    assert lines[-1].startswith(f"published {len(artifacts)} zips to s3://{bucket}: 0 uploaded, ")
