"""`gobuild repack`: a go1.x zip → provided.al2023 zips holding the binary as bootstrap."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from gobuild.cli.app import app, err_console, escape, print_json, run


@app.command("repack")
def repack_command(
    source: Annotated[Path, typer.Argument(help="The old go1.x zip.")],
    handler: Annotated[list[str], typer.Option("--handler", help="The binary to repack (the old Handler).")] = [],
    every: Annotated[bool, typer.Option("--all", help="Repack every binary into a zip of its own.")] = False,
    arch: Annotated[str | None, typer.Option("--arch", help="Require this architecture (amd64, arm64).")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="New zip (a folder with --all).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Repack an old go1.x artifact as a provided.al2023 zip, checked by `gobuild verify`."""
    from gobuild.build.package import zip_timestamp
    from gobuild.lambda_facts import require_arch
    from gobuild.repack import repack

    def action() -> None:
        results = repack(
            source,
            handlers=handler,
            every=every,
            arch=require_arch(arch) if arch else None,
            output=output,
            epoch=zip_timestamp(dict(os.environ)),
        )
        if as_json:
            print_json(
                [
                    {
                        "handler": r.handler,
                        "arch": r.arch,
                        "path": str(r.path),
                        "size": r.size,
                        "sha256": r.sha256,
                        "code_sha256": r.code_sha256,
                        "notes": [n.to_dict() for n in r.notes],
                    }
                    for r in results
                ]
            )
            return
        for r in results:
            err_console.print(
                f"[green]ok[/green] {escape(r.handler)} → {escape(str(r.path))} ({r.arch}, CodeSha256 {r.code_sha256})"
            )
            for note in r.notes:
                err_console.print(f"   [dim]{note.severity} {note.code}:[/dim] {escape(note.message)}")

    run(action)
