"""`gobuild check [PATH...]`: the deployment definitions and their code, checked before deploying.

A table per function on a terminal, plain lines otherwise (CI logs, `make`, pre-commit), or one
JSON document with --json. Exit 0 when no function has an error (1 with one; with --strict, a
warning counts too), 2 for bad input: a path that does not exist, a definition that does not parse.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gobuild.cli.app import app, err_console, escape, print_json, run
from gobuild.errors import EXIT_FAILED, UsageError
from gobuild.lambda_facts import RUNTIME_DATES, TARGET_RUNTIME, Arch
from gobuild.lines import plural

if TYPE_CHECKING:
    from rich.console import Console

    from gobuild.deploy.model import CheckResult, Finding, FunctionResult

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
STATUS_STYLE = {"ok": "bold green", "failed": "bold red", "not resolved": "yellow", "skipped": "dim"}
STATUS_MARK = {"ok": "ok", "failed": "FAIL", "not resolved": "open", "skipped": "skip"}

PathsArgument = typer.Argument(
    metavar="[PATH]...", show_default=False,
    help="Templates, serverless.yml, .tf files or folders (default: search the current folder).",
)


@app.command("check")
def check_command(
    paths: Annotated[list[Path] | None, PathsArgument] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Show info findings too.")] = False,
    today: Annotated[str | None, typer.Option(
        "--today", metavar="YYYY-MM-DD", help="Judge runtime dates as of this day (default: today).")] = None,
    endpoint_url: Annotated[str | None, typer.Option(
        "--endpoint-url", help="S3-compatible server for code in S3.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="AWS region for code in S3.")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile for code in S3.")] = None,
    jobs: Annotated[int, typer.Option("-j", "--jobs", min=1, help="Functions checked at once.")] = 4,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Verify every zip again instead of reusing verdicts on unchanged ones.")] = False,
) -> None:
    """Check SAM, CloudFormation, Serverless and Terraform Lambda functions and their code
    before deploying: runtime dates, definition limits, and every zip through verify."""
    from gobuild.deploy import CheckOptions, check_deployment  # imported here: only check needs it
    from gobuild.deploy.verdicts import default_path

    options = CheckOptions(today=run(lambda: _day(today)), endpoint_url=endpoint_url, region=region,
                           profile=profile, base=Path.cwd(), jobs=jobs,
                           verdicts=None if no_cache else default_path())
    result = run(lambda: check_deployment(paths or [], options))
    if not as_json:
        for warning in result.warnings:
            err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    if as_json:
        print_json(result.to_dict(strict=strict))
    elif not result.files:
        searched = ", ".join(str(path) for path in paths) if paths else "."
        err_console.print(f"no deployment definitions found under {searched}")
        _cdk_hint(paths or [Path(".")])
    else:
        from rich.console import Console

        console = Console(highlight=False, soft_wrap=True)
        if console.is_terminal:
            render_table(result, console, verbose=verbose)
        else:
            render_plain(result, console, verbose=verbose)
    if result.failed(strict=strict):
        raise typer.Exit(EXIT_FAILED)


def _day(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--today {text!r} is not a date", hint="write it as YYYY-MM-DD") from None


def render_plain(result: CheckResult, console: Console, *, verbose: bool) -> None:
    """One line per function (status, name, where, runtime, arch, Go version, code), then its findings."""
    width = max(len(r.function.name) for r in result.functions) if result.functions else 0
    for item in result.functions:
        style = STATUS_STYLE[item.status]
        console.print(f"[{style}]{STATUS_MARK[item.status]:<4}[/] {escape(item.function.name):<{width}}  "
                      f"{escape(str(item.function.place))}  {escape(describe(item))}")
        for found in shown_findings(item, verbose=verbose):
            console.print("  " + finding_line(found))
    console.print(summary_line(result))


def render_table(result: CheckResult, console: Console, *, verbose: bool) -> None:
    """A table of the functions, then each function's findings under its name."""
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for column in ("", "function", "where", "runtime", "arch", "code"):
        table.add_column(column)
    for item in result.functions:
        style = STATUS_STYLE[item.status]
        code = item.skipped or item.code or "—"
        if item.go_version:
            code += f" ({item.go_version})"
        table.add_row(f"[{style}]{STATUS_MARK[item.status]}[/]", escape(item.function.name),
                      escape(str(item.function.place)), escape(runtime_text(item)), lambda_arch(item) or "—",
                      escape(code))
    console.print(table)
    for item in result.functions:
        findings = shown_findings(item, verbose=verbose)
        if findings:
            console.print(f"\n[bold]{escape(item.function.name)}[/] [dim]({escape(str(item.function.place))})[/]")
            for found in findings:
                console.print("  " + finding_line(found))
    console.print("\n" + summary_line(result))


def describe(item: FunctionResult) -> str:
    if item.skipped:
        return item.skipped
    facts = [runtime_text(item), lambda_arch(item), item.go_version, item.code]
    return "  ".join(fact for fact in facts if fact)


def lambda_arch(item: FunctionResult) -> str:
    """The architecture as the definition spells it (x86_64, arm64); JSON keeps Go's name."""
    found = Arch.parse(item.arch) if item.arch else None
    return found.lambda_name if found else item.arch


def runtime_text(item: FunctionResult) -> str:
    """The runtime, with the date that matters for it: deprecation, or the update block."""
    dates = RUNTIME_DATES.get(item.runtime)
    if dates is None:
        return item.runtime or "—"
    if item.runtime == TARGET_RUNTIME:
        return f"{item.runtime} (until {dates.deprecated})"
    return f"{item.runtime} (updates blocked {dates.update_blocked})"


def _cdk_hint(paths: list[Path]) -> None:
    """A CDK app deploys the templates `cdk synth` writes: say where they are."""
    from gobuild.deploy.discover import cdk_output

    for path in paths:
        output = cdk_output(path) if path.is_dir() else None
        if output is not None:
            err_console.print(f"hint: {escape(str(path))} is a CDK app (cdk.json): `cdk synth` writes the templates "
                              f"it deploys to {escape(str(output))}; check those: gobuild check {escape(str(output))}")
            return


def shown_findings(item: FunctionResult, *, verbose: bool) -> list[Finding]:
    chosen = [f for f in item.findings if verbose or f.severity != "info"]
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(chosen, key=lambda f: (order[f.severity], f.place.line if f.place else 0))


def finding_line(found: Finding) -> str:
    where = f"{escape(str(found.place))}: " if found.place else ""
    fix = f" [dim]— fix: {escape(found.fix)}[/]" if found.fix else ""
    style = SEVERITY_STYLE[found.severity]
    return f"{where}[{style}]{found.severity}[/] {found.code} {escape(found.message)}{fix}"


def summary_line(result: CheckResult) -> str:
    counts = [f"{result.count(status)} {status}" for status in ("ok", "failed", "not resolved", "skipped")
              if result.count(status)]
    holding = len({item.function.place.file for item in result.functions})
    read = f" ({len(result.files)} read)" if len(result.files) > holding else ""
    return (f"{plural(len(result.functions), 'function')} in {plural(holding, 'file')}{read}: "
            f"{', '.join(counts) or 'nothing to check'}; runtime dates as of {result.today.isoformat()}")
