"""`gobuild invoke`: run a function zip locally as Lambda would and print its response."""

from __future__ import annotations

import os
import platform
import shutil
import sys
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
    from gobuild.invoke.results import InvokeSettings, report_document
    from gobuild.invoke.session import InvokeSession

    def action() -> None:
        environ = os.environ
        settings = InvokeSettings(
            host_arch=host_arch(platform.machine()),
            timeout=check_timeout(timeout),
            region=default_region(environ),
            env=parse_env_assignments(env),
            find_program=lambda name: shutil.which(name, path=environ.get("PATH")),
        )
        payloads = parse_events(events, read_stdin=sys.stdin.buffer.read, cwd=directory)
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
        with InvokeSession(target=resolved, settings=settings, log_sink=write_log, reporter=reporter) as session:
            for payload in payloads:
                result = session.invoke(payload)
                results.append(result)
                if not as_json:
                    sys.stdout.buffer.write(result.payload + b"\n")
                    sys.stdout.flush()
            arch_run = session.arch
        if as_json:
            print_json(report_document(resolved, arch_run, results))
        failed = [(number, r) for number, r in enumerate(results, start=1) if not r.ok]
        if len(results) == 1 and failed:
            raise InvokeError(f"{resolved.function_name}: {failed[0][1].summary()}")
        if failed:
            each = "; ".join(f"event {number}: {r.summary()}" for number, r in failed)
            raise InvokeError(f"{resolved.function_name}: {len(failed)} of {len(results)} invocations failed ({each})")

    run(action)


class WarningsReporter(PlainReporter):
    """Shows warnings only: stderr belongs to the function's logs, and failures end in one error line."""

    def finished(self, task: str, ok: bool, detail: str = "", **fields: Any) -> None:
        pass


def write_log(line: str) -> None:
    """One line of the function's log stream, as it was written, on stderr."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
