"""InvokeSession in-process: real processes and a real Runtime API, without the CLI around them.

Besides the testdata functions, small Python bootstraps stand in for runtimes that misbehave
in ways aws-lambda-go never does (init errors, double answers, huge responses, signals).
"""

from __future__ import annotations

import json
import platform
import re
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from gobuild.build.package import ZipEntry, write_zip
from gobuild.errors import InvokeError
from gobuild.invoke.inputs import InvokeTarget, host_arch
from gobuild.invoke.results import InvocationResult, InvokeSettings
from gobuild.invoke.session import InvokeSession
from gobuild.report import RecordingReporter
from tests.conftest import TESTDATA
from tests.integration.fixtures_gobinaries import go_env, run_go
from tests.integration.fixtures_rie import arm64_runner

ORDER = b'{"item": "x", "quantity": 2}'
ORDER_REPLY = {"function": "orders", "message": "2 x x", "total": 10}
AMD64_HOST = platform.machine().lower() in ("x86_64", "amd64")

# Shared by the Python bootstraps: the Runtime API calls, with urllib.
RUNTIME = f"""#!{sys.executable}
import json, os, sys, time, urllib.error, urllib.request
API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/"

def call(path, body=None, headers=None):
    request = urllib.request.Request(API + path, data=body, headers=headers or {{}},
                                     method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()

def log(*args):
    print(*args, file=sys.stderr, flush=True)
"""


def run(
    zip_path: Path,
    events: list[bytes],
    *,
    name: str = "fn",
    arch: str | None = None,
    timeout: float = 3.0,
    init_timeout: float = 10.0,
) -> tuple[list[InvocationResult], list[str]]:
    """Invokes each event in one session; returns the results and every log line."""
    lines: list[str] = []
    settings = InvokeSettings(
        host_arch=host_arch(platform.machine()), timeout=timeout, init_timeout=init_timeout
    )
    target = InvokeTarget(zip_path=zip_path, function_name=name, arch=arch)
    with InvokeSession(target=target, settings=settings, log_sink=lines.append) as session:
        return [session.invoke(event) for event in events], lines


def script_zip(tmp_path: Path, body: str) -> Path:
    source = RUNTIME + textwrap.dedent(body)
    return write_zip(
        tmp_path / "script.zip", [ZipEntry(name="bootstrap", data=source.encode(), mode=0o755)]
    ).path


@pytest.fixture()
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Task roots go here, so a test can check that they are removed."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return temp


# ─── Runtimes that are not aws-lambda-go ────────────────────────────────────────────────


def test_the_runtime_gets_lambdas_headers_and_environment(
    tmp_path: Path, private_tmp: Path
) -> None:
    zip_path = script_zip(
        tmp_path,
        """
        while True:
            status, headers, event = call("invocation/next")
            names = ("AWS_LAMBDA_RUNTIME_API", "_HANDLER", "LAMBDA_TASK_ROOT", "AWS_LAMBDA_FUNCTION_NAME",
                     "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_REGION",
                     "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "HOME")
            reply = {"headers": {k.lower(): v for k, v in headers.items()}, "event": json.loads(event),
                     "env": {n: os.environ.get(n) for n in names}, "cwd": os.getcwd(), "now": time.time()}
            call("invocation/" + headers["Lambda-Runtime-Aws-Request-Id"] + "/response", json.dumps(reply).encode())
    """,
    )
    started = time.time()
    (result,), _ = run(zip_path, [b'{"a": 1}'], name="orders", timeout=7)
    assert result.ok, result.payload
    reply = json.loads(result.payload)
    headers, env = reply["headers"], reply["env"]
    assert headers["lambda-runtime-aws-request-id"] == result.request_id
    deadline = int(headers["lambda-runtime-deadline-ms"]) / 1000
    assert started + 7 <= deadline <= reply["now"] + 7 + 0.01  # now + timeout, in Unix milliseconds
    assert (
        headers["lambda-runtime-invoked-function-arn"]
        == "arn:aws:lambda:us-east-1:012345678912:function:orders"
    )
    assert headers["lambda-runtime-trace-id"].startswith("Root=1-")
    assert headers["content-type"] == "application/json"
    assert reply["event"] == {"a": 1}
    assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")
    assert env["LAMBDA_TASK_ROOT"] == reply["cwd"] and Path(reply["cwd"]).parent == private_tmp
    assert (
        env["_HANDLER"],
        env["AWS_LAMBDA_FUNCTION_NAME"],
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"],
    ) == ("bootstrap", "orders", "128")
    assert (env["AWS_LAMBDA_FUNCTION_VERSION"], env["AWS_REGION"]) == ("$LATEST", "us-east-1")
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/orders"
    assert "/[$LATEST]" in env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert env["HOME"] is None  # the host's environment does not leak in
    assert list(private_tmp.iterdir()) == []  # the task root is removed


