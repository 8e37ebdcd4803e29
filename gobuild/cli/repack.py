"""`gobuild repack`: a go1.x zip → provided.al2023 zips holding the binary as bootstrap."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from gobuild.cli.app import app, err_console, escape, print_json, run


@app.command("repack")
def repack_command(
    source: Path = typer.Argument(..., help="The old go1.x zip."),
    handler: list[str] = typer.Option([], "--handler", help="The binary to repack (the old Handler)."),
    every: bool = typer.Option(False, "--all", help="Repack every binary into a zip of its own."),
    arch: Optional[str] = typer.Option(None, "--arch", help="Require this architecture (amd64, arm64)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="New zip (a folder with --all)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Repack an old go1.x artifact as a provided.al2023 zip, checked by `gobuild verify`."""
    from gobuild.package import zip_timestamp
    from gobuild.manifest import ARCH_ALIASES
    from gobuild.repack import repack

    def action() -> None:
        if arch is not None and arch not in ARCH_ALIASES:
            from gobuild.errors import UsageError

            raise UsageError(f"--arch {arch}: not one of amd64, arm64 (x86_64)")
        results = repack(source, handlers=handler, every=every, arch=ARCH_ALIASES.get(arch or "", None),
                         output=output, epoch=zip_timestamp(dict(os.environ)))
        if as_json:
            print_json([{"handler": r.handler, "arch": r.arch, "path": str(r.path), "size": r.size,
                         "sha256": r.sha256, "code_sha256": r.code_sha256,
                         "notes": [n.to_dict() for n in r.notes]} for r in results])
            return
        for r in results:
            err_console.print(f"[green]ok[/green] {escape(r.handler)} → {escape(str(r.path))} ({r.arch}, "
                              f"CodeSha256 {r.code_sha256})")
            for note in r.notes:
                err_console.print(f"   [dim]{note.severity} {note.code}:[/dim] {escape(note.message)}")

    run(action)
