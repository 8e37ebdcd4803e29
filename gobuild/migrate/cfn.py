"""The Lambda functions of a SAM or CloudFormation template, as migrate and its checks see them:
runtime and handler in effect (their own or from Globals), and where the code is."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gobuild.lambda_facts import function_of_artifact
from gobuild.migrate.document import Document, Node
from gobuild.migrate.functions import kebab
from gobuild.migrate.locate import GENERIC_BINARIES

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
GO_RUNTIME = "go1.x"
CUSTOM_RUNTIMES = ("provided", "provided.al2")  # custom runtimes: Go only when shown to be


@dataclass(frozen=True, kw_only=True)
class Code:
    """Where a function's code is: a local folder or zip (path), S3, inline, an image, an
    expression, or nothing given."""

    kind: str  # "folder", "zip", "s3", "inline", "image", "expression", "none"
    node: Node | None  # None for a SAM function with no CodeUri, whose code is the template's folder
    path: Path | None = None
    identity: str = ""  # what makes two S3 or zip locations the same object

    @property
    def local(self) -> bool:
        return self.kind in ("folder", "zip")

    def shown(self, doc: Document) -> str:
        """The location as the template writes it, for messages."""
        return doc.written(self.node) if self.node is not None else "(none given: the template's folder)"


@dataclass(frozen=True, kw_only=True)
class TemplateFunction:
    """One function resource; values in effect include those inherited from Globals."""

    logical_id: str
    key: Node
    kind: str
    resource: Node
    properties: Node | None
    runtime: Node | None
    handler: Node | None
    code: Code

    def own(self, key: str) -> Node | None:
        return self.properties.get(key) if self.properties else None

    def inherits(self, key: str) -> bool:
        """Whether a Globals.Function value of `key` applies to this function."""
        return self.is_sam and self.own(key) is None

    @property
    def is_sam(self) -> bool:
        return self.kind == SERVERLESS_FUNCTION

    @property
    def metadata(self) -> Node | None:
        return as_map(self.resource.get("Metadata"))

    @property
    def build_method(self) -> str | None:
        method = self.metadata.get("BuildMethod") if self.metadata else None
        return method.value if method is not None and method.is_plain_string else None

    @property
    def binary(self) -> Path | None:
        """Where the old binary was: the code folder joined with a go1.x Handler (bin/ and
        orders → bin/orders), as a Makefile writes it."""
        handler = self.handler
        if self.code.kind != "folder" or self.code.path is None or handler is None:
            return None
        if not handler.is_plain_string or handler.value in GENERIC_BINARIES - {"main"}:
            return None
        return Path(os.path.normpath(self.code.path / handler.value))

    def binary_names(self) -> tuple[str, ...]:
        """What the function's binary may be called, most telling first: the old Handler, the
        code folder's or zip's name, the logical id (OrdersFunction → orders)."""
        names: list[str] = []
        if self.handler is not None and self.handler.is_plain_string:
            names.append(Path(self.handler.value).name)
        if self.code.path is not None:
            stem = self.code.path.name
            names.append(function_of_artifact(stem) if self.code.kind == "zip" else stem)
        names.append(kebab(self.logical_id))
        return tuple(n for n in dict.fromkeys(names) if n not in GENERIC_BINARIES)


def as_map(node: Node | None) -> Node | None:
    return node if node is not None and node.is_map else None


def function_globals(doc: Document) -> Node | None:
    """The Globals.Function mapping of a SAM template, or None."""
    sections = as_map(doc.root.get("Globals"))
    return as_map(sections.get("Function")) if sections else None


def template_functions(doc: Document) -> list[TemplateFunction]:
    """Every AWS::Serverless::Function and AWS::Lambda::Function, in file order."""
    resources = as_map(doc.root.get("Resources"))
    if resources is None:
        return []
    shared = function_globals(doc)
    found: list[TemplateFunction] = []
    for key, resource in resources.entries:
        kind = resource.get("Type") if resource.is_map else None
        if kind is None or kind.value not in (SERVERLESS_FUNCTION, LAMBDA_FUNCTION):
            continue
        properties = as_map(resource.get("Properties"))
        is_sam = kind.value == SERVERLESS_FUNCTION

        def effective(name: str, properties: Node | None = properties, is_sam: bool = is_sam) -> Node | None:
            own = properties.get(name) if properties else None
            return own if own is not None or not (is_sam and shared) else shared.get(name)

        code = effective("CodeUri") if is_sam else (properties.get("Code") if properties else None)
        found.append(
            TemplateFunction(
                logical_id=key.value,
                key=key,
                kind=kind.value,
                resource=resource,
                properties=properties,
                runtime=effective("Runtime"),
                handler=effective("Handler"),
                code=code_location(code, doc.path.parent, is_sam=is_sam, properties=properties),
            )
        )
    return found


def code_location(node: Node | None, folder: Path, *, is_sam: bool, properties: Node | None = None) -> Code:
    """What a CodeUri (SAM) or Code (CloudFormation) value names. A SAM function with none
    (and no InlineCode or image) has the template's folder, as `sam build` takes it."""
    if node is None:
        package_type = properties.get("PackageType") if properties else None
        if properties is not None and properties.get("InlineCode") is not None:
            return Code(kind="inline", node=None)
        if properties is not None and (properties.get("ImageUri") is not None or (
            package_type is not None and package_type.value == "Image"
        )):
            return Code(kind="image", node=None)
        if is_sam:
            return Code(kind="folder", node=None, path=folder, identity=str(folder))
        return Code(kind="none", node=None)
    if node.is_plain_string:
        value = node.value
        if value.startswith("s3://"):
            return Code(kind="s3", node=node, identity=value)
        if "://" in value:
            return Code(kind="expression", node=node)
        path = Path(os.path.normpath(folder / value))
        kind = "zip" if value.lower().endswith((".zip", ".jar")) else "folder"
        return Code(kind=kind, node=node, path=path, identity=str(path))
    if node.is_map and not node.tag:
        keys = {k.value for k, _ in node.entries}
        if "ZipFile" in keys:
            return Code(kind="inline", node=node)
        if "ImageUri" in keys:
            return Code(kind="image", node=node)
        bucket = node.get("Bucket" if is_sam else "S3Bucket")
        key = node.get("Key" if is_sam else "S3Key")
        if bucket is not None and key is not None:
            literal = bucket.is_plain_string and key.is_plain_string
            identity = f"s3://{bucket.value}/{key.value}" if literal else ""
            return Code(kind="s3", node=node, identity=identity)
    return Code(kind="expression", node=node)
