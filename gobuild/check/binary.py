"""Judges the bootstrap executable: its ELF header, what a dynamic one needs from the system,
and the Go build information (Go version, aws-lambda-go, tags, cgo, CPU level).

    judge_elf(source, name, findings, arch, bundled=...) -> Learned

`source` is any elf.Source (usually a zip entry read in place); `bundled` names the shared
libraries the archive itself carries where the loader looks (its root and lib/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gobuild.check.buildinfo import BuildInfo, read_buildinfo
from gobuild.check.elf import DynamicNeeds, ElfError, ElfFile, Source, parse_elf, read_dynamic
from gobuild.check.findings import FindingList, display, listing
from gobuild.lambda_facts import (
    AL2023_GLIBC,
    AL2023_LIBRARIES,
    AMD64_LEVEL_MAX,
    ARCHES,
    ARM64_LEVEL_MAX,
    AWS_LAMBDA_GO,
    Arch,
    predates_runtime_api,
)

# Dynamic loaders that exist in the provided.al2023 image, by GOARCH.
AL2023_LOADERS = {a.goarch: a.loader for a in Arch.all()}
# glibc's ABI markers that are not release numbers, and the release that introduced them.
GLIBC_ABI_MARKERS = {"GLIBC_ABI_DT_RELR": (2, 36)}
# Every Runtime API client builds this URL path (aws-lambda-go, or one written with net/http).
RUNTIME_API_PATH = b"/runtime/invocation/"
_SCAN_CHUNK = 1 << 20
STATIC_FIX = "build with CGO_ENABLED=0 for a static binary (gobuild build does)"
OLD_GLIBC_FIX = (
    "build with CGO_ENABLED=0 for a static binary, or compile the C code against glibc 2.34: "
    "`cgo = true` in gobuild.toml (zig), zig cc -target x86_64-linux-gnu.2.34 (aarch64-linux-gnu.2.34), "
    "or an Amazon Linux 2023 container"
)
DYNAMIC_FIX = ("nothing when no GB213 or GB214 is reported (it needs only what provided.al2023 has); "
               "CGO_ENABLED=0 gives a static binary")


@dataclass(frozen=True, kw_only=True)
class Learned:
    """What judging the bootstrap learned, beyond findings."""

    arch: str | None = None
    go_version: str | None = None
    build_info: BuildInfo | None = None


def judge_elf(source: Source, name: str, findings: FindingList, arch: str | None, *,
              bundled: frozenset[str] = frozenset()) -> Learned:
    """Adds findings about an ELF bootstrap; `arch` is the function's GOARCH, if known."""
    try:
        elf = parse_elf(source)
    except ElfError as error:
        findings.add("GB205", f"{name} is not a valid ELF file: {error}", fix="rebuild it with gobuild build",
                     entry=name)
        return Learned()
    _judge_header(elf, name, findings, arch)
    if elf.interpreter is not None:
        _judge_dynamic(source, elf, name, findings, bundled)
    info = _read_go_info(source, elf, name, findings)
    if info is None:
        return Learned(arch=elf.goarch)
    _judge_go(info, name, findings, dynamic=elf.is_dynamic)
    if info.dep(AWS_LAMBDA_GO) is None and not speaks_runtime_api(source, elf):
        # An HTTP server or a CLI zipped by mistake: on Lambda it only times out at init.
        findings.add("GB309", f"{name} does not use {AWS_LAMBDA_GO} and holds no Runtime API path: nothing "
                     "in it asks Lambda for events, so it times out at init (unless a layer such as the Lambda "
                     "Web Adapter serves it)", fix=f"start the handler with lambda.Start from {AWS_LAMBDA_GO}/lambda, "
                     "or leave this program out (gobuild init skips mains that do not import it)", entry=name)
    return Learned(arch=elf.goarch, go_version=info.go_version, build_info=info)


def speaks_runtime_api(source: Source, elf: ElfFile) -> bool:
    """True when the binary holds the Runtime API's invocation path, as a client written with the
    standard library does; True too when it cannot be read (no finding on a guess)."""
    section = elf.section(".rodata")
    start, end = (section.offset, section.offset + section.size) if section else (0, source.size)
    end = min(end, source.size)
    overlap = len(RUNTIME_API_PATH) - 1
    tail = b""
    try:
        for offset in range(start, end, _SCAN_CHUNK):
            data = tail + source.read_at(offset, min(_SCAN_CHUNK, end - offset))
            if RUNTIME_API_PATH in data:
                return True
            tail = data[-overlap:]
    except ElfError:
        return True
    return False


