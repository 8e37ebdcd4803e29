"""`gobuild migrate`: move Go functions from go1.x/provided.al2 to provided.al2023."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gobuild.cli.app import app, print_json, run
from gobuild.errors import EXIT_FAILED, UsageError

# gobuild.migrate.model.TARGET_RUNTIME; importing it would load ruamel.yaml at start-up.
TARGET_RUNTIME = "provided.al2023"

if TYPE_CHECKING:
    from gobuild.migrate import MigrationReport

PathsArgument = typer.Argument(
    ..., metavar="PATH...", help="Templates, serverless.yml, .tf files, or folders to search."
)


@app.command("migrate")
def migrate_command(
    paths: list[Path] = PathsArgument,
    check: bool = typer.Option(
        False, "--check", help="Change nothing; exit 1 when anything would change."
    ),
    diff: bool = typer.Option(
        False, "--diff", help="Change nothing; show a unified diff (the default)."
    ),
    write: bool = typer.Option(False, "--write", help="Edit the files in place (atomically)."),
    to: str = typer.Option(TARGET_RUNTIME, "--to", help="Target runtime."),
    arch: str | None = typer.Option(None, "--arch", help="Set Architectures: arm64 or x86_64."),
    build: str = typer.Option(
        "sam", "--build", help="How functions are built afterwards: sam, gobuild or makefile."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Move SAM/CloudFormation, serverless.yml and Terraform to provided.al2023; report the rest."""
    # Imported here: ruamel.yaml is not needed by any other command.
    from gobuild.migrate import MigrateOptions, migrate, render_document, render_output, write_report

    mode = _mode(check=check, diff=diff, write=write)
    options = MigrateOptions(runtime=to, arch=arch, build=build)

    def action() -> MigrationReport:
        report = migrate(paths, options)
        if mode == "write":
            write_report(report)
        return report

    report = run(action)
    base = Path.cwd()
    if as_json:
        print_json(render_document(report, base, mode=mode))
    else:
        sys.stdout.write(render_output(report, base, mode=mode))
        sys.stdout.flush()
    if mode == "check" and report.changed:
        raise typer.Exit(EXIT_FAILED)


def _mode(*, check: bool, diff: bool, write: bool) -> str:
    chosen = [name for name, on in (("check", check), ("diff", diff), ("write", write)) if on]
    if len(chosen) > 1:
        run(lambda: _reject(chosen))
    return chosen[0] if chosen else "diff"


def _reject(chosen: list[str]) -> None:
    raise UsageError(
        f"--{' and --'.join(chosen)} cannot be used together",
        "choose one of --check, --diff, --write",
    )
