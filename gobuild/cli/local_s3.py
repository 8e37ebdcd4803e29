"""`gobuild local-s3`: a throwaway S3 server on 127.0.0.1 to try `gobuild publish` against.

Without a command it prints the variables to export and serves until Ctrl-C or SIGTERM; with
`-- COMMAND...` it runs that command with them and exits with its status. Either way the server
is stopped and its folder removed at the end.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from gobuild.cli.app import app, err_console, escape, run
from gobuild.errors import UsageError

if TYPE_CHECKING:
    from gobuild.locals3 import S3Server

# S3's rules for a bucket name: 3-63 lower-case letters, digits, dots and hyphens.
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@app.command("local-s3", context_settings={"allow_interspersed_args": False})
def local_s3_command(
    command: Annotated[
        list[str] | None,
        typer.Argument(metavar="[-- COMMAND...]", help="Run this with the server's environment, then stop.",
                       show_default=False),
    ] = None,
    buckets: Annotated[
        list[str], typer.Option("--bucket", help="Bucket to create (repeatable; default lambda-artifacts).")
    ] = [],
) -> None:
    """Start a throwaway S3 server (SeaweedFS) on 127.0.0.1 and print the environment to export."""
    from gobuild.locals3 import DEFAULT_BUCKET, shell_lines, throwaway_server

    chosen = tuple(buckets) or (DEFAULT_BUCKET,)
    run(lambda: _check_buckets(chosen))
    stop = threading.Event()
    previous = {number: signal.signal(number, lambda _n, _f: stop.set()) for number in STOP_SIGNALS}

    def action() -> int:
        with throwaway_server(chosen) as server:
            if command:
                return _run_with(server, command, stop)
            sys.stdout.write("".join(line + "\n" for line in shell_lines(server.exports(), server.unset_names())))
            sys.stdout.flush()
            err_console.print(
                f"SeaweedFS S3 on {server.endpoint_url} with bucket {escape(', '.join(chosen))} "
                f"(data in {escape(str(server.root))}).\n"
                f"Run the lines above in another shell, then: gobuild publish --bucket {escape(chosen[0])}\n"
                "Ctrl-C stops the server and deletes its data."
            )
            while server.running and not stop.wait(0.5):
                pass
            if not server.running:
                from gobuild.locals3 import S3ServerError

                raise S3ServerError("SeaweedFS stopped unexpectedly", output=server.log_tail())
            err_console.print("stopping: the server and its data are gone")
            return 0

    try:
        code = run(action)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    raise typer.Exit(code)


def _check_buckets(names: tuple[str, ...]) -> None:
    for name in names:
        if not BUCKET_NAME.fullmatch(name):
            raise UsageError(f"--bucket {name!r} is not a valid S3 bucket name",
                             hint="use 3-63 lower-case letters, digits, dots and hyphens")


def _run_with(server: S3Server, command: list[str], stop: threading.Event) -> int:
    """Runs the command with the server's environment; a stop signal is passed on to it."""
    env = server.client_env(os.environ)
    env.update(server.exports())
    try:
        child = subprocess.Popen(command, env=env)
    except OSError as error:
        raise UsageError(f"cannot run {command[0]}: {error.strerror or error}",
                         hint="name a program on PATH after --") from None

    def forward(_number: int, _frame: FrameType | None) -> None:
        stop.set()
        child.terminate()

    signal.signal(signal.SIGTERM, forward)
    # Ctrl-C reaches the child through the terminal's process group; we wait for it to end.
    code = child.wait()
    return 128 - code if code < 0 else code  # killed by a signal: the shell's convention
