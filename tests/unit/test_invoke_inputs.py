"""gobuild invoke's inputs: events, --env, --timeout, architectures and FUNCTION|ZIP resolution."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from gobuild.build import artifacts
from gobuild.errors import EXIT_BAD_INPUT, StaleError, UsageError
from gobuild.invoke.inputs import (
    check_timeout,
    choose_arch,
    default_region,
    function_name_from_zip,
    host_arch,
    parse_env_assignments,
    parse_events,
    resolve_target,
)
from gobuild.invoke.taskroot import lambda_environment, log_stream_name, trace_id
from gobuild.lambda_facts import MAX_EVENT_BYTES
from gobuild.report import RecordingReporter


def no_stdin(limit: int) -> bytes:
    raise AssertionError("stdin must not be read")


def test_no_event_sends_an_empty_object(tmp_path: Path) -> None:
    assert parse_events([], read_stdin=no_stdin, cwd=tmp_path) == (b"{}",)


def test_inline_json_file_and_stdin_keep_their_order(tmp_path: Path) -> None:
    (tmp_path / "event.json").write_text('{"item": "from file"}\n')
    payloads = parse_events(
        ['{"item": "inline"}', "event.json", "-", "42"], read_stdin=lambda limit: b' ["stdin"] ', cwd=tmp_path
    )
    assert payloads == (b'{"item": "inline"}', b'{"item": "from file"}', b'["stdin"]', b"42")


def test_a_byte_order_mark_is_not_sent(tmp_path: Path) -> None:
    (tmp_path / "bom.json").write_bytes(b'\xef\xbb\xbf{"a": 1}')
    assert parse_events(["bom.json"], read_stdin=no_stdin, cwd=tmp_path) == (b'{"a": 1}',)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{"item": ', "--event: invalid JSON at line 1 column 10"),
        ("[1, 2", "--event: invalid JSON at line 1 column 6"),
        ("nope.json", "--event 'nope.json': no such file, and not valid JSON"),
    ],
)
def test_invalid_events_are_usage_errors(tmp_path: Path, value: str, expected: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_events([value], read_stdin=no_stdin, cwd=tmp_path)
    assert str(caught.value).startswith(expected)
    assert caught.value.exit_code == EXIT_BAD_INPUT


def test_invalid_json_in_a_file_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{\n  "a": 1,\n}\n')
    with pytest.raises(UsageError, match=r"^--event bad.json: invalid JSON at line 3 column 1"):
        parse_events(["bad.json"], read_stdin=no_stdin, cwd=tmp_path)


def test_stdin_is_read_once(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="only once"):
        parse_events(["-", "-"], read_stdin=lambda limit: b"{}", cwd=tmp_path)


def test_events_over_six_megabytes_are_refused(tmp_path: Path) -> None:
    big = json.dumps("x" * MAX_EVENT_BYTES)
    with pytest.raises(UsageError, match="6291456-byte limit"):
        parse_events([big], read_stdin=no_stdin, cwd=tmp_path)


def test_an_endless_event_is_read_only_one_byte_past_the_limit(tmp_path: Path) -> None:
    asked: list[int] = []

    def endless_stdin(limit: int) -> bytes:
        asked.append(limit)
        return b"[" * limit  # as much as asked for: /dev/zero or `yes` behind the pipe

    with pytest.raises(UsageError, match=r"^--event - \(standard input\): over the 6291456-byte limit"):
        parse_events(["-"], read_stdin=endless_stdin, cwd=tmp_path)
    assert asked == [MAX_EVENT_BYTES + 1]
    (tmp_path / "huge.json").write_bytes(b" " * (MAX_EVENT_BYTES + 10))
    with pytest.raises(UsageError, match=r"^--event huge\.json: over the 6291456-byte limit"):
        parse_events(["huge.json"], read_stdin=no_stdin, cwd=tmp_path)


def test_env_assignments_keep_the_last_value_and_allow_equals_signs() -> None:
    assert parse_env_assignments(["A=1", "B=x=y", "A=2", "EMPTY="]) == (("B", "x=y"), ("A", "2"), ("EMPTY", ""))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("NOVALUE", "expected NAME=VALUE"),
        ("1BAD=x", "not a valid environment variable name"),
        ("AWS_LAMBDA_RUNTIME_API=1.2.3.4:9", "cannot be changed"),
        ("_HANDLER=main", "cannot be changed"),
    ],
)
def test_bad_env_assignments(value: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_env_assignments([value])


@pytest.mark.parametrize("seconds", [0, -1, 900.5, float("nan")])
def test_timeouts_lambda_would_refuse(seconds: float) -> None:
    with pytest.raises(UsageError, match="--timeout"):
        check_timeout(seconds)


def test_timeouts_lambda_accepts() -> None:
    assert check_timeout(0.25) == 0.25
    assert check_timeout(900) == 900


def test_region_comes_from_the_given_environment() -> None:
    assert default_region({}) == "us-east-1"
    assert default_region({"AWS_DEFAULT_REGION": "eu-west-1"}) == "eu-west-1"
    assert default_region({"AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "eu-west-1"}) == "ap-south-1"


def test_host_machine_names_become_goarch() -> None:
    assert [host_arch(m) for m in ("x86_64", "AMD64", "aarch64", "arm64", "riscv64")] == [
        "amd64", "amd64", "arm64", "arm64", "riscv64"
    ]


def test_arch_choice_prefers_the_request_then_the_host_then_the_only_build() -> None:
    assert choose_arch("orders", ["amd64", "arm64"], "arm64", "amd64") == "arm64"
    assert choose_arch("orders", ["amd64", "arm64"], None, "amd64") == "amd64"
    assert choose_arch("orders", ["amd64", "arm64"], None, "arm64") == "arm64"
    assert choose_arch("payments", ["arm64"], None, "amd64") == "arm64"
    with pytest.raises(UsageError, match="choose one with --arch"):
        choose_arch("orders", ["amd64", "arm64"], None, "riscv64")
    with pytest.raises(UsageError, match=r"not built for amd64 \(built: arm64\)"):
        choose_arch("payments", ["arm64"], "amd64", "amd64")


def test_zip_names_give_the_function_name() -> None:
    assert function_name_from_zip(Path("dist/orders-arm64.zip")) == "orders"
    assert function_name_from_zip(Path("x/my-func-x86_64.zip")) == "my-func"
    assert function_name_from_zip(Path("plain.zip")) == "plain"
    assert function_name_from_zip(Path("-amd64.zip")) == "-amd64"


def test_lambda_environment_has_what_lambda_sets_and_user_values_win(tmp_path: Path) -> None:
    env = lambda_environment(
        function_name="orders", runtime_api="127.0.0.1:4321", task_root=tmp_path, memory_mb=128,
        region="eu-west-1", log_stream="2026/01/02/[$LATEST]abc", user_env=(("TZ", "Europe/Paris"), ("X", "1")),
    )
    assert env["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:4321"
    assert env["_HANDLER"] == "bootstrap"
    assert env["LAMBDA_TASK_ROOT"] == str(tmp_path)
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "orders"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/orders"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == "2026/01/02/[$LATEST]abc"
    assert env["TZ"] == "Europe/Paris" and env["X"] == "1"
    assert "HOME" not in env and "AWS_ACCESS_KEY_ID" not in env  # nothing leaks from the host
    # Lambda has no instance metadata service: SDKs must not reach the host's for credentials.
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"


def test_log_stream_and_trace_id_have_lambdas_shapes() -> None:
    from datetime import datetime, timezone

    assert log_stream_name(datetime(2026, 3, 4, tzinfo=timezone.utc), "f" * 32) == "2026/03/04/[$LATEST]" + "f" * 32
    assert trace_id(0x5BEF4DE7).startswith("Root=1-5bef4de7-")
    root, parent, sampled = trace_id(1).split(";")
    assert len(root.split("-")[2]) == 24 and len(parent.removeprefix("Parent=")) == 16 and sampled == "Sampled=0"


# FUNCTION resolution reads gobuild.toml and dist/artifacts.json.

MANIFEST = """
[[function]]
name = "orders"
package = "./cmd/orders"
architectures = ["amd64", "arm64"]

