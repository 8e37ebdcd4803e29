"""Runs a function zip locally the way Lambda (provided.al2023) would.

    target = resolve_target("orders", manifest_path=..., arch=None, host_arch="amd64")
    with InvokeSession(target=target, settings=settings, log_sink=print_line) as session:
        result = session.invoke(b'{"item": "x", "quantity": 2}')

A session unpacks the zip into a temporary task root (no entry may escape it, no symlink
is followed while writing), serves the Runtime API on 127.0.0.1 and starts `bootstrap`
with Lambda's environment. Invocations reuse the running process as a warm Lambda does;
after a crash or a timeout the next invocation starts a fresh process (a cold start).
Failures are results, shaped as Lambda reports them (Runtime.InvalidEntrypoint,
Runtime.ExitError, Sandbox.Timedout, the function's own errorType); only problems with the
input or the host (a bad zip, a missing qemu) raise.

The function's output and the platform lines Lambda writes (START, END, REPORT, timeouts)
go to `log_sink` line by line, as they would reach the function's log stream.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
import queue
import re
import secrets
import select
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import IO, Any

from gobuild import artifacts as artifacts_file
from gobuild.elf import ElfError, FileSource, parse_elf
from gobuild.errors import InvokeError, StaleError, ToolError, UsageError
from gobuild.manifest import ARCH_ALIASES, load_manifest
from gobuild.report import NullReporter, Reporter
from gobuild.runtime_api import (
    InitFailed,
    Invocation,
    InvocationFailed,
    NextRequested,
    Responded,
    RuntimeAPI,
    error_document,
)

DEFAULT_TIMEOUT = 3.0  # Lambda's default function timeout
MAX_TIMEOUT = 900.0  # Lambda's largest
# Lambda gives init 10 s; past that it retries init inside the first invocation's timeout.
INIT_TIMEOUT = 10.0
DEFAULT_MEMORY_MB = 128
DEFAULT_REGION = "us-east-1"
ACCOUNT_ID = "012345678912"  # the account AWS's own emulator puts in function ARNs
FUNCTION_VERSION = "$LATEST"
HANDLER = "bootstrap"
MAX_EVENT_BYTES = 6 * 1024 * 1024  # a synchronous Invoke request
MAX_UNZIPPED_BYTES = 262_144_000  # Lambda's limit for an unzipped deployment package
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Variables the local Runtime API depends on; everything else --env may override.
RESERVED_ENV = ("AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "_HANDLER")
QEMU_ARCH = {"amd64": "x86_64", "arm64": "aarch64"}
HOST_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
INVALID_ENTRYPOINT = "Runtime.InvalidEntrypoint"
EXIT_ERROR = "Runtime.ExitError"
TIMED_OUT = "Sandbox.Timedout"
_STOP_GRACE = 0.5  # seconds between SIGTERM and SIGKILL when a session ends
_MAX_LOG_LINE = 256 * 1024

LogSink = Callable[[str], None]


# ─── Events ────────────────────────────────────────────────────────────────────────────


def parse_events(values: Sequence[str], *, read_stdin: Callable[[], bytes], cwd: Path) -> tuple[bytes, ...]:
    """The payload of each --event, in order; `{}` when there is none.

    A value is inline JSON, `-` for standard input (once), or a file path relative to `cwd`.
    Raises UsageError for invalid JSON, a missing file or an event over Lambda's 6 MB.
    """
    if not values:
        return (b"{}",)
    if sum(1 for v in values if v == "-") > 1:
        raise UsageError("--event -: standard input can be read only once")
    return tuple(parse_event(value, read_stdin=read_stdin, cwd=cwd) for value in values)


def parse_event(value: str, *, read_stdin: Callable[[], bytes], cwd: Path) -> bytes:
    """One --event value as the bytes to send: see parse_events."""
    if value == "-":
        return _checked_json(read_stdin(), "--event - (standard input)")
    stripped = value.lstrip()
    # An object, array or string is inline JSON; a path never starts with these.
    if stripped[:1] in ("{", "[", '"'):
        return _checked_json(value.encode(), "--event")
    path = cwd / value
    if path.is_file():
        try:
            data = path.read_bytes()
        except OSError as error:
            raise UsageError(f"--event {value}: cannot read: {error.strerror or error}") from None
        return _checked_json(data, f"--event {value}")
    try:
        json.loads(value)
    except ValueError:
        raise UsageError(
            f"--event {value!r}: no such file, and not valid JSON",
            hint="pass inline JSON such as '{\"key\": 1}', a JSON file, or - for standard input",
        ) from None
    return _checked_json(value.encode(), "--event")


def _checked_json(data: bytes, label: str) -> bytes:
    if len(data) > MAX_EVENT_BYTES:
        raise UsageError(f"{label}: {len(data)} bytes is over the {MAX_EVENT_BYTES}-byte limit of a Lambda invoke")
    try:
        text = data.decode("utf-8-sig")  # a byte order mark is dropped: Go's decoder rejects it
        json.loads(text)
    except UnicodeDecodeError as error:
        raise UsageError(f"{label}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise UsageError(
            f"{label}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}",
            hint="an event must be one JSON document",
        ) from None
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
    return HOST_ARCH.get(machine.lower(), machine.lower())


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
    wanted = normalize_arch(arch) if arch else None
    if target.lower().endswith(".zip"):
        path = cwd / target
        if not path.is_file():
            raise UsageError(f"{target}: no such zip")
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


def normalize_arch(value: str) -> str:
    """amd64, arm64 or x86_64 (an alias of amd64); anything else is a UsageError."""
    if value not in ARCH_ALIASES:
        raise UsageError(f"--arch {value!r}: not one of amd64, arm64 (x86_64)")
    return ARCH_ALIASES[value]


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
    stem = path.name[: -len(".zip")]
    for suffix in ("-amd64", "-arm64", "-x86_64"):
        if stem.endswith(suffix) and len(stem) > len(suffix):
            return stem[: -len(suffix)]
    return stem or "function"


# ─── The task root ────────────────────────────────────────────────────────────────────


def member_path(name: str) -> PurePosixPath:
    """The relative path a zip entry may be written to; ValueError says why it may not."""
    if not name or "\x00" in name:
        raise ValueError("empty or NUL in name")
    path = PurePosixPath(name)
    if path.is_absolute():
        raise ValueError("absolute path")
    if ".." in path.parts:
        raise ValueError("'..' leaves the task root")
    if not path.parts:
        raise ValueError("names the task root itself")
    return path


# Lambda's unzipper reads stored and Deflate entries only.
LAMBDA_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
METHOD_NAMES = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "XZ"}


def unix_mode(info: zipfile.ZipInfo) -> int:
    """The entry's Unix mode bits (file type included); 0 when the zip recorded none."""
    return (info.external_attr >> 16) & 0xFFFF if info.create_system == 3 else 0


