"""The one home of facts about AWS Lambda and gobuild's own conventions.

Architectures and their names in Lambda, Go, ELF and qemu; Lambda's limits; the runtimes and
their dates; the artifact file name; the manifest's name and defaults. Every other module
imports these instead of keeping its own copy. Standard library only, and cheap to import.
"""

from __future__ import annotations

import os


class Arch:
    """A Lambda architecture and its names in Lambda, Go, ELF and qemu. There are exactly two,
    Arch.AMD64 and Arch.ARM64 (a plain class, not enum.Enum: this module is imported by the
    no-op fast path, where building an Enum class costs more than the whole check)."""

    __slots__ = ("elf_machine", "gnu_triple", "goarch", "lambda_name", "loader", "qemu_name")
    AMD64: Arch
    ARM64: Arch

    def __init__(self, goarch: str, lambda_name: str, qemu_name: str, elf_machine: int, loader: str,
                 gnu_triple: str) -> None:
        self.goarch = goarch  # GOARCH, and the name gobuild uses everywhere (zip names, manifests)
        self.lambda_name = lambda_name  # in a definition's Architectures: x86_64, arm64
        self.qemu_name = qemu_name  # qemu-user's binary suffix: qemu-x86_64, qemu-aarch64
        self.elf_machine = elf_machine  # ELF e_machine: EM_X86_64 (62), EM_AARCH64 (183)
        self.loader = loader  # the dynamic loader provided.al2023 has
        self.gnu_triple = gnu_triple  # the C toolchain's name for it: x86_64-linux-gnu

    @property
    def value(self) -> str:
        return self.goarch

    def __repr__(self) -> str:
        return f"Arch.{self.goarch.upper()}"

    @staticmethod
    def parse(text: str) -> Arch | None:
        """Any spelling Lambda, Go, uname or qemu use (amd64, x86_64, x86-64, arm64, aarch64),
        in any case; None for anything else."""
        return _SPELLINGS.get(text.strip().lower())

    @staticmethod
    def all() -> tuple[Arch, ...]:
        return (Arch.AMD64, Arch.ARM64)


Arch.AMD64 = Arch("amd64", "x86_64", "x86_64", 62, "/lib64/ld-linux-x86-64.so.2", "x86_64-linux-gnu")
Arch.ARM64 = Arch("arm64", "arm64", "aarch64", 183, "/lib/ld-linux-aarch64.so.1", "aarch64-linux-gnu")
_SPELLINGS = {
    "amd64": Arch.AMD64, "x86_64": Arch.AMD64, "x86-64": Arch.AMD64, "x64": Arch.AMD64,
    "arm64": Arch.ARM64, "aarch64": Arch.ARM64,
}
ARCHES = tuple(a.goarch for a in Arch.all())  # ("amd64", "arm64")
ARCH_SPELLINGS = "amd64 (x86_64) or arm64 (aarch64)"
# What Lambda assumes when a definition names no architecture.
LAMBDA_DEFAULT_ARCH = Arch.AMD64


def arch_name(text: str) -> str | None:
    """The GOARCH name ("amd64"/"arm64") for any spelling, or None."""
    found = Arch.parse(text)
    return found.goarch if found else None


# ─── Limits ───────────────────────────────────────────────────────────────────────────

MIB = 1024 * 1024
ZIPPED_LIMIT = 50 * MIB  # a zip uploaded directly (not through S3)
UNZIPPED_LIMIT = 250 * MIB  # function code and layers, unzipped
MAX_EVENT_BYTES = 6 * 1024 * 1024  # a synchronous Invoke request or response
DEFAULT_TIMEOUT = 3.0  # seconds
MIN_TIMEOUT = 1.0
MAX_TIMEOUT = 900.0
DEFAULT_MEMORY_MB = 128
MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10240
INIT_TIMEOUT = 10.0  # Lambda gives init 10 s

# ─── Runtimes ─────────────────────────────────────────────────────────────────────────

TARGET_RUNTIME = "provided.al2023"
OLD_RUNTIMES = ("go1.x", "provided.al2")
HANDLER = "bootstrap"  # what custom runtimes ignore but CloudFormation still requires
BOOTSTRAP = "bootstrap"


class RuntimeDates:
    """AWS's dates for a runtime (ISO YYYY-MM-DD, which compare as text): deprecation, then
    function creation blocked, then function updates blocked."""

    def __init__(self, deprecated: str, create_blocked: str, update_blocked: str) -> None:
        self.deprecated = deprecated
        self.create_blocked = create_blocked
        self.update_blocked = update_blocked


# AWS's "Lambda runtimes" page: deprecation, block function create, block function update.
# go1.x and provided (AL1) share one row; AWS has moved their update block more than once
# (2025-02-28, 2025-11-01, 2026-07-01); provided.al2's row is the Go page's OS-only table.
RUNTIME_DATES = {
    "go1.x": RuntimeDates("2024-01-08", "2024-02-08", "2026-07-01"),
    "provided": RuntimeDates("2024-01-08", "2024-02-08", "2026-07-01"),
    "provided.al2": RuntimeDates("2026-06-30", "2026-07-31", "2026-08-31"),
    "provided.al2023": RuntimeDates("2029-06-30", "2029-07-31", "2029-08-31"),
}
# A customer-managed runtime: `Runtime: custom` plus RuntimeConfig (RuntimeArn, RuntimeAlias).
CUSTOM_RUNTIME = "custom"
# Managed runtimes of other languages, by identifier prefix: listed, never judged.
OTHER_LANGUAGE_RUNTIMES = ("nodejs", "python", "java", "dotnet", "ruby")

