"""What migrate can see but not rewrite: CDK and Pulumi stacks, shell scripts, CI files.

Code is too varied to edit safely, so each sighting becomes a Notice with the line as it
should read: the old runtime, and beside it where the binary's name lives (a Go handler such
as 'main', a CDK bundling command's `-o /asset-output/main`, an AWS CLI `--handler main`).
Comments are not code, and tests are not infrastructure: neither is looked at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gobuild.lambda_facts import BOOTSTRAP, TARGET_RUNTIME
from gobuild.migrate.model import Notice
from gobuild.migrate.scan_cdk import go_functions, without_comments

CODE_SUFFIXES = (".ts", ".mts", ".js", ".mjs", ".cjs", ".py", ".go", ".java", ".kt", ".cs")
SHELL_SUFFIXES = (".sh", ".bash", ".zsh", ".mk", ".yml", ".yaml", ".toml")
SHELL_NAMES = ("Makefile", "makefile", "GNUmakefile", "Dockerfile", "Justfile", "Taskfile")
BOOTSTRAP_NOTE = "; the handler becomes bootstrap and the zip must hold the binary named bootstrap"
# Tests assert on runtimes; they do not deploy them.
_TEST_FILE = re.compile(r"(_test\.go|\.(test|spec)\.[cm]?[jt]sx?|_test\.py|^test_.*\.py|^conftest\.py)$")


@dataclass(frozen=True, kw_only=True)
class _Detector:
    what: str
    pattern: re.Pattern[str]
    replacement: str  # a re.sub template


_CODE = (
    _Detector(
        what="CDK",
        pattern=re.compile(r"\bRuntime\.(?:GO_1_X|PROVIDED_AL2)\b(?!\.bundling)"),
        replacement="Runtime.PROVIDED_AL2023",
    ),
    _Detector(
        what="CDK for Go",
        pattern=re.compile(r"\bRuntime_(?:GO_1_X|PROVIDED_AL2)\(\)"),
        replacement="Runtime_PROVIDED_AL2023()",
    ),
    _Detector(
        what="Pulumi",
        pattern=re.compile(r"\bRuntime\.(?:Go1dx|CustomAL2)\b"),
        replacement="Runtime.CustomAL2023",
    ),
    _Detector(
        what="Pulumi for Python",
        pattern=re.compile(r"\bRuntime\.(?:GO1DX|CUSTOM_AL2)\b"),
        replacement="Runtime.CUSTOM_AL2023",
    ),
    _Detector(
        what="Pulumi for Go",
        pattern=re.compile(r"\bRuntime(?:Go1dx|CustomAL2)\b"),
        replacement="RuntimeCustomAL2023",
    ),
    _Detector(
        what="a runtime string",
        pattern=re.compile(r"([\"'`])(?:go1\.x|provided\.al2)\1"),
        replacement=r"\1provided.al2023\1",
    ),
)
_SHELL = (
    _Detector(
        what="AWS CLI",
        pattern=re.compile(r"--runtime(\s+|=)([\"']?)(?:go1\.x|provided\.al2)\b\2"),
        replacement=r"--runtime\1\2provided.al2023\2",
    ),
    _Detector(
        what="a runtime setting",
        pattern=re.compile(r"\b([Rr]untime:\s*)([\"']?)(?:go1\.x|provided\.al2)\b\2"),
        replacement=r"\1\2provided.al2023\2",
    ),
)
# The go1.x build image of CDK: a provided.al2023 build needs an image that has Go.
_BUNDLING_IMAGE = re.compile(r"\b(?:\w+\.)*Runtime\.(?:GO_1_X|PROVIDED_AL2)\.bundling_?(?:[Dd]ocker_?)?[Ii]mage\b")
_GO_IMAGE = {
    ".py": 'DockerImage.from_registry("golang:1")',
    ".go": 'awscdk.DockerImage_FromRegistry(jsii.String("golang:1"))',
    ".java": 'DockerImage.fromRegistry("golang:1")',
}
# A Go handler: one word (no `file.function` as Node and Python handlers have), not bootstrap.
_HANDLER = re.compile(
    r"""(\b[Hh]andler\b\s*(?::|=|\()\s*(?:jsii\.String\(\s*)?)(["'`])([A-Za-z0-9_/-]+)\2"""
)
_ASSET_OUTPUT = re.compile(r"(-o\s+/asset-output/)([A-Za-z0-9_.-]+)")
_CLI_HANDLER = re.compile(r"(--handler(?:\s+|=))([\"']?)([^\s\"'\\]+)\2")
# CDK v1 (@aws-cdk/aws-lambda, aws_cdk.core) has no PROVIDED_AL2023 constant.
_CDK_V1 = re.compile(r"""["']@aws-cdk/aws-lambda["']|\baws_cdk\.core\b|from aws_cdk import core\b""")
_V1_RUNTIME = re.compile(r"\b((?:\w+\.)*)Runtime\.(?:GO_1_X|PROVIDED_AL2)\b")


def detectors_for(path: Path) -> tuple[_Detector, ...]:
    """The detectors that apply to a file, by its name."""
    if path.suffix in CODE_SUFFIXES:
        return _CODE
    if path.suffix in SHELL_SUFFIXES or path.name in SHELL_NAMES:
        return _SHELL
    return ()


def scan(*, path: Path, text: str) -> tuple[Notice, ...]:
    """Every old Go runtime in a file migrate does not rewrite, as notices with the line as it
    should read, with the handler and output names that go with it; and every CDK GoFunction
    that names no runtime. Test files and comments are skipped."""
    if _TEST_FILE.search(path.name):
        return ()
    detectors = detectors_for(path)
    code = path.suffix in CODE_SUFFIXES
    notices = list(go_functions(path, text)) if code else []
    lowered = text.lower()
    if not detectors or not any(hint in lowered for hint in ("go1", "go_1", "al2")):
        return tuple(sorted(notices, key=lambda n: n.line))
    lines = without_comments(text, code=code, python=path.suffix == ".py").split("\n")
    written = text.split("\n")
    found = [
        n
        for number, (line, as_is) in enumerate(zip(lines, written), start=1)
        if (n := _runtime(path, text, number, line, as_is.rstrip("\r"), detectors))
    ]
    notices += found
    if found and code:
        notices += _code_names(path, lines, written)
    elif found:
        notices += _cli_handlers(path, lines, written, {n.line for n in found})
    return tuple(sorted(notices, key=lambda n: n.line))


def _runtime(
    path: Path, text: str, number: int, line: str, written: str, detectors: tuple[_Detector, ...]
) -> Notice | None:
    """The note for an old runtime found in `line` (comments blanked); the fix is `written`,
    the line as it is, with the finding replaced (a trailing comment stays)."""
    image = _BUNDLING_IMAGE.search(line)
    if image is not None:
        fix = _GO_IMAGE.get(path.suffix, "DockerImage.fromRegistry('golang:1')")
        return Notice(
            file=path,
            line=number,
            message=f"{image.group(0)} (CDK) is the build image of an outdated runtime; bundle in "
            "an image that has Go, and write the binary as /asset-output/bootstrap",
            replacement=_splice(written, image, fix),
        )
    for detector in detectors:
        match = detector.pattern.search(line)
        if match is None:
            continue
        replacement = _splice(written, match, match.expand(detector.replacement))
        v1 = _V1_RUNTIME.search(line) if detector is _CODE[0] and _CDK_V1.search(text) else None
        if v1 is not None:  # CDK v1 has no constant for it: name the runtime
            prefix = v1.group(1)
            spelled = f"new {prefix}Runtime('{TARGET_RUNTIME}', {prefix}RuntimeFamily.OTHER)"
            if path.suffix == ".py":
                spelled = f'{prefix}Runtime("{TARGET_RUNTIME}", {prefix}RuntimeFamily.OTHER)'
            replacement = _splice(written, v1, spelled)
        if detector is _SHELL[0]:  # the same command's --handler goes with it
            replacement = _CLI_HANDLER.sub(_bootstrap_handler, replacement)
        return Notice(
            file=path,
            line=number,
            message=f"{match.group(0).strip()} ({detector.what}) is an outdated runtime{BOOTSTRAP_NOTE}"
            + (" (CDK v1 has no PROVIDED_AL2023 constant)" if v1 is not None else ""),
            replacement=replacement,
        )
    return None


def _splice(written: str, match: re.Match[str], new: str) -> str:
    return (written[: match.start()] + new + written[match.end() :]).strip()


def _bootstrap_handler(match: re.Match[str]) -> str:
    return f"{match.group(1)}{match.group(2)}{BOOTSTRAP}{match.group(2)}"


def _code_names(path: Path, lines: list[str], written: list[str]) -> list[Notice]:
    """Beside an old runtime in a stack: each Go handler name and each bundling command
    that writes another binary than bootstrap."""
    notices: list[Notice] = []
    for number, line in enumerate(lines, start=1):
        handler = _HANDLER.search(line)
        if handler is not None and handler.group(3) != BOOTSTRAP:
            notices.append(
                Notice(
                    file=path,
                    line=number,
                    message=f"handler {handler.group(3)!r} names the go1.x binary; "
                    f"{TARGET_RUNTIME} runs bootstrap",
                    replacement=_splice(written[number - 1], handler, _bootstrap_handler(handler)),
                )
            )
        output = _ASSET_OUTPUT.search(line)
        if output is not None and output.group(2) != BOOTSTRAP:
            notices.append(
                Notice(
                    file=path,
                    line=number,
                    message=f"the bundling command writes /asset-output/{output.group(2)}; the "
                    f"asset's zip must hold bootstrap for {TARGET_RUNTIME}",
                    replacement=_splice(written[number - 1], output, f"{output.group(1)}{BOOTSTRAP}"),
                )
            )
    return notices


def _cli_handlers(path: Path, lines: list[str], written: list[str], runtime_lines: set[int]) -> list[Notice]:
    """In each command (lines joined by a trailing backslash) that sets an old runtime, a
    `--handler` other than bootstrap."""
    notices: list[Notice] = []
    command: list[int] = []
    for number, line in enumerate(lines, start=1):
        command.append(number)
        if line.rstrip().endswith("\\"):
            continue
        if runtime_lines.intersection(command):
            for at in (n for n in command if n not in runtime_lines):
                handler = _CLI_HANDLER.search(lines[at - 1])
                if handler is not None and handler.group(3) != BOOTSTRAP:
                    notices.append(
                        Notice(
                            file=path,
                            line=at,
                            message=f"--handler {handler.group(3)} (AWS CLI) names the go1.x binary; "
                            f"{TARGET_RUNTIME} runs bootstrap",
                            replacement=_splice(written[at - 1], handler, _bootstrap_handler(handler)),
                        )
                    )
        command = []
    return notices
