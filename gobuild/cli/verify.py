"""`gobuild verify ZIP...`: checks zips for Lambda and prints the findings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from gobuild.cli.app import app, print_json, run

if TYPE_CHECKING:
    from gobuild.check.verify import Finding, Report

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


ZipsArgument = typer.Argument(metavar="ZIP", help="Zip files to check.", show_default=False)
ArchOption = typer.Option(
    "--arch", help="The function's architecture (amd64/x86_64 or arm64/aarch64); the bootstrap must match it."
)
JsonOption = typer.Option("--json", help="Print one JSON document on stdout.")
StrictOption = typer.Option("--strict", help="Fail on warnings too.")


@app.command("verify")
def verify_command(
    zips: Annotated[list[Path], ZipsArgument],
    arch: Annotated[str | None, ArchOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
    strict: Annotated[bool, StrictOption] = False,
) -> None:
    """Check that zips would run on Lambda (provided.al2023) without extracting them.

    Exits 1 when any zip has an error finding (or, with --strict, a warning).
    """
    from gobuild.check.verify import verify_paths  # imported here: only verify needs it at start-up

    reports = run(lambda: verify_paths(zips, arch=arch))
    failed = any(report.failed(strict=strict) for report in reports)
    if as_json:
        print_json(verify_document(reports, strict=strict))
    else:
        render(reports, Console(highlight=False, soft_wrap=True), strict=strict)
    if failed:
        raise typer.Exit(1)


def verify_document(reports: list[Report], *, strict: bool) -> dict[str, Any]:
    """The --json document: `ok` is what the exit code says; each archive has its findings."""
    return {
        "ok": not any(report.failed(strict=strict) for report in reports),
        "strict": strict,
        "archives": [report.to_dict() for report in reports],
    }


def render(reports: list[Report], console: Console, *, strict: bool) -> None:
    """One summary line per archive, then one line per finding: severity, code, message, fix."""
    for report in reports:
        console.print(summary_line(report, strict=strict))
        for finding in report.findings:
            console.print(finding_line(finding))


def summary_line(report: Report, *, strict: bool) -> str:
    verdict = "[bold red]FAIL[/]" if report.failed(strict=strict) else "[bold green]ok[/]  "
    facts = ", ".join(fact for fact in (report.arch, report.go_version) if fact)
    counts = _counts(report)
    detail = f" ({escape(facts)})" if facts else ""
    return f"{verdict} {escape(report.archive)}{detail}: {counts}"


def finding_line(finding: Finding) -> str:
    style = SEVERITY_STYLE[finding.severity]
    fix = f" [dim]— fix: {escape(finding.fix)}[/]" if finding.fix else ""
    return f"  [{style}]{finding.severity:<7}[/] {finding.code}  {escape(finding.message)}{fix}"


def _counts(report: Report) -> str:
    infos = len(report.findings) - len(report.errors) - len(report.warnings)
    parts = [
        _plural(len(report.errors), "error"),
        _plural(len(report.warnings), "warning"),
        f"{infos} info",
    ]
    return ", ".join(parts)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")
