"""The task root: a deployment zip unpacked as Lambda lays out /var/task, the command that
starts its bootstrap (through qemu-user for another architecture), and Lambda's environment.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from gobuild.check.binary import speaks_runtime_api
from gobuild.check.buildinfo import read_buildinfo
from gobuild.check.elf import ElfError, FileSource, parse_elf
from gobuild.check.extract import extract_zip
from gobuild.errors import GobuildError, InvokeError, ToolError, UsageError
from gobuild.lambda_facts import AWS_LAMBDA_GO, HANDLER, UNZIPPED_LIMIT, Arch, predates_runtime_api

FUNCTION_VERSION = "$LATEST"


# ─── The task root ────────────────────────────────────────────────────────────────────


def unpack_zip(zip_path: Path, dest: Path, *, max_bytes: int = UNZIPPED_LIMIT) -> None:
    """Extracts a deployment zip into the empty folder `dest`, as Lambda lays out /var/task.

    The archive is judged as `gobuild verify` judges it (gobuild.check.extract): whatever verify
    refuses for the archive itself (unsafe or clashing paths, escaping symlinks, encryption,
    methods Lambda cannot unzip, corrupt data, more than `max_bytes` unzipped) is an InvokeError
    with verify's message and fix, and nothing is written outside `dest`. Files keep their Unix
    permission bits (0644 when the zip has none, as for zips written on Windows).
    """
    try:
        extract_zip(zip_path, dest, max_bytes=max_bytes)
    except UsageError:
        raise
    except GobuildError as error:
        raise InvokeError(error.message, hint=error.hint) from None


def bootstrap_arch(path: Path) -> str | None:
    """The GOARCH of an ELF bootstrap; None when it is missing or not ELF (a script)."""
    try:
        with open(path, "rb") as handle:
            return parse_elf(FileSource(handle, os.fstat(handle.fileno()).st_size)).goarch or "unknown"
    except (OSError, ElfError):
        return None


def old_lambda_go(path: Path) -> str | None:
    """The aws-lambda-go version an ELF bootstrap was built with, when it predates the Runtime API
    (v1.18.0): such a bootstrap never asks for events, so every invocation times out."""
    try:
        with open(path, "rb") as handle:
            source = FileSource(handle, os.fstat(handle.fileno()).st_size)
            info = read_buildinfo(source, parse_elf(source))
    except (OSError, ElfError):
        return None
    module = info.dep(AWS_LAMBDA_GO) if info else None
    version = module.effective_version if module else ""
    return version if version and predates_runtime_api(version) else None


def lacks_runtime_client(path: Path) -> bool:
    """True when a Go bootstrap neither uses aws-lambda-go nor holds the Runtime API's path (an
    HTTP server or a CLI): it never asks for events, so every invocation times out."""
    try:
        with open(path, "rb") as handle:
            source = FileSource(handle, os.fstat(handle.fileno()).st_size)
            elf = parse_elf(source)
            info = read_buildinfo(source, elf)
            return info is not None and info.dep(AWS_LAMBDA_GO) is None and not speaks_runtime_api(source, elf)
    except (OSError, ElfError):
        return False


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
        return exec_error(error.errno)
    needed = stat.S_IXOTH if magic == b"\x7fELF" else stat.S_IXOTH | stat.S_IROTH
    if not stat.S_ISREG(info.st_mode) or info.st_mode & needed != needed:
        return "permission denied"
    return None


def runner_command(
    bootstrap: Path, *, arch: str | None, host: str, find_program: Callable[[str], str | None],
    find_sysroot: Callable[[Arch], str | None] | None = None,
) -> list[str]:
    """The command that starts the bootstrap: itself, or through qemu-user for another arch (with
    `-L <that arch's C library>` for a dynamically linked one: a cgo build).

    Raises ToolError when the bootstrap needs qemu, or that C library, and it is not installed.
    """
    wanted = Arch.parse(arch) if arch else None
    if wanted is None or arch == host:
        return [str(bootstrap)]
    names = (f"qemu-{wanted.qemu_name}-static", f"qemu-{wanted.qemu_name}")
    for name in names:
        found = find_program(name)
        if found:
            return [found, *_sysroot_args(bootstrap, wanted, find_sysroot or find_cross_sysroot), str(bootstrap)]
    raise ToolError(
        f"bootstrap is built for {arch} and this host is {host}: {names[0]} is not installed, so it cannot run here",
        hint="install qemu-user-static (Debian/Ubuntu: apt-get install qemu-user-static)"
        + (f", or build the function for {host} too and run that" if Arch.parse(host) else ""),
    )


def find_cross_sysroot(arch: Arch) -> str | None:
    """The folder holding another architecture's glibc as Debian's cross packages install it
    (libc6-arm64-cross: /usr/aarch64-linux-gnu), when its loader is there."""
    root = f"/usr/{arch.gnu_triple}"
    return root if os.path.exists(root + arch.loader) else None


def _sysroot_args(bootstrap: Path, arch: Arch, find_sysroot: Callable[[Arch], str | None]) -> list[str]:
    """qemu's -L for a dynamically linked bootstrap, so that its loader and libraries are the
    target architecture's; nothing for a static one."""
    try:
        with open(bootstrap, "rb") as handle:
            interpreter = parse_elf(FileSource(handle, os.fstat(handle.fileno()).st_size)).interpreter
    except (OSError, ElfError):
        return []
    if not interpreter:
        return []
    root = find_sysroot(arch)
    if root is None:
        raise ToolError(
            f"bootstrap is a dynamically linked {arch.goarch} executable (a cgo build: it needs {interpreter}), "
            f"and this host has no {arch.goarch} C library for qemu to run it with",
            hint=f"install {arch.goarch}'s glibc for cross use (Debian/Ubuntu: apt-get install "
            f"libc6-{arch.goarch}-cross, which fills /usr/{arch.gnu_triple})",
        )
    return ["-L", root]


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
        # Lambda has no instance metadata service; the host's may hand out its credentials.
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.update(user_env)
    return env


def log_stream_name(now: datetime, suffix: str) -> str:
    """YYYY/MM/DD/[$LATEST]<32 hex>, the shape of a Lambda log stream name."""
    return f"{now:%Y/%m/%d}/[{FUNCTION_VERSION}]{suffix}"


def trace_id(now: float) -> str:
    """An X-Ray trace header value as Lambda sends in Lambda-Runtime-Trace-Id."""
    return f"Root=1-{int(now):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"


def exec_error(errno_value: int | None) -> str:
    """How Go's fork/exec words an errno: the C library's message in lower case."""
    # Go's fork/exec errors are the C library's messages in lower case.
    text = os.strerror(errno_value) if errno_value else "unknown error"
    return text[:1].lower() + text[1:]
