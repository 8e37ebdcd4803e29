"""Placeholders in `ldflags` that gobuild resolves per target: stamping that does not redeploy.

    {inputs}          the target's own inputs fingerprint, first 12 hex digits
    {module_version}  the newest `v*` tag reachable from HEAD for the target's module, else (devel)
    {go_version}      the Go version that builds it (go1.26.8)
    {env:NAME}        the environment variable NAME when the build runs (not reproducible)

The order that keeps a fingerprint from depending on itself: every placeholder but {inputs} is
resolved when a build starts; the inputs fingerprint is computed over the ldflags *template*
and those values; {inputs} is then the fingerprint's first digits, and the resolved ldflags go
to the linker. The resolved ldflags are never hashed into a fingerprint.

Placeholders may stand only in the value of an `-X` flag, so they never add or remove linker
flags; `{{` writes a literal `{`. Pure: the values are looked up by gobuild.build.stamping.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping

INPUTS = "inputs"
MODULE_VERSION = "module_version"
GO_VERSION = "go_version"
ENV = "env"
NAMES = (INPUTS, MODULE_VERSION, GO_VERSION)
INPUTS_DIGITS = 12
# `{{` (a literal brace), or `{name}` / `{name:argument}`.
_PLACEHOLDER = re.compile(r"\{\{|\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*))?\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_X_FLAGS = ("-X", "--X")
# What would split or end a linker argument: cmd/go splits -ldflags at spaces and quotes.
_UNSAFE_VALUE = re.compile(r"[\s'\"\\]")


class StampError(ValueError):
    """An ldflags template or a placeholder value gobuild cannot use; `hint` says the fix."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def placeholders(template: str) -> tuple[str, ...]:
    """The placeholders a template uses, in order, each once: "inputs", "env:BUILT_AT"..."""
    found = [_key(m) for m in _PLACEHOLDER.finditer(template) if m.group(1)]
    return tuple(dict.fromkeys(found))


def uses_placeholders(template: str) -> bool:
    """Whether the template has any placeholder (a `{{` escape alone does not count)."""
    return bool(placeholders(template))


def check(template: str) -> None:
    """Refuses unknown placeholders, bad environment names and placeholders outside -X values."""
    for match in _PLACEHOLDER.finditer(template):
        name, argument = match.group(1), match.group(2)
        if not name:
            continue
        if name == ENV:
            if argument is None or not _ENV_NAME.fullmatch(argument):
                raise StampError(f"{match.group()} names no environment variable",
                                 "write {env:NAME} with NAME made of letters, digits and '_'")
        elif name not in NAMES:
            close = difflib.get_close_matches(name, [*NAMES, ENV], n=1)
            hint = f"did you mean {{{close[0]}}}?" if close else \
                f"placeholders: {', '.join('{' + n + '}' for n in NAMES)}, {{env:NAME}}; write {{{{ for a literal {{"
            raise StampError(f"unknown placeholder {match.group()}", hint)
        elif argument is not None:
            raise StampError(f"{match.group()}: {{{name}}} takes no argument", f"write {{{name}}}")
        if not _in_x_value(template, match.start()):
            raise StampError(f"{match.group()} is outside an -X value",
                             "placeholders stand only in values: -X main.version={inputs}")


def resolve(template: str, values: Mapping[str, str]) -> str:
    """The ldflags with every placeholder replaced by its value; StampError for a missing or
    unsafe value (whitespace, quotes or a backslash would split the linker's arguments)."""
    def substitute(match: re.Match[str]) -> str:
        if not match.group(1):
            return "{"
        key = _key(match)
        if key not in values:
            raise StampError(f"no value for {match.group()}")
        value = values[key]
        if _UNSAFE_VALUE.search(value):
            raise StampError(f"{match.group()} is {value!r}, which holds a space, quote or backslash",
                             "a stamped value must be one word: cmd/go would split the linker's arguments there")
        return value

    return _PLACEHOLDER.sub(substitute, template)


def short_inputs(fingerprint: str) -> str:
    """The {inputs} value of a fingerprint."""
    return fingerprint[:INPUTS_DIGITS]


def _key(match: re.Match[str]) -> str:
    name, argument = match.group(1), match.group(2)
    return f"{name}:{argument}" if name == ENV else name


def _in_x_value(template: str, position: int) -> bool:
    """Whether `position` lies in the value of an -X flag (after the `=` of name=value)."""
    previous = ""
    for start, end, word in _fields(template):
        if start <= position < end:
            offset = position - start - (1 if word[:1] in "'\"" else 0)
            text = word.strip("'\"") if word[:1] in "'\"" else word
            if previous in _X_FLAGS:
                return 0 <= text.find("=") < offset
            for flag in _X_FLAGS:
                if text.startswith(flag + "="):
                    return 0 <= text.find("=", len(flag) + 1) < offset
            return False
        previous = word.strip("'\"") if word[:1] in "'\"" else word
    return False


def _fields(text: str) -> Iterator[tuple[int, int, str]]:
    """Splits as cmd/go splits -ldflags (quoted.Split): at whitespace, a field that starts with a
    quote runs to the same quote. Yields (start, end, field as written)."""
    index = 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        start = index
        if text[index] in "'\"":
            close = text.find(text[index], index + 1)
            index = len(text) if close < 0 else close + 1
        else:
            while index < len(text) and not text[index].isspace():
                index += 1
        yield start, index, text[start:index]
