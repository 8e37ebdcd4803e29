"""What `gobuild invoke` is asked to run, and with what: events, --env values, the timeout,
and the zip a FUNCTION or ZIP argument names.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gobuild.build import artifacts as artifacts_file
from gobuild.errors import StaleError, UsageError
from gobuild.files import NestingError, not_a_file, parse_json
from gobuild.lambda_facts import (
    MAX_EVENT_BYTES,
    MAX_TIMEOUT,
    Arch,
    function_of_artifact,
    require_arch,
)
from gobuild.manifest import load_manifest
from gobuild.report import NullReporter, Reporter

DEFAULT_REGION = "us-east-1"
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Variables the local Runtime API depends on; everything else --env may override.
RESERVED_ENV = ("AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "_HANDLER")


# ─── Events ────────────────────────────────────────────────────────────────────────────


StdinReader = Callable[[int], bytes]  # reads standard input to its end, or to at most N bytes


def parse_events(values: Sequence[str], *, read_stdin: StdinReader, cwd: Path) -> tuple[bytes, ...]:
    """The payload of each --event, in order; `{}` when there is none.

    A value is inline JSON, `-` for standard input (once), or a file path relative to `cwd`.
    Raises UsageError for invalid JSON, a missing file or an event over Lambda's 6 MB; no more
    than one byte past that limit is ever read.
    """
    if not values:
        return (b"{}",)
    if sum(1 for v in values if v == "-") > 1:
        raise UsageError("--event -: standard input can be read only once")
    return tuple(parse_event(value, read_stdin=read_stdin, cwd=cwd) for value in values)


def parse_event(value: str, *, read_stdin: StdinReader, cwd: Path) -> bytes:
    """One --event value as the bytes to send: see parse_events."""
    if value == "-":
        return _checked_json(read_stdin(MAX_EVENT_BYTES + 1), "--event - (standard input)")
    stripped = value.lstrip()
    # An object, array or string is inline JSON; a path never starts with these.
    if stripped[:1] in ("{", "[", '"'):
        return _checked_json(value.encode(), "--event")
    path = cwd / value
    if path.is_file():
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_EVENT_BYTES + 1)
        except OSError as error:
            raise UsageError(f"--event {value}: cannot read: {error.strerror or error}") from None
        return _checked_json(data, f"--event {value}")
    if not_a_file(path):
        raise UsageError(f"--event {value}: {not_a_file(path)}", hint="pass a JSON file, inline JSON, or - for stdin")
    try:
        parse_json(value)
    except ValueError:
        raise UsageError(
            f"--event {value!r}: no such file, and not valid JSON",
            hint="pass inline JSON such as '{\"key\": 1}', a JSON file, or - for standard input",
        ) from None
    return _checked_json(value.encode(), "--event")


def _checked_json(data: bytes, label: str) -> bytes:
    if len(data) > MAX_EVENT_BYTES:
        raise UsageError(f"{label}: over the {MAX_EVENT_BYTES}-byte limit of a Lambda invoke")
    try:
        text = data.decode("utf-8-sig")  # a byte order mark is dropped: Go's decoder rejects it
        parse_json(text)
    except UnicodeDecodeError as error:
        raise UsageError(f"{label}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise UsageError(
            f"{label}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}",
            hint="an event must be one JSON document",
        ) from None
    except NestingError as error:
        raise UsageError(f"{label}: JSON {error}", hint="flatten the event") from None
    return text.strip().encode()


def parse_env_assignments(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """--env K=V values as pairs, in order (a later K wins); raises UsageError for bad ones."""
    pairs: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep:
            raise UsageError(f"--env {value!r}: expected NAME=VALUE")
        if not ENV_NAME.match(name):
            raise UsageError(f"--env {value!r}: {name!r} is not a valid environment variable name")
        if name in RESERVED_ENV:
            raise UsageError(f"--env {name}: set by gobuild invoke for the local Runtime API and cannot be changed")
        pairs.pop(name, None)
        pairs[name] = text
    return tuple(pairs.items())


def check_timeout(seconds: float) -> float:
    """The --timeout value if Lambda would accept it (above 0, at most 900 s)."""
    if not (0 < seconds <= MAX_TIMEOUT) or math.isnan(seconds):
        raise UsageError(f"--timeout {seconds:g}: must be above 0 and at most {MAX_TIMEOUT:g} seconds")
    return seconds


def default_region(environ: Mapping[str, str]) -> str:
    """The region the function sees: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1."""
    return environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def host_arch(machine: str) -> str:
    """platform.machine() as a GOARCH name (x86_64 → amd64, aarch64 → arm64)."""
    found = Arch.parse(machine)
    return found.goarch if found else machine.lower()


# ─── What to run ──────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, kw_only=True)
class InvokeTarget:
    """A zip to run, the function name it runs as, and the architecture it is meant for."""

    zip_path: Path
    function_name: str
    arch: str | None = None  # None: whatever the bootstrap is built for


def resolve_target(
    target: str,
    *,
    manifest_path: Path,
    cwd: Path,
    arch: str | None,
    host: str,
    reporter: Reporter | None = None,
) -> InvokeTarget:
    """FUNCTION (through the manifest and dist/artifacts.json) or ZIP (any path ending .zip).

    For a function built for two architectures, `arch` chooses; by default the host's if
    built, else the only one. Raises UsageError for unknown names or architectures and
    StaleError when the function has not been built.
    """
    reporter = reporter or NullReporter()
    wanted = require_arch(arch) if arch else None
    if target.lower().endswith(".zip"):
        path = cwd / target
        if not path.is_file():
            raise UsageError(f"{target}: {not_a_file(path) or 'no such zip'}")
        return InvokeTarget(zip_path=path, function_name=function_name_from_zip(path), arch=wanted)
    manifest = load_manifest(manifest_path)
    names = [f.name for f in manifest.functions]
    if target not in names:
        close = difflib.get_close_matches(target, names, n=1)
        raise UsageError(
            f"{manifest_path.name}: no function named {target!r}",
            hint=f"did you mean {close[0]!r}?" if close else f"functions: {', '.join(names)}; or pass a .zip",
        )
    index_path = artifacts_file.artifacts_path(manifest.out_dir)
    index = artifacts_file.load(index_path)
    built = {a.arch: a for a in index.artifacts if a.name == target}
    if not built:
        raise StaleError(f"{index_path}: no zip for {target!r} yet", hint=f"run `gobuild build --only {target}`")
    chosen = choose_arch(target, sorted(built), wanted, host)
    zip_path = index_path.parent / built[chosen].path
    if not zip_path.is_file():
        raise StaleError(f"{zip_path}: listed in {index_path.name} but missing", hint="run `gobuild build`")
    reason = artifacts_file.stale_reason(manifest, index, index_path, only=(target,))
    if reason:
        reporter.warning(f"{reason}: the zip may not match the sources (run `gobuild build`)")
    return InvokeTarget(zip_path=zip_path, function_name=target, arch=chosen)


def choose_arch(function: str, built: Sequence[str], requested: str | None, host: str) -> str:
    """The architecture to run: `requested` if built, else the host's if built, else the only one."""
    if requested is not None:
        if requested not in built:
            raise UsageError(
                f"{function} is not built for {requested} (built: {', '.join(built)})",
                hint="add it to `architectures` in the manifest and run `gobuild build`",
            )
        return requested
    if host in built:
        return host
    if len(built) == 1:
        return built[0]
    raise UsageError(f"{function} is built for {', '.join(built)}: choose one with --arch")


def function_name_from_zip(path: Path) -> str:
    """orders-arm64.zip → orders: the name gobuild build gives zips, without the arch."""
    return function_of_artifact(path.name)


