"""Runtime dates on a given day, and the definition checks: Handler, Architectures, limits, names."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gobuild.deploy.model import CodeRef, FunctionDef, ListValue, Place, Value
from gobuild.deploy.rules import definition_findings, judge_runtime
from gobuild.lambda_facts import RESERVED_ENV_NAMES, RUNTIME_DATES, Arch, is_reserved_env

HERE = Place(file="template.yaml", line=3)


def value(text: str | None, line: int = 7, written: str | None = None) -> Value:
    return Value(text=text, written=written or str(text), place=Place(file="template.yaml", line=line))


def function(**fields: object) -> FunctionDef:
    defaults: dict[str, object] = {
        "name": "OrdersFunction", "format": "sam", "resource_type": "AWS::Serverless::Function",
        "place": HERE, "base_dir": Path("/project"), "code": CodeRef(kind="path", place=HERE, path=Path("x.zip")),
        "runtime": value("provided.al2023"), "handler": value("bootstrap", 8),
    }
    defaults.update(fields)
    return FunctionDef(**defaults)  # type: ignore[arg-type]


def test_the_dates_are_awss_and_in_order() -> None:
    assert (RUNTIME_DATES["provided.al2023"].deprecated, RUNTIME_DATES["provided.al2023"].create_blocked,
            RUNTIME_DATES["provided.al2023"].update_blocked) == ("2029-06-30", "2029-07-31", "2029-08-31")
    assert RUNTIME_DATES["provided.al2"].deprecated == "2026-06-30"
    assert RUNTIME_DATES["provided.al2"].update_blocked == "2026-08-31"
    for dates in RUNTIME_DATES.values():
        assert dates.deprecated <= dates.create_blocked <= dates.update_blocked


@pytest.mark.parametrize(("day", "state"), [
    ("2026-05-01", "supported; deprecated on 2026-06-30, in 60 days"),
    ("2026-07-01", "deprecated; new functions are refused on 2026-07-31, in 30 days"),
    ("2026-08-30", "new functions are refused; updates stop on 2026-08-31, in 1 day"),
    ("2026-08-31", "updates are blocked: a deploy that changes this function fails"),
])
def test_provided_al2_is_an_error_whose_message_says_what_today_allows(day: str, state: str) -> None:
    verdict = judge_runtime(function(runtime=value("provided.al2")), date.fromisoformat(day))
    (found,) = verdict.findings
    assert (found.code, found.severity, found.place) == ("GB401", "error", value("x").place)
    assert found.message.endswith(f"on {day} {state}")
    assert "deprecated 2026-06-30, function creation blocked 2026-07-31, updates blocked 2026-08-31" in found.message
    assert "provided.al2023" in found.fix


def test_go1x_was_retired_long_ago() -> None:
    (found,) = judge_runtime(function(runtime=value("go1.x")), date(2026, 11, 28)).findings
    assert found.code == "GB401" and "2024-01-08" in found.message and "updates are blocked" in found.message


def test_provided_al2023_is_fine_until_2029_and_then_not() -> None:
    (found,) = judge_runtime(function(), date(2026, 11, 28)).findings
    assert (found.code, found.severity) == ("GB402", "info")
    assert "deprecated on 2029-06-30, in 945 days" in found.message
    (later,) = judge_runtime(function(), date(2029, 7, 1)).findings
    assert later.code == "GB401" and "successor" in later.fix


@pytest.mark.parametrize("runtime", ["nodejs22.x", "python3.13", "java21", "dotnet8", "ruby3.4", "nodejs26.x"])
def test_other_languages_are_skipped(runtime: str) -> None:
    verdict = judge_runtime(function(runtime=value(runtime)), date(2026, 11, 28))
    assert verdict.skip == f"runtime {runtime}: not Go" and not verdict.findings


def test_runtimes_gobuild_does_not_know() -> None:
    (unknown,) = judge_runtime(function(runtime=value("provided.al3")), date(2026, 11, 28)).findings
    assert unknown.code == "GB403"
    assert judge_runtime(function(runtime=value("rust1.x")), date(2026, 11, 28)).skip


def test_a_missing_runtime() -> None:
    (missing,) = judge_runtime(function(runtime=None), date(2026, 11, 28)).findings
    assert (missing.code, missing.place) == ("GB404", HERE)
    serverless = judge_runtime(function(runtime=None, default_runtime="nodejs"), date(2026, 11, 28))
    assert serverless.skip == "no runtime: nodejs"


def test_an_unresolved_runtime_lets_the_code_decide() -> None:
    verdict = judge_runtime(function(runtime=value(None, written="!Ref Runtime")), date(2026, 11, 28))
    assert not verdict.known and verdict.findings[0].code == "GB410"
    assert "!Ref Runtime" in verdict.findings[0].message


def test_custom_runtimes_need_runtime_config() -> None:
    bare = judge_runtime(function(runtime=value("custom")), date(2026, 11, 28))
    assert bare.custom and bare.findings[0].code == "GB405"
    arn = "arn:aws:lambda:eu-west-1:123456789012:runtime/go"
    configured = judge_runtime(function(runtime=value("custom"), runtime_config=value(arn, 12)), date(2026, 11, 28))
    assert configured.findings[0].code == "GB406" and arn in configured.findings[0].message


def test_handler_is_required_for_zips() -> None:
    found, _ = definition_findings(function(handler=None), zip_code=True)
    assert [f.code for f in found] == ["GB420"]
    assert definition_findings(function(handler=None), zip_code=False)[0] == []


@pytest.mark.parametrize(("items", "arch", "codes"), [
    (None, Arch.AMD64, []),  # absent: Lambda's default
    (("arm64",), Arch.ARM64, []),
    (("x86_64",), Arch.AMD64, []),
    (("amd64",), Arch.AMD64, ["GB421"]),  # Go's name: Lambda refuses it, but the meaning is clear
    (("aarch64",), Arch.ARM64, ["GB421"]),
    (("x86_64", "arm64"), None, ["GB421"]),
    (("sparc",), None, ["GB421"]),
])
def test_architectures(items: tuple[str, ...] | None, arch: Arch | None, codes: list[str]) -> None:
    declared = None if items is None else ListValue(items=items, written=str(list(items)), place=HERE)
    found, chosen = definition_findings(function(architectures=declared), zip_code=True)
    assert chosen is arch and [f.code for f in found] == codes


def test_unresolved_architectures_are_not_compared() -> None:
    declared = ListValue(items=None, written="!If [IsArm, [arm64], [x86_64]]", place=HERE)
    found, chosen = definition_findings(function(architectures=declared), zip_code=True)
    assert chosen is None and [f.code for f in found] == ["GB410"]


@pytest.mark.parametrize(("timeout", "memory", "codes"), [
    ("1", "128", []), ("900", "10240", []), ("0", "127", ["GB422", "GB423"]),
    ("901", "10241", ["GB422", "GB423"]), ("2.5", "abc", ["GB422", "GB423"]), ("inf", "nan", ["GB422", "GB423"]),
])
def test_timeout_and_memory_limits(timeout: str, memory: str, codes: list[str]) -> None:
    found, _ = definition_findings(function(timeout=value(timeout, 9), memory=value(memory, 10)), zip_code=True)
    assert [f.code for f in found] == codes
    assert [f.place.line for f in found if f.place] == [9, 10][: len(codes)]


def test_an_unresolved_limit_is_noted_not_failed() -> None:
    found, _ = definition_findings(function(timeout=value(None, 9, "!If [IsProd, 30, 10]")), zip_code=True)
    assert [(f.code, f.severity) for f in found] == [("GB418", "info")]


def test_reserved_environment_names() -> None:
    assert is_reserved_env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") and is_reserved_env("_X_AMZN_TRACE_ID")
    assert not is_reserved_env("AWS_LAMBDA_EXEC_WRAPPER") and not is_reserved_env("TZ")
    names = (("STAGE", Place(file="t", line=1)), ("AWS_SESSION_TOKEN", Place(file="t", line=2)))
    found, _ = definition_findings(function(environment=names), zip_code=True)
    assert [(f.code, f.place) for f in found] == [("GB424", Place(file="t", line=2))]
    assert len(set(RESERVED_ENV_NAMES)) == len(RESERVED_ENV_NAMES)
