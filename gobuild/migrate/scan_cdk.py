"""Reading code for the scan: comments blanked out (so a commented-out runtime is not a
finding), and CDK GoFunction constructs that name no runtime (they default to provided.al2)."""

from __future__ import annotations

import re
from pathlib import Path

from gobuild.migrate.model import Notice

# Strings first, so a `//` or `#` inside one is not a comment.
# An unclosed comment or template runs to the end, as compilers read it (and each is one match).
_CODE_TOKENS = re.compile(
    r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`(?:[^`\\]|\\.)*(?:`|\Z)|//[^\n]*|/\*.*?(?:\*/|\Z)', re.DOTALL
)
_PYTHON_TOKENS = re.compile(
    r'"""(?:[^\\]|\\.)*?(?:"""|\Z)|\'\'\'(?:[^\\]|\\.)*?(?:\'\'\'|\Z)|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|#[^\n]*',
    re.DOTALL,
)
_SHELL_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|(?:(?<=\s)|^)#[^\n]*', re.MULTILINE)


def without_comments(text: str, *, code: bool, python: bool = False) -> str:
    """`text` with every comment replaced by spaces (line breaks kept, so offsets and line
    numbers stay): `//` and `/* */` in code, `#` in Python, shell, Makefiles and YAML."""
    tokens = _PYTHON_TOKENS if python else _CODE_TOKENS if code else _SHELL_TOKENS

    def blank(match: re.Match[str]) -> str:
        token = match.group()
        if token.startswith(("//", "/*", "#")):
            return re.sub(r"[^\n]", " ", token)
        return token

    return tokens.sub(blank, text)


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


def go_functions(path: Path, text: str) -> list[Notice]:
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
