"""`gobuild invoke`: run a function zip locally as Lambda would and print its response."""

from __future__ import annotations

import os
import platform
import select
import shutil
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gobuild.cli.app import (
    HERE,
    MANIFEST,
    DirOption,
    ManifestOption,
    app,
    err_console,
    manifest_file,
    print_json,
    run,
)
from gobuild.cli.render import PlainReporter
from gobuild.errors import InvokeError
from gobuild.lambda_facts import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from gobuild.invoke.results import InvocationResult
    from gobuild.invoke.session import InvokeSession

# The signals that stop `invoke` cleanly, and the word for each in the one line it prints.
STOP_SIGNALS = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated", signal.SIGHUP: "hung up"}


@app.command("invoke")
def invoke_command(
    target: Annotated[str, typer.Argument(metavar="FUNCTION|ZIP", help="A function of the manifest, or a .zip path.")],
    arch: Annotated[str | None, typer.Option("--arch", help="amd64 or arm64, for a function built for both.")] = None,
    events: Annotated[
        list[str],
        typer.Option(
            "--event",
            "-e",
            help="Inline JSON, a JSON file, or - for stdin. Repeat to invoke the same warm process in turn.",
        ),
    ] = [],
    env: Annotated[
        list[str], typer.Option("--env", help="NAME=VALUE for the function's environment (repeatable).")
    ] = [],
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds before the invocation is killed.")
    ] = DEFAULT_TIMEOUT,
    directory: DirOption = HERE,
    manifest: ManifestOption = MANIFEST,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON report on stdout instead of responses.")
    ] = False,
) -> None:
    """Run a function locally through the Lambda Runtime API: responses on stdout, logs on stderr."""
    # Imported here: the Runtime API server is only needed when invoking.
    from gobuild.invoke.inputs import (
        check_timeout,
        default_region,
        host_arch,
        parse_env_assignments,
        parse_events,
        resolve_target,
    )
    from gobuild.invoke.results import Interrupted, InvokeSettings, report_document
    from gobuild.invoke.session import InvokeSession

    def action() -> None:
        with SignalStop() as stop:
            try:
                run_events(stop)
            except (Stopped, Interrupted):
                signum = stop.signum or signal.SIGINT
                err_console.print(f"[red]{STOP_SIGNALS[signal.Signals(signum)]}[/red]")
                raise typer.Exit(128 + signum) from None

    def run_events(stop: SignalStop) -> None:
        environ = os.environ
        settings = InvokeSettings(
            host_arch=host_arch(platform.machine()),
            timeout=check_timeout(timeout),
            region=default_region(environ),
            env=parse_env_assignments(env),
            find_program=lambda name: shutil.which(name, path=environ.get("PATH")),
        )
        payloads = parse_events(events, read_stdin=read_stdin, cwd=directory)
        reporter = WarningsReporter(err_console)
        resolved = resolve_target(
            target,
            manifest_path=manifest_file(directory, manifest),
            cwd=directory,
            arch=arch,
            host=settings.host_arch,
            reporter=reporter,
        )
        results: list[InvocationResult] = []
        session = InvokeSession(target=resolved, settings=settings, log_sink=write_log, reporter=reporter)
        stop.session = session
        try:
            with session:
                for payload in payloads:
                    result = session.invoke(payload)
                    results.append(result)
                    if not as_json:
                        sys.stdout.buffer.write(result.payload + b"\n")
                        sys.stdout.flush()
                arch_run = session.arch
        finally:
            stop.session = None
        if stop.signum is not None:
            raise Stopped()  # it came while the session was closing
        if as_json:
            print_json(report_document(resolved, arch_run, results))
        failed = [(number, r) for number, r in enumerate(results, start=1) if not r.ok]
        if len(results) == 1 and failed:
            raise InvokeError(f"{resolved.function_name}: {failed[0][1].summary()}")
        if failed:
            each = "; ".join(f"event {number}: {r.summary()}" for number, r in failed)
            raise InvokeError(f"{resolved.function_name}: {len(failed)} of {len(results)} invocations failed ({each})")

    run(action)


class Stopped(Exception):
    """A stop signal came while no session was running: nothing to clean up."""


class SignalStop:
    """While `invoke` runs, SIGINT, SIGTERM and SIGHUP stop it cleanly.

    During a session the signal only interrupts it (the handler raises nothing, so the session's
    cleanup cannot be cut short); the session raises Interrupted and closes. Outside one, the
    handler raises Stopped at once. Either way the command exits with 128 + the signal number.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.session: InvokeSession | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> SignalStop:
        for signum in STOP_SIGNALS:
            # An ignored signal stays ignored (nohup, `cmd &` in a script): the user asked for that.
            if signal.getsignal(signum) != signal.SIG_IGN:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
        if self.session is not None:
            self.session.interrupt()
            return
        raise Stopped()


class WarningsReporter(PlainReporter):
    """Shows warnings only: stderr belongs to the function's logs, and failures end in one error line."""

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None:
        pass


def read_stdin(limit: int) -> bytes:
    """Standard input to its end or to `limit` bytes, never blocking so long that a signal waits."""
    from gobuild.invoke.process import WAIT_SLICE

    fd = sys.stdin.fileno()
    data = bytearray()
    while len(data) < limit:
        # A blocking read could hold up a signal's handler; select in slices lets it run.
        if not select.select([fd], [], [], WAIT_SLICE)[0]:
            continue
        chunk = os.read(fd, min(1 << 20, limit - len(data)))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def write_log(line: str) -> None:
    """One line of the function's log stream, as it was written, on stderr."""
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr is closed (`2>&- `, a reader that quit): the logs have nowhere to go
