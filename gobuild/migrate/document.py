"""YAML and JSON documents as trees of spans, edited in place as text.

Round-tripping through a YAML library re-renders what it touches; editing only the spans
that change keeps every comment, quote, indent, tag and key order exactly as written.
ruamel.yaml's composer gives the spans for YAML; a small scanner gives them for JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias, TypedDict

from ruamel.yaml import YAML
from ruamel.yaml import nodes as yaml_nodes
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from gobuild.migrate.limits import check_json, check_yaml
from gobuild.migrate.model import (
    LineIndex,
    TemplateSyntaxError,
    TextEdits,
    keep_comment_column,
    line_end,
)

# A value to insert: a scalar, a list of scalars or a mapping of such.
Value: TypeAlias = "str | Sequence[str] | Mapping[str, Value]"

_STR_TAG = "tag:yaml.org,2002:str"
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./$][A-Za-z0-9_./@+${}-]*$")


class _Place(TypedDict):
    start: int
    end: int
    line: int
    col: int


@dataclass(frozen=True, kw_only=True, eq=False)
class Node:
    """One value of the document and where it is: offsets into the text, 1-based line, column."""

    kind: str  # "map", "seq" or "scalar"
    start: int
    end: int
    line: int
    col: int
    tag: str = ""  # an explicit local tag such as "!Ref"; "" when there is none
    value: str = ""  # scalars only
    is_string: bool = False  # a scalar that is a string (not a number, bool or null)
    style: str = ""  # scalars: "", "'", '"', "|" or ">"
    flow: bool = False  # collections written inline: {...} or [...]
    entries: tuple[tuple[Node, Node], ...] = ()
    items: tuple[Node, ...] = ()

    def get(self, key: str) -> Node | None:
        """The value under `key` in a mapping; None when absent or not a mapping."""
        entry = self.entry(key)
        return entry[1] if entry else None

    def entry(self, key: str) -> tuple[Node, Node] | None:
        for key_node, value_node in self.entries:
            if key_node.kind == "scalar" and key_node.value == key:
                return key_node, value_node
        return None

    @property
    def is_map(self) -> bool:
        return self.kind == "map"

    @property
    def is_plain_string(self) -> bool:
        """A literal string with no tag: the only kind of value migrate rewrites."""
        return (
            self.kind == "scalar"
            and self.is_string
            and not self.tag
            and self.style not in ("|", ">")
        )


def intrinsic(node: Node) -> str | None:
    """The CloudFormation function a value uses (`!Ref`, `Fn::If`, ...), or None for a literal."""
    if node.tag:
        return node.tag
    if node.kind == "map" and len(node.entries) == 1:
        key = node.entries[0][0].value
        if key == "Ref" or key.startswith("Fn::"):
            return key
    return None


def source_text(text: str, node: Node, limit: int = 60) -> str:
    """The node as written, on one line and shortened, for messages."""
    written = " ".join(text[node.start : node.end].split())
    return written if len(written) <= limit else written[: limit - 1] + "…"


# ---------------------------------------------------------------- parsing


def parse_yaml(text: str, path: Path) -> Node:
    """Parses one YAML document; a syntax error names file, line and column."""
    try:
        check_yaml(text, path)
        composed = YAML(typ="rt").compose(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = error.problem or error.context or "invalid YAML"
        if error.context and error.context_mark and error.problem:
            problem += f" ({error.context} at line {error.context_mark.line + 1})"
        raise TemplateSyntaxError(
            f"{where}: invalid YAML: {problem}", "fix the file; nothing was changed"
        ) from None
    except YAMLError as error:
        raise TemplateSyntaxError(
            f"{path}: invalid YAML: {error}", "fix the file; nothing was changed"
        ) from None
    if composed is None:
        return Node(kind="map", start=0, end=0, line=1, col=0)
    return _from_yaml(composed, {})


def _from_yaml(node: yaml_nodes.Node, seen: dict[int, Node]) -> Node:
    """The span tree of a composed node; an alias becomes the very Node of its anchor."""
    if id(node) in seen:
        return seen[id(node)]
    converted = _convert(node, seen)
    seen[id(node)] = converted
    return converted


def _convert(node: yaml_nodes.Node, seen: dict[int, Node]) -> Node:
    start, end = node.start_mark.index, node.end_mark.index
    tag = node.tag if isinstance(node.tag, str) and node.tag.startswith("!") else ""
    place: _Place = {
        "start": start,
        "end": end,
        "line": node.start_mark.line + 1,
        "col": node.start_mark.column,
    }
    if isinstance(node, yaml_nodes.MappingNode):
        entries = tuple((_from_yaml(k, seen), _from_yaml(v, seen)) for k, v in node.value)
        return Node(kind="map", tag=tag, flow=bool(node.flow_style), entries=entries, **place)
    if isinstance(node, yaml_nodes.SequenceNode):
        items = tuple(_from_yaml(item, seen) for item in node.value)
        return Node(kind="seq", tag=tag, flow=bool(node.flow_style), items=items, **place)
    style = node.style if isinstance(node, yaml_nodes.ScalarNode) else None
    return Node(
        kind="scalar",
        tag=tag,
        value=str(node.value),
        is_string=node.tag == _STR_TAG or bool(tag),
        style=style or "",
        **place,
    )


def parse_json(text: str, path: Path) -> Node:
    """Parses JSON; a syntax error names file, line and column."""
    check_json(text, path)
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise TemplateSyntaxError(
            f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}",
            "fix the file; nothing was changed",
        ) from None
    return _JsonScanner(text).document()


class _JsonScanner:
    """Builds the span tree of text that json.loads has already accepted."""

    _WS = re.compile(r"[ \t\r\n]*")
    _LITERAL = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = LineIndex(text)
        self._line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def document(self) -> Node:
        return self.value(self.skip(0))[0]

    def skip(self, at: int) -> int:
        match = self._WS.match(self.text, at)
        return match.end() if match else at

    def place(self, start: int, end: int) -> _Place:
        line = self.lines.line(start)
        return {
            "start": start,
            "end": end,
            "line": line,
            "col": start - self._line_starts[line - 1],
        }

    def value(self, at: int) -> tuple[Node, int]:
        char = self.text[at]
        if char == "{":
            return self.mapping(at)
        if char == "[":
            return self.sequence(at)
        if char == '"':
            decoded, end = json.decoder.scanstring(self.text, at + 1)  # type: ignore[attr-defined]
            return Node(
                kind="scalar", value=decoded, is_string=True, style='"', **self.place(at, end)
            ), end
        match = self._LITERAL.match(self.text, at)
        assert match, "json.loads accepted the text"
        return Node(kind="scalar", value=match.group(), **self.place(at, match.end())), match.end()

    def mapping(self, start: int) -> tuple[Node, int]:
        entries: list[tuple[Node, Node]] = []
        at = self.skip(start + 1)
        while self.text[at] != "}":
            key, at = self.value(at)
            at = self.skip(self.skip(at) + 1)  # past ':'
            value, at = self.value(at)
            entries.append((key, value))
            at = self.skip(at)
            if self.text[at] == ",":
                at = self.skip(at + 1)
        end = at + 1
        return Node(kind="map", flow=True, entries=tuple(entries), **self.place(start, end)), end

    def sequence(self, start: int) -> tuple[Node, int]:
        items: list[Node] = []
        at = self.skip(start + 1)
        while self.text[at] != "]":
            item, at = self.value(at)
            items.append(item)
            at = self.skip(at)
            if self.text[at] == ",":
                at = self.skip(at + 1)
        end = at + 1
        return Node(kind="seq", flow=True, items=tuple(items), **self.place(start, end)), end


# ---------------------------------------------------------------- editing


class Document:
    """A parsed YAML or JSON file and the edits made to it so far."""

    def __init__(self, *, path: Path, text: str, syntax: str) -> None:
        self.path = path
        self.text = text
        self.syntax = syntax
        self.root = parse_json(text, path) if syntax == "json" else parse_yaml(text, path)
        self.edits = TextEdits(text)
        self.lines = LineIndex(text)
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.indent_unit = _indent_unit(self.root)
        self.dash_offset = _dash_offset(self.root, self.indent_unit)

    @classmethod
    def load(cls, path: Path, text: str) -> Document:
        """JSON when the file starts with `{`, YAML otherwise."""
        syntax = "json" if text.lstrip("\ufeff \t\r\n").startswith("{") else "yaml"
        return cls(path=path, text=text, syntax=syntax)

    def result_text(self) -> str:
        return self.edits.apply()

    def written(self, node: Node) -> str:
        return source_text(self.text, node)

    def set_scalar(self, node: Node, value: str) -> None:
        """Replaces a one-line scalar, keeping its quoting."""
        if self.syntax == "json" or node.style == '"':
            rendered = json.dumps(value)
        elif node.style == "'":
            rendered = "'" + value.replace("'", "''") + "'"
        else:
            rendered = _yaml_scalar(value)
        end = node.end
        if self.syntax == "yaml":
            end, rendered = keep_comment_column(self.text, node.start, node.end, rendered)
        self.edits.replace(node.start, end, rendered)

    def add_entry(self, mapping: Node, key: str, value: Value, *, after: Node | None = None) -> int:
        """Inserts `key: value` into `mapping` after the entry whose value is `after` (default:
        the last entry), in the mapping's own style. Returns the line it lands on in the
        original numbering (the line it is inserted before)."""
        if not mapping.entries:
            return self._add_to_empty(mapping, key, value)
        anchor = after if after is not None else mapping.entries[-1][1]
        indent = mapping.entries[0][0].col
        if self.syntax == "yaml" and not mapping.flow:
            offset = line_end(self.text, self._last_content(anchor))
            rendered = self._yaml_block(key, value, indent)
            self.edits.insert(offset, self.newline + rendered, depth=indent)
            return self.lines.line(offset) + 1
        multiline = mapping.entries[0][0].line != mapping.line
        separator = "," + (self.newline + " " * indent if multiline else " ")
        self.edits.insert(anchor.end, separator + self._flow(key, value, indent, multiline))
        return self.lines.line(anchor.end) + (1 if multiline else 0)

    def remove_entry(self, mapping: Node, key: str) -> int:
        """Removes `key: value` from `mapping` (in block YAML, its whole lines; in a flow
        mapping or JSON, the entry and one comma). Returns the key's line."""
        entry = mapping.entry(key)
        assert entry is not None, f"{key} is not in the mapping"
        key_node, value = entry
        if self.syntax == "yaml" and not mapping.flow:
            start = self.text.rfind("\n", 0, key_node.start) + 1
            end = line_end(self.text, self._last_content(value))
            end += 2 if self.text.startswith("\r\n", end) else 1 if end < len(self.text) else 0
        else:
            keys = [k for k, _ in mapping.entries]
            index = keys.index(key_node)
            if index + 1 < len(keys):
                start, end = key_node.start, keys[index + 1].start
            elif index > 0:
                start, end = mapping.entries[index - 1][1].end, value.end
            else:
                start, end = key_node.start, value.end
        self.edits.replace(start, end, "")
        return key_node.line

    def _add_to_empty(self, mapping: Node, key: str, value: Value) -> int:
        if not mapping.flow:
            raise TemplateSyntaxError(
                f"{self.path}:{mapping.line}: cannot add {key} to an empty value"
            )
        self.edits.insert(mapping.start + 1, self._flow(key, value, mapping.col, False))
        return mapping.line

    def _last_content(self, node: Node) -> int:
        """The offset just past the last character that belongs to `node` as written."""
        if node.kind == "map" and node.entries and not node.flow:
            return self._last_content(node.entries[-1][1])
        if node.kind == "seq" and node.items and not node.flow:
            return self._last_content(node.items[-1])
        if node.kind == "scalar" and node.style in ("|", ">"):
            # A block scalar's span runs on over the blank lines that follow it.
            return len(self.text[: node.end].rstrip())
        return node.end

    def _yaml_block(self, key: str, value: Value, indent: int) -> str:
        pad = " " * indent
        if isinstance(value, str):
            return f"{pad}{_yaml_scalar(key)}: {_yaml_scalar(value)}"
        lines = [f"{pad}{_yaml_scalar(key)}:"]
        if isinstance(value, Mapping):
            lines += [self._yaml_block(k, v, indent + self.indent_unit) for k, v in value.items()]
        else:
            dash = " " * (indent + self.dash_offset)
            lines += [f"{dash}- {_yaml_scalar(item)}" for item in value]
        return self.newline.join(lines)

    def _flow(self, key: str, value: Value, indent: int, multiline: bool) -> str:
        quote = json.dumps if self.syntax == "json" else _yaml_scalar
        if isinstance(value, str):
            return f"{quote(key)}: {quote(value)}"
        if isinstance(value, Mapping):
            inner = [
                self._flow(k, v, indent + self.indent_unit, multiline) for k, v in value.items()
            ]
            if multiline:
                pad = self.newline + " " * (indent + self.indent_unit)
                return (
                    f"{quote(key)}: {{{pad}"
                    + ("," + pad).join(inner)
                    + f"{self.newline}{' ' * indent}}}"
                )
            return f"{quote(key)}: {{" + ", ".join(inner) + "}"
        return f"{quote(key)}: [" + ", ".join(quote(item) for item in value) + "]"


def _yaml_scalar(value: str) -> str:
    return (
        value
        if _PLAIN_SAFE.match(value) and value not in ("null", "true", "false", "~")
        else json.dumps(value)
    )


def _indent_unit(root: Node) -> int:
    """How far a nested mapping is indented under its key, as the file does it (2 if unknown)."""
    queue = [root]
    while queue:
        node = queue.pop(0)
        for key, value in node.entries:
            if value.kind == "map" and value.entries and value.entries[0][0].line != key.line:
                step = value.entries[0][0].col - key.col
                if step > 0:
                    return step
            queue.append(value)
    return 2


def _dash_offset(root: Node, default: int) -> int:
    """How far a block list's dash sits right of its key: 0 and 2 are both common."""
    queue = [root]
    while queue:
        node = queue.pop(0)
        for key, value in node.entries:
            if value.kind == "seq" and not value.flow and value.items and not value.tag:
                return max(value.col - key.col, 0)
            queue.append(value)
    return default
