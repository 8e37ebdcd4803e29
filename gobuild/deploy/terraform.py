"""Terraform `*.tf` → its `aws_lambda_function` resources.

Values come from python-hcl2 (a full HCL2 parser). Lines do not: python-hcl2 7 puts line
numbers on blocks only, and python-hcl2 8 no longer reports them at all, so a finding's line is
found in the text: the `resource "aws_lambda_function" "NAME"` header, then the first line in
that resource that sets the attribute (the header's line when there is none).

Literal strings are values; a string holding `${...}` is an expression and is not resolved,
except `${path.module}` and `${path.root}`, which are this file's folder in a root module.
A key taken from `gobuild publish --format tfvars`
(`var.gobuild_artifacts["orders"]["arm64"].s3_key`) names gobuild's published.json entry.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gobuild.deploy.model import CodeRef, DefinitionError, FunctionDef, ListValue, Place, Value

RESOURCE_TYPE = "aws_lambda_function"
_TFVARS = re.compile(r'var\.gobuild_artifacts\["([^"]+)"\]\["([^"]+)"\]\.s3_key')
_TOP_LEVEL = re.compile(r"^[A-Za-z_]")


def mentions_function(text: str) -> bool:
    """Cheap test before parsing."""
    return RESOURCE_TYPE in text


def read_terraform(path: Path, text: str, shown: str) -> list[FunctionDef]:
    """Every aws_lambda_function of one .tf file, in file order."""
    hcl2: Any = importlib.import_module("hcl2")  # lark's grammar costs ~0.2 s: only for .tf files
    try:
        document = hcl2.loads(text)
    except Exception as error:  # lark raises its own hierarchy; every kind has the same meaning
        raise DefinitionError(f"{_where(shown, error)}: invalid HCL: {_reason(error)}",
                              hint="fix the file (terraform validate says more)") from None
    lines = text.splitlines()
    return [_Resource(name, body, lines, shown, path.parent).definition() for name, body in _lambdas(document)]


def _where(shown: str, error: Exception) -> str:
    line, column = getattr(error, "line", None), getattr(error, "column", None)
    if not isinstance(line, int) or line < 1:
        return shown
    return f"{shown}:{line}" + (f":{column}" if isinstance(column, int) and column > 0 else "")


def _reason(error: Exception) -> str:
    """lark's first line without its own "at line N" (the place is already given)."""
    token, char = getattr(error, "token", None), getattr(error, "char", None)
    if token is not None:
        text = str(token).strip()
        return f"unexpected {text[:30]!r}" if text else "unexpected end of a value"
    if isinstance(char, str):
        return f"unexpected character {char!r}"
    return (str(error).splitlines() or [type(error).__name__])[0][:120]


