"""Terraform `*.tf`: Go functions on go1.x (or provided.al2, when shown to be Go) → provided.al2023.

Two places hold a function's settings: an `aws_lambda_function` block with a literal `runtime`,
and a call of a local module (`module "x" { source = "./modules/lambda" ... }`) whose
aws_lambda_function takes `runtime = var.<name>`, so the literal sits in the call. Only the
spans of runtime, handler, architectures and (with --build gobuild) filename and
source_code_hash change, so formatting and comments stay. A runtime in a variable or local is
reported, not guessed; a resource label such as `this` never names a function.
"""

from __future__ import annotations

import re
from pathlib import Path

from gobuild.lambda_facts import TARGET_RUNTIME, function_of_artifact
from gobuild.migrate import terraform_checks
from gobuild.migrate.cfn import CUSTOM_RUNTIMES, GO_RUNTIME
from gobuild.migrate.functions import relative_path
from gobuild.migrate.hcl import Attribute, Block, HclFile, Token, parse_hcl, unquote
from gobuild.migrate.locate import GENERIC_BINARIES, PACKAGE_FIX, located_fix
from gobuild.migrate.model import (
    DEFAULT_ARCH,
    ERROR,
    GOARCH,
    HANDLER,
    INFO,
    Change,
    FileResult,
    LineIndex,
    ManifestFunction,
    MigrateOptions,
    Notice,
    TextEdits,
    keep_comment_column,
    line_end,
    original_line,
)
from gobuild.migrate.workspace import Resolved, Workspace

RESOURCE_TYPE = terraform_checks.RESOURCE_TYPE
_MODULE_CALL = re.compile(r'^\s*module\s+"', re.MULTILINE)

_STEPS = {
    "gobuild": "Run `gobuild build` to write the zips filename now names, then `terraform plan`.",
    "other": "Rebuild each function's zip so the binary inside is named bootstrap, "
    "then `terraform plan`.",
}


def mentions_lambda(text: str) -> bool:
    """Cheap test before tokenizing: a Lambda function, or a call of a module (which may hold one)."""
    return RESOURCE_TYPE in text or _MODULE_CALL.search(text) is not None


def migrate_terraform(
    *, path: Path, text: str, options: MigrateOptions, workspace: Workspace | None = None
) -> FileResult:
    """Migrates one .tf file; raises TemplateSyntaxError naming the line when it is malformed."""
    return _Migration(parse_hcl(text, path), options, workspace or Workspace()).run()


