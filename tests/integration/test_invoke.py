"""`gobuild invoke` end to end: the real CLI running the real testdata functions (aws-lambda-go)."""

from __future__ import annotations

import json
import os
import platform
import re
import time
from pathlib import Path
from typing import Any

import pytest

from gobuild.build.package import ZipEntry, write_zip
from tests.integration.fixtures_build import gobuild
from tests.integration.fixtures_rie import arm64_runner

ORDER = '{"item": "x", "quantity": 2}'
ORDER_REPLY = {"function": "orders", "message": "2 x x", "total": 10}
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
AMD64_HOST = platform.machine().lower() in ("x86_64", "amd64")


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
    return gobuild("invoke", *args, input=input, env=env)


def report(proc: Any) -> dict[str, Any]:
    assert proc.stdout, proc.stderr
    document: dict[str, Any] = json.loads(proc.stdout)
    return document


# ─── A function of the manifest ─────────────────────────────────────────────────────────


@pytest.mark.skipif(not AMD64_HOST, reason="picks the amd64 build as the host's")
def test_function_response_on_stdout_and_its_logs_on_stderr(built_example: Path) -> None:
    proc = invoke("orders", "-C", str(built_example), "--event", ORDER)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ORDER_REPLY
    assert proc.stdout.count("\n") == 1
    assert 'orders: handling "x" x2' in proc.stderr  # the function's own log line
    assert re.search(rf"^START RequestId: {UUID} Version: \$LATEST$", proc.stderr, re.MULTILINE)
    assert re.search(
        rf"^REPORT RequestId: {UUID}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms$",
        proc.stderr,
        re.MULTILINE,
    )


@pytest.mark.skipif(not AMD64_HOST, reason="picks the amd64 build as the host's")
def test_several_events_are_served_by_one_warm_process(built_example: Path, tmp_path: Path) -> None:
    (tmp_path / "second.json").write_text('{"item": "pen", "quantity": 3}')
    proc = invoke(
        "orders",
        "-C",
        str(built_example),
        "--json",
        "-e",
        ORDER,
        "-e",
        str(tmp_path / "second.json"),
        "-e",
        "-",
        input='{"item": "cup", "quantity": 1}',
    )
    assert proc.returncode == 0, proc.stderr
    document = report(proc)
    assert (document["function"], document["arch"], document["ok"]) == ("orders", "amd64", True)
    first, second, third = document["invocations"]
    assert [i["response"] for i in document["invocations"]] == [
        ORDER_REPLY,
        {"function": "orders", "message": "3 x pen", "total": 15},
        {"function": "orders", "message": "1 x cup", "total": 5},
    ]
    # One init, then the same process: as a warm Lambda.
    assert [i["cold_start"] for i in document["invocations"]] == [True, False, False]
    assert first["init_duration_ms"] > 0 and second["init_duration_ms"] is None
    assert len({i["request_id"] for i in document["invocations"]}) == 3
    # Each invocation's logs are its own, from START to REPORT.
    assert 'orders: handling "pen" x3' in second["logs"]
    assert not any("pen" in line for line in first["logs"] + third["logs"])
    assert second["logs"][0] == f"START RequestId: {second['request_id']} Version: $LATEST"
    assert second["logs"][-1].startswith(f"REPORT RequestId: {second['request_id']}\t")


@pytest.mark.skipif(not AMD64_HOST, reason="picks the amd64 build as the host's")
def test_a_function_error_reports_its_type_and_message(built_example: Path) -> None:
    proc = invoke("orders", "-C", str(built_example), "--event", '{"fail": true}')
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {"errorMessage": "out of stock", "errorType": "errorString"}
    assert "error: orders: errorString: out of stock" in proc.stderr