def test_an_init_error_is_reported_as_the_runtime_posted_it(tmp_path: Path) -> None:
    zip_path = script_zip(
        tmp_path,
        """
        body = json.dumps({"errorMessage": "cannot load handler", "errorType": "Runtime.HandlerNotFound"})
        status, _, _ = call("init/error", body.encode(), {"Lambda-Runtime-Function-Error-Type": "Runtime.HandlerNotFound"})
        time.sleep(30)  # Lambda stops the process; it must not be waited for
    """,
    )
    started = time.monotonic()
    (result,), lines = run(zip_path, [b"{}"])
    assert time.monotonic() - started < 10
    assert (result.error_type, result.error_message, result.cold_start) == (
        "Runtime.HandlerNotFound",
        "cannot load handler",
        True,
    )
    assert json.loads(result.payload) == {
        "errorMessage": "cannot load handler",
        "errorType": "Runtime.HandlerNotFound",
    }
    assert any(
        line.startswith("INIT_REPORT") and "Error Type: Runtime.HandlerNotFound" in line
        for line in lines
    )


def test_an_exit_during_init_is_runtime_exit_error(tmp_path: Path) -> None:
    zip_path = script_zip(
        tmp_path,
        """
        log("missing configuration")
        sys.exit(7)
    """,
    )
    (first, second), lines = run(zip_path, [b"{}", b"{}"])
    for result in (first, second):  # each invocation tries a fresh init, as Lambda does
        assert result.error_type == "Runtime.ExitError" and result.cold_start
        assert (
            result.error_message
            == f"RequestId: {result.request_id} Error: Runtime exited with error: exit status 7"
        )
    assert lines.count("missing configuration") == 2


def test_a_runtime_that_never_asks_for_work_times_out_in_init(tmp_path: Path) -> None:
    zip_path = script_zip(
        tmp_path,
        """
        log("initialising forever")
        time.sleep(60)
    """,
    )
    started = time.monotonic()
    (result,), lines = run(zip_path, [b"{}"], timeout=0.5, init_timeout=0.5)
    assert (
        1.0 <= time.monotonic() - started < 5
    )  # Lambda's init limit, then the retried init's timeout
    assert result.error_type == "Sandbox.Timedout"
    assert (
        result.error_message
        == f"RequestId: {result.request_id} Error: Task timed out after 0.50 seconds"
    )
    assert any(
        line.startswith("INIT_REPORT") and line.endswith("Status: timeout") for line in lines
    )


