"""The task root: a deployment zip unpacked as Lambda lays out /var/task, the command that
starts its bootstrap (through qemu-user for another architecture), and Lambda's environment.
"""

from __future__ import annotations

import os
import secrets
import stat
import zipfile
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path, PurePosixPath

from gobuild.check.elf import ElfError, FileSource, parse_elf
from gobuild.errors import InvokeError, ToolError
from gobuild.lambda_facts import HANDLER, UNZIPPED_LIMIT, Arch

FUNCTION_VERSION = "$LATEST"



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


def unpack_zip(zip_path: Path, dest: Path, *, max_bytes: int = UNZIPPED_LIMIT) -> None:
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
        return exec_error(error.errno)
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
    wanted = Arch.parse(arch) if arch else None
    if wanted is None or arch == host:
        return [str(bootstrap)]
    names = (f"qemu-{wanted.qemu_name}-static", f"qemu-{wanted.qemu_name}")
    for name in names:
        found = find_program(name)
        if found:
            return [found, str(bootstrap)]
    raise ToolError(
        f"bootstrap is built for {arch} and this host is {host}: {names[0]} is not installed, so it cannot run here",
        hint="install qemu-user-static (Debian/Ubuntu: apt-get install qemu-user-static)"
        + (f", or build the function for {host} too and run that" if Arch.parse(host) else ""),
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


def exec_error(errno_value: int | None) -> str:
    """How Go's fork/exec words an errno: the C library's message in lower case."""
    # Go's fork/exec errors are the C library's messages in lower case.
    text = os.strerror(errno_value) if errno_value else "unknown error"
    return text[:1].lower() + text[1:]
