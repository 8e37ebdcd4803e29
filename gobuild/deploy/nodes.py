"""Values out of YAML and JSON span trees (gobuild.migrate.document's Node), with their lines.

A scalar without a tag is literal. Anything else, a short tag (`!Ref X`), a one-key
`{"Ref": ...}`/`{"Fn::...": ...}` mapping or a Serverless `${...}` variable, is kept as written
and never evaluated: `gobuild check` reports it as not resolved instead of guessing.
"""

from __future__ import annotations

from gobuild.deploy.model import ListValue, Place, Value
from gobuild.migrate.document import Node, intrinsic, source_text


class Source:
    """One parsed file: its text (for quoting values as written) and its name as shown."""

    def __init__(self, text: str, shown: str, *, variables: bool = False) -> None:
        self.text = text
        self.shown = shown
        self.variables = variables  # Serverless: `${...}` in a string is a variable

    def place(self, node: Node) -> Place:
        return Place(file=self.shown, line=node.line)

    def written(self, node: Node) -> str:
        return source_text(self.text, node)

    def value(self, node: Node | None) -> Value | None:
        """The node as a Value (text None when it is not literal); None for an empty value."""
        if node is None:
            return None
        literal = node.kind == "scalar" and not node.tag
        if literal and not node.is_string and node.value in ("", "~", "null"):
            return None  # an empty value (`Runtime:`) declares nothing
        if literal and self.variables and "${" in node.value:
            literal = False
        return Value(text=node.value if literal else None, written=self.written(node), place=self.place(node))

    def strings(self, node: Node | None) -> ListValue | None:
        """A list of literal strings (also a lone string, as Serverless' `architecture`)."""
        if node is None:
            return None
        place, written = self.place(node), self.written(node)
        if node.kind == "scalar":
            single = self.value(node)
            items = (single.text,) if single is not None and single.text is not None else None
            return ListValue(items=items, written=written, place=place)
        if node.kind != "seq" or node.tag:
            return ListValue(items=None, written=written, place=place)
        texts = [self.value(item) for item in node.items]
        if any(v is None or v.text is None for v in texts):
            return ListValue(items=None, written=written, place=place)
        return ListValue(items=tuple(v.text for v in texts if v is not None and v.text is not None),
                         written=written, place=place)

    def names(self, node: Node | None) -> list[tuple[str, Place]]:
        """The literal keys of a mapping, with their places; nothing for an intrinsic."""
        if node is None or node.kind != "map" or node.tag or intrinsic(node):
            return []
        return [(key.value, self.place(key)) for key, _ in node.entries if key.kind == "scalar"]


def ref_target(node: Node | None) -> str | None:
    """The name a `!Ref X` / `{"Ref": "X"}` points at, or None for anything else."""
    if node is None:
        return None
    if node.tag == "!Ref" and node.kind == "scalar":
        return node.value
    if node.kind == "map" and len(node.entries) == 1 and not node.tag:
        key, value = node.entries[0]
        if key.value == "Ref" and value.kind == "scalar":
            return value.value
    return None


def mapping(node: Node | None) -> Node | None:
    """The node when it is a plain mapping (not an intrinsic), else None."""
    if node is None or node.kind != "map" or node.tag or intrinsic(node):
        return None
    return node
