"""SAM and CloudFormation templates, YAML or JSON: Go functions → provided.al2023.

Every `AWS::Serverless::Function` and `AWS::Lambda::Function` on go1.x moves, and one on
provided.al2 (or provided) moves when its code is shown to be Go; any other function is left
byte for byte and reported. A value in `Globals.Function` changes there only when every
function inheriting it moves; otherwise the moved functions get their own value and the kept
one is reported. The checks of sam_checks run on the result, so a second run reports the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gobuild.migrate import sam_build, sam_checks
from gobuild.migrate.cfn import (
    CUSTOM_RUNTIMES,
    GO_RUNTIME,
    LAMBDA_FUNCTION,
    SERVERLESS_FUNCTION,
    TemplateFunction,
    as_map,
    function_globals,
    template_functions,
)
from gobuild.migrate.document import Document, Node, Value, intrinsic
from gobuild.migrate.locate import located_fix
from gobuild.migrate.makerules import GoBuild
from gobuild.migrate.model import (
    DEFAULT_ARCH,
    ERROR,
    GOARCH,
    HANDLER,
    Change,
    FileResult,
    MakeTarget,
    ManifestFunction,
    MigrateOptions,
    Notice,
    original_line,
)
from gobuild.migrate.workspace import Resolved, Workspace

_GLOBAL_KEYS = ("Runtime", "Handler")


def is_template(text: str) -> bool:
    """Cheap test before parsing: does the text declare a Lambda function at all?"""
    return SERVERLESS_FUNCTION in text or LAMBDA_FUNCTION in text


def migrate_template(
    *, path: Path, text: str, options: MigrateOptions, workspace: Workspace | None = None
) -> FileResult:
    """Migrates one template's text; raises TemplateSyntaxError when it does not parse."""
    return TemplateMigration(Document.load(path, text), options, workspace or Workspace()).run()