def _judge_header(elf: ElfFile, name: str, findings: FindingList, arch: str | None) -> None:
    linking = f"dynamically linked ({display(elf.interpreter or '')})" if elf.is_dynamic else "statically linked"
    summary = f"{elf.bits}-bit {elf.arch_name} {elf.type_name}, {elf.os_name} ABI, {linking}"
    findings.add("GB208", f"{name}: ELF {summary}", entry=name)
    if elf.goarch not in ARCHES or elf.bits != 64:
        findings.add("GB206", f"{name} is a {elf.bits}-bit {elf.arch_name} ELF; Lambda runs only 64-bit "
                     "amd64 (x86_64) and arm64",
                     fix="build with CGO_ENABLED=0 GOOS=linux GOARCH=amd64|arm64 (gobuild build does)", entry=name)
    elif arch is not None and elf.goarch != arch:
        found = Arch.parse(elf.goarch)
        findings.add("GB207", f"{name} is built for {elf.goarch}, but the function is {arch}",
                     fix=f"build with GOARCH={arch}, or set the function's architecture to "
                     f"{found.lambda_name if found else elf.goarch}", entry=name)
    if elf.osabi not in (0, 3):
        findings.add("GB209", f"{name} is an ELF for {elf.os_name}, not Linux",
                     fix="build with GOOS=linux (gobuild build does)", entry=name)
    if not elf.is_executable:
        findings.add("GB210", f"{name} is an ELF {elf.type_name}, not an executable",
                     fix="build a main package with go build (gobuild build does)", entry=name)


def _judge_dynamic(source: Source, elf: ElfFile, name: str, findings: FindingList,
                   bundled: frozenset[str]) -> None:
    loader = display(elf.interpreter or "")
    if elf.goarch is None or elf.interpreter != AL2023_LOADERS.get(elf.goarch):
        findings.add("GB212", f"{name} needs the dynamic loader {loader}, which provided.al2023 does not have",
                     fix=STATIC_FIX, entry=name)
        return
    try:
        needs = read_dynamic(source, elf)
    except ElfError as error:
        findings.add("GB211", f"{name} is dynamically linked against {loader}, and its dynamic section is "
                     f"unreadable ({error}): it runs only if provided.al2023 has every library it needs",
                     fix=STATIC_FIX, entry=name)
        return
    findings.add("GB211", f"{name} is dynamically linked against {loader} and {_needs_summary(needs)}: "
                 "it depends on the libraries of the image it runs on", fix=DYNAMIC_FIX, entry=name)
    for library in needs.libraries:
        if library not in AL2023_LIBRARIES and library not in bundled:
            findings.add("GB214", f"{name} needs the shared library {display(library)}, which provided.al2023 "
                         "does not have (its libraries: glibc's and libgcc_s.so.1)",
                         fix=f"link {display(library)} statically, ship it in the zip's lib/ folder "
                         "(Lambda's LD_LIBRARY_PATH includes /var/task/lib), or build with CGO_ENABLED=0",
                         entry=name)
    too_new = sorted({v for _, v in needs.versions if _glibc_too_new(v)}, key=_glibc_key)
    if too_new:
        where = sorted({lib for lib, v in needs.versions if v in too_new})
        findings.add("GB213", f"{name} needs {listing(too_new)} (from {listing(where)}), but Amazon Linux 2023 "
                     f"has glibc {AL2023_GLIBC[0]}.{AL2023_GLIBC[1]}: it fails to start with "
                     f"\"version `{too_new[-1]}' not found\"", fix=OLD_GLIBC_FIX, entry=name)


def _needs_summary(needs: DynamicNeeds) -> str:
    if not needs.libraries:
        return "needs no shared libraries"
    glibc = sorted({v for _, v in needs.versions if _glibc_version(v) is not None}, key=_glibc_key)
    versions = f" (symbol versions up to {glibc[-1]})" if glibc else ""
    return f"needs {listing(list(needs.libraries), limit=10)}{versions}"


def _glibc_version(name: str) -> tuple[int, ...] | None:
    """GLIBC_2.34 → (2, 34); ABI markers → the release that made them; None for others."""
    if name in GLIBC_ABI_MARKERS:
        return GLIBC_ABI_MARKERS[name]
    match = re.fullmatch(r"GLIBC_(\d+(?:\.\d+)*)", name)
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


def _glibc_key(name: str) -> tuple[int, ...]:
    return _glibc_version(name) or (0,)