def unpack_zip(zip_path: Path, dest: Path, *, max_bytes: int = MAX_UNZIPPED_BYTES) -> None:
    """Extracts a deployment zip into the empty folder `dest`, as Lambda lays out /var/task.

    Files keep their Unix permission bits (0644 when the zip has none, as for zips written
    on Windows). Raises InvokeError, naming the entry, for paths that would leave `dest`,
    symlinks pointing outside it, duplicate entries, unsupported compression, or more
    than `max_bytes` unzipped. Files are opened with O_NOFOLLOW|O_EXCL and symlinks are
    created last, so nothing is ever written through a link.
    """
    label = zip_path.name
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as error:
        raise InvokeError(f"{zip_path}: not a readable zip ({error})") from None
    with archive:
        infos = archive.infolist()
        total = sum(i.file_size for i in infos)
        if total > max_bytes:
            raise InvokeError(f"{label}: unzipped size {total} bytes is over Lambda's limit of {max_bytes} bytes")
        links: list[tuple[PurePosixPath, str]] = []
        for info in infos:
            try:
                relative = member_path(info.filename)
            except ValueError as error:
                raise InvokeError(f"{label}: entry {info.filename!r} is unsafe: {error}") from None
            if info.compress_type not in LAMBDA_METHODS:
                method = METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
                raise InvokeError(
                    f"{label}: entry {info.filename!r} is compressed with {method}, which Lambda cannot unzip",
                    hint="store entries with Deflate or no compression (gobuild build does)",
                )
            if info.flag_bits & 0x1:
                raise InvokeError(f"{label}: entry {info.filename!r} is encrypted, which Lambda cannot unzip")
            mode = unix_mode(info)
            try:
                if stat.S_ISLNK(mode):
                    links.append((relative, _read_link_target(archive, info, label)))
                elif info.is_dir() or stat.S_ISDIR(mode):
                    (dest / relative).mkdir(parents=True, exist_ok=True)
                else:
                    _extract_file(archive, info, dest / relative, stat.S_IMODE(mode) or 0o644, label)
            except OSError as error:  # e.g. a file where a folder must go
                raise InvokeError(f"{label}: cannot write entry {info.filename!r}: {error.strerror}") from None
        for relative, link_target in links:
            try:
                _make_link(dest, relative, link_target, label)
            except OSError as error:
                raise InvokeError(f"{label}: cannot create symlink {relative.as_posix()!r}: {error.strerror}") from None
        # Lexically safe links can still combine to leave the root ("b" → ".", "a" → "b/..").
        root = os.path.realpath(dest)
        for relative, link_target in links:
            resolved = os.path.realpath(dest / relative)
            if resolved != root and not resolved.startswith(root + os.sep):
                raise InvokeError(
                    f"{label}: symlink {relative.as_posix()!r} → {link_target!r} resolves outside the task root"
                )