@pytest.mark.skipif(not AMD64_HOST, reason="picks the amd64 build as the host's")
def test_a_crash_is_runtime_exit_error_and_the_next_event_starts_cold(built_example: Path) -> None:
    proc = invoke(
        "orders", "-C", str(built_example), "--json", "-e", '{"crash": true}', "-e", ORDER
    )
    assert proc.returncode == 1  # one of the two failed
    crashed, after = report(proc)["invocations"]
    assert crashed["error"]["errorType"] == "Runtime.ExitError"
    assert crashed["error"]["errorMessage"] == (
        f"RequestId: {crashed['request_id']} Error: Runtime exited with error: exit status 3"
    )
    assert crashed["response"] == crashed["error"]  # what Lambda's Invoke returns as the payload
    assert (after["ok"], after["cold_start"], after["response"]) == (True, True, ORDER_REPLY)
    assert "error: orders: 1 of 2 invocations failed (event 1: Runtime.ExitError: " in proc.stderr


@pytest.mark.skipif(not AMD64_HOST, reason="picks the amd64 build as the host's")
def test_past_the_timeout_the_process_is_killed(built_example: Path) -> None:
    started = time.monotonic()
    proc = invoke(
        "orders",
        "-C",
        str(built_example),
        "--timeout",
        "1",
        "--json",
        "-e",
        '{"sleep_ms": 20000}',
        "-e",
        ORDER,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 1
    timed_out, after = report(proc)["invocations"]
    assert timed_out["error"]["errorType"] == "Sandbox.Timedout"
    assert timed_out["error"]["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert any(
        line.endswith(f"{timed_out['request_id']} Task timed out after 1.00 seconds")
        for line in timed_out["logs"]
    )
    assert 1.0 <= timed_out["duration_ms"] / 1000 < 2.0
    assert (after["ok"], after["cold_start"]) == (
        True,
        True,
    )  # a new process replaced the killed one
    assert elapsed < 15, "the sleeping process must not be waited for"


@pytest.mark.skipif(not AMD64_HOST, reason="picks the amd64 build as the host's")
def test_no_event_sends_an_empty_object(built_example: Path) -> None:
    proc = invoke("orders", "-C", str(built_example))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"function": "orders", "message": "0 x nothing", "total": 0}


def test_invalid_event_json_is_exit_2(built_example: Path) -> None:
    proc = invoke("orders", "-C", str(built_example), "--event", '{"item": ')
    assert proc.returncode == 2
    assert "error: --event: invalid JSON at line 1 column 10" in proc.stderr
    assert proc.stdout == ""


def test_unknown_function_is_exit_2(built_example: Path) -> None:
    proc = invoke("oders", "-C", str(built_example))
    assert proc.returncode == 2
    assert "no function named 'oders'" in proc.stderr and "did you mean 'orders'?" in proc.stderr


def test_a_function_not_built_for_the_arch_is_exit_2(built_example: Path) -> None:
    proc = invoke("payments", "-C", str(built_example), "--arch", "amd64")
    assert proc.returncode == 2
    assert "payments is not built for amd64 (built: arm64)" in proc.stderr


# ─── A zip, and Lambda's environment ────────────────────────────────────────────────────


def test_the_function_sees_lambdas_environment(amd64_zips: dict[str, Path]) -> None:
    zip_path = amd64_zips["healthcheck"]
    proc = invoke(str(zip_path), "--event", '{"ping": [1, 2]}')
    assert proc.returncode == 0, proc.stderr
    reply = json.loads(proc.stdout)
    assert reply == {"status": "ok", "function": "healthcheck", "event": {"ping": [1, 2]}}
    # The function logged the request id it was sent in Lambda-Runtime-Aws-Request-Id.
    request_id = re.search(rf"^START RequestId: ({UUID})", proc.stderr, re.MULTILINE)
    assert request_id and f"healthcheck: request {request_id.group(1)}" in proc.stderr


def test_env_values_reach_the_function(amd64_zips: dict[str, Path]) -> None:
    proc = invoke(str(amd64_zips["healthcheck"]), "--env", "AWS_LAMBDA_FUNCTION_NAME=renamed")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["function"] == "renamed"


def test_a_reserved_env_value_is_exit_2(amd64_zips: dict[str, Path]) -> None:
    proc = invoke(str(amd64_zips["healthcheck"]), "--env", "LAMBDA_TASK_ROOT=/elsewhere")
    assert proc.returncode == 2
    assert "LAMBDA_TASK_ROOT: set by gobuild invoke" in proc.stderr