@pytest.mark.skipif(not AMD64_HOST, reason="the binary is built for amd64")
def test_a_function_built_before_the_runtime_api_hangs_in_init(
    old_lambda_binary: Path, tmp_path: Path
) -> None:
    # aws-lambda-go v1.17.0 waits for Lambda's old RPC protocol; provided.al2023 never speaks it.
    zip_path = write_zip(
        tmp_path / "old.zip",
        [ZipEntry(name="bootstrap", data=old_lambda_binary.read_bytes(), mode=0o755)],
    ).path
    reporter = RecordingReporter()
    settings = InvokeSettings(host_arch=host_arch(platform.machine()), timeout=0.5, init_timeout=0.5)
    target = InvokeTarget(zip_path=zip_path, function_name="old")
    with InvokeSession(target=target, settings=settings, log_sink=lambda line: None, reporter=reporter) as session:
        result = session.invoke(b"{}")
    assert result.error_type == "Sandbox.Timedout"
    # The user learns why before the timeout, with the fix.
    (warning,) = reporter.warnings()
    assert "aws-lambda-go v1.17.0, which predates the Lambda Runtime API" in warning
    assert "go get github.com/aws/aws-lambda-go@latest" in warning



@pytest.mark.skipif(not AMD64_HOST, reason="the binary is built for amd64")
def test_an_http_server_zipped_as_a_function_is_named_before_it_times_out(tmp_path: Path) -> None:
    # testdata/realworld/http-server-main's server: no aws-lambda-go, no Runtime API (D22).
    module = TESTDATA / "realworld/http-server-main"
    binary = tmp_path / "server"
    run_go(["build", "-trimpath", "-o", str(binary), "./cmd/server"], cwd=module, env=go_env(GOARCH="amd64"))
    zip_path = write_zip(tmp_path / "server.zip", [ZipEntry(name="bootstrap", data=binary.read_bytes(), mode=0o755)]).path
    reporter = RecordingReporter()
    settings = InvokeSettings(host_arch=host_arch(platform.machine()), timeout=0.5, init_timeout=0.5)
    target = InvokeTarget(zip_path=zip_path, function_name="server")
    with InvokeSession(target=target, settings=settings, log_sink=lambda line: None, reporter=reporter) as session:
        result = session.invoke(b"{}")
    assert result.error_type == "Sandbox.Timedout"
    (warning,) = reporter.warnings()
    assert "does not use github.com/aws/aws-lambda-go" in warning and "GB309" in warning


def test_a_second_answer_for_one_request_is_refused(tmp_path: Path) -> None:
    zip_path = script_zip(
        tmp_path,
        """
        while True:
            _, headers, event = call("invocation/next")
            rid = headers["Lambda-Runtime-Aws-Request-Id"]
            first, _, _ = call("invocation/" + rid + "/response", b'"first"')
            second, _, body = call("invocation/" + rid + "/response", b'"second"')
            unknown, _, _ = call("invocation/not-a-request/error", b'{}')
            log("answers", first, second, json.loads(body)["errorType"], unknown)
            log("after the response, before next")
    """,
    )
    (one, two), lines = run(zip_path, [b"{}", b"{}"])
    assert (one.payload, two.payload) == (b'"first"', b'"first"')
    assert lines.count("answers 202 400 InvalidRequestID 400") == 2
    # Output written after the response but before the next /next belongs to that invocation.
    assert "after the response, before next" in one.logs
    assert not two.cold_start


def test_a_function_error_with_only_a_header_type(tmp_path: Path) -> None:
    zip_path = script_zip(
        tmp_path,
        """
        while True:
            _, headers, _ = call("invocation/next")
            call("invocation/" + headers["Lambda-Runtime-Aws-Request-Id"] + "/error", b"not json",
                 {"Lambda-Runtime-Function-Error-Type": "Function.Custom"})
    """,
    )
    (result,), _ = run(zip_path, [b"{}"])
    assert (result.error_type, result.error_message, result.payload) == (
        "Function.Custom",
        "not json",
        b"not json",
    )


def test_a_response_over_six_megabytes_is_a_function_error(tmp_path: Path) -> None:
    zip_path = script_zip(
        tmp_path,
        """
        while True:
            _, headers, _ = call("invocation/next")
            rid = headers["Lambda-Runtime-Aws-Request-Id"]
            try:
                status, _, _ = call("invocation/" + rid + "/response", b'"' + b"x" * (7 * 1024 * 1024) + b'"')
            except OSError as error:  # the server may close before all of it is sent
                status = type(error).__name__
            log("big response answered", status)
    """,
    )
    (result, after), _ = run(zip_path, [b"{}", b"{}"])
    assert result.error_type == "Function.ResponseSizeTooLarge"
    assert (
        result.error_message
        == "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
    )
    assert after.error_type == "Function.ResponseSizeTooLarge"  # the process lived on, warm
    assert not after.cold_start