def _glibc_too_new(name: str) -> bool:
    if name == "GLIBC_PRIVATE":
        return True  # glibc's internals: only the exact build it was linked against has them
    version = _glibc_version(name)
    return version is not None and version > AL2023_GLIBC


def _read_go_info(source: Source, elf: ElfFile, name: str, findings: FindingList) -> BuildInfo | None:
    try:
        info = read_buildinfo(source, elf)
    except ElfError as error:
        findings.add("GB302", f"{name}: Go build information is unreadable: {error}", entry=name)
        return None
    if info is None:
        findings.add("GB300", f"{name} has no Go build information: not a Go program, or it was stripped; "
                     "Go checks skipped", entry=name)
        return None
    if info.go_version is None:
        findings.add("GB302", f"{name} has Go build information in the pre-Go 1.18 format: Go version unknown",
                     fix="rebuild with a supported Go release", entry=name)
        return None
    return info


def _judge_go(info: BuildInfo, name: str, findings: FindingList, *, dynamic: bool) -> None:
    program = f" ({display(info.path)})" if info.path else ""
    findings.add("GB301", f"{name} was built with {display(info.go_version or '')}{program}", entry=name)
    goos = info.setting("GOOS")
    if goos is not None and goos != "linux":
        findings.add("GB209", f"{name} was built with GOOS={display(goos)}, not linux",
                     fix="build with GOOS=linux (gobuild build does)", entry=name)
    lambda_go = info.dep(AWS_LAMBDA_GO)
    if lambda_go is not None:
        _judge_lambda_go(lambda_go.effective_version, info, name, findings)
    if info.setting("CGO_ENABLED") == "1":
        # What C code needs from the system is judged from the ELF itself (GB211-GB214).
        needs = ("its libraries and glibc symbol versions are checked by GB211, GB213 and GB214" if dynamic
                 else "it is statically linked, so it needs no library from the image")
        findings.add("GB305", f"{name} was built with CGO_ENABLED=1 (it links C code): {needs}", entry=name)
    if info.setting("-trimpath") != "true":
        findings.add("GB306", f"{name} was built without -trimpath: it embeds local paths and is not "
                     "reproducible", fix="build with -trimpath (gobuild build does)", entry=name)
    _judge_cpu_level(info, name, findings)


def _judge_lambda_go(version: str, info: BuildInfo, name: str, findings: FindingList) -> None:
    if predates_runtime_api(version):
        findings.add("GB303", f"{name} uses {AWS_LAMBDA_GO} {display(version)}, which predates the Lambda "
                     "Runtime API (v1.18.0): it cannot receive events on provided.al2023",
                     fix=f"go get {AWS_LAMBDA_GO}@latest, then rebuild", entry=name)
        return
    if "lambda.norpc" not in info.tags:
        findings.add("GB304", f"{name} uses {AWS_LAMBDA_GO} without the lambda.norpc build tag: it carries "
                     "the net/rpc code only the retired go1.x runtime used (a bigger binary)",
                     fix="build with -tags lambda.norpc (gobuild build does)", entry=name)


def _judge_cpu_level(info: BuildInfo, name: str, findings: FindingList) -> None:
    """GOAMD64 and GOARM64 above what every Lambda host has crash with an illegal instruction."""
    amd64 = info.setting("GOAMD64")
    if amd64 is not None and amd64 > AMD64_LEVEL_MAX and re.fullmatch(r"v\d", amd64):
        findings.add("GB307", f"{name} was built with GOAMD64={display(amd64)}: it may use AVX2 and other "
                     f"x86-64-{display(amd64)} instructions, which Lambda's x86_64 hosts do not promise "
                     "(Runtime.ExitError: signal: illegal instruction)",
                     fix=f"build with GOAMD64=v1 (Go's default) or at most {AMD64_LEVEL_MAX}", entry=name)
    arm64 = info.setting("GOARM64")
    match = re.fullmatch(r"v(\d+)\.(\d+)(,.*)?", arm64 or "")
    if arm64 is not None and match and (int(match.group(1)), int(match.group(2))) > ARM64_LEVEL_MAX:
        top = f"v{ARM64_LEVEL_MAX[0]}.{ARM64_LEVEL_MAX[1]}"
        findings.add("GB308", f"{name} was built with GOARM64={display(arm64)}, but Graviton2, the oldest "
                     f"arm64 host Lambda runs on, implements Armv8.2: it can crash with an illegal instruction",
                     fix=f"build with GOARM64=v8.0 (Go's default) or at most {top} ({top},lse,crypto matches "
                     "Graviton2)", entry=name)
