"""Terraform `*.tf`: `aws_lambda_function` blocks on go1.x/provided.al2 → provided.al2023.

Only the spans of `runtime`, `handler` and (with --arch) `architectures` change, so
formatting and comments stay. A small tokenizer finds them: it knows HCL's strings with
`${...}` templates, heredocs and comments well enough to match braces and to report a
malformed file with its line. A runtime held in a variable or local is reported, not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gobuild.migrate.functions import (
    GUESS_REPLACEMENT,
    artifact_path,
    locate_package,
    module_root,
    relative_path,
)
from gobuild.migrate.model import (
    DEFAULT_ARCH,
    GOARCH,
    HANDLER,
    OLD_RUNTIMES,
    Change,
    FileResult,
    ManifestFunction,
    MigrateOptions,
    Notice,
    TemplateSyntaxError,
    TextEdits,
    keep_comment_column,
    line_end,
)

RESOURCE_TYPE = "aws_lambda_function"
_OPENERS = {"{": "}", "[": "]", "(": ")"}
_CLOSERS = {"}", "]", ")"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"[0-9][0-9.eE+-]*")
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n")
_TWO_CHAR = ("==", "!=", "<=", ">=", "=>", "&&", "||", "...")

_STEPS = {
    "gobuild": "Run `gobuild build`, point each aws_lambda_function's filename and "
    "source_code_hash at its zip as the notes say, then `terraform plan`.",
    "other": "Rebuild each function's zip so the binary inside is named bootstrap, "
    "then `terraform plan`.",
}


def mentions_lambda(text: str) -> bool:
    """Cheap test before tokenizing."""
    return RESOURCE_TYPE in text


def migrate_terraform(*, path: Path, text: str, options: MigrateOptions) -> FileResult:
    """Migrates one .tf file; raises TemplateSyntaxError naming the line when it is malformed."""
    tokens = _tokenize(text, path)
    matches = _match_brackets(tokens, path)
    migration = _Migration(path=path, text=text, tokens=tokens, matches=matches, options=options)
    return migration.run()


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True, kw_only=True)
class _Token:
    kind: str  # ident, string, heredoc, number, newline, a bracket, "=", or other
    start: int
    end: int
    line: int
    text: str


def _tokenize(text: str, path: Path) -> list[_Token]:
    tokens: list[_Token] = []
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
        tokens.append(_Token(kind=kind, start=at, end=end, line=line, text=text[at:end]))
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


def _match_brackets(tokens: list[_Token], path: Path) -> dict[int, int]:
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
class _Attribute:
    name: _Token
    equals: _Token
    value: tuple[_Token, ...]

    @property
    def literal(self) -> str | None:
        """The string when the value is one plain quoted string, else None."""
        if (
            len(self.value) == 1
            and self.value[0].kind == "string"
            and "${" not in self.value[0].text
        ):
            return _unquote(self.value[0].text)
        return None

    def expression(self, text: str) -> str:
        """The value as written, on one line."""
        if not self.value:
            return ""
        return " ".join(text[self.value[0].start : self.value[-1].end].split())


@dataclass(frozen=True, kw_only=True)
class _Block:
    kind: str
    labels: tuple[str, ...]
    opening: _Token
    attributes: dict[str, _Attribute]


class _Migration:
    def __init__(
        self,
        *,
        path: Path,
        text: str,
        tokens: list[_Token],
        matches: dict[int, int],
        options: MigrateOptions,
    ) -> None:
        self.path = path
        self.text = text
        self.tokens = tokens
        self.matches = matches
        self.options = options
        self.edits = TextEdits(text)
        self.changes: list[Change] = []
        self.notices: list[Notice] = []
        self.functions: list[ManifestFunction] = []
        self.newline = "\r\n" if "\r\n" in text else "\n"

    def run(self) -> FileResult:
        blocks = self._top_level_blocks()
        variables = {b.labels[0]: b for b in blocks if b.kind == "variable" and b.labels}
        migrated = 0
        for block in blocks:
            if block.kind == "resource" and block.labels[:1] == (RESOURCE_TYPE,):
                migrated += self._migrate(block, variables)
        steps = (
            (_STEPS["gobuild" if self.options.build == "gobuild" else "other"],) if migrated else ()
        )
        return FileResult(
            path=self.path,
            old_text=self.text,
            new_text=self.edits.apply(),
            changes=tuple(self.changes),
            notices=tuple(self.notices),
            functions=tuple(self.functions),
            steps=steps,
        )

    def _top_level_blocks(self) -> list[_Block]:
        blocks: list[_Block] = []
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
                    labels.append(_unquote(self.tokens[cursor].text))
                    cursor += 1
                if cursor < len(self.tokens) and self.tokens[cursor].kind == "{":
                    blocks.append(
                        _Block(
                            kind=token.text,
                            labels=tuple(labels),
                            opening=token,
                            attributes=self._attributes(cursor),
                        )
                    )
                    index = self.matches[cursor] + 1
                    continue
            index += 1
        return blocks

    def _attributes(self, opening: int) -> dict[str, _Attribute]:
        """The attributes written directly in a block body (nested blocks are skipped)."""
        attributes: dict[str, _Attribute] = {}
        index, closing = opening + 1, self.matches[opening]
        while index < closing:
            statement_end = self._statement_end(index, closing)
            token = self.tokens[index]
            if token.kind == "ident" and self.tokens[index + 1].kind == "=":
                attributes[token.text] = _Attribute(
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

    # ------------------------------------------------------------ one function

    def _migrate(self, block: _Block, variables: dict[str, _Block]) -> int:
        label = ".".join(block.labels)
        runtime = block.attributes.get("runtime")
        if runtime is None:
            return 0
        if runtime.literal is None:
            self._note_expression(label, runtime, variables)
            return 0
        if runtime.literal not in OLD_RUNTIMES:
            return 0
        self._replace(runtime, "runtime", self.options.runtime)
        handler = block.attributes.get("handler")
        old_handler = handler.literal if handler is not None and handler.literal is not None else ""
        if handler is None:
            self._insert_after(runtime, "handler", f'"{HANDLER}"')
        elif handler.literal is None:
            self._notice(
                handler.name,
                f"{label}: handler = {handler.expression(self.text)}; left alone",
                f'handler = "{HANDLER}"',
            )
        else:
            self._replace(handler, "handler", HANDLER)
        arch = self._arch(label, block, runtime if handler is None else handler)
        if self.options.build == "gobuild":
            self._declare(label, block, old_handler, arch)
        return 1

    def _arch(self, label: str, block: _Block, anchor: _Attribute) -> str:
        current = block.attributes.get("architectures")
        strings = [t for t in current.value if t.kind == "string"] if current is not None else []
        literal = _unquote(strings[0].text) if strings and "${" not in strings[0].text else None
        in_effect = literal or DEFAULT_ARCH
        wanted = self.options.arch
        if wanted is None or (current is not None and wanted == in_effect):
            return in_effect
        if current is None:
            self._insert_after(anchor, "architectures", f'["{wanted}"]')
        elif literal is None:
            self._notice(
                current.name,
                f"{label}: architectures = {current.expression(self.text)}; left alone",
                f'architectures = ["{wanted}"]',
            )
            return in_effect
        else:
            self.edits.replace(strings[0].start, strings[0].end, f'"{wanted}"')
            self._change(
                strings[0].line, f'architectures = ["{literal}"]', f'architectures = ["{wanted}"]'
            )
        return wanted

    def _declare(self, label: str, block: _Block, handler: str, arch: str) -> None:
        folder = self.path.parent
        root = module_root(folder)
        package = locate_package(
            root=root, code_dir=None, binary=handler, fallback=block.labels[-1].replace("_", "-")
        )
        goarch = GOARCH.get(arch, "amd64")
        self.functions.append(
            package.declaration(root=root, goarch=goarch, source=self.path, line=block.opening.line)
        )
        zip_path = "${path.module}/" + relative_path(
            artifact_path(root, package.name, goarch), folder
        )
        where = block.attributes.get("filename")
        self._notice(
            where.name if where else block.opening,
            f"{label}: deploy gobuild's zip for {package.name} ({goarch})",
            f'filename = "{zip_path}" and source_code_hash = filebase64sha256("{zip_path}")',
        )
        if not package.found:
            self._notice(
                block.opening,
                f"{label}: no main package found for handler {handler!r}; gobuild.toml gets "
                f"the guess {package.package}",
                GUESS_REPLACEMENT,
            )

    def _note_expression(
        self, label: str, runtime: _Attribute, variables: dict[str, _Block]
    ) -> None:
        reference = re.fullmatch(r"var\.([A-Za-z_][A-Za-z0-9_-]*)", runtime.expression(self.text))
        name = reference.group(1) if reference else ""
        variable = variables.get(name)
        default = variable.attributes.get("default") if variable else None
        hint = ""
        if default is not None and default.literal in OLD_RUNTIMES:
            hint = f" (variable {name} defaults to {default.literal!r} at line {default.name.line})"
        self._notice(
            runtime.name,
            f"{label}: runtime = {runtime.expression(self.text)} "
            f"is held in a variable or local{hint}; not guessed",
            f'runtime = "{self.options.runtime}" and handler = "{HANDLER}" '
            "where it is go1.x or provided.al2",
        )

    # ------------------------------------------------------------ edits

    def _replace(self, attribute: _Attribute, key: str, new: str) -> None:
        old = attribute.literal
        if old == new:
            return
        token = attribute.value[0]
        end, rendered = keep_comment_column(self.text, token.start, token.end, f'"{new}"')
        self.edits.replace(token.start, end, rendered)
        self._change(token.line, f'{key} = "{old}"', f'{key} = "{new}"')

    def _insert_after(self, anchor: _Attribute, key: str, rendered: str) -> None:
        """Adds `key = rendered` on its own line after `anchor`, aligned like terraform fmt."""
        line_start = self.text.rfind("\n", 0, anchor.name.start) + 1
        indent = self.text[line_start : anchor.name.start]
        width = anchor.equals.start - anchor.name.start
        padding = " " * max(1, width - len(key))
        offset = line_end(self.text, anchor.value[-1].end if anchor.value else anchor.equals.end)
        self.edits.insert(offset, f"{self.newline}{indent}{key}{padding}= {rendered}")
        self._change(anchor.name.line + 1, "", f"{key} = {rendered}")

    def _change(self, line: int, old: str, new: str) -> None:
        self.changes.append(Change(file=self.path, line=line, old=old, new=new))

    def _notice(self, token: _Token, message: str, replacement: str) -> None:
        self.notices.append(
            Notice(file=self.path, line=token.line, message=message, replacement=replacement)
        )


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text