class _Migration:
    def __init__(self, hcl: HclFile, options: MigrateOptions, workspace: Workspace) -> None:
        self.hcl = hcl
        self.path = hcl.path
        self.folder = hcl.path.parent
        self.text = hcl.text
        self.options = options
        self.workspace = workspace
        self.edits = TextEdits(hcl.text)
        self.changes: list[Change] = []
        self.notices: list[Notice] = []
        self.functions: list[ManifestFunction] = []
        self.newline = "\r\n" if "\r\n" in hcl.text else "\n"

    def run(self) -> FileResult:
        variables = {b.labels[0]: b for b in self.hcl.blocks if b.kind == "variable" and b.labels}
        moved = 0
        for site in terraform_checks.sites(self.hcl, self.workspace):
            runtime = site.get("runtime")
            if runtime is None:
                continue
            if runtime.literal is None:
                if site.block.kind == "resource":
                    self._note_expression(site.label, runtime, variables)
                continue
            moved += self._migrate(site, runtime)
        new_text = self.edits.apply()
        lines = LineIndex(self.text)
        self.notices += terraform_checks.check_file(
            parse_hcl(new_text, self.path),
            self.workspace,
            line_of=lambda offset: original_line(self.edits, lines, offset),
        )
        steps = (
            (_STEPS["gobuild" if self.options.build == "gobuild" else "other"],) if moved else ()
        )
        return FileResult(
            path=self.path,
            old_text=self.text,
            new_text=new_text,
            changes=tuple(self.changes),
            notices=tuple(self.notices),
            functions=tuple(self.functions),
            steps=steps,
        )

    def _migrate(self, site: terraform_checks.Site, runtime: Attribute) -> int:
        value = runtime.literal
        handler = site.get("handler")
        names = _binary_names(site)
        if value in CUSTOM_RUNTIMES:
            if not self._is_go(site, names):
                self._notice(
                    runtime.name,
                    f"{site.label}: not Go: move its runtime yourself (runtime = {value!r}; "
                    "no zip with a Go bootstrap here, and the module has no main package of its name)",
                    f'if it is Go: runtime = "{self.options.runtime}" and handler = "{HANDLER}"',
                )
                return 0
        elif value != GO_RUNTIME:
            return 0
        found: Resolved | None = None
        if self.options.build == "gobuild":
            located = self.workspace.resolve(code=None, start=self.folder, names=names)
            if not isinstance(located, Resolved):
                self._notice(
                    site.block.opening,
                    f"{site.label}: not migrated: {located.problem}",
                    located_fix(located, PACKAGE_FIX),
                    ERROR,
                )
                return 0
            found = located
        self._replace(runtime, "runtime", self.options.runtime)
        if handler is None and "handler" in site.keys:
            self._insert_after(runtime, site.keys["handler"], f'"{HANDLER}"')
        elif handler is not None and handler.literal is None:
            self._notice(
                handler.name,
                f"{site.label}: handler = {handler.expression(self.text)}; left alone",
                f'handler = "{HANDLER}"',
            )
        elif handler is not None:
            self._replace(handler, handler.name.text, HANDLER)
        arch = self._arch(site, runtime if handler is None else handler)
        if found is not None:
            self._point_at_zip(site, found, arch)
        return 1

    def _is_go(self, site: terraform_checks.Site, names: tuple[str, ...]) -> bool:
        filename = site.get("filename")
        relative = filename.path if filename is not None else None
        code = self.folder / relative if relative else None
        return self.workspace.is_go(code, self.folder, names) if code else isinstance(
            self.workspace.resolve(code=None, start=self.folder, names=names), Resolved
        )

    def _arch(self, site: terraform_checks.Site, anchor: Attribute) -> str:
        current = site.get("architectures")
        strings = [t for t in current.value if t.kind == "string"] if current is not None else []
        literal = strings[0].text.strip('"') if strings and "${" not in strings[0].text else None
        in_effect = literal or DEFAULT_ARCH
        wanted = self.options.arch
        if wanted is None or (current is not None and wanted == in_effect):
            return in_effect
        if current is None:
            if "architectures" in site.keys:
                self._insert_after(anchor, site.keys["architectures"], f'["{wanted}"]')
                return wanted
            return in_effect
        if literal is None:
            self._notice(
                current.name,
                f"{site.label}: architectures = {current.expression(self.text)}; left alone",
                f'architectures = ["{wanted}"]',
            )
            return in_effect
        self.edits.replace(strings[0].start, strings[0].end, f'"{wanted}"')
        self._change(strings[0].line, f'architectures = ["{literal}"]', f'architectures = ["{wanted}"]')
        return wanted

    def _point_at_zip(self, site: terraform_checks.Site, found: Resolved, arch: str) -> None:
        goarch = GOARCH.get(arch, "amd64")
        self.functions.append(found.declaration(goarch=goarch, source=self.path, line=site.block.opening.line))
        zip_path = "${path.module}/" + relative_path(
            self.workspace.artifact(found.top, found.name, goarch), self.folder
        )
        filename = site.get("filename")
        if filename is None or filename.path is None:
            return  # an expression or S3: the checks say where the zip must go
        self._replace(filename, filename.name.text, zip_path)
        digest = site.get("source_code_hash")
        wanted = f'filebase64sha256("{zip_path}")'
        if digest is not None and digest.value and digest.expression(self.text) != wanted:
            start, end = digest.value[0].start, digest.value[-1].end
            self.edits.replace(start, end, wanted)
            old = f"{digest.name.text} = {digest.expression(self.text)}"
            self._change(digest.name.line, old, f"{digest.name.text} = {wanted}")
        elif digest is None and "source_code_hash" in site.keys:
            self._insert_after(filename, site.keys["source_code_hash"], wanted)

    def _note_expression(self, label: str, runtime: Attribute, variables: dict[str, Block]) -> None:
        reference = re.fullmatch(r"var\.([A-Za-z_][A-Za-z0-9_-]*)", runtime.expression(self.text))
        name = reference.group(1) if reference else ""
        variable = variables.get(name)
        default = variable.attributes.get("default") if variable else None
        hint = ""
        if default is not None and default.literal in (GO_RUNTIME, *CUSTOM_RUNTIMES):
            hint = f" (variable {name} defaults to {default.literal!r} at line {default.name.line})"
        elif reference is not None and variable is not None and default is None:
            return  # set by each call of this module: the calls are where migrate moves it
        self._notice(
            runtime.name,
            f"{label}: runtime = {runtime.expression(self.text)} "
            f"is held in a variable or local{hint}; not guessed",
            f'runtime = "{self.options.runtime}" and handler = "{HANDLER}" '
            "where it is go1.x or provided.al2",
        )

    # ------------------------------------------------------------ edits

    def _replace(self, attribute: Attribute, key: str, new: str) -> None:
        token = attribute.value[0]
        old = unquote(token.text)
        if old == new:
            return
        end, rendered = keep_comment_column(self.text, token.start, token.end, f'"{new}"')
        self.edits.replace(token.start, end, rendered)
        self._change(token.line, f'{key} = "{old}"', f'{key} = "{new}"')

    def _insert_after(self, anchor: Attribute, key: str, rendered: str) -> None:
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

    def _notice(self, token: Token, message: str, replacement: str, level: str = INFO) -> None:
        self.notices.append(
            Notice(file=self.path, line=token.line, message=message, replacement=replacement, level=level)
        )


def _binary_names(site: terraform_checks.Site) -> tuple[str, ...]:
    """The old handler's binary, then the zip's name (build/orders.zip → orders); never the
    resource label, which is often a placeholder such as `this`."""
    names: list[str] = []
    handler = site.get("handler")
    if handler is not None and handler.literal:
        names.append(Path(handler.literal).name)
    filename = site.get("filename")
    if filename is not None and filename.path:
        names.append(function_of_artifact(Path(filename.path).name))
    return tuple(n for n in dict.fromkeys(names) if n not in GENERIC_BINARIES and n != TARGET_RUNTIME)