def _lambdas(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for group in _blocks(document.get("resource")):
        for kind, named in group.items():
            if unquote(kind) != RESOURCE_TYPE or not isinstance(named, dict):
                continue
            for name, body in named.items():
                if isinstance(body, dict) and not name.startswith("__"):
                    yield unquote(name), body


def _blocks(value: Any) -> list[dict[str, Any]]:
    """A block list as python-hcl2 gives it: a list of dicts (one dict in older versions)."""
    if isinstance(value, dict):
        return [value]
    return [item for item in value or () if isinstance(item, dict)]


def unquote(text: str) -> str:
    """python-hcl2 8 keeps a string's quotes (and escapes); 7 drops them: the value either way."""
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        try:
            decoded = json.loads(text)
            return decoded if isinstance(decoded, str) else text[1:-1]
        except ValueError:
            return text[1:-1]
    return text


class _Resource:
    def __init__(self, name: str, body: dict[str, Any], lines: list[str], shown: str, folder: Path) -> None:
        self.name = name
        self.body = body
        self.lines = lines
        self.shown = shown
        self.folder = folder
        self.start, self.end = self._extent()

    def _extent(self) -> tuple[int, int]:
        """Header line and the line before the next top-level block (1-based, inclusive)."""
        header = re.compile(rf'^\s*resource\s+"{RESOURCE_TYPE}"\s+"{re.escape(self.name)}"')
        start = next((i for i, line in enumerate(self.lines) if header.match(line)), 0)
        end = next((i for i in range(start + 1, len(self.lines)) if _TOP_LEVEL.match(self.lines[i])),
                   len(self.lines))
        return start + 1, end

    def place(self, attribute: str | None = None, within: tuple[int, int] | None = None) -> Place:
        if attribute is None:
            return Place(file=self.shown, line=self.start)
        first, last = within or (self.start, self.end)
        pattern = re.compile(rf'^\s*"?{re.escape(attribute)}"?\s*=')
        for number in range(first, min(last, len(self.lines)) + 1):
            if pattern.match(self.lines[number - 1]):
                return Place(file=self.shown, line=number)
        return Place(file=self.shown, line=first)

    def value(self, attribute: str) -> Value | None:
        raw = self.body.get(attribute)
        if raw is None or isinstance(raw, (dict, list)):
            return None
        return self.scalar(raw, self.place(attribute))

    def scalar(self, raw: Any, place: Place) -> Value:
        if isinstance(raw, bool):
            return Value(text=str(raw).lower(), written=str(raw).lower(), place=place)
        if isinstance(raw, (int, float)):
            return Value(text=str(raw), written=str(raw), place=place)
        text = self.substitute(unquote(str(raw)))
        return Value(text=None if "${" in text else text, written=unquote(str(raw)), place=place)

    def substitute(self, text: str) -> str:
        folder = self.folder.as_posix()
        return text.replace("${path.module}", folder).replace("${path.root}", folder)

    def definition(self) -> FunctionDef:
        return FunctionDef(
            name=self.name,
            format="terraform",
            resource_type=RESOURCE_TYPE,
            place=self.place(),
            base_dir=self.folder,
            code=self.code(),
            runtime=self.value("runtime"),
            handler=self.value("handler"),
            architectures=self.architectures(),
            timeout=self.value("timeout"),
            memory=self.value("memory_size"),
            environment=tuple(self.environment()),
            runtime_config=self.runtime_config(),
        )

    def architectures(self) -> ListValue | None:
        raw = self.body.get("architectures")
        if raw is None:
            return None
        place = self.place("architectures")
        if isinstance(raw, list) and all(isinstance(item, str) and "${" not in item for item in raw):
            items = tuple(unquote(item) for item in raw)
            return ListValue(items=items, written=json.dumps(list(items)), place=place)
        return ListValue(items=None, written=unquote(str(raw)), place=place)

    def environment(self) -> list[tuple[str, Place]]:
        names = []
        for block in _blocks(self.body.get("environment")):
            variables = block.get("variables")
            if not isinstance(variables, dict):
                continue
            within = (self.place("environment").line, self.end)
            names += [(unquote(key), self.place(unquote(key), within))
                      for key in variables if not key.startswith("__")]
        return names

    def runtime_config(self) -> Value | None:
        for block in _blocks(self.body.get("runtime_config")):
            if "runtime_arn" in block:
                return self.scalar(block["runtime_arn"], self.place("runtime_arn"))
        return None

    def code(self) -> CodeRef:
        package_type = self.value("package_type")
        if self.body.get("image_uri") is not None or (package_type and package_type.text == "Image"):
            return CodeRef(kind="image", place=self.place())
        filename = self.value("filename")
        if filename is not None:
            if filename.text is None:
                return CodeRef(kind="unresolved", place=filename.place, through_s3=False,
                               detail=f"filename is {filename.written}")
            return CodeRef(kind="path", place=filename.place, path=self.folder / filename.text, through_s3=False)
        bucket, key, version = self.value("s3_bucket"), self.value("s3_key"), self.value("s3_object_version")
        if key is None or bucket is None:
            return CodeRef(kind="missing", place=self.place(), detail="no filename, nor s3_bucket and s3_key")
        published = _TFVARS.search(key.written)
        if published:
            return CodeRef(kind="published", place=key.place, published=(published[1], published[2]))
        unresolved = [f"{name} is {v.written}" for name, v in (("s3_bucket", bucket), ("s3_key", key),
                      ("s3_object_version", version)) if v is not None and v.text is None]
        if unresolved or bucket.text is None or key.text is None:
            return CodeRef(kind="unresolved", place=key.place, detail="; ".join(unresolved))
        return CodeRef(kind="s3", place=key.place, bucket=bucket.text, key=key.text,
                       version=version.text if version else None)
