"""How `gobuild check` shows a result: a table on a terminal, plain lines in logs, JSON."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.console import Console

from gobuild.cli.check import render_plain, render_table, summary_line
from gobuild.deploy.model import CheckResult, CodeRef, Finding, FunctionDef, FunctionResult, Place

PLACE = Place(file="template.yaml", line=12)


def result_of(*items: FunctionResult) -> CheckResult:
    return CheckResult(functions=items, files=("template.yaml",), today=date(2026, 11, 28))


def fn(name: str, line: int) -> FunctionDef:
    place = Place(file="template.yaml", line=line)
    return FunctionDef(name=name, format="sam", resource_type="AWS::Serverless::Function", place=place,
                       base_dir=Path("/p"), code=CodeRef(kind="path", place=place))


ERROR = Finding(code="GB207", severity="error", message="bootstrap is built for amd64, but the function is arm64",
                fix="build with GOARCH=arm64", place=Place(file="template.yaml", line=15))
INFO = Finding(code="GB208", severity="info", message="bootstrap: ELF 64-bit", place=PLACE)
RESULT = result_of(
    FunctionResult(function=fn("Orders", 12), runtime="provided.al2023", arch="arm64", code="dist/orders-arm64.zip",
                   language="go", go_version="go1.26.8", findings=(INFO,)),
    FunctionResult(function=fn("Wrong", 14), runtime="provided.al2", arch="arm64", code="dist/orders-amd64.zip",
                   language="go", go_version="go1.26.8", findings=(INFO, ERROR)),
    FunctionResult(function=fn("Report", 20), runtime="nodejs22.x", skipped="runtime nodejs22.x: not Go"),
)


def rendered(render: object, *, terminal: bool, verbose: bool = False) -> str:
    console = Console(record=True, width=200, force_terminal=terminal, color_system=None)
    render(RESULT, console, verbose=verbose)  # type: ignore[operator]
    return console.export_text()


def test_plain_lines_for_logs() -> None:
    lines = rendered(render_plain, terminal=False).splitlines()
    assert lines[0] == ("ok   Orders  template.yaml:12  provided.al2023 (until 2029-06-30)  arm64  go1.26.8  "
                        "dist/orders-arm64.zip")
    assert lines[1].startswith("FAIL Wrong   template.yaml:14  provided.al2 (updates blocked 2026-08-31)")
    assert lines[2] == ("  template.yaml:15: error GB207 bootstrap is built for amd64, but the function is arm64 "
                        "— fix: build with GOARCH=arm64")
    assert lines[3] == "skip Report  template.yaml:20  runtime nodejs22.x: not Go"
    assert lines[4] == ("3 functions in 1 file: 1 ok, 1 failed, 1 skipped; runtime dates as of 2026-11-28")
    assert "GB208" not in "\n".join(lines)
    assert "info GB208" in rendered(render_plain, terminal=False, verbose=True)


def test_a_table_on_a_terminal() -> None:
    text = rendered(render_table, terminal=True)
    header = next(line for line in text.splitlines() if "function" in line)
    assert all(column in header for column in ("function", "where", "runtime", "arch", "code"))
    assert "dist/orders-amd64.zip (go1.26.8)" in text
    assert "Wrong (template.yaml:14)" in text and "template.yaml:15: error GB207" in text
    assert text.rstrip().endswith("runtime dates as of 2026-11-28")


def test_plurals_and_the_json_document() -> None:
    single = result_of(RESULT.functions[0])
    assert summary_line(single).startswith("1 function in 1 file: 1 ok;")
    document = RESULT.to_dict(strict=False)
    assert document["ok"] is False and document["summary"] == {"ok": 1, "failed": 1, "not resolved": 0, "skipped": 1}
    wrong = document["functions"][1]
    assert (wrong["status"], wrong["errors"], wrong["file"], wrong["line"]) == ("failed", 1, "template.yaml", 14)
    assert wrong["findings"][1] == {"code": "GB207", "severity": "error", "message": ERROR.message,
                                    "fix": "build with GOARCH=arm64", "file": "template.yaml", "line": 15,
                                    "entry": None}
    assert document["functions"][2]["skipped"] == "runtime nodejs22.x: not Go"


def test_the_summary_counts_the_files_that_hold_functions_and_says_how_many_were_read() -> None:
    read = CheckResult(functions=RESULT.functions, files=("template.yaml", "variables.tf", "outputs.tf"),
                       today=date(2026, 11, 28))
    assert summary_line(read).startswith("3 functions in 1 file (3 read): 1 ok, 1 failed, 1 skipped;")
    empty = CheckResult(functions=(), files=("variables.tf",), today=date(2026, 11, 28))
    assert summary_line(empty).startswith("0 functions in 0 files (1 read): nothing to check;")
