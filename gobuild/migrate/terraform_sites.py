"""Where a Terraform function's settings are written, and what its code is made from.

A function's settings sit in its `aws_lambda_function` block, or, for a local module whose
function takes `runtime = var.<name>` (or `"${var.<name>}"`), in each call of the module. Its
code comes from a zip (`filename`, often a `data "archive_file"` of one binary) or S3; the
zip's folder, the zipped binary and the function's name say which Go package it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from gobuild.lambda_facts import TARGET_RUNTIME, function_of_artifact
from gobuild.migrate.hcl import Attribute, Block, HclFile, unquote
from gobuild.migrate.locate import GENERIC_BINARIES
from gobuild.migrate.terraform_refs import (
    Call,
    ModuleFolder,
    local_path,
    module_calls,
    module_folder,
    parts,
    variables_in,
)
from gobuild.migrate.workspace import Workspace

RESOURCE_TYPE = "aws_lambda_function"
ARCHIVE = "archive_file"
SETTINGS = (
    "runtime", "handler", "filename", "source_code_hash", "architectures", "s3_bucket", "s3_key",
    "function_name",
)
_PASSED = re.compile(r"(?:\$\{\s*)?var\.([A-Za-z_][A-Za-z0-9_-]*)(?:\s*\})?")


@dataclass(frozen=True, kw_only=True)
class Site:
    """One function's settings: its resource block, or a call of the module holding it, with
    the name each setting has there (the module's variable names in a call)."""

    label: str
    block: Block
    keys: dict[str, str] = field(default_factory=dict)
    resource: Block | None = None  # for a call: the module's aws_lambda_function

    def get(self, setting: str) -> Attribute | None:
        key = self.keys.get(setting)
        return self.block.attributes.get(key) if key else None

    @property
    def is_call(self) -> bool:
        return self.block.kind == "module"


def sites(hcl: HclFile, workspace: Workspace) -> list[Site]:
    """The functions whose settings this file writes, in file order."""
    found: list[Site] = []
    for block in hcl.blocks:
        if block.kind == "resource" and block.labels[:1] == (RESOURCE_TYPE,):
            found.append(Site(label=".".join(block.labels), block=block, keys={s: s for s in SETTINGS}))
        elif block.kind == "module" and block.labels:
            source = block.attributes.get("source")
            local = source.literal if source is not None else None
            if local is None or not local.startswith(("./", "../")):
                continue
            for resource in module_functions(hcl.path.parent / local, workspace):
                keys = {
                    setting: name
                    for setting in SETTINGS
                    if (name := passed_variable(resource.attributes.get(setting))) is not None
                }
                if "runtime" in keys:
                    found.append(
                        Site(label=f"module.{block.labels[0]}", block=block, keys=keys, resource=resource)
                    )
    return found


def passed_variable(attribute: Attribute | None) -> str | None:
    """The input variable an attribute is set from: `var.x` or `"${var.x}"`."""
    if attribute is None:
        return None
    tokens = attribute.value
    written = unquote(tokens[0].text) if len(tokens) == 1 and tokens[0].kind == "string" else "".join(
        token.text for token in tokens
    )
    match = _PASSED.fullmatch(written.strip())
    return match.group(1) if match else None


def module_functions(folder: Path, workspace: Workspace) -> list[Block]:
    """The aws_lambda_function blocks of a local module's .tf files."""
    return module_folder(workspace, Path(folder).resolve()).blocks("resource", RESOURCE_TYPE)


def callers(site: Site, hcl: HclFile, workspace: Workspace) -> list[Call]:
    """The calls of the module that holds a resource site, when its function_name is made of
    an input the calls set to different names (`service_name = "orders"`): each call is then a
    function of its own. A function named otherwise is one program, whoever calls it."""
    inputs = variables_in(site.get("function_name"))
    if site.is_call or not inputs:
        return []
    calls = module_calls(workspace, hcl.path.parent)
    named = [name for name in inputs if any(call.literal(name) for call in calls)]
    values = {tuple(call.literal(name) for name in named) for call in calls}
    return calls if named and (len(calls) == 1 or len(values) > 1) else []


@dataclass(frozen=True, kw_only=True)
class CodeHints:
    """What a function's settings say about its Go package."""

    code: Path | None = None  # the folder of its zip or binary, which may be the package
    binary: Path | None = None  # where its old binary was built (an archive_file's source_file)
    names: tuple[str, ...] = ()
    archive: Block | None = None  # the archive_file that zips it


def archive_of(site: Site, folder: ModuleFolder) -> Block | None:
    """The `data "archive_file"` a resource's zip comes from: named in its filename or
    source_code_hash, or with the filename as its output_path."""
    if site.is_call:
        return None
    written = " ".join(
        "".join(token.text for token in a.value) for key in ("filename", "source_code_hash") if (a := site.get(key))
    )
    filename = local_path(site.get("filename"), folder)
    for block in folder.blocks("data", ARCHIVE):
        label = block.labels[1] if len(block.labels) > 1 else ""
        if label and re.search(rf"\bdata\.{ARCHIVE}\.{re.escape(label)}\b", written):
            return block
        if filename is not None and local_path(block.attributes.get("output_path"), folder) == filename:
            return block
    return None


def hints(site: Site, folder: ModuleFolder, extra_names: tuple[str, ...] = ()) -> CodeHints:
    """The code folder, the old binary and the names a function's settings give, most telling
    first; never the resource label, which is often a placeholder such as `this`."""
    names: list[str] = [*extra_names]
    handler = site.get("handler")
    if handler is not None and handler.literal:
        names.append(Path(handler.literal).name)
    code: Path | None = None
    binary: Path | None = None
    archive = archive_of(site, folder)
    if archive is not None:
        binary = local_path(archive.attributes.get("source_file"), folder)
        code = binary.parent if binary is not None else local_path(archive.attributes.get("source_dir"), folder)
    filename = local_path(site.get("filename"), folder)
    if filename is not None:
        stem = function_of_artifact(filename.name)
        names.append(stem)
        code = code or filename.parent
    if code is not None:
        names.append(code.name)
    names += parts(site.get("function_name"), folder)
    kept = tuple(
        n for n in dict.fromkeys(names) if n and n not in GENERIC_BINARIES and n != TARGET_RUNTIME
    )
    if code is not None and not code.is_dir():
        code = None
    return CodeHints(code=code, binary=binary, names=kept, archive=archive)


def call_names(call: Call, resource: Block) -> tuple[str, ...]:
    """What one call of a reused module names its function: the inputs its function_name is
    made of (`service_name = "orders"`), then the module's label (orders_api → orders-api)."""
    names = [value for name in variables_in(resource.attributes.get("function_name")) if (value := call.literal(name))]
    names += [call.label.replace("_", "-"), call.label]
    return tuple(dict.fromkeys(n for n in names if n))