def test_a_zip_relative_to_the_directory_option(amd64_zips: dict[str, Path]) -> None:
    zip_path = amd64_zips["inventory"]
    proc = invoke(
        zip_path.name, "-C", str(zip_path.parent), "--event", '{"item": "bolt", "quantity": 4}'
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"function": "inventory", "message": "4 x bolt", "total": 44}


def test_missing_bootstrap_is_invalid_entrypoint(tmp_path: Path) -> None:
    zip_path = write_zip(tmp_path / "nothing.zip", [ZipEntry(name="README", data=b"hi")]).path
    proc = invoke(str(zip_path))
    assert proc.returncode == 1
    error = json.loads(proc.stdout)
    assert error["errorType"] == "Runtime.InvalidEntrypoint"
    assert re.fullmatch(
        rf"RequestId: {UUID} Error: fork/exec /\S+/bootstrap: no such file or directory",
        error["errorMessage"],
    )
    assert "Status: error\tError Type: Runtime.InvalidEntrypoint" in proc.stderr


def test_a_bootstrap_without_the_x_bit_is_invalid_entrypoint(
    tmp_path: Path, amd64_zips: dict[str, Path]
) -> None:
    import zipfile

    with zipfile.ZipFile(amd64_zips["orders"]) as archive:
        binary = archive.read("bootstrap")
    zip_path = write_zip(
        tmp_path / "orders.zip", [ZipEntry(name="bootstrap", data=binary, mode=0o644)]
    ).path
    proc = invoke(str(zip_path))
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["errorMessage"].endswith("/bootstrap: permission denied"), (
        proc.stderr
    )
    assert "bootstrap has mode 0644" in proc.stderr


# ─── arm64 ──────────────────────────────────────────────────────────────────────────────


def test_arm64_runs_through_qemu_when_installed(built_example: Path) -> None:
    arm64_runner()
    proc = invoke(
        "orders", "-C", str(built_example), "--arch", "arm64", "--json", "-e", ORDER, "-e", ORDER
    )
    assert proc.returncode == 0, proc.stderr
    document = report(proc)
    assert document["arch"] == "arm64"
    assert [i["response"] for i in document["invocations"]] == [ORDER_REPLY, ORDER_REPLY]
    assert [i["cold_start"] for i in document["invocations"]] == [True, False]


def test_an_arm64_only_function_runs_by_default(built_example: Path) -> None:
    arm64_runner()
    proc = invoke("healthcheck", "-C", str(built_example), "--event", "[]")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"status": "ok", "function": "healthcheck", "event": []}


@pytest.mark.skipif(not AMD64_HOST, reason="qemu is needed for arm64 only on an amd64 host")
def test_without_qemu_one_clear_line_says_so(built_example: Path, tmp_path: Path) -> None:
    proc = invoke(
        "orders",
        "-C",
        str(built_example),
        "--arch",
        "arm64",
        env={**os.environ, "PATH": str(tmp_path)},
    )
    assert proc.returncode == 3
    lines = proc.stderr.strip().splitlines()
    assert lines[0] == (
        "error: bootstrap is built for arm64 and this host is amd64: qemu-aarch64-static is not "
        "installed, so it cannot run here"
    )
    assert "apt-get install qemu-user-static" in lines[1]


# ─── Damaged zips (the whole table runs in-process in test_invoke_session.py) ───────────


def test_unsafe_entries_write_nothing_outside(
    broken_zips_amd64: dict[str, Path], tmp_path: Path
) -> None:
    temp = tmp_path / "a" / "b"
    temp.mkdir(parents=True)
    # The task root is a/b/gobuild-task-*; "../../etc/cron.d/evil" would land in a/etc.
    proc = invoke(str(broken_zips_amd64["dotdot"]), env={**os.environ, "TMPDIR": str(temp)})
    assert proc.returncode == 1
    assert (
        "error: dotdot.zip: entry ../../etc/cron.d/evil points outside the archive root (absolute path or '..')"
        in proc.stderr
    )
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["a", "a/b"]
