"""Where a Terraform function's settings are written, and what still stands in the way of a
Go function on provided.al2023, read from the .tf file as it is (or as migrate would write it).

A function's settings sit in its `aws_lambda_function` block, or, for a local module whose
function takes `runtime = var.<name>`, in each call of the module. The checks run on the result,
so a second run reports the same: code in S3, a prebuilt zip that must hold bootstrap, a zip
shared by several functions, an aws-lambda-go too old for provided.*.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gobuild.lambda_facts import TARGET_RUNTIME
from gobuild.migrate.hcl import Attribute, Block, HclFile, Token, parse_hcl
from gobuild.migrate.inputs import read_source
from gobuild.migrate.locate import module_root
from gobuild.migrate.model import ERROR, HANDLER, INFO, Notice
from gobuild.migrate.workspace import Workspace

RESOURCE_TYPE = "aws_lambda_function"
SETTINGS = ("runtime", "handler", "filename", "source_code_hash", "architectures", "s3_bucket")
_VARIABLE = re.compile(r"var\.([A-Za-z_][A-Za-z0-9_-]*)")


@dataclass(frozen=True, kw_only=True)
class Site:
    """One function's settings: its resource block, or a call of the module holding it, with
    the name each setting has there (the module's variable names in a call)."""

    label: str
    block: Block
    keys: dict[str, str] = field(default_factory=dict)

    def get(self, setting: str) -> Attribute | None:
        key = self.keys.get(setting)
        return self.block.attributes.get(key) if key else None


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
            for resource in _module_functions(hcl.path.parent / local, workspace):
                keys = {
                    setting: match.group(1)
                    for setting in SETTINGS
                    if (attribute := resource.attributes.get(setting)) is not None
                    and (match := _VARIABLE.fullmatch(_written(attribute))) is not None
                }
                if "runtime" in keys:
                    found.append(Site(label=f"module.{block.labels[0]}", block=block, keys=keys))
    return found


def _written(attribute: Attribute) -> str:
    """An attribute's value from its own tokens (a module's file is not at hand)."""
    return "".join(token.text for token in attribute.value)


def _module_functions(folder: Path, workspace: Workspace) -> list[Block]:
    """The aws_lambda_function blocks of a local module's .tf files."""
    folder = Path(folder).resolve()
    if folder not in workspace.terraform_modules:
        blocks: list[Block] = []
        workspace.terraform_modules[folder] = blocks  # a module that calls itself stops here
        for path in sorted(folder.glob("*.tf")) if folder.is_dir() else []:
            text = read_source(path, strict=False)
            if text is not None and RESOURCE_TYPE in text:
                blocks += [
                    b for b in parse_hcl(text, path).blocks
                    if b.kind == "resource" and b.labels[:1] == (RESOURCE_TYPE,)
                ]
    result: list[Block] = workspace.terraform_modules[folder]
    return result


def check_file(hcl: HclFile, workspace: Workspace, *, line_of: Callable[[int], int]) -> list[Notice]:
    """Notes about the file's functions on provided.al2023 with handler bootstrap in a Go module."""
    if not (module_root(hcl.path.parent) / "go.mod").is_file():
        return []
    notices: list[Notice] = []
    zips: dict[str, list[tuple[Site, Attribute]]] = {}

    def note(token: Token, message: str, replacement: str, level: str = INFO) -> None:
        notices.append(
            Notice(file=hcl.path, line=line_of(token.start), message=message, replacement=replacement, level=level)
        )

    for site in sites(hcl, workspace):
        runtime, handler = site.get("runtime"), site.get("handler")
        if runtime is None or runtime.literal != TARGET_RUNTIME or handler is None or handler.literal != HANDLER:
            continue
        filename, bucket = site.get("filename"), site.get("s3_bucket")
        if bucket is not None:
            note(
                bucket.name,
                f"{site.label}: its code is in S3 ({bucket.expression(hcl.text)}); that zip must hold "
                "the binary named bootstrap",
                "build it with `gobuild build` and upload it with `gobuild publish`",
            )
        elif filename is not None:
            relative = filename.path
            path = hcl.path.parent / relative if relative else None
            if path is None:
                note(
                    filename.name,
                    f"{site.label}: its zip is {filename.expression(hcl.text)}; it must hold the "
                    "binary named bootstrap",
                    "point filename at gobuild's zip (`gobuild migrate --build gobuild` does)",
                )
            elif not workspace.is_artifact(path):
                zips.setdefault(str(path.resolve()), []).append((site, filename))
        note_go = workspace.lambda_note(workspace.root_for(None, hcl.path.parent))
        notices += [note_go] if note_go else []
    for group in zips.values():
        for site, filename in group:
            others = [s.label for s, _ in group if s is not site]
            if others:
                note(
                    filename.name,
                    f"{site.label} shares its zip with {', '.join(others)}, but one zip holds one "
                    "bootstrap: they would all run the same binary",
                    "give each function its own zip: `gobuild migrate --build gobuild` points each "
                    "at dist/<name>-<arch>.zip",
                    ERROR,
                )
            else:
                note(
                    filename.name,
                    f"{site.label}: its code is the prebuilt zip {filename.expression(hcl.text)}; "
                    "it must hold the binary named bootstrap",
                    "build it with `gobuild build`, or run `gobuild migrate --build gobuild`",
                )
    return notices