def _extract_file(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, mode: int, label: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        raise InvokeError(f"{label}: entry {info.filename!r} appears twice") from None
    written = 0
    try:
        with os.fdopen(fd, "wb") as out, archive.open(info) as source:
            os.fchmod(out.fileno(), mode)
            while chunk := source.read(1 << 20):
                written += len(chunk)
                if written > info.file_size:  # never trust a header to bound what we write
                    raise InvokeError(f"{label}: entry {info.filename!r} is larger than its header says")
                out.write(chunk)
    except (NotImplementedError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, RuntimeError, ValueError,
            OSError) as error:
        raise InvokeError(f"{label}: entry {info.filename!r} cannot be extracted: {error}") from None


def _read_link_target(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> str:
    if info.file_size > 4096:
        raise InvokeError(f"{label}: symlink {info.filename!r} has an implausible {info.file_size}-byte target")
    try:
        return archive.read(info).decode("utf-8")
    except (UnicodeDecodeError, zipfile.BadZipFile, NotImplementedError) as error:
        raise InvokeError(f"{label}: symlink {info.filename!r} is unreadable: {error}") from None


def _make_link(root: Path, relative: PurePosixPath, target: str, label: str) -> None:
    name = relative.as_posix()
    if not target or "\x00" in target or target.startswith("/"):
        raise InvokeError(f"{label}: symlink {name!r} → {target!r} points outside the task root")
    resolved = os.path.normpath(os.path.join(os.path.dirname(name), target))
    if resolved == ".." or resolved.startswith("../"):
        raise InvokeError(f"{label}: symlink {name!r} → {target!r} points outside the task root")
    # A link may not sit below another link: creating it would go through the first one.
    current = root
    for part in relative.parts[:-1]:
        current = current / part
        if current.is_symlink():
            raise InvokeError(f"{label}: symlink {name!r} lies under symlink {current.relative_to(root)!s}")
        current.mkdir(exist_ok=True)
    try:
        os.symlink(target, root / relative)
    except FileExistsError:
        raise InvokeError(f"{label}: entry {name!r} appears twice") from None


def bootstrap_arch(path: Path) -> str | None:
    """The GOARCH of an ELF bootstrap; None when it is missing or not ELF (a script)."""
    try:
        with open(path, "rb") as handle:
            return parse_elf(FileSource(handle, os.fstat(handle.fileno()).st_size)).goarch or "unknown"
    except (OSError, ElfError):
        return None


def entrypoint_problem(path: Path) -> str | None:
    """Why exec would fail on Lambda for this bootstrap, worded as Go's fork/exec says it.

    Lambda runs the function as a user that owns none of the files, so what counts are
    the permission bits for others: x to execute, and r too for a script's interpreter.
    None when it would run.
    """
    try:
        info = os.stat(path)
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except IsADirectoryError:
        return "permission denied"
    except OSError as error:
        return _strerror(error.errno)
    needed = stat.S_IXOTH if magic == b"\x7fELF" else stat.S_IXOTH | stat.S_IROTH
    if not stat.S_ISREG(info.st_mode) or info.st_mode & needed != needed:
        return "permission denied"
    return None


def runner_command(
    bootstrap: Path, *, arch: str | None, host: str, find_program: Callable[[str], str | None]
) -> list[str]:
    """The command that starts the bootstrap: itself, or through qemu-user for another arch.

    Raises ToolError when the bootstrap needs qemu and it is not installed.
    """
    if arch is None or arch == host or arch not in QEMU_ARCH:
        return [str(bootstrap)]
    names = (f"qemu-{QEMU_ARCH[arch]}-static", f"qemu-{QEMU_ARCH[arch]}")
    for name in names:
        found = find_program(name)
        if found:
            return [found, str(bootstrap)]
    raise ToolError(
        f"bootstrap is built for {arch} and this host is {host}: {names[0]} is not installed, so it cannot run here",
        hint="install qemu-user-static (Debian/Ubuntu: apt-get install qemu-user-static)"
        + (f", or build the function for {host} too and run that" if host in QEMU_ARCH else ""),
    )


def lambda_environment(
    *,
    function_name: str,
    runtime_api: str,
    task_root: Path,
    memory_mb: int,
    region: str,
    log_stream: str,
    user_env: Sequence[tuple[str, str]] = (),
) -> dict[str, str]:
    """The environment Lambda gives a provided.al2023 bootstrap, then the user's --env values."""
    root = str(task_root)
    env = {
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "_HANDLER": HANDLER,
        "LAMBDA_TASK_ROOT": root,
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": FUNCTION_VERSION,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        "LD_LIBRARY_PATH": f"/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:{root}:{root}/lib:/opt/lib",
    }
    env.update(user_env)
    return env


def log_stream_name(now: datetime, suffix: str) -> str:
    """YYYY/MM/DD/[$LATEST]<32 hex>, the shape of a Lambda log stream name."""
    return f"{now:%Y/%m/%d}/[{FUNCTION_VERSION}]{suffix}"


def trace_id(now: float) -> str:
    """An X-Ray trace header value as Lambda sends in Lambda-Runtime-Trace-Id."""
    return f"Root=1-{int(now):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"


# ─── Waiting for the runtime ──────────────────────────────────────────────────────────


@dataclass(frozen=True, kw_only=True)
class ProcessExited:
    """The bootstrap process ended (returncode < 0: killed by that signal)."""

    returncode: int
    at: float


@dataclass(frozen=True)
class TimedOut:
    """The deadline passed first."""


EventSource = Callable[[float], object | None]  # waits up to N seconds; None if nothing came
Ready = NextRequested | InitFailed | ProcessExited | TimedOut
Answer = Responded | InvocationFailed | ProcessExited | TimedOut


def wait_until_ready(next_event: EventSource, *, deadline: float, clock: Callable[[], float]) -> Ready:
    """Waits for the runtime to ask for work (init over / previous invocation complete)."""
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            return TimedOut()
        event = next_event(remaining)
        if isinstance(event, (NextRequested, InitFailed, ProcessExited)):
            return TimedOut() if event.at > deadline else event


def wait_for_answer(
    next_event: EventSource, *, request_id: str, deadline: float, clock: Callable[[], float]
) -> Answer:
    """Waits for the runtime's response or error for `request_id`, its exit, or the deadline.

    An answer that arrived after the deadline counts as a timeout, as on Lambda.
    """
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            return TimedOut()
        event = next_event(remaining)
        if isinstance(event, (Responded, InvocationFailed)) and event.request_id == request_id:
            return TimedOut() if event.at > deadline else event
        if isinstance(event, ProcessExited):
            return TimedOut() if event.at > deadline else event


def exit_reason(returncode: int) -> str:
    """How Lambda words a runtime exit: 'Runtime exited with error: exit status 3'."""
    if returncode == 0:
        return "Runtime exited without providing a reason"
    if returncode > 0:
        return f"Runtime exited with error: exit status {returncode}"
    try:
        name = signal.strsignal(-returncode) or f"signal {-returncode}"
    except ValueError:
        name = f"signal {-returncode}"
    return f"Runtime exited with error: signal: {name[:1].lower()}{name[1:]}"


def describe_error(payload: bytes, fallback_type: str) -> tuple[str, str]:
    """errorType and errorMessage of an error document; the fallback type when it has none."""
    try:
        document = json.loads(payload)
    except ValueError:
        document = None
    if isinstance(document, dict):
        error_type = document.get("errorType")
        message = document.get("errorMessage")
        return (
            error_type if isinstance(error_type, str) and error_type else fallback_type or "Unhandled",
            message if isinstance(message, str) else "",
        )
    return fallback_type or "Unhandled", payload.decode("utf-8", "replace")


# ─── Results ──────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, kw_only=True)
class InvocationResult:
    """One invocation as Lambda's Invoke API would answer it, plus what its logs and timing were."""

    request_id: str
    payload: bytes  # the response, or Lambda's error document
    content_type: str = "application/json"
    error_type: str | None = None  # None for a successful response
    error_message: str | None = None
    duration_ms: float = 0.0
    init_duration_ms: float | None = None  # set when this invocation started the process
    cold_start: bool = False
    max_memory_mb: int | None = None
    logs: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error_type is None

    def summary(self) -> str:
        """One line: the error type and message, or 'ok'."""
        if self.ok:
            return "ok"
        return f"{self.error_type}: {self.error_message}" if self.error_message else str(self.error_type)


def report_document(target: InvokeTarget, arch: str | None, results: Sequence[InvocationResult]) -> dict[str, Any]:
    """The --json report: the function, and each invocation's response, error, timing and logs."""
    return {
        "function": target.function_name,
        "zip": str(target.zip_path),
        "arch": arch,
        "ok": all(r.ok for r in results),
        "invocations": [
            {
                "request_id": r.request_id,
                "ok": r.ok,
                "response": _payload_value(r.payload),
                "error": None if r.ok else {"errorType": r.error_type, "errorMessage": r.error_message},
                "cold_start": r.cold_start,
                "duration_ms": round(r.duration_ms, 2),
                "init_duration_ms": None if r.init_duration_ms is None else round(r.init_duration_ms, 2),
                "max_memory_mb": r.max_memory_mb,
                "logs": list(r.logs),
            }
            for r in results
        ],
    }


def _payload_value(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        return payload.decode("utf-8", "replace")


@dataclass(frozen=True, kw_only=True)
class InvokeSettings:
    """How to run: Lambda's configuration values and what the host offers."""

    host_arch: str
    timeout: float = DEFAULT_TIMEOUT
    init_timeout: float = INIT_TIMEOUT
    region: str = DEFAULT_REGION
    env: tuple[tuple[str, str], ...] = ()
    find_program: Callable[[str], str | None] = field(default=shutil.which)

    @property
    def memory_mb(self) -> int:
        """128 MB as Lambda's default, unless --env AWS_LAMBDA_FUNCTION_MEMORY_SIZE says otherwise."""
        value = dict(self.env).get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        return int(value) if value.isdigit() else DEFAULT_MEMORY_MB


# ─── Running ──────────────────────────────────────────────────────────────────────────


class InvokeSession:
    """A local execution environment for one zip; invoke it as many times as needed.

    Entering unpacks the zip and checks the host can run its bootstrap (ToolError if
    qemu is needed and missing). Leaving stops the process and deletes the task root.
    """

    def __init__(
        self,
        *,
        target: InvokeTarget,
        settings: InvokeSettings,
        log_sink: LogSink,
        reporter: Reporter | None = None,
    ) -> None:
        self.target = target
        self.settings = settings
        self.reporter = reporter or NullReporter()
        self._sink = log_sink
        self._lines: list[str] = []
        self._lines_lock = threading.Lock()
        self._task_root: Path | None = None
        self._command: list[str] = []
        self._env: _Environment | None = None
        self.arch: str | None = None  # the bootstrap's architecture, once unpacked
        self._arch_mismatch = False
        self._log_stream = log_stream_name(datetime.now(timezone.utc), secrets.token_hex(16))

    @property
    def task(self) -> str:
        return f"{self.target.function_name}/{self.arch or 'unknown'}"

    @property
    def task_root(self) -> Path:
        if self._task_root is None:
            raise RuntimeError("the session has not been entered")
        return self._task_root

    def __enter__(self) -> InvokeSession:
        self._task_root = Path(tempfile.mkdtemp(prefix="gobuild-invoke-")).resolve()
        try:
            unpack_zip(self.target.zip_path, self._task_root)
            bootstrap = self._task_root / "bootstrap"
            found = bootstrap_arch(bootstrap)
            self.arch = found or self.target.arch or self.settings.host_arch
            # Lambda runs an arm64 binary on x86_64 no better than exec does: "exec format error".
            self._arch_mismatch = bool(found and self.target.arch and found != self.target.arch)
            if self._arch_mismatch:
                self._command = [str(bootstrap)]
            else:
                self._command = runner_command(
                    bootstrap, arch=found, host=self.settings.host_arch, find_program=self.settings.find_program
                )
            if len(self._command) > 1:
                self.reporter.progress(self.task, f"{found} bootstrap runs through {Path(self._command[0]).name}")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stops the bootstrap and removes the task root; safe to call twice."""
        if self._env is not None:
            self._env.stop(kill=False)
            self._env = None
        if self._task_root is not None:
            shutil.rmtree(self._task_root, ignore_errors=True)
            self._task_root = None

    def invoke(self, payload: bytes) -> InvocationResult:
        """Sends one event and waits for its outcome; never raises for a failing function."""
        request_id = str(uuid.uuid4())
        first_line = self._line_count()
        self.reporter.started(self.task, request_id)
        cold = self._env is None or not self._env.alive
        init_ms: float | None = None
        if cold:
            if self._env is not None:
                self._env.stop(kill=True)
                self._env = None
                self.reporter.progress(self.task, "the previous process ended: cold start")
            started = self._cold_start(request_id)
            if isinstance(started, InvocationResult):
                return self._finish(started, first_line)
            init_ms = started
        env = self._env
        assert env is not None
        self._log(f"START RequestId: {request_id} Version: {FUNCTION_VERSION}")
        begun = time.monotonic()
        deadline = begun + self.settings.timeout
        env.api.submit(Invocation(
            request_id=request_id,
            payload=payload,
            # Rounded up: the runtime's own deadline must not come before ours.
            deadline_ms=math.ceil((time.time() + self.settings.timeout) * 1000),
            function_arn=f"arn:aws:lambda:{self.settings.region}:{ACCOUNT_ID}:function:{self.target.function_name}",
            trace_id=trace_id(time.time()),
        ))
        answer = wait_for_answer(env.next_event, request_id=request_id, deadline=deadline, clock=time.monotonic)
        duration_ms = (time.monotonic() - begun) * 1000
        if isinstance(answer, (Responded, InvocationFailed)):
            # The invocation is complete when the runtime asks for the next one, as on Lambda;
            # a second of grace keeps an answer just inside the deadline from costing a cold start.
            after = wait_until_ready(env.next_event, deadline=max(deadline, time.monotonic() + 1.0),
                                     clock=time.monotonic)
            memory = env.max_memory_mb()
            if isinstance(after, NextRequested):
                env.sync_logs()
            else:
                env.stop(kill=True)
        else:
            memory = env.max_memory_mb()
            env.stop(kill=True)  # also drains the output, so the function's last lines come first
        result = self._answer_result(request_id, answer, duration_ms, init_ms, memory)
        self._log(f"END RequestId: {request_id}")
        self._log(self._report_line(request_id, duration_ms, init_ms, memory))
        return self._finish(result, first_line)

    # Internals.

    def _cold_start(self, request_id: str) -> InvocationResult | float:
        """Starts a fresh process and waits for init; returns the init time or the failure."""
        bootstrap = self.task_root / "bootstrap"
        started = time.monotonic()
        self._log("INIT_START Runtime Version: provided:al2023")
        spawned = self._spawn(bootstrap)
        if isinstance(spawned, str):
            note = self._entrypoint_note(bootstrap, spawned)
            if note:
                self._log(note)
            return self._init_failure(request_id, INVALID_ENTRYPOINT, f"fork/exec {bootstrap}: {spawned}", started)
        # Init may use Lambda's 10 s and then, as a retried init, the invocation's timeout.
        deadline = started + self.settings.init_timeout + self.settings.timeout
        ready = wait_until_ready(spawned.next_event, deadline=deadline, clock=time.monotonic)
        if isinstance(ready, NextRequested):
            self._env = spawned
            return (time.monotonic() - started) * 1000
        spawned.stop(kill=True)  # drains its output too
        if isinstance(ready, InitFailed):
            error_type, message = describe_error(ready.payload, ready.error_type or "Runtime.Unknown")
            return self._init_failure(request_id, error_type, message, started, payload=ready.payload)
        if isinstance(ready, ProcessExited):
            return self._init_failure(request_id, EXIT_ERROR, exit_reason(ready.returncode), started)
        self._log(self._timeout_line(request_id))
        return self._init_failure(request_id, TIMED_OUT, self._timeout_message(), started)

    def _entrypoint_note(self, bootstrap: Path, problem: str) -> str | None:
        """A line for the log that says why Lambda's terse error happened, when we know."""
        if self._arch_mismatch:
            return f"bootstrap is built for {self.arch}, but the function's architecture is {self.target.arch}"
        if problem == "permission denied" and bootstrap.is_file():
            mode = stat.S_IMODE(bootstrap.stat().st_mode)
            return (f"bootstrap has mode {mode:04o}: Lambda runs functions as a user that does not own "
                    "the file, so others need the x bit (0755)")
        return None

    def _spawn(self, bootstrap: Path) -> _Environment | str:
        """A started environment, or why exec failed (worded as Go's fork/exec error)."""
        problem = "exec format error" if self._arch_mismatch else entrypoint_problem(bootstrap)
        if problem is not None:
            return problem
        env = _Environment(on_line=self._log)
        environment = lambda_environment(
            function_name=self.target.function_name,
            runtime_api=env.api.address,
            task_root=self.task_root,
            memory_mb=self.settings.memory_mb,
            region=self.settings.region,
            log_stream=self._log_stream,
            user_env=self.settings.env,
        )
        try:
            env.start(self._command, cwd=self.task_root, environment=environment)
        except OSError as error:
            env.stop(kill=True)
            return _strerror(error.errno)
        return env

    def _init_failure(
        self, request_id: str, error_type: str, reason: str, started: float, *, payload: bytes | None = None
    ) -> InvocationResult:
        init_ms = (time.monotonic() - started) * 1000
        message = reason if payload is not None else f"RequestId: {request_id} Error: {reason}"
        if error_type == TIMED_OUT:
            self._log(f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: timeout")
        else:
            self._log(f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: error\t"
                      f"Error Type: {error_type}")
        if payload is None and error_type != TIMED_OUT:
            self._log(message)
            self._log(error_type)
        return InvocationResult(
            request_id=request_id,
            payload=payload if payload is not None else error_document(error_type, message),
            error_type=error_type,
            error_message=message,
            init_duration_ms=init_ms,
            cold_start=True,
        )

    def _answer_result(
        self, request_id: str, answer: Answer, duration_ms: float, init_ms: float | None, memory: int | None
    ) -> InvocationResult:
        common: dict[str, Any] = {
            "request_id": request_id,
            "duration_ms": duration_ms,
            "init_duration_ms": init_ms,
            "cold_start": init_ms is not None,
            "max_memory_mb": memory,
        }
        if isinstance(answer, Responded):
            return InvocationResult(payload=answer.payload, content_type=answer.content_type or "application/json",
                                    **common)
        if isinstance(answer, InvocationFailed):
            error_type, message = describe_error(answer.payload, answer.error_type)
            return InvocationResult(payload=answer.payload, error_type=error_type, error_message=message, **common)
        if isinstance(answer, ProcessExited):
            reason = exit_reason(answer.returncode)
            self._log(f"RequestId: {request_id} Error: {reason}")
            self._log(EXIT_ERROR)
            message = f"RequestId: {request_id} Error: {reason}"
            return InvocationResult(payload=error_document(EXIT_ERROR, message), error_type=EXIT_ERROR,
                                    error_message=message, **common)
        self._log(self._timeout_line(request_id))
        message = f"RequestId: {request_id} Error: {self._timeout_message()}"
        return InvocationResult(payload=error_document(TIMED_OUT, message), error_type=TIMED_OUT,
                                error_message=message, **common)

    def _timeout_message(self) -> str:
        return f"Task timed out after {self.settings.timeout:.2f} seconds"

    def _timeout_line(self, request_id: str) -> str:
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return f"{now} {request_id} {self._timeout_message()}"

    def _report_line(self, request_id: str, duration_ms: float, init_ms: float | None,
                     memory: int | None) -> str:
        parts = [
            f"REPORT RequestId: {request_id}",
            f"Duration: {duration_ms:.2f} ms",
            f"Billed Duration: {math.ceil(duration_ms)} ms",
            f"Memory Size: {self.settings.memory_mb} MB",
        ]
        if memory is not None:
            parts.append(f"Max Memory Used: {memory} MB")
        if init_ms is not None:
            parts.append(f"Init Duration: {init_ms:.2f} ms")
        return "\t".join(parts)

    def _finish(self, result: InvocationResult, first_line: int) -> InvocationResult:
        with self._lines_lock:
            logs = tuple(self._lines[first_line:])
        result = dataclasses.replace(result, logs=logs)
        self.reporter.finished(self.task, result.ok, "" if result.ok else result.summary(),
                               request_id=result.request_id, seconds=result.duration_ms / 1000)
        return result

    def _line_count(self) -> int:
        with self._lines_lock:
            return len(self._lines)

    def _log(self, line: str) -> None:
        # Called from the log pump thread too; the lock keeps lines whole and in order.
        with self._lines_lock:
            self._lines.append(line)
            self._sink(line)


class _Environment:
    """One execution environment: a Runtime API server and the bootstrap process using it."""

    def __init__(self, *, on_line: LogSink) -> None:
        self._events: queue.Queue[object] = queue.Queue()
        self.api = RuntimeAPI(self._events.put)
        self.api.__enter__()
        self._on_line = on_line
        self._process: subprocess.Popen[bytes] | None = None
        self._pump: _LogPump | None = None
        self._watcher: threading.Thread | None = None
        self._memory: int | None = None
        self._stopped = False

    def start(self, command: list[str], *, cwd: Path, environment: dict[str, str]) -> None:
        """Starts the bootstrap in its own process group; OSError if exec fails."""
        self._process = subprocess.Popen(
            command,
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so a timeout kills the children it started too
        )
        assert self._process.stdout is not None
        self._pump = _LogPump(self._process.stdout, self._on_line)
        self._watcher = threading.Thread(target=self._watch, name="bootstrap-watcher", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        assert self._process is not None
        returncode = self._process.wait()
        self._events.put(ProcessExited(returncode=returncode, at=time.monotonic()))

    def next_event(self, timeout: float) -> object | None:
        try:
            return self._events.get(timeout=max(timeout, 0))
        except queue.Empty:
            return None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def max_memory_mb(self) -> int | None:
        """The process's peak resident memory (VmHWM), rounded up to MB; kept after it exits."""
        if self._process is not None and self._process.poll() is None:
            try:
                status = Path(f"/proc/{self._process.pid}/status").read_text()
            except OSError:
                return self._memory
            match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
            if match:
                self._memory = math.ceil(int(match.group(1)) / 1024)
        return self._memory

    def sync_logs(self) -> None:
        """Waits until everything the process wrote so far has reached the log sink."""
        if self._pump is not None:
            self._pump.sync()

    def stop(self, *, kill: bool) -> None:
        """Ends the process (SIGKILL, or SIGTERM first with a short grace) and the server; once."""
        if self._stopped:
            return
        self._stopped = True
        process = self._process
        if process is not None and process.poll() is None:
            self._signal_group(process, signal.SIGKILL if kill else signal.SIGTERM)
            try:
                process.wait(timeout=None if kill else _STOP_GRACE)
            except subprocess.TimeoutExpired:
                self._signal_group(process, signal.SIGKILL)
                process.wait()
        if self._pump is not None:
            self._pump.close()
        self.api.close()

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
        try:
            os.killpg(process.pid, signum)  # the group start_new_session made: ours alone
        except (ProcessLookupError, PermissionError):
            pass


class _LogPump:
    """Reads the process's output line by line on a thread and hands each line on.

    `sync()` makes the thread read everything already in the pipe before returning, so
    the lines written before a response are attributed to that invocation.
    """

    def __init__(self, stream: IO[bytes], on_line: LogSink) -> None:
        self._stream = stream
        self._fd = stream.fileno()
        os.set_blocking(self._fd, False)
        self._on_line = on_line
        self._wake_read, self._wake_write = os.pipe()
        self._cond = threading.Condition()
        self._requested = 0
        self._served = 0
        self._finished = False
        self._closed = False
        self._buffer = b""
        self._thread = threading.Thread(target=self._run, name="bootstrap-logs", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                readable, _, _ = select.select([self._fd, self._wake_read], [], [])
                with self._cond:
                    wanted = self._requested
                if self._wake_read in readable:
                    os.read(self._wake_read, 4096)
                ended = self._drain()
                with self._cond:
                    self._served = max(self._served, wanted)
                    if ended:
                        self._finished = True
                    self._cond.notify_all()
                if ended:
                    return
        finally:
            with self._cond:
                self._finished = True
                self._cond.notify_all()

    def _drain(self) -> bool:
        """Reads all that is available; True at end of file."""
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                return False
            except OSError:
                chunk = b""
            if not chunk:
                if self._buffer:
                    self._emit(self._buffer)
                    self._buffer = b""
                return True
            self._buffer += chunk
            *lines, self._buffer = self._buffer.split(b"\n")
            for line in lines:
                self._emit(line)
            if len(self._buffer) > _MAX_LOG_LINE:
                self._emit(self._buffer)
                self._buffer = b""

    def _emit(self, line: bytes) -> None:
        self._on_line(line.decode("utf-8", "replace").rstrip("\r"))

    def sync(self, timeout: float = 2.0) -> None:
        with self._cond:
            if self._finished:
                return
            self._requested += 1
            target = self._requested
            os.write(self._wake_write, b"x")
            self._cond.wait_for(lambda: self._served >= target or self._finished, timeout)

    def close(self) -> None:
        """Waits briefly for the rest of the output, then releases the pipes."""
        self._thread.join(timeout=2.0)
        if not self._thread.is_alive() and not self._closed:
            self._closed = True
            self._stream.close()
            os.close(self._wake_read)
            os.close(self._wake_write)


def _strerror(errno_value: int | None) -> str:
    # Go's fork/exec errors are the C library's messages in lower case.
    text = os.strerror(errno_value) if errno_value else "unknown error"
    return text[:1].lower() + text[1:]
