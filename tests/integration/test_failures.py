"""Every `go list` and `go build` failure is a per-function FAIL with Go's own output, under the
function's name, in plain, live (a terminal) and --json output and in gobuild.log; the other
functions still build, the exit code is 1, and there is never a traceback.

testdata/failures (see its README.md) holds one function that builds and one for each way Go
fails: an unresolvable import, a missing package, a missing go.sum entry, a syntax error, a
package that needs cgo, and a module its proxy refuses (a module proxy on 127.0.0.1 answering
403 for example.com/private, 404 otherwise so that Go falls back to the real proxy).
"""

from __future__ import annotations

import http.server
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TESTDATA
from tests.integration.fixtures_build import gobuild

# function → a line of Go's own output it must fail with
GO_SAYS = {
    "unresolved": "cmd/unresolved/main.go:6:2: no required module provides package rsc.io/quote",
    "missingpkg": "no required module provides package example.com/failures/internal/gone",
    "nosum": "missing go.sum entry for module providing package github.com/google/uuid",
    "syntax": "cmd/syntax/main.go:7:62: syntax error",
    "needscgo": "undefined: add",
    "cgoonly": "build constraints exclude all Go files in",
    "private": "example.com/private/lib/@v/v1.0.0",
}
CGO_HINT = 'this function needs cgo: cmd/needscgo/sum.go imports "C"'
CGO_ONLY_HINT = 'this function needs cgo: cmd/cgoonly/main.go imports "C"'
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


class _RefusingProxy(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        refused = self.path.startswith("/example.com/private/")
        body = b"forbidden by the test proxy\n" if refused else b"not here\n"
        self.send_response(403 if refused else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def refusing_proxy() -> Iterator[str]:
    """GOPROXY: a proxy that refuses example.com/private with 403, then the real one."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RefusingProxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]},https://proxy.golang.org"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def failures(tmp_path: Path, refusing_proxy: str) -> tuple[Path, dict[str, str]]:
    project = Path(shutil.copytree(TESTDATA / "failures", tmp_path / "failures"))
    return project, {**os.environ, "GOPROXY": refusing_proxy, "GOFLAGS": "", "COLUMNS": "400"}


def blocks(stderr: str) -> dict[str, str]:
    """Plain output split per target: the FAIL/ok line and the indented lines under it."""
    found: dict[str, str] = {}
    current = ""
    for line in stderr.splitlines():
        match = re.match(r"^(?:FAIL|ok  ) (\S+)/amd64", line)
        if match:
            current = match.group(1)
            found[current] = line + "\n"
        elif line.startswith("    ") and current:
            found[current] += line + "\n"
        else:
            current = ""
    return found


def test_each_failure_is_reported_under_its_function_in_plain_output_and_the_log(
        failures: tuple[Path, dict[str, str]]) -> None:
    project, env = failures
    proc = gobuild("build", "-C", str(project), env=env)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    shown = blocks(proc.stderr)
    assert shown["good"].startswith("ok   good/amd64")
    for name, message in GO_SAYS.items():
        assert shown[name].startswith(f"FAIL {name}/amd64"), proc.stderr
        assert message in shown[name], (name, proc.stderr)
        others = [n for n in GO_SAYS if n != name and n not in ("needscgo", "cgoonly")]
        assert not any(GO_SAYS[o] in shown[name] for o in others), (name, shown[name])
    assert "403 Forbidden" in shown["private"]
    assert CGO_HINT in shown["needscgo"] and CGO_ONLY_HINT in shown["cgoonly"] and "hint:" not in shown["syntax"]
    assert f"go.sum lacks entries for modules this function needs: run `go mod tidy` in {project}" in shown["nosum"]
    assert "go mod tidy" not in shown["unresolved"] + shown["missingpkg"]
    assert "1 zip in" in proc.stderr and "7 of 8 targets failed" in proc.stderr
    assert sorted(p.name for p in (project / "dist").glob("*.zip")) == ["good-amd64.zip"]
    recorded = json.loads((project / "dist/artifacts.json").read_text())["artifacts"]
    assert [a["name"] for a in recorded] == ["good"]
    log = (project / "dist/gobuild.log").read_text()
    for name, message in GO_SAYS.items():
        assert f"{name}/amd64 FAILED failed" in log and message in log
    assert f"needscgo/amd64 hint: {CGO_HINT}" in log
    assert not list((project / "dist").glob(".gobuild-scratch-*"))


def test_json_carries_each_functions_go_output(failures: tuple[Path, dict[str, str]]) -> None:
    project, env = failures
    proc = gobuild("build", "-C", str(project), "--json", env=env)
    assert proc.returncode == 1, proc.stderr
    document = json.loads(proc.stdout)
    assert document["ok"] is False
    assert [a["name"] for a in document["artifacts"]] == ["good"]
    by_name = {f["name"]: f for f in document["failures"]}
    assert set(by_name) == set(GO_SAYS)
    for name, message in GO_SAYS.items():
        assert message in by_name[name]["output"], name
    assert CGO_HINT in by_name["needscgo"]["hint"] and by_name["syntax"]["hint"] is None
    assert "Traceback" not in proc.stderr


def test_a_terminal_shows_each_functions_go_output(failures: tuple[Path, dict[str, str]]) -> None:
    project, env = failures
    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "gobuild", "build", "-C", str(project)], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    chunks = []
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:  # EIO: the terminal's other end closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(controller)
    assert proc.wait(timeout=600) == 1
    screen = ANSI.sub("", b"".join(chunks).decode("utf-8", "replace")).replace("\r", "")
    assert "Traceback" not in screen
    sections = re.split(r"── (\S+)/amd64 ──", screen)
    shown = dict(zip(sections[1::2], sections[2::2]))
    for name, message in GO_SAYS.items():
        assert message in shown[name], (name, screen[-3000:])
    assert CGO_HINT in shown["needscgo"]


def test_a_module_that_cannot_be_downloaded_fails_on_every_run(failures: tuple[Path, dict[str, str]]) -> None:
    project, env = failures
    for _ in range(2):
        proc = gobuild("build", "-C", str(project), "--only", "private", "--only", "good", env=env)
        assert proc.returncode == 1, proc.stderr
        shown = blocks(proc.stderr)
        assert "403 Forbidden" in shown["private"] and shown["good"].startswith("ok   good/amd64")
        assert "Traceback" not in proc.stderr
        # Imported twice (main and internal/audit), the refused module is reported once.
        assert shown["private"].count("403 Forbidden") == 1, shown["private"]


def test_a_group_whose_go_list_fails_does_not_stop_the_others(failures: tuple[Path, dict[str, str]]) -> None:
    project, env = failures
    # A go.mod Go cannot parse: go list itself exits 1 for that module's group.
    (project / "refused/go.mod").write_text("module example.com/failures/refused\n\nrequire (\n")
    proc = gobuild("build", "-C", str(project), "--only", "private", "--only", "good", env=env)
    assert proc.returncode == 1, proc.stderr
    shown = blocks(proc.stderr)
    assert "go.mod:" in shown["private"] and "$ " in shown["private"]
    assert shown["good"].startswith("ok   good/amd64")
    assert "Traceback" not in proc.stderr