[[function]]
name = "payments"
package = "./cmd/payments"
"""


def artifact(**known: str) -> artifacts.Artifact:
    """An artifacts.json entry with the fields invoke reads; the others get empty values."""
    values: dict[str, object] = dict(known)
    for item in dataclasses.fields(artifacts.Artifact):
        required = item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING
        if required and item.name not in values:
            values[item.name] = 0 if item.type in ("int", int) else ""
    return artifacts.Artifact(**values)  # type: ignore[arg-type]


def write_project(root: Path, built: list[tuple[str, str]]) -> Path:
    (root / "go.mod").write_text("module example.com/shop\n\ngo 1.22\n")
    for name in ("orders", "payments"):
        (root / "cmd" / name).mkdir(parents=True)
        (root / "cmd" / name / "main.go").write_text("package main\n\nfunc main() {}\n")
    (root / "gobuild.toml").write_text(MANIFEST)
    dist = root / "dist"
    dist.mkdir()
    entries = []
    for name, arch in built:
        (dist / f"{name}-{arch}.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
        entries.append(artifact(name=name, arch=arch, path=f"{name}-{arch}.zip"))
    artifacts.save(dist / "artifacts.json", artifacts.ArtifactsFile(artifacts=tuple(entries), go_version="go1.26"))
    future = (dist / "artifacts.json").stat().st_mtime + 60
    os.utime(dist / "artifacts.json", (future, future))  # fresher than every source
    return root


def resolve(root: Path, target: str, arch: str | None = None, host: str = "amd64",
            reporter: RecordingReporter | None = None):  # type: ignore[no-untyped-def]
    return resolve_target(target, manifest_path=root / "gobuild.toml", cwd=root, arch=arch, host=host,
                          reporter=reporter)


def test_function_resolves_to_the_host_arch_zip(tmp_path: Path) -> None:
    root = write_project(tmp_path, [("orders", "amd64"), ("orders", "arm64"), ("payments", "arm64")])
    target = resolve(root, "orders")
    assert (target.function_name, target.arch) == ("orders", "amd64")
    assert target.zip_path == root / "dist" / "orders-amd64.zip"
    assert resolve(root, "orders", arch="arm64").zip_path == root / "dist" / "orders-arm64.zip"
    assert resolve(root, "orders", arch="x86_64").arch == "amd64"
    assert resolve(root, "payments").arch == "arm64"  # the only one built


def test_unknown_function_suggests_the_nearest_name(tmp_path: Path) -> None:
    root = write_project(tmp_path, [("orders", "amd64")])
    with pytest.raises(UsageError, match="no function named 'order'") as caught:
        resolve(root, "order")
    assert caught.value.hint == "did you mean 'orders'?"


def test_unbuilt_function_says_to_build(tmp_path: Path) -> None:
    root = write_project(tmp_path, [("orders", "amd64")])
    with pytest.raises(StaleError, match="no zip for 'payments'") as caught:
        resolve(root, "payments")
    assert "gobuild build" in (caught.value.hint or "")


def test_bad_arch_is_a_usage_error(tmp_path: Path) -> None:
    root = write_project(tmp_path, [("orders", "amd64")])
    with pytest.raises(UsageError, match="--arch 'x86'"):
        resolve(root, "orders", arch="x86")


def test_artifacts_that_may_not_match_the_manifest_give_a_warning(tmp_path: Path) -> None:
    # Freshness is by content (gobuild.build.fresh); source edits are covered with real Go in
    # tests/integration/test_fresh.py. Here the recorded settings differ from the manifest's.
    root = write_project(tmp_path, [("orders", "amd64")])
    reporter = RecordingReporter()
    resolve(root, "orders", reporter=reporter)
    assert reporter.warnings() == ["orders/amd64 was built with other settings than gobuild.toml gives now: "
                                   "the zip may not match the sources (run `gobuild build`)"]


def test_a_zip_path_is_taken_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "any-arm64.zip").write_bytes(b"")
    target = resolve(tmp_path, "any-arm64.zip", arch="arm64")
    assert (target.zip_path, target.function_name, target.arch) == (tmp_path / "any-arm64.zip", "any", "arm64")
    with pytest.raises(UsageError, match=r"missing\.zip: no such zip"):
        resolve(tmp_path, "missing.zip")
