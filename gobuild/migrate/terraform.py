"""Terraform `*.tf`: Go functions on go1.x (or provided.al2, when shown to be Go) → provided.al2023.

Two places hold a function's settings: an `aws_lambda_function` block with a literal `runtime`,
and a call of a local module (`module "x" { source = "./modules/lambda" ... }`) whose
aws_lambda_function takes `runtime = var.<name>`, so the literal sits in the call. Only the
spans of runtime, handler, architectures and (with --build gobuild) filename and
source_code_hash change, so formatting and comments stay. A runtime in a variable or local is
reported, not guessed; a resource label such as `this` never names a function. A module's
function called from several places is one function per call, named from the call's inputs.
"""

from __future__ import annotations

import re
from pathlib import Path

from gobuild.migrate import terraform_checks
from gobuild.migrate.cfn import CUSTOM_RUNTIMES, GO_RUNTIME
from gobuild.migrate.functions import relative_path
from gobuild.migrate.gocode import bootstrap_is_go
from gobuild.migrate.hcl import Attribute, HclFile, Token, parse_hcl, unquote
from gobuild.migrate.locate import PACKAGE_FIX, Located, located_fix
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
from gobuild.migrate.terraform_refs import Call, evaluate, local_path, module_folder
from gobuild.migrate.terraform_sites import (
    RESOURCE_TYPE,
    Site,
    call_names,
    callers,
    hints,
    passed_variable,
    sites,
)
from gobuild.migrate.workspace import Resolved, Workspace

_MODULE_CALL = re.compile(r'^\s*module\s+"', re.MULTILINE)

# A filename read from the archive_file that zipped the old binary.
_ARCHIVE_OUTPUT = re.compile(r"data\.archive_file\.[A-Za-z0-9_-]+(?:\[\d+\])?\.output_path")