# Environment variables Lambda sets itself; a function that sets one is refused at deploy
# ("Reserved keys used in this request"). TZ is documented beside them but is accepted.
RESERVED_ENV_NAMES = (
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
)
RESERVED_ENV_PREFIXES = ("AWS_LAMBDA_FUNCTION_",)  # _NAME, _MEMORY_SIZE, _VERSION, ...


def is_reserved_env(name: str) -> bool:
    """Whether Lambda reserves this environment variable name for itself."""
    return name in RESERVED_ENV_NAMES or name.startswith(RESERVED_ENV_PREFIXES)

# ─── provided.al2023's system ─────────────────────────────────────────────────────────

AL2023_GLIBC = (2, 34)
# Shared libraries every provided.al2023 image has, by DT_NEEDED name: glibc 2.34's own
# libraries and loaders (the AL2023 user guide, "glibc, gcc and binutils"), and libgcc_s, which
# every Rust binary cargo-lambda builds for provided.al2023 links (aws/aws-lambda-builders#640).
# libstdc++ and the rest are left out until the image is shown to ship them: unknown is an error.
AL2023_LIBRARIES = (
    "ld-linux-aarch64.so.1", "ld-linux-x86-64.so.2", "libanl.so.1", "libc.so.6", "libdl.so.2",
    "libgcc_s.so.1", "libm.so.6", "libpthread.so.0", "libresolv.so.2", "librt.so.1", "libutil.so.1",
)  # fmt: skip
# Lambda's x86_64 fleet does not promise AVX2 (x86-64-v3); GOAMD64 above this may crash there.
AMD64_LEVEL_MAX = "v2"
# Graviton2, the oldest arm64 host Lambda runs on, implements Armv8.2 (with LSE and crypto).
ARM64_LEVEL_MAX = (8, 2)
AWS_LAMBDA_GO = "github.com/aws/aws-lambda-go"
# aws-lambda-go learned the Runtime API (what provided.* runtimes speak) in v1.18.0.
RUNTIME_API_SINCE = (1, 18, 0)


def predates_runtime_api(version: str) -> bool:
    """Whether an aws-lambda-go version (v1.17.0, v1.18.0-rc1, v1.6.0+incompatible...) is older
    than v1.18.0, so it cannot receive events on provided.* runtimes; False when not semver."""
    import re

    match = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?", version)
    if match is None:
        return False
    release = tuple(int(match.group(i)) for i in (1, 2, 3))
    # A pre-release of v1.18.0 comes before v1.18.0 itself.
    return release < RUNTIME_API_SINCE or (release == RUNTIME_API_SINCE and match.group(4) is not None)
# Lambda's unzipper reads only these compression methods: stored and Deflate.
LAMBDA_ZIP_METHODS = (0, 8)

# ─── gobuild's conventions ────────────────────────────────────────────────────────────

MANIFEST_NAME = "gobuild.toml"
MAX_MANIFEST_BYTES = 1 * MIB  # a manifest is refused, unread, above this (or if not a regular file)
DEFAULT_OUT_DIR = "dist"
DEFAULT_ARCHITECTURES = ("arm64",)
DEFAULT_TAGS = ("lambda.norpc",)
DEFAULT_LDFLAGS = "-s -w"
ARTIFACTS_NAME = "artifacts.json"
PUBLISHED_NAME = "published.json"


def out_dir_of(manifest_path: str, data: dict[str, object]) -> str:
    """The absolute folder a parsed manifest writes to: its `out_dir` (default dist) from the
    manifest's own folder. The manifest's checks reject an `out_dir` that is not a string."""
    value = data.get("out_dir", DEFAULT_OUT_DIR)
    folder = os.path.dirname(os.path.realpath(manifest_path))
    return os.path.realpath(os.path.join(folder, value if isinstance(value, str) else DEFAULT_OUT_DIR))


def artifact_name(function: str, arch: str) -> str:
    """The zip gobuild writes for a function and architecture: orders-arm64.zip."""
    return f"{function}-{arch}.zip"


def function_of_artifact(file_name: str) -> str:
    """orders-arm64.zip → orders: the function an artifact name (or any zip name) stands for."""
    stem = file_name[: -len(".zip")] if file_name.lower().endswith(".zip") else file_name
    for spelling in _SPELLINGS:
        suffix = f"-{spelling}"
        if stem.endswith(suffix) and len(stem) > len(suffix):
            return stem[: -len(suffix)]
    return stem or "function"


def require_arch(text: str, where: str = "--arch") -> str:
    """The GOARCH name for any spelling; a UsageError naming `where` for anything else."""
    found = arch_name(text)
    if found is None:
        from gobuild.errors import UsageError

        raise UsageError(f"{where} {text!r}: not one of {ARCH_SPELLINGS}")
    return found
