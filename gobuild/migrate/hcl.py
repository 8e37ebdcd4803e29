"""Just enough HCL to edit Terraform in place: a tokenizer that knows strings with `${...}`
templates, heredocs and comments well enough to match brackets (a malformed file is reported
with its line), and the top-level blocks with the attributes written directly in them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gobuild.migrate.model import TemplateSyntaxError, line_end

_OPENERS = {"{": "}", "[": "]", "(": ")"}
_CLOSERS = {"}", "]", ")"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"[0-9][0-9.eE+-]*")
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n")
_TWO_CHAR = ("==", "!=", "<=", ">=", "=>", "&&", "||", "...")
_PATH_MODULE = "${path.module}/"


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True, kw_only=True)
class Token:
    kind: str  # ident, string, heredoc, number, newline, a bracket, "=", or other
    start: int
    end: int
    line: int
    text: str


def _tokenize(text: str, path: Path) -> list[Token]:
    tokens: list[Token] = []
    at, line = 0, 1
    while at < len(text):
        char = text[at]
        end, kind = at + 1, char
        if char == "\n":
            kind = "newline"
        elif char in " \t\r":
            at += 1
            continue
        elif char == "#" or text.startswith("//", at):
            at = line_end(text, at)
            continue
        elif text.startswith("/*", at):
            close = text.find("*/", at + 2)
            if close < 0:
                raise _error(path, line, "unterminated /* comment")
            line += text.count("\n", at, close)
            at = close + 2
            continue
        elif char == '"':
            end, kind = _string_end(text, at, path, line), "string"
        elif (heredoc := _HEREDOC.match(text, at)) is not None:
            end, kind = _heredoc_end(text, heredoc, path, line), "heredoc"
        elif (ident := _IDENT.match(text, at)) is not None:
            end, kind = ident.end(), "ident"
        elif (number := _NUMBER.match(text, at)) is not None:
            end, kind = number.end(), "number"
        elif text.startswith(_TWO_CHAR, at):
            end, kind = at + (3 if text.startswith("...", at) else 2), "other"
        elif char not in _OPENERS and char not in _CLOSERS and char not in "=,":
            kind = "other"
        tokens.append(Token(kind=kind, start=at, end=end, line=line, text=text[at:end]))
        line += text.count("\n", at, end)
        at = end
    return tokens


def _string_end(text: str, at: int, path: Path, line: int) -> int:
    """The offset past the closing quote of the string opening at `at`."""
    index = at + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
        elif char == '"':
            return index + 1
        elif text.startswith(("$${", "%%{"), index):
            index += 3
        elif text.startswith(("${", "%{"), index):
            index = _template_end(text, index + 2, path, line)
        elif char == "\n":
            break
        else:
            index += 1
    raise _error(path, line, "unterminated string")


def _template_end(text: str, at: int, path: Path, line: int) -> int:
    """The offset past the `}` closing a `${` template that starts before `at`."""
    depth, index = 1, at
    while index < len(text):
        char = text[index]
        if char == '"':
            index = _string_end(text, index, path, line)
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        index += 1
        if depth == 0:
            return index
    raise _error(path, line, "unterminated ${ in a string")


def _heredoc_end(text: str, opening: re.Match[str], path: Path, line: int) -> int:
    marker = re.compile(rf"^[ \t]*{re.escape(opening.group(1))}[ \t]*\r?$", re.MULTILINE)
    closing = marker.search(text, opening.end())
    if closing is None:
        raise _error(path, line, f"heredoc <<{opening.group(1)} is never closed")
    return closing.end()


def _match_brackets(tokens: list[Token], path: Path) -> dict[int, int]:
    """Index of each opening bracket → index of its closing one; a stray or unclosed
    bracket is an error naming its line."""
    matches: dict[int, int] = {}
    stack: list[int] = []
    for index, token in enumerate(tokens):
        if token.kind in _OPENERS:
            stack.append(index)
        elif token.kind in _CLOSERS:
            if not stack or _OPENERS[tokens[stack[-1]].kind] != token.kind:
                raise _error(path, token.line, f"unexpected {token.kind!r}")
            matches[stack.pop()] = index
    if stack:
        opening = tokens[stack[-1]]
        raise _error(path, opening.line, f"{opening.kind!r} is never closed")
    return matches


def _error(path: Path, line: int, problem: str) -> TemplateSyntaxError:
    return TemplateSyntaxError(
        f"{path}:{line}: invalid HCL: {problem}", "fix the file; nothing was changed"
    )


# ---------------------------------------------------------------- blocks and attributes


@dataclass(frozen=True, kw_only=True)
class Attribute:
    name: Token
    equals: Token
    value: tuple[Token, ...]

    @property
    def literal(self) -> str | None:
        """The string when the value is one plain quoted string, else None."""
        if (
            len(self.value) == 1
            and self.value[0].kind == "string"
            and "${" not in self.value[0].text
        ):
            return unquote(self.value[0].text)
        return None

    @property
    def path(self) -> str | None:
        """A path as .tf files write them, relative to the file's folder: a plain string or
        one whose only template is a leading `${path.module}/`; None for anything else."""
        if len(self.value) != 1 or self.value[0].kind != "string":
            return None
        return module_relative(unquote(self.value[0].text))

    def expression(self, text: str) -> str:
        """The value as written, on one line."""
        if not self.value:
            return ""
        return " ".join(text[self.value[0].start : self.value[-1].end].split())


@dataclass(frozen=True, kw_only=True)
class Block:
    kind: str
    labels: tuple[str, ...]
    opening: Token
    attributes: dict[str, Attribute]
    end: int = 0  # the offset just past the closing brace

    def body(self, text: str) -> str:
        """The block as written, from its type to its closing brace."""
        return text[self.opening.start : self.end]


@dataclass(frozen=True, kw_only=True)
class HclFile:
    """A tokenized .tf file: its tokens, bracket pairs and top-level blocks."""

    path: Path
    text: str
    tokens: list[Token]
    matches: dict[int, int]
    blocks: list[Block]


def parse_hcl(text: str, path: Path) -> HclFile:
    """Tokenizes a .tf file; raises TemplateSyntaxError naming the line when it is malformed."""
    tokens = _tokenize(text, path)
    matches = _match_brackets(tokens, path)
    reader = _Blocks(tokens, matches)
    return HclFile(path=path, text=text, tokens=tokens, matches=matches, blocks=reader.top_level_blocks())


class _Blocks:
    def __init__(self, tokens: list[Token], matches: dict[int, int]) -> None:
        self.tokens = tokens
        self.matches = matches

    def top_level_blocks(self) -> list[Block]:
        blocks: list[Block] = []
        index = 0
        while index < len(self.tokens):
            token = self.tokens[index]
            if token.kind in _OPENERS:
                index = self.matches[index] + 1
                continue
            if token.kind == "ident":
                labels: list[str] = []
                cursor = index + 1
                while cursor < len(self.tokens) and self.tokens[cursor].kind in ("string", "ident"):
                    labels.append(unquote(self.tokens[cursor].text))
                    cursor += 1
                if cursor < len(self.tokens) and self.tokens[cursor].kind == "{":
                    blocks.append(
                        Block(
                            kind=token.text,
                            labels=tuple(labels),
                            opening=token,
                            attributes=self._attributes(cursor),
                            end=self.tokens[self.matches[cursor]].end,
                        )
                    )
                    index = self.matches[cursor] + 1
                    continue
            index += 1
        return blocks

    def _attributes(self, opening: int) -> dict[str, Attribute]:
        """The attributes written directly in a block body (nested blocks are skipped)."""
        attributes: dict[str, Attribute] = {}
        index, closing = opening + 1, self.matches[opening]
        while index < closing:
            statement_end = self._statement_end(index, closing)
            token = self.tokens[index]
            if token.kind == "ident" and self.tokens[index + 1].kind == "=":
                attributes[token.text] = Attribute(
                    name=token,
                    equals=self.tokens[index + 1],
                    value=tuple(self.tokens[index + 2 : statement_end]),
                )
            index = statement_end + 1
        return attributes

    def _statement_end(self, index: int, closing: int) -> int:
        """The index of the newline that ends the statement starting at `index`."""
        while index < closing and self.tokens[index].kind != "newline":
            index = self.matches[index] + 1 if self.tokens[index].kind in _OPENERS else index + 1
        return index


def unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def module_relative(value: str) -> str | None:
    """A path string as a .tf file writes one (`build/x.zip` or `${path.module}/build/x.zip`),
    relative to the file's folder; None for any other template."""
    rest = value.removeprefix(_PATH_MODULE)
    return None if "${" in rest else rest
