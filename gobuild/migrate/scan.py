"""What migrate can see but not rewrite: CDK and Pulumi stacks, shell scripts, CI files.

Code is too varied to edit safely, so each sighting becomes a Notice with the line as it
should read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gobuild.migrate.model import Notice

CODE_SUFFIXES = (".ts", ".mts", ".js", ".mjs", ".cjs", ".py", ".go", ".java", ".kt", ".cs")
SHELL_SUFFIXES = (".sh", ".bash", ".zsh", ".mk", ".yml", ".yaml", ".toml")
SHELL_NAMES = ("Makefile", "makefile", "GNUmakefile", "Dockerfile", "Justfile", "Taskfile")
BOOTSTRAP_NOTE = "; the handler becomes bootstrap and the zip must hold the binary named bootstrap"


@dataclass(frozen=True, kw_only=True)
class _Detector:
    what: str
    pattern: re.Pattern[str]
    replacement: str  # a re.sub template


_CODE = (
    _Detector(
        what="CDK",
        pattern=re.compile(r"\bRuntime\.(?:GO_1_X|PROVIDED_AL2)\b"),
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


def detectors_for(path: Path) -> tuple[_Detector, ...]:
    """The detectors that apply to a file, by its name."""
    if path.suffix in CODE_SUFFIXES:
        return _CODE
    if path.suffix in SHELL_SUFFIXES or path.name in SHELL_NAMES:
        return _SHELL
    return ()


def scan(*, path: Path, text: str) -> tuple[Notice, ...]:
    """Every old Go runtime in a file migrate does not rewrite, as notices with the
    line as it should read; and every CDK GoFunction that names no runtime."""
    detectors = detectors_for(path)
    notices = list(_go_functions(path, text)) if path.suffix in CODE_SUFFIXES else []
    lowered = text.lower()
    if not detectors or not any(hint in lowered for hint in ("go1", "go_1", "al2")):
        return tuple(sorted(notices, key=lambda n: n.line))
    for number, line in enumerate(text.splitlines(), start=1):
        for detector in detectors:
            match = detector.pattern.search(line)
            if match is None:
                continue
            notices.append(
                Notice(
                    file=path,
                    line=number,
                    message=f"{match.group(0).strip()} ({detector.what}) "
                    f"is an outdated runtime{BOOTSTRAP_NOTE}",
                    replacement=detector.pattern.sub(detector.replacement, line).strip(),
                )
            )
            break  # one notice per line is enough to send the reader there
    return tuple(sorted(notices, key=lambda n: n.line))


# A CDK GoFunction construct: TypeScript/JavaScript/Python `GoFunction(`, Go `NewGoFunction(`,
# Java `GoFunction.Builder.create(`.
_GO_FUNCTION = re.compile(r"\b(?:New)?GoFunction\s*\(|\bGoFunction\.Builder\.create\s*\(")
_RUNTIME_ARGUMENT = re.compile(r"\bruntime\b", re.IGNORECASE)
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`[^`]*`|//[^\n]*|#[^\n]*')
_RUNTIME_FIX = {
    ".py": "runtime=_lambda.Runtime.PROVIDED_AL2023,",
    ".go": "Runtime: awslambda.Runtime_PROVIDED_AL2023(),",
    ".java": ".runtime(Runtime.PROVIDED_AL2023)",
    ".kt": ".runtime(Runtime.PROVIDED_AL2023)",
}


def _go_functions(path: Path, text: str) -> list[Notice]:
    """CDK's GoFunction defaults to provided.al2 when it names no runtime: each such call is a
    note at its line."""
    if "GoFunction" not in text:
        return []
    bare = _STRING_OR_COMMENT.sub(lambda m: " " * len(m.group()), text)  # keep offsets
    notices: list[Notice] = []
    for match in _GO_FUNCTION.finditer(bare):
        end = _closing_paren(bare, match.end() - 1)
        if ".Builder." in match.group():
            build = bare.find(".build()", end)
            end = build if build >= 0 else end
        if _RUNTIME_ARGUMENT.search(bare, match.end(), end):
            continue
        notices.append(
            Notice(
                file=path,
                line=text.count("\n", 0, match.start()) + 1,
                message="GoFunction (CDK) without a runtime defaults to provided.al2, "
                "which reaches its end of support in 2026",
                replacement=_RUNTIME_FIX.get(path.suffix, "runtime: lambda.Runtime.PROVIDED_AL2023,"),
            )
        )
    return notices


def _closing_paren(text: str, opening: int) -> int:
    """The offset of the parenthesis closing the one at `opening` (strings already blanked)."""
    depth = 0
    for index in range(opening, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    return len(text)
