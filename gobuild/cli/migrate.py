"""`gobuild migrate`: move Go functions from go1.x/provided.al2 to provided.al2023."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gobuild.cli.app import app, print_json, run
from gobuild.errors import EXIT_FAILED, UsageError
from gobuild.lambda_facts import TARGET_RUNTIME, Arch

if TYPE_CHECKING:
    from gobuild.migrate import MigrationReport

PathsArgument = typer.Argument(
    ..., metavar="PATH...", help="Templates, serverless.yml, .tf files, or folders to search."
)


@app.command("migrate")
def migrate_command(
    paths: list[Path] = PathsArgument,
    check: Annotated[
        bool,
        typer.Option("--check", help="Change nothing; exit 1 when anything would change or an error note remains."),
    ] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Change nothing; show a unified diff (the default).")] = False,
    write: Annotated[bool, typer.Option("--write", help="Edit the files in place (atomically).")] = False,
    to: Annotated[str, typer.Option("--to", help="Target runtime.")] = TARGET_RUNTIME,
    arch: Annotated[
        str | None, typer.Option("--arch", help="Set Architectures: arm64 or x86_64 (aarch64, amd64 accepted).")
    ] = None,
    build: Annotated[
        str, typer.Option("--build", help="How functions are built afterwards: sam, gobuild or makefile.")
    ] = "sam",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Move SAM/CloudFormation, serverless.yml and Terraform to provided.al2023; report the rest."""
    # Imported here: ruamel.yaml is not needed by any other command.
    from gobuild.migrate import (
        MigrateOptions,
        migrate,
        render_document,
        render_output,
        write_report,
    )

    mode = _mode(check=check, diff=diff, write=write)
    spelled = Arch.parse(arch) if arch else None  # any spelling; Lambda's name goes in the template
    options = MigrateOptions(runtime=to, arch=spelled.lambda_name if spelled else arch, build=build)

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
    if mode == "check" and (report.changed or report.errors):
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
