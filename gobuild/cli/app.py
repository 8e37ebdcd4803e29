"""The typer application and what every command shares: error mapping and output streams."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from gobuild.errors import EXIT_BAD_INPUT, GobuildError
from gobuild.lambda_facts import MANIFEST_NAME

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    name="gobuild",
    help="Build, verify, publish and migrate Go AWS Lambda functions (provided.al2023).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

T = TypeVar("T")

DirOption = Annotated[Path, typer.Option("-C", "--directory", help="Run as if started in this folder.")]
ManifestOption = Annotated[Path, typer.Option("-m", "--manifest", help="Manifest file, relative to -C.")]
HERE = Path(".")
MANIFEST = Path(MANIFEST_NAME)


def manifest_file(directory: Path, manifest: Path) -> Path:
    """The manifest path that -C and -m name together."""
    return directory / manifest


class LazyConsole:
    """rich's Console on stderr, made on first use: importing rich costs more than a no-op build."""

    def __init__(self) -> None:
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False, soft_wrap=True)
        return getattr(self._console, name)


# Diagnostics go to stderr so that stdout stays clean for --json and invoke responses.
err_console = LazyConsole()


class State:
    debug = False


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    State.debug = debug


def run(action: Callable[[], T]) -> T:
    """Runs a core call; a GobuildError becomes one red line, a hint and its exit code."""
    try:
        return action()
    except GobuildError as error:
        if State.debug:
            raise
        fail(error)
    except KeyboardInterrupt:
        err_console.print("[red]interrupted[/red]")
        raise typer.Exit(130) from None


def fail(error: GobuildError) -> NoReturn:
    """Prints an error the way every command does, then exits with its code."""
    if error.output:
        err_console.print(error.output.rstrip(), markup=False, highlight=False)
    err_console.print(f"[bold red]error:[/bold red] {escape(error.message)}")
    if error.hint:
        err_console.print(f"[dim]hint:[/dim] {escape(error.hint)}")
    raise typer.Exit(error.exit_code)


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def print_json(document: Any) -> None:
    """Writes one JSON document to stdout."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    sys.stdout.flush()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit as exit_:
        # click maps usage errors to 2 already; keep everything else as it is.
        code = exit_.code if isinstance(exit_.code, int) else EXIT_BAD_INPUT
        sys.exit(code)