_STEPS = {
    "gobuild": "Run `gobuild build` to write the zips filename now names, then `terraform plan`.",
    "gobuild-s3": "Run `gobuild build` and `gobuild publish --format tfvars`, point s3_bucket and "
    "s3_key at the published zips, then `terraform plan`.",
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
        self.module = module_folder(workspace, self.folder, current=hcl)

    def run(self) -> FileResult:
        moved: list[str] = []  # the step each moved function needs
        for site in sites(self.hcl, self.workspace):
            runtime = site.get("runtime")
            if runtime is None:
                continue
            if runtime.literal is None:
                if not site.is_call:
                    self._note_expression(site.label, runtime)
                continue
            if self._migrate(site, runtime):
                s3 = site.get("s3_bucket") is not None
                moved.append("other" if self.options.build != "gobuild" else "gobuild-s3" if s3 else "gobuild")
        new_text = self.edits.apply()
        lines = LineIndex(self.text)
        self.notices += terraform_checks.check_file(
            parse_hcl(new_text, self.path),
            self.workspace,
            line_of=lambda offset: original_line(self.edits, lines, offset),
        )
        steps = tuple(_STEPS[m] for m in dict.fromkeys(moved))
        return FileResult(
            path=self.path,
            old_text=self.text,
            new_text=new_text,
            changes=tuple(self.changes),
            notices=tuple(self.notices),
            functions=tuple(self.functions),
            steps=steps,
        )

    def _migrate(self, site: Site, runtime: Attribute) -> int:
        value = runtime.literal
        if value not in (GO_RUNTIME, *CUSTOM_RUNTIMES):
            return 0
        calls: list[Call | None] = [*callers(site, self.hcl, self.workspace)] or [None]
        found = [self._resolve(site, call) for call in calls]
        missing = [(call, f) for call, f in zip(calls, found) if isinstance(f, Located)]
        # A custom runtime moves only when every function it runs is shown to be Go.
        if value in CUSTOM_RUNTIMES and missing and not self._zip_is_go(site):
            why = "no zip with a Go bootstrap here, and the module has no main package of its name"
            if missing[0][0] is not None:
                shown = ", ".join(f"module.{c.label}" for c, _ in missing if c is not None)
                why = f"it runs one function per call of this module, and {shown} has no Go main package"
            self._notice(
                runtime.name,
                f"{site.label}: not Go: move its runtime yourself (runtime = {value!r}; {why})",
                f'if it is Go: runtime = "{self.options.runtime}" and handler = "{HANDLER}"',
            )
            return 0
        if self.options.build == "gobuild" and missing:
            self._note_unresolved(site, missing, len(found))
            return 0
        self._move(site, runtime)
        handler = site.get("handler")
        arch = self._arch(site, runtime if handler is None else handler)
        if self.options.build == "gobuild":
            goarch = GOARCH.get(arch, "amd64")
            for call, resolved in zip(calls, found):
                assert isinstance(resolved, Resolved)
                where = (call.block if call is not None else site.block).opening
                source = call.hcl.path if call is not None else self.path
                self.functions.append(resolved.declaration(goarch=goarch, source=source, line=where.line))
                if call is None:
                    self._point_at_zip(site, resolved, goarch)
        return 1

    def _resolve(self, site: Site, call: Call | None) -> Resolved | Located:
        """The package of a function, or of one call of the reused module that holds it."""
        extra = call_names(call, site.block) if call is not None else ()
        code = hints(site, self.module, extra)
        return self.workspace.resolve(code=code.code, start=self.folder, names=code.names, binary=code.binary)

    def _zip_is_go(self, site: Site) -> bool:
        filename = local_path(site.get("filename"), self.module)
        return filename is not None and filename.is_file() and bootstrap_is_go(filename, ("main",))

    def _note_unresolved(self, site: Site, missing: list[tuple[Call | None, Located]], total: int) -> None:
        call, located = missing[0]
        if call is None:
            message = f"{site.label}: not migrated: {located.problem}"
        else:
            shown = "; ".join(
                f"module.{c.label} ({c.hcl.path.name}:{c.block.opening.line}): {f.problem}"
                for c, f in missing
                if c is not None
            )
            message = (
                f"{site.label}: not migrated: this module makes {total} functions, one per call, "
                f"and {len(missing)} of them {'has' if len(missing) == 1 else 'have'} no main "
                f"package: {shown}"
            )
        self._notice(site.block.opening, message, located_fix(located, PACKAGE_FIX), ERROR)

    def _move(self, site: Site, runtime: Attribute) -> None:
        """runtime and handler of one function (or one call's inputs) → provided.al2023."""
        handler = site.get("handler")
        self._replace(runtime, runtime.name.text, self.options.runtime)
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

    def _arch(self, site: Site, anchor: Attribute) -> str:
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

    def _point_at_zip(self, site: Site, found: Resolved, goarch: str) -> None:
        """filename (a path, or a template of variables with defaults) → gobuild's zip, and
        source_code_hash → that zip's digest. Code in S3, or a path Terraform alone can
        evaluate, stays: the checks say where the zip must go."""
        zip_path = "${path.module}/" + relative_path(
            self.workspace.artifact(found.top, found.name, goarch), self.folder
        )
        filename = site.get("filename")
        if filename is None or not (
            local_path(filename, self.module) is not None
            or _ARCHIVE_OUTPUT.fullmatch(filename.expression(self.text))
        ):
            return
        self._replace_value(filename, filename.name.text, f'"{zip_path}"')
        digest = site.get("source_code_hash")
        wanted = f'filebase64sha256("{zip_path}")'
        if digest is not None and digest.value and digest.expression(self.text) != wanted:
            self._replace_value(digest, digest.name.text, wanted)
        elif digest is None and "source_code_hash" in site.keys:
            self._insert_after(filename, site.keys["source_code_hash"], wanted)

    def _note_expression(self, label: str, runtime: Attribute) -> None:
        """A runtime Terraform computes: reported unless it is provided.al2023 already, or a
        variable each call of the module sets (the calls are where migrate moves it)."""
        written = runtime.expression(self.text)
        strings = {unquote(t.text) for t in runtime.value if t.kind == "string"}
        old = sorted(strings & {GO_RUNTIME, *CUSTOM_RUNTIMES})
        value = evaluate(runtime, self.module)
        if value == self.options.runtime or (not old and self.options.runtime in strings):
            return
        variable = passed_variable(runtime)
        hint = ""
        if variable is not None:
            default = self.module.definition("var", variable)
            declared = any(b.labels[:1] == (variable,) for b in self.module.blocks("variable"))
            if declared and default is None:
                return
            if default is not None and default.literal in (GO_RUNTIME, *CUSTOM_RUNTIMES):
                hint = f" (variable {variable} defaults to {default.literal!r} at line {default.name.line})"
        elif value in (GO_RUNTIME, *CUSTOM_RUNTIMES):
            hint = f" (which is {value!r})"
        if old and variable is None and value is None:
            message = f"{label}: runtime = {written} chooses {' or '.join(map(repr, old))}; not rewritten"
        else:
            message = f"{label}: runtime = {written} is held in a variable or local{hint}; not guessed"
        self._notice(
            runtime.name,
            message,
            f'runtime = "{self.options.runtime}" and handler = "{HANDLER}" '
            "where it is go1.x or provided.al2",
        )

    # ------------------------------------------------------------ edits

    def _replace_value(self, attribute: Attribute, key: str, rendered: str) -> None:
        """Replaces an attribute's whole value (a literal or an expression) with `rendered`."""
        start, end = attribute.value[0].start, attribute.value[-1].end
        old = attribute.expression(self.text)
        if old == rendered:
            return
        end, rendered_kept = keep_comment_column(self.text, start, end, rendered)
        self.edits.replace(start, end, rendered_kept)
        self._change(attribute.name.line, f"{key} = {old}", f"{key} = {rendered}")

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