class TemplateMigration:
    """One template: decide which functions move, edit them, then check the result."""

    def __init__(self, doc: Document, options: MigrateOptions, workspace: Workspace) -> None:
        self.doc = doc
        self.options = options
        self.workspace = workspace
        self.path = doc.path
        self.folder = doc.path.parent
        self.changes: list[Change] = []
        self.notices: list[Notice] = []
        self.functions: list[ManifestFunction] = []
        self.targets: list[MakeTarget] = []
        self.steps: list[str] = []
        self.packages: dict[str, Resolved] = {}  # logical id → main package (gobuild, makefile)
        # Shared values (Globals) are rewritten once, whichever function reaches them first.
        self.rewritten: dict[int, str] = {}
        self.reported: set[int] = set()
        self.globals = function_globals(doc)
        self.moving: set[str] = set()

    def run(self) -> FileResult:
        functions = template_functions(self.doc)
        self.moving = {f.logical_id for f in functions if self._decide(f)}
        changing = self._globals_that_change(functions, self.moving)
        for function in functions:
            if function.logical_id in self.moving:
                self._migrate(function, functions, changing)
        for key in changing:
            node = self.globals.get(key) if self.globals else None
            if node is not None and id(node) not in self.rewritten:
                self._rewrite(node, key, self._new_value(key), "Globals.Function")
        new_text = self.doc.result_text()
        self.notices += sam_checks.check_template(
            Document.load(self.path, new_text),
            self.workspace,
            made_targets={(t.directory, t.logical_id) for t in self.targets},
            line_of=lambda offset: original_line(self.doc.edits, self.doc.lines, offset),
        )
        return FileResult(
            path=self.path,
            old_text=self.doc.text,
            new_text=new_text,
            changes=tuple(self.changes),
            notices=tuple(self.notices),
            functions=tuple(self.functions),
            make_targets=tuple(self.targets),
            steps=tuple(self.steps),
        )

    # ------------------------------------------------------------ which functions move

    def _decide(self, function: TemplateFunction) -> bool:
        """True for a Go function on an old runtime whose package (when the build mode needs
        one) was found. A runtime given by an expression, a custom runtime whose code is not
        shown to be Go, and a package not found are reported and left alone."""
        runtime = function.runtime
        if runtime is None:
            return False
        if not runtime.is_plain_string:
            self._note_expression(function, runtime)
            return False
        if runtime.value == GO_RUNTIME:
            pass
        elif runtime.value in CUSTOM_RUNTIMES:
            if not self._is_go(function):
                self._note_not_go(function, runtime)
                return False
        else:
            return False
        if self.options.build == "sam":
            return True
        found = self.workspace.resolve(
            code=function.code.path if function.code.kind == "folder" else None,
            start=self.folder,
            names=function.binary_names(),
            binary=function.binary,
            build=self._target_build(function),
        )
        if isinstance(found, Resolved):
            self.packages[function.logical_id] = found
            return True
        self._notice(
            function.key,
            f"{function.logical_id}: not migrated: {found.problem}",
            located_fix(found, sam_build.PACKAGE_REPLACEMENT),
            level=ERROR,
        )
        return False

    def _target_build(self, function: TemplateFunction) -> GoBuild | None:
        """The `go build` of the function's build-<LogicalId> Makefile target, when it has one."""
        if function.build_method != "makefile" or function.code.kind != "folder" or function.code.path is None:
            return None
        target = self.workspace.sam_target(function.code.path, function.logical_id)
        return next((b for b in target[1] if b.folder is not None), None) if target else None

    def _is_go(self, function: TemplateFunction) -> bool:
        if function.build_method == "go1.x":
            return True
        if function.build_method == "makefile" and function.code.path is not None:
            target = self.workspace.sam_target(function.code.path, function.logical_id)
            if target and target[1]:
                return True
        if not function.code.local:
            return False
        return self.workspace.is_go(function.code.path, self.folder, function.binary_names())

    def _note_not_go(self, function: TemplateFunction, runtime: Node) -> None:
        code = function.code
        shown = code.shown(self.doc)
        if code.local and code.path is not None and code.path.exists():
            why = f"no Go main package in {shown} and no bootstrap with Go build information there"
        elif code.local:
            why = f"{shown} does not exist and the module has no main package of its name"
        else:
            why = f"its code is {_code_kind(code.kind)}, so migrate cannot look at it"
        where = runtime if function.own("Runtime") is not None else function.key
        self._notice(
            where,
            f"{function.logical_id}: not Go: move its runtime yourself (Runtime {runtime.value}; {why})",
            f"if it is Go: Runtime: {self.options.runtime} and Handler: {HANDLER}",
        )

    def _note_expression(self, function: TemplateFunction, runtime: Node) -> None:
        if id(runtime) in self.reported:
            return
        self.reported.add(id(runtime))
        self._notice(
            runtime,
            f"{function.logical_id}: Runtime is {self.doc.written(runtime)}"
            f"{self._parameter_hint(runtime)}; which runtime that is cannot be decided here, "
            "so it was left alone",
            f"Runtime: {self.options.runtime} and Handler: {HANDLER} "
            "wherever it resolves to go1.x or provided.al2",
        )

    def _parameter_hint(self, runtime: Node) -> str:
        """For `!Ref Param`, where the parameter's old-runtime default is."""
        name = runtime.value if runtime.tag == "!Ref" else ""
        if intrinsic(runtime) == "Ref":
            name = runtime.entries[0][1].value
        parameters = as_map(self.doc.root.get("Parameters"))
        parameter = as_map(parameters.get(name)) if parameters and name else None
        default = parameter.get("Default") if parameter else None
        if default is None or default.value not in (GO_RUNTIME, *CUSTOM_RUNTIMES):
            return ""
        return f" (parameter {name} defaults to {default.value} at line {default.line})"

    def _globals_that_change(self, functions: list[TemplateFunction], moving: set[str]) -> list[str]:
        """The Globals.Function keys that change in Globals: those no kept function inherits.
        A kept one is reported where it is, naming who keeps it."""
        if self.globals is None:
            return []
        runtime = self.globals.get("Runtime")
        old_runtime = runtime is not None and runtime.is_plain_string and (
            runtime.value in (GO_RUNTIME, *CUSTOM_RUNTIMES)
        )
        changing: list[str] = []
        for key in _GLOBAL_KEYS:
            node = self.globals.get(key)
            if node is None or not node.is_plain_string:
                continue
            heirs = [f for f in functions if f.inherits(key)]
            kept = [f for f in heirs if f.logical_id not in moving]
            relevant = old_runtime or any(f.logical_id in moving for f in heirs)
            if not relevant or node.value == self._new_value(key):
                continue
            if not kept:
                changing.append(key)
            elif key == "Runtime" or any(f.logical_id in moving for f in heirs):
                names = ", ".join(f.logical_id for f in kept)
                self._notice(
                    node,
                    f"Globals.Function.{key} {node.value} kept: {names} "
                    f"{'inherits' if len(kept) == 1 else 'inherit'} it and "
                    f"{'is' if len(kept) == 1 else 'are'} not migrated (see "
                    f"{'its note' if len(kept) == 1 else 'their notes'}); "
                    f"the migrated functions get their own {key}",
                    f"{key}: {self._new_value(key)} once {names} no longer "
                    f"{'needs' if len(kept) == 1 else 'need'} {node.value}",
                )
        return changing

    def _new_value(self, key: str) -> str:
        return self.options.runtime if key == "Runtime" else HANDLER

    # ------------------------------------------------------------ editing one function

    def _migrate(
        self, function: TemplateFunction, functions: list[TemplateFunction], changing: list[str]
    ) -> None:
        additions: dict[str, Value] = {}
        handler = ""
        for key in _GLOBAL_KEYS:
            own = function.own(key)
            shared = self.globals.get(key) if self.globals and function.inherits(key) else None
            if own is not None:
                old = self._rewrite(own, key, self._new_value(key), function.logical_id)
            elif shared is not None and key in changing:
                old = self._rewrite(shared, key, self._new_value(key), function.logical_id)
            else:
                old = shared.value if shared is not None and shared.is_plain_string else ""
                if old != self._new_value(key):  # an inherited bootstrap needs no copy
                    additions[key] = self._new_value(key)
            if key == "Handler":
                handler = old
        arch = self._arch(function, functions, additions)
        sam_build.build_step(self, function, handler, arch, additions)
        self._add_properties(function, additions)

    def _arch(
        self, function: TemplateFunction, functions: list[TemplateFunction], additions: dict[str, Value]
    ) -> str:
        """Sets Architectures from --arch when given; returns the Lambda architecture in effect."""
        own = function.own("Architectures")
        shared = self.globals.get("Architectures") if self.globals and function.is_sam else None
        current = own or shared
        wanted = self.options.arch
        in_effect = _first_arch(current) if current is not None else DEFAULT_ARCH
        # An --arch is written out even when it is Lambda's default, so the template says it.
        if wanted is None or (current is not None and in_effect == wanted):
            if in_effect is None and current is not None:
                self._notice(
                    current,
                    f"{function.logical_id}: Architectures is {self.doc.written(current)}; "
                    f"naming its zip for {DEFAULT_ARCH}",
                    f"Architectures: [{DEFAULT_ARCH}] or [arm64]",
                )
            return in_effect or DEFAULT_ARCH
        target = own if own is not None else shared
        every_heir_moves = all(f.logical_id in self.moving for f in functions if f.inherits("Architectures"))
        if target is None or (target is shared and not every_heir_moves):
            additions["Architectures"] = [wanted]
            return wanted
        if id(target) in self.rewritten:
            return wanted
        item = target.items[0] if target.kind == "seq" and target.items else None
        if item is None or not item.is_plain_string:
            self._notice(
                target,
                f"{function.logical_id}: Architectures is {self.doc.written(target)}; left alone",
                f"Architectures: [{wanted}]",
            )
            return in_effect or DEFAULT_ARCH
        self.doc.set_scalar(item, wanted)
        self.rewritten[id(target)] = item.value
        self.change(item.line, f"Architectures: [{item.value}]", f"Architectures: [{wanted}]")
        return wanted

    def _add_properties(self, function: TemplateFunction, additions: dict[str, Value]) -> None:
        if not additions:
            return
        written = function.resource.get("Properties")
        if function.properties is None and written is not None:
            wanted = ", ".join(f"{k}: {_show(v)}" for k, v in additions.items())
            self._notice(
                written,
                f"{function.logical_id}: Properties is {self.doc.written(written)}; left alone",
                wanted,
            )
            return
        if function.properties is None:
            line = self.doc.add_entry(function.resource, "Properties", additions)
            shown = ", ".join(f"{k}: {_show(v)}" for k, v in additions.items())
            self.change(line, "", f"Properties: {shown}")
            return
        for key, value in additions.items():
            anchors = (function.own(name) for name in _NEIGHBOURS.get(key, ()))
            after = next((anchor for anchor in anchors if anchor is not None), None)
            line = self.doc.add_entry(function.properties, key, value, after=after)
            self.change(line, "", f"{key}: {_show(value)}")

    def _rewrite(self, node: Node, key: str, new: str, owner: str) -> str:
        """Sets a literal value (once per node); returns the old value, "" when not literal."""
        if id(node) in self.rewritten:
            return self.rewritten[id(node)]
        if not node.is_plain_string:
            self._notice(node, f"{owner}: {key} is {self.doc.written(node)}; left alone", f"{key}: {new}")
            return ""
        self.rewritten[id(node)] = node.value
        if node.value != new:
            self.doc.set_scalar(node, new)
            self.change(node.line, f"{key}: {node.value}", f"{key}: {new}")
        return node.value

    def rewrite(self, node: Node, key: str, new: str, function: TemplateFunction) -> str:
        """Sets a literal value of one function (see _rewrite)."""
        return self._rewrite(node, key, new, function.logical_id)

    def step(self, text: str) -> None:
        if text not in self.steps:
            self.steps.append(text)

    def change(self, line: int, old: str, new: str) -> None:
        self.changes.append(Change(file=self.path, line=line, old=old, new=new))

    def notice(self, node: Node, message: str, replacement: str = "", *, level: str = "info") -> None:
        self.notices.append(
            Notice(file=self.path, line=node.line, message=message, replacement=replacement, level=level)
        )

    _notice = notice


# Where an added property goes: after the first of these the function has, else at the end.
_NEIGHBOURS = {
    "Runtime": ("Handler",),
    "Handler": ("Runtime",),
    "CodeUri": ("Handler", "Runtime"),
    "Architectures": ("Handler", "Runtime"),
}


def _code_kind(kind: str) -> str:
    return {
        "s3": "in S3",
        "inline": "inline",
        "image": "a container image",
        "expression": "given by an expression",
        "none": "not given",
    }.get(kind, kind)


def _first_arch(node: Node) -> str | None:
    """The architecture a literal Architectures list names; None for anything else."""
    if node.kind == "seq" and node.items and node.items[0].is_plain_string:
        return node.items[0].value if node.items[0].value in GOARCH else None
    return None


def _show(value: Value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return "[" + ", ".join(value) + "]"