def test_a_signal_is_reported_as_go_words_it(tmp_path: Path) -> None:
    zip_path = script_zip(
        tmp_path,
        """
        import signal
        call("invocation/next")
        os.kill(os.getpid(), signal.SIGSEGV)
    """,
    )
    (result,), _ = run(zip_path, [b"{}"])
    assert result.error_message == (
        f"RequestId: {result.request_id} Error: Runtime exited with error: signal: segmentation fault"
    )


def test_a_script_bootstrap_runs_as_it_is(tmp_path: Path) -> None:
    zip_path = write_zip(
        tmp_path / "sh.zip",
        [
            ZipEntry(name="bootstrap", data=b"#!/bin/sh\nexec ./bin/real-bootstrap\n", mode=0o755),
            ZipEntry(
                name="bin/real-bootstrap",
                data=(
                    RUNTIME
                    + textwrap.dedent("""
            while True:
                _, headers, event = call("invocation/next")
                call("invocation/" + headers["Lambda-Runtime-Aws-Request-Id"] + "/response", event)
        """)
                ).encode(),
                mode=0o755,
            ),
        ],
    ).path
    (result,), _ = run(zip_path, [b'[1, "two"]'])
    assert result.ok and json.loads(result.payload) == [1, "two"]


# ─── The real functions ─────────────────────────────────────────────────────────────────


@pytest.mark.skipif(not AMD64_HOST, reason="amd64 zips")
def test_the_deadline_reaches_the_handlers_context(amd64_zips: dict[str, Path]) -> None:
    # shop.Handle stops sleeping when its context ends; the context ends at our deadline,
    # and an answer that comes after the deadline is a timeout, not "context deadline exceeded".
    (result,), _ = run(amd64_zips["orders"], [b'{"sleep_ms": 60000}'], timeout=0.5)
    assert result.error_type == "Sandbox.Timedout"
    assert result.error_message.endswith("Task timed out after 0.50 seconds")


@pytest.mark.skipif(not AMD64_HOST, reason="amd64 zips")
def test_an_arm64_bootstrap_declared_amd64_is_an_exec_format_error(built_example: Path) -> None:
    (result,), lines = run(built_example / "dist" / "orders-arm64.zip", [ORDER], arch="amd64")
    assert result.error_type == "Runtime.InvalidEntrypoint"
    assert result.error_message.endswith("/bootstrap: exec format error")
    assert "bootstrap is built for arm64, but the function's architecture is amd64" in lines


def test_every_function_answers_on_arm64(built_example: Path) -> None:
    arm64_runner()
    for name in ("payments", "inventory"):
        (result,), _ = run(built_example / "dist" / f"{name}-arm64.zip", [ORDER], name=name)
        assert result.ok, result.payload
        assert json.loads(result.payload)["function"] == name


# ─── Damaged zips: what Lambda would report ─────────────────────────────────────────────

