"""The typer application and what every command shares: error mapping, output streams, the
usage line's metavars, `--version` and shell completion."""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from gobuild.errors import EXIT_BAD_INPUT, GobuildError, UsageError
from gobuild.lambda_facts import MANIFEST_NAME

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    name="gobuild",
    help="Build, verify, publish and migrate Go AWS Lambda functions (provided.al2023).",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    pretty_exceptions_enable=False,
)
PROG_NAME = "gobuild"  # also under `python -m gobuild`: usage lines and _GOBUILD_COMPLETE agree
GO_VERSION_TIMEOUT = 10.0  # seconds for `go env GOVERSION` in --version (a toolchain switch can download)

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


def _print_version(wanted: bool) -> None:
    if wanted:
        sys.stdout.write(version_text(os.environ))
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    _version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_print_version,
                     help="Print the versions of gobuild, Python and Go, then exit."),
    ] = False,
) -> None:
    State.debug = debug


def version_text(environ: Mapping[str, str]) -> str:
    """What `gobuild --version` prints: gobuild's version and where it runs from, then Python's
    and Go's (like `pip --version` and `go version`)."""
    import platform

    import gobuild

    lines = [
        f"gobuild {gobuild.version()} from {Path(gobuild.__file__).parent}",
        f"Python {platform.python_version()} at {sys.executable}",
        go_version_line(environ),
    ]
    return "".join(line + "\n" for line in lines)


def go_version_line(environ: Mapping[str, str]) -> str:
    """The go gobuild would run ($GOBUILD_GO, else PATH) and its `go env GOVERSION`."""
    import subprocess

    from gobuild.files import find_go

    go = find_go(environ)
    if go is None:
        return "go: not found (install Go 1.21 or later, or set GOBUILD_GO=/path/to/go)"
    try:
        done = subprocess.run([go, "env", "GOVERSION"], env=dict(environ), capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=GO_VERSION_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return f"go: {go} env GOVERSION did not answer within {GO_VERSION_TIMEOUT:.0f}s"
    except OSError as error:
        return f"go: cannot run {go}: {error.strerror or error}"
    answer = done.stdout.strip()
    if done.returncode != 0 or not answer:
        first = (done.stderr.strip().splitlines() or ["no output"])[0]
        return f"go: {go} env GOVERSION failed: {first}"
    return f"{answer} at {go}"


def run(action: Callable[[], T]) -> T:
    """Runs a core call; a GobuildError becomes one red line, a hint and its exit code, and so
    does an OSError no stage turned into one (a path too long, a symlink loop, a full disk)."""
    try:
        return action()
    except GobuildError as error:
        if State.debug:
            raise
        fail(error)
    except OSError as error:
        if State.debug:
            raise
        fail(os_error(error))
    except RuntimeError as error:
        # Path.resolve() on a symbolic link loop, before Python 3.13 made it an OSError.
        if State.debug or not str(error).startswith("Symlink loop from "):
            raise
        fail(UsageError(str(error), hint=PATH_ERRORS[errno.ELOOP]))
    except KeyboardInterrupt:
        err_console.print("[red]interrupted[/red]")
        raise typer.Exit(130) from None


# errno → hint, for the OS errors that mean the path given is wrong (exit 2); any other is exit 1.
PATH_ERRORS = {
    errno.ENAMETOOLONG: "a file name holds at most 255 bytes, and a path 4096",
    errno.ELOOP: "a symbolic link on the path points back at itself",
    errno.ENOTDIR: "a part of the path is a file, not a directory",
    errno.EISDIR: "name a file, not a directory",
    errno.ENOENT: "check the path",
    errno.EEXIST: "name a regular file, or a path where none exists yet",
}
SHOWN_PATH = 120  # characters of a path an error line shows; a longer one is cut in the middle


def os_error(error: OSError) -> GobuildError:
    """One line for an OSError: the path it names (shortened), then the system's words."""
    names = [str(os.fsdecode(n)) for n in (error.filename, error.filename2) if n is not None]
    where = " -> ".join(n if len(n) <= SHOWN_PATH else f"{n[:80]}…{n[-30:]} ({len(n)} characters)" for n in names)
    words = error.strerror or str(error)
    wrapped = (UsageError if error.errno in PATH_ERRORS else GobuildError)(
        f"{where}: {words}" if where else words, hint=PATH_ERRORS.get(error.errno or 0))
    return wrapped


def fail(error: GobuildError) -> NoReturn:
    """Prints an error the way every command does, then exits with its code."""
    if error.output:
        err_console.print(error.output.rstrip(), markup=False, highlight=False)
    err_console.print(f"[bold red]error:[/bold red] {escape(one_line(error.message))}")
    if error.hint:
        err_console.print(f"[dim]hint:[/dim] {escape(one_line(error.hint))}")
    raise typer.Exit(error.exit_code)


def one_line(text: str) -> str:
    """text with control characters escaped (a file name may hold a newline or a terminal escape),
    so that an error is one line whatever it quotes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def print_json(document: Any) -> None:
    """Writes one JSON document to stdout."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    sys.stdout.flush()


def usage_metavar(param: Any) -> str:
    """An argument as a usage line shows it: ZIP..., PATH..., SOURCE, [NAME]."""
    name = param.metavar or (param.name or "arg").upper()
    if name.startswith("["):
        return str(name)  # spelled out in full by the command
    if param.nargs != 1 and not name.endswith("..."):
        name += "..."
    return name if param.required else f"[{name}]"


def use_conventional_metavars(typer_app: typer.Typer) -> None:
    """Gives every plain command a usage line with conventional metavars (typer writes {ZIP})."""
    from typer.core import TyperArgument, TyperCommand

    class UsageCommand(TyperCommand):
        def collect_usage_pieces(self, ctx: Any) -> list[str]:
            pieces = [self.options_metavar] if self.options_metavar else []
            pieces += [usage_metavar(p) for p in self.get_params(ctx) if isinstance(p, TyperArgument)]
            return pieces

    for info in typer_app.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = UsageCommand


def main() -> None:
    """Console-script entry point. A flag or argument click refuses is one `error:` line and a
    `hint:` naming the command's --help, like every other error (exit code 2)."""
    # typer carries its own copy of click: its exceptions, not the click package's, reach here.
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
    from typer.exceptions import Abort

    use_conventional_metavars(app)
    try:
        result = app(prog_name=PROG_NAME, standalone_mode=False)
    except NoArgsIsHelpError as shown:  # the help was printed when the error was made
        sys.exit(shown.exit_code)
    except ClickException as problem:
        context = problem.ctx if isinstance(problem, UsageError) else None
        command = context.command_path if context else PROG_NAME
        usage = " ".join(context.get_usage().split()) + "; " if context else ""
        err_console.print(f"[bold red]error:[/bold red] {escape(one_line(problem.format_message()))}")
        err_console.print(f"[dim]hint:[/dim] {escape(usage)}`{escape(command)} --help` says more")
        sys.exit(problem.exit_code)
    except Abort:
        sys.exit(130)  # EOF or Ctrl-C while click read input: as a shell reports SIGINT
    except SystemExit as exit_:
        # click maps usage errors to 2 already; keep everything else as it is.
        code = exit_.code if isinstance(exit_.code, int) else EXIT_BAD_INPUT
        sys.exit(code)
    sys.exit(result if isinstance(result, int) else 0)
