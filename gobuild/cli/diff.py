"""`gobuild diff A B`: why two builds differ, most decisive difference first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from gobuild.cli.app import app, err_console, print_json, run
from gobuild.lines import plural

if TYPE_CHECKING:
    from gobuild.diff import ArtifactDiff, Difference, DiffResult

LEVEL_STYLE = {"archive": "magenta", "build": "yellow", "code": "cyan"}
STATUS_STYLE = {"identical": "green", "different": "red", "only-in-a": "yellow", "only-in-b": "yellow",
                "not-fetched": "red"}
SideArgument = typer.Argument(
    metavar="A", show_default=False,
    help="A zip, a dist/ folder, an artifacts.json, a published.json, or s3://BUCKET/KEY.",
)  # fmt: skip
OtherArgument = typer.Argument(metavar="B", show_default=False, help="What to compare A with: any of the same.")
EndpointOption = typer.Option("--endpoint-url", help="S3 endpoint for s3:// and published.json (else AWS).")
RegionOption = typer.Option("--region", help="AWS region (else the standard chain).")
ProfileOption = typer.Option("--profile", help="AWS profile (else AWS_PROFILE).")
VerboseOption = typer.Option("-v", "--verbose", help="With fleets, list every difference under each function.")
JsonOption = typer.Option("--json", help="Print one JSON document on stdout.")


@app.command("diff")
def diff_command(
    a: Annotated[str, SideArgument],
    b: Annotated[str, OtherArgument],
    endpoint_url: Annotated[str | None, EndpointOption] = None,
    region: Annotated[str | None, RegionOption] = None,
    profile: Annotated[str | None, ProfileOption] = None,
    verbose: Annotated[bool, VerboseOption] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Explain why two builds differ: the zip, then Go's build information, then the code.

    Differences read A → B; a published.json is always the deployed ("before") side. Exits 0
    when identical, 1 when they differ, 2 when an input cannot be read.
    """
    from gobuild.cli.render import PlainReporter
    from gobuild.diff import S3Options, compare
    from gobuild.report import RecordingReporter, Reporter, TeeReporter

    recorder = RecordingReporter()
    reporter: Reporter = recorder if as_json else TeeReporter(recorder, PlainReporter(err_console))
    options = S3Options(endpoint_url=endpoint_url, region=region, profile=profile)
    result = run(lambda: compare(a, b, s3=options, reporter=reporter))
    if as_json:
        print_json(result_document(result, recorder.warnings()))
    else:
        render(result, Console(highlight=False, soft_wrap=True), verbose=verbose)
    if not result.identical:
        raise typer.Exit(1)


def render(result: DiffResult, console: Console, *, verbose: bool) -> None:
    """A pair: a verdict, then every difference. A fleet: one line per differing function."""
    if not result.fleet:
        (artifact,) = result.artifacts
        names = f"{escape(result.a)} and {escape(result.b)}"
        if artifact.identical:
            console.print(f"[green]identical[/]  {names}")
            return
        count = plural(len(artifact.differences), "difference")
        console.print(f"[bold red]differ[/]  {names}" + (f" ({count})" if artifact.differences else ""))
        for line in _difference_lines(artifact):
            console.print(line)
        return
    if result.swapped:
        console.print(f"[dim]{escape(result.a)} is what is deployed: each line reads {escape(result.a)} → "
                      f"{escape(result.b)}[/]")
    for artifact in result.differing:
        if verbose and artifact.differences:
            count = plural(len(artifact.differences), "difference")
            console.print(f"[bold {STATUS_STYLE[artifact.status]}]{escape(artifact.label)}[/]: {count}")
            for line in _difference_lines(artifact):
                console.print(line)
        else:
            console.print(fleet_line(artifact))
    console.print(summary_line(result))


def fleet_line(artifact: ArtifactDiff) -> str:
    """"orders/arm64: example.com/greet v1.0.0 → v1.1.0 (and 2 more)"."""
    more = len(artifact.differences) - 1
    extra = f" [dim](and {more} more)[/]" if more > 0 else ""
    style = STATUS_STYLE[artifact.status]
    return f"[bold {style}]{escape(artifact.label)}[/]: {escape(artifact.headline)}{extra}"


def summary_line(result: DiffResult) -> str:
    total, differing = len(result.artifacts), len(result.differing)
    if differing == 0:
        return f"[green]identical:[/] {plural(total, 'zip')} compared"
    verb = "differs" if differing == 1 else "differ"
    same = total - differing
    return f"{differing} of {plural(total, 'zip')} {verb}" + (f"; {same} identical" if same else "")


def _difference_lines(artifact: ArtifactDiff) -> list[str]:
    if not artifact.differences:
        return [f"  {escape(artifact.headline)}"]
    lines = []
    for difference in artifact.differences:
        lines.append(difference_line(difference))
        lines += [f"           [dim]{escape(detail)}[/]" for detail in difference.details]
    return lines


def difference_line(difference: Difference) -> str:
    style = LEVEL_STYLE[difference.level]
    return f"  [{style}]{difference.level:<8}[/] {escape(difference.message)}"


def result_document(result: DiffResult, warnings: list[str]) -> dict[str, Any]:
    """The --json document: the result, and any warnings."""
    return {**result.to_dict(), "warnings": warnings}