OK = "ok"
BROKEN_ZIPS: dict[str, tuple[str | None, str]] = {
    # case: (errorType, or OK, or None when the zip is refused before running; text expected)
    "good": (OK, ""),
    "good-stored": (OK, ""),
    "symlink": (OK, ""),
    "empty": ("Runtime.InvalidEntrypoint", "bootstrap: no such file or directory"),
    "nested": ("Runtime.InvalidEntrypoint", "bootstrap: no such file or directory"),
    "go1x": ("Runtime.InvalidEntrypoint", "bootstrap: no such file or directory"),
    "windows": ("Runtime.InvalidEntrypoint", "bootstrap: permission denied"),
    "no-exec": ("Runtime.InvalidEntrypoint", "bootstrap: permission denied"),
    "owner-only": ("Runtime.InvalidEntrypoint", "bootstrap: permission denied"),
    "directory": ("Runtime.InvalidEntrypoint", "bootstrap: permission denied"),
    "zero-byte": ("Runtime.InvalidEntrypoint", "bootstrap: exec format error"),
    "windows-exe": ("Runtime.InvalidEntrypoint", "bootstrap: exec format error"),
    "wrong-arch": ("Runtime.InvalidEntrypoint", "bootstrap: exec format error"),
    "elf32": ("Runtime.InvalidEntrypoint", "bootstrap: exec format error"),
    "object-file": ("Runtime.InvalidEntrypoint", "bootstrap: exec format error"),
    "script-crlf": ("Runtime.InvalidEntrypoint", "bootstrap: no such file or directory"),
    "dynamic-musl": ("Runtime.InvalidEntrypoint", "bootstrap: no such file or directory"),
    "script": ("Runtime.ExitError", "Runtime exited with error: exit status 127"),
    # Refused as `gobuild verify` refuses the archive, with its message (gobuild.check.archive).
    "symlink-dangling": (None, "bootstrap is a symlink to /usr/local/bin/orders, which is not a file"),
    "duplicates": (None, "entry bootstrap appears 2 times"),
    "encrypted": (None, "entry bootstrap is encrypted; Lambda cannot decrypt it"),
    "dotdot": (None, "entry ../../etc/cron.d/evil points outside the archive root"),
    "absolute": (None, "entry /etc/passwd points outside the archive root"),
    "deflate64": (None, "compressed with Deflate64 (method 9); Lambda only unzips stored and deflate"),
    "bzip2": (None, "compressed with bzip2 (method 12)"),
    "lzma": (None, "compressed with LZMA (method 14)"),
    "truncated": (None, "not a readable zip"),
    "random": (None, "not a readable zip"),
    "corrupt-data": (None, "entry bootstrap is corrupt"),
    "bomb-declared": (None, "unzipped; Lambda allows 250.0 MiB"),
    "bomb-real": (None, "unzipped; Lambda allows 250.0 MiB"),
    "bomb-lying": (None, "zip bomb"),
    "bomb-deflate64": (None, "compressed with Deflate64 (method 9)"),
}


@pytest.mark.skipif(not AMD64_HOST, reason="the cases wrap an amd64 binary")
@pytest.mark.parametrize("case", sorted(BROKEN_ZIPS))
def test_damaged_zips_fail_as_lambda_would(
    case: str, broken_zips_amd64: dict[str, Path], private_tmp: Path
) -> None:
    error_type, text = BROKEN_ZIPS[case]
    if error_type is None:
        with pytest.raises(InvokeError, match=re.escape(text)):
            run(broken_zips_amd64[case], [ORDER], name="orders", arch="amd64")
    else:
        (result,), _ = run(broken_zips_amd64[case], [ORDER], name="orders", arch="amd64")
        if error_type == OK:
            assert result.ok and json.loads(result.payload) == ORDER_REPLY
        else:
            assert result.error_type == error_type
            assert text in (result.error_message or "")
    assert list(private_tmp.iterdir()) == []  # the task root is removed, whatever happened


@pytest.mark.skipif(not AMD64_HOST, reason="the cases wrap an amd64 binary")
def test_damaged_zips_outside_the_table_are_handled_safely(
    broken_zips_amd64: dict[str, Path], private_tmp: Path
) -> None:
    # Cases added to make_broken_zips.py later, and ELF files that do nothing useful when run
    # (their outcome depends on the host): whatever happens is a result or an InvokeError.
    for case in sorted(set(broken_zips_amd64) - set(BROKEN_ZIPS)):
        try:
            (result,), _ = run(
                broken_zips_amd64[case], [ORDER], name="orders", arch="amd64", timeout=2
            )
        except InvokeError:
            pass
        else:
            assert result.ok or result.error_type, case
        assert list(private_tmp.iterdir()) == [], case
