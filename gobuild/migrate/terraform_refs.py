"""What a Terraform value stands for, without running Terraform: the variables' defaults and
the locals of a module folder (every .tf file in it), string templates made of them, the
`archive_file` data sources that zip a binary, and the calls of a module from the files this
run reads. Anything that needs Terraform itself to evaluate (functions, conditionals, resource
attributes) has no value here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from gobuild.migrate.hcl import Attribute, Block, HclFile, parse_hcl, unquote
from gobuild.migrate.inputs import read_source
from gobuild.migrate.model import RefusedInput, TemplateSyntaxError
from gobuild.migrate.workspace import Workspace

_PATH_MODULE = "${path.module}"
_TEMPLATE_REFERENCE = re.compile(r"\$\{\s*(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}")
_REFERENCE = re.compile(r"\b(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)")
_MAX_DEPTH = 8


@dataclass(frozen=True, kw_only=True)
class ModuleFolder:
    """The .tf files of one folder (one Terraform module), each read once."""

    path: Path
    files: tuple[HclFile, ...]

    def blocks(self, kind: str, first_label: str | None = None) -> list[Block]:
        return [
            block
            for hcl in self.files
            for block in hcl.blocks
            if block.kind == kind and (first_label is None or block.labels[:1] == (first_label,))
        ]

    def definition(self, scope: str, name: str) -> Attribute | None:
        """A variable's default (`var`) or a local's value (`local`)."""
        if scope == "var":
            variable = next((b for b in self.blocks("variable") if b.labels[:1] == (name,)), None)
            return variable.attributes.get("default") if variable is not None else None
        return next((b.attributes[name] for b in self.blocks("locals") if name in b.attributes), None)

    def text_of(self, block: Block) -> str:
        """The text of the file that holds `block`."""
        return next((hcl.text for hcl in self.files if block in hcl.blocks), "")


def module_folder(workspace: Workspace, path: Path, current: HclFile | None = None) -> ModuleFolder:
    """The .tf files of `path` (the file being migrated taken as given), read once per run."""
    folder = Path(os.path.abspath(path))
    cache = workspace.terraform_folders
    if folder not in cache:
        files: list[HclFile] = []
        for tf in sorted(folder.glob("*.tf")) if folder.is_dir() else []:
            parsed = _parsed(tf)
            if parsed is not None:
                files.append(parsed)
        cache[folder] = ModuleFolder(path=folder, files=tuple(files))
    found: ModuleFolder = cache[folder]
    if current is not None:  # the edited text of the file being migrated wins
        others = tuple(h for h in found.files if h.path != current.path)
        found = ModuleFolder(path=folder, files=(*others, current))
    return found


def evaluate(attribute: Attribute | None, folder: ModuleFolder, depth: int = 0) -> str | None:
    """The string an attribute holds when it is a literal, a template of `${path.module}`,
    variable defaults and locals, or one `var.x` / `local.y` reference; else None."""
    if attribute is None or depth > _MAX_DEPTH:
        return None
    tokens = attribute.value
    if len(tokens) == 3 and tokens[0].text in ("var", "local") and tokens[1].text == ".":
        return evaluate(folder.definition(tokens[0].text, tokens[2].text), folder, depth + 1)
    if len(tokens) != 1 or tokens[0].kind != "string":
        return None
    text = unquote(tokens[0].text)

    def value(match: re.Match[str]) -> str:
        found = evaluate(folder.definition(match.group(1), match.group(2)), folder, depth + 1)
        return found if found is not None else match.group(0)

    text = _TEMPLATE_REFERENCE.sub(value, text)
    rest = text.replace(_PATH_MODULE, "", 1) if text.startswith(_PATH_MODULE) else text
    return None if "${" in rest else text


def local_path(attribute: Attribute | None, folder: ModuleFolder) -> Path | None:
    """The file or folder a path attribute names, relative to the module's folder."""
    value = evaluate(attribute, folder)
    if not value:
        return None
    relative = value.removeprefix(_PATH_MODULE).lstrip("/") if value.startswith(_PATH_MODULE) else value
    return Path(os.path.normpath(folder.path / relative))


def parts(attribute: Attribute | None, folder: ModuleFolder) -> tuple[str, ...]:
    """The values of the variables and locals an attribute is made of that have one (for a
    name such as `"${local.NAME}-${var.stage}"`, the NAME's value), and its own value."""
    if attribute is None:
        return ()
    written = "".join(token.text for token in attribute.value)
    found = [
        value
        for scope, name in _REFERENCE.findall(written)
        if (value := evaluate(folder.definition(scope, name), folder)) is not None
    ]
    whole = evaluate(attribute, folder)
    return tuple(dict.fromkeys([*found, *([whole] if whole else [])]))


def variables_in(attribute: Attribute | None) -> tuple[str, ...]:
    """The input variables an attribute reads (`var.service_name` → service_name)."""
    if attribute is None:
        return ()
    written = "".join(token.text for token in attribute.value)
    return tuple(dict.fromkeys(name for scope, name in _REFERENCE.findall(written) if scope == "var"))


@dataclass(frozen=True, kw_only=True)
class Call:
    """A `module "label" { source = "./..." }` block calling a local module."""

    hcl: HclFile
    block: Block

    @property
    def label(self) -> str:
        return self.block.labels[0] if self.block.labels else ""

    def literal(self, name: str) -> str | None:
        attribute = self.block.attributes.get(name)
        return attribute.literal if attribute is not None else None


def module_calls(workspace: Workspace, folder: Path) -> list[Call]:
    """The calls of the module in `folder` among the .tf files this run reads."""
    if workspace.terraform_calls is None:
        index: dict[Path, list[Call]] = {}
        for path in workspace.files:
            if path.suffix != ".tf":
                continue
            hcl = _parsed(path, needs=("module", "source"))
            if hcl is None:
                continue
            for block in hcl.blocks:
                source = block.attributes.get("source") if block.kind == "module" else None
                local = source.literal if source is not None else None
                if local is not None and local.startswith(("./", "../")):
                    target = Path(os.path.normpath(path.parent / local))
                    index.setdefault(target, []).append(Call(hcl=hcl, block=block))
        workspace.terraform_calls = index
    calls: list[Call] = workspace.terraform_calls.get(Path(os.path.abspath(folder)), [])
    return calls


def _parsed(path: Path, needs: tuple[str, ...] = ()) -> HclFile | None:
    """A .tf file read for what it tells about others; None when it cannot be read or parsed
    (migrating the file itself reports why)."""
    try:
        text = read_source(path, strict=False)
        if text is None or not all(word in text for word in needs):
            return None
        return parse_hcl(text, path)
    except (RefusedInput, TemplateSyntaxError):
        return None


def references(folder: ModuleFolder, kind: str, label: str) -> bool:
    """Whether any .tf file of the folder reads `data.<kind>.<label>` or `<kind>.<label>`."""
    pattern = re.compile(rf"\b{re.escape(kind)}\.{re.escape(label)}\b")
    return any(pattern.search(hcl.text) for hcl in folder.files)
