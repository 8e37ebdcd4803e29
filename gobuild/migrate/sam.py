"""SAM and CloudFormation templates, YAML or JSON: Go functions → provided.al2023.

Every `AWS::Serverless::Function` and `AWS::Lambda::Function` whose runtime is go1.x or
provided.al2 (its own, or for SAM functions inherited from `Globals.Function`) gets
`Runtime: provided.al2023` and `Handler: bootstrap`. A value held in Globals changes there
only when every function inheriting it is migrated; otherwise the function gets its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gobuild.migrate.document import Document, Node, Value, intrinsic
from gobuild.migrate.functions import (
    GUESS_REPLACEMENT,
    GoPackage,
    artifact_path,
    is_main_package,
    kebab,
    locate_package,
    module_root,
    relative_path,
)
from gobuild.migrate.model import (
    DEFAULT_ARCH,
    GOARCH,
    HANDLER,
    OLD_RUNTIMES,
    Change,
    FileResult,
    MakeTarget,
    ManifestFunction,
    MigrateOptions,
    Notice,
)

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
LAMBDA_FUNCTION = "AWS::Lambda::Function"


def is_template(text: str) -> bool:
    """Cheap test before parsing: does the text declare a Lambda function at all?"""
    return SERVERLESS_FUNCTION in text or LAMBDA_FUNCTION in text


def migrate_template(*, path: Path, text: str, options: MigrateOptions) -> FileResult:
    """Migrates one template's text; raises TemplateSyntaxError when it does not parse."""
    return _TemplateMigration(Document.load(path, text), options).run()


@dataclass(frozen=True, kw_only=True)
class _Function:
    logical_id: str
    kind: str
    resource: Node
    properties: Node | None
    runtime: Node | None  # the runtime in effect: its own or the one from Globals
    migrate: bool

    def own(self, key: str) -> Node | None:
        return self.properties.get(key) if self.properties else None

    @property
    def is_sam(self) -> bool:
        return self.kind == SERVERLESS_FUNCTION


class _TemplateMigration:
    """One template: a first pass decides which functions migrate, a second edits them."""

    def __init__(self, doc: Document, options: MigrateOptions) -> None:
        self.doc = doc
        self.options = options
        self.path = doc.path
        self.folder = doc.path.parent
        self.changes: list[Change] = []
        self.notices: list[Notice] = []
        self.functions: list[ManifestFunction] = []
        self.targets: list[MakeTarget] = []
        self.steps: list[str] = []
        # Globals values are shared: rewrite each once, whichever function reaches it first.
        self.rewritten: dict[int, str] = {}
        self.reported: set[int] = set()
        sections = _as_map(doc.root.get("Globals"))
        self.globals = _as_map(sections.get("Function")) if sections else None

    def run(self) -> FileResult:
        functions = self._collect()
        handlers: dict[str, str] = {}
        for function in functions:
            if function.migrate:
                handlers[function.logical_id] = self._migrate(function, functions)
        if self.options.build == "sam":
            self._note_code_folders(functions, handlers)
        return FileResult(
            path=self.path,
            old_text=self.doc.text,
            new_text=self.doc.result_text(),
            changes=tuple(self.changes),
            notices=tuple(self.notices),
            functions=tuple(self.functions),
            make_targets=tuple(self.targets),
            steps=tuple(self.steps),
        )

    # ------------------------------------------------------------ first pass

    def _collect(self) -> list[_Function]:
        resources = _as_map(self.doc.root.get("Resources"))
        if resources is None:
            return []
        found: list[_Function] = []
        for key, resource in resources.entries:
            kind = resource.get("Type") if resource.is_map else None
            if kind is None or kind.value not in (SERVERLESS_FUNCTION, LAMBDA_FUNCTION):
                continue
            properties = _as_map(resource.get("Properties"))
            runtime = properties.get("Runtime") if properties else None
            if runtime is None and kind.value == SERVERLESS_FUNCTION and self.globals:
                runtime = self.globals.get("Runtime")
            found.append(
                _Function(
                    logical_id=key.value,
                    kind=kind.value,
                    resource=resource,
                    properties=properties,
                    runtime=runtime,
                    migrate=self._decide(key.value, runtime),
                )
            )
        return found

    def _decide(self, logical_id: str, runtime: Node | None) -> bool:
        """True for a literal old runtime; a runtime that depends on a parameter, mapping or
        condition is reported (once per node) and left alone."""
        if runtime is None:
            return False
        if runtime.is_plain_string:
            return runtime.value in OLD_RUNTIMES
        if id(runtime) not in self.reported:
            self.reported.add(id(runtime))
            self._notice(
                runtime,
                f"{logical_id}: Runtime is {self.doc.written(runtime)}"
                f"{self._parameter_hint(runtime)}; "
                "which runtime that is cannot be decided here, so it was left alone",
                f"Runtime: {self.options.runtime} and Handler: {HANDLER} "
                "wherever it resolves to go1.x or provided.al2",
            )
        return False

    def _parameter_hint(self, runtime: Node) -> str:
        """For `!Ref Param`, where the parameter's old-runtime default is."""
        name = runtime.value if runtime.tag == "!Ref" else ""
        if intrinsic(runtime) == "Ref":
            name = runtime.entries[0][1].value
        parameters = _as_map(self.doc.root.get("Parameters"))
        parameter = _as_map(parameters.get(name)) if parameters and name else None
        default = parameter.get("Default") if parameter else None
        if default is None or default.value not in OLD_RUNTIMES:
            return ""
        return f" (parameter {name} defaults to {default.value} at line {default.line})"

    # ------------------------------------------------------------ second pass

    def _migrate(self, function: _Function, functions: list[_Function]) -> str:
        """Rewrites one function; returns the old Handler (the binary's name) or ""."""
        additions: dict[str, Value] = {}
        assert function.runtime is not None
        self._rewrite(function.runtime, "Runtime", self.options.runtime, function)
        handler = self._handler(function, functions, additions)
        arch = self._arch(function, functions, additions)
        build = {
            "sam": self._build_with_sam,
            "gobuild": self._build_with_gobuild,
            "makefile": self._build_with_make,
        }
        build[self.options.build](function, handler, arch, additions)
        self._add_properties(function, additions)
        return handler

    def _handler(
        self, function: _Function, functions: list[_Function], additions: dict[str, Value]
    ) -> str:
        own = function.own("Handler")
        shared = self.globals.get("Handler") if self.globals and function.is_sam else None
        if own is not None:
            return self._rewrite(own, "Handler", HANDLER, function)
        if shared is not None and self._all_inheritors_migrate("Handler", functions):
            return self._rewrite(shared, "Handler", HANDLER, function)
        additions["Handler"] = HANDLER
        return (
            self.rewritten.get(id(shared), shared.value)
            if shared and shared.is_plain_string
            else ""
        )

    def _arch(
        self, function: _Function, functions: list[_Function], additions: dict[str, Value]
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
        if target is None or (
            target is shared and not self._all_inheritors_migrate("Architectures", functions)
        ):
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
        self._change(item.line, f"Architectures: [{item.value}]", f"Architectures: [{wanted}]")
        return wanted

    def _all_inheritors_migrate(self, key: str, functions: list[_Function]) -> bool:
        """Whether a Globals value can change: every SAM function that inherits it migrates."""
        return all(f.migrate for f in functions if f.is_sam and f.own(key) is None)

    # ------------------------------------------------------------ how it is built

    def _build_with_sam(
        self, function: _Function, handler: str, arch: str, additions: dict[str, Value]
    ) -> None:
        code = self._code(function)
        if self._local_folder(code) is None:
            self._note_prebuilt(function, code)
            return
        self._set_build_method(function, "go1.x", replace=False)
        self._step("sam")

    def _build_with_gobuild(
        self, function: _Function, handler: str, arch: str, additions: dict[str, Value]
    ) -> None:
        code = self._code(function)
        package, root = self._package(function, code, handler)
        goarch = GOARCH[arch]
        zip_path = relative_path(artifact_path(root, package.name, goarch), self.folder)
        self._declare(function, package, root, goarch)
        self._step("gobuild")
        key = "CodeUri" if function.is_sam else "Code"
        own = function.own(key)
        if own is not None and own.is_plain_string:
            self._rewrite(own, key, zip_path, function)
        elif own is None and function.is_sam:
            additions["CodeUri"] = zip_path
        else:
            where = own if own is not None else function.resource
            self._notice(
                where,
                f"{function.logical_id}: {key} is {self.doc.written(where)}; left alone",
                f"upload {zip_path} (gobuild publish) and point {key} at it",
            )
        method = _as_map(function.resource.get("Metadata"))
        if method is not None and method.get("BuildMethod") is not None:
            self._notice(
                method,
                f"{function.logical_id}: Metadata.BuildMethod makes `sam build` "
                "rebuild it from source",
                "remove Metadata.BuildMethod and deploy without `sam build`",
            )

    def _build_with_make(
        self, function: _Function, handler: str, arch: str, additions: dict[str, Value]
    ) -> None:
        code = self._code(function)
        folder = self._local_folder(code)
        if folder is None:
            self._note_prebuilt(function, code)
            return
        package, root = self._package(function, code, handler)
        goarch = GOARCH[arch]
        self._declare(function, package, root, goarch)
        self._set_build_method(function, "makefile", replace=True)
        self._step("makefile")
        self.targets.append(
            MakeTarget(
                directory=folder,
                logical_id=function.logical_id,
                function=package.name,
                arch=goarch,
                root=root,
                source=self.path,
                line=function.resource.line,
            )
        )

    def _set_build_method(self, function: _Function, method: str, *, replace: bool) -> None:
        metadata = function.resource.get("Metadata")
        if metadata is None:
            line = self.doc.add_entry(function.resource, "Metadata", {"BuildMethod": method})
            self._change(line, "", f"Metadata: BuildMethod: {method}")
            return
        current = metadata.get("BuildMethod") if metadata.is_map else None
        if current is None and metadata.is_map:
            line = self.doc.add_entry(metadata, "BuildMethod", method)
            self._change(line, "", f"BuildMethod: {method}")
        elif current is not None and current.value != method and replace:
            self._rewrite(current, "BuildMethod", method, function)
        elif current is None or current.value != method:
            self._notice(
                current or metadata,
                f"{function.logical_id}: Metadata is "
                f"{self.doc.written(current or metadata)}, kept; "
                "its build must now write the binary as bootstrap",
                f"BuildMethod: {method}",
            )

    def _declare(self, function: _Function, package: GoPackage, root: Path, goarch: str) -> None:
        self.functions.append(
            package.declaration(root=root, goarch=goarch, source=self.path, line=function.resource.line)
        )
        if not package.found:
            self._notice(
                function.resource,
                f"{function.logical_id}: no main package found for it; gobuild.toml gets the guess "
                f"{package.package}",
                GUESS_REPLACEMENT,
            )

    def _package(
        self, function: _Function, code: Node | None, handler: str
    ) -> tuple[GoPackage, Path]:
        folder = self._local_folder(code)
        root = module_root(folder if folder is not None and folder.is_dir() else self.folder)
        package = locate_package(
            root=root, code_dir=folder, binary=handler, fallback=kebab(function.logical_id)
        )
        return package, root

    def _code(self, function: _Function) -> Node | None:
        if not function.is_sam:
            return function.own("Code")
        own = function.own("CodeUri")
        return own if own is not None or not self.globals else self.globals.get("CodeUri")

    def _local_folder(self, code: Node | None) -> Path | None:
        """The folder a code location names, or None for S3, zips and inline code."""
        if code is None or not code.is_plain_string or "://" in code.value:
            return None
        if code.value.lower().endswith((".zip", ".jar")):
            return None
        return self.folder / code.value

    def _note_prebuilt(self, function: _Function, code: Node | None) -> None:
        if code is None:
            shown = "not given"
        elif code.kind == "scalar":
            shown = self.doc.written(code)
        else:
            shown = "an S3 location or inline code"
        self._notice(
            code if code is not None else function.resource,
            f"{function.logical_id}: its code is {shown}, which `sam build` does not build; "
            "that zip must now hold the binary named bootstrap",
            "rebuild the zip with `gobuild build` (dist/<name>-<arch>.zip) and upload it",
        )
        self._step("prebuilt")

    def _note_code_folders(self, functions: list[_Function], handlers: dict[str, str]) -> None:
        """`sam build` builds the one main package in a CodeUri folder and names it bootstrap,
        where the old Handler named a binary: a folder of prebuilt binaries, or one shared
        by functions with different handlers, needs an entry per function."""
        groups: dict[str, list[_Function]] = {}
        for function in functions:
            code = self._code(function)
            if (
                function.logical_id in handlers
                and code is not None
                and self._local_folder(code) is not None
            ):
                groups.setdefault(code.value.rstrip("/") + "/", []).append(function)
        for uri, group in groups.items():
            shared = len({handlers[f.logical_id] for f in group}) > 1
            folder = self._local_folder(self._code(group[0]))
            if not shared and folder is not None and is_main_package(folder):
                continue
            for function in group:
                self._note_code_folder(
                    function, handlers[function.logical_id], uri, group if shared else []
                )

    def _note_code_folder(
        self, function: _Function, handler: str, uri: str, group: list[_Function]
    ) -> None:
        package, root = self._package(function, self._code(function), handler)
        folder = (
            relative_path(root / package.package, self.folder) + "/"
            if package.found
            else "<its main package>/"
        )
        if group:
            others = ", ".join(f.logical_id for f in group if f is not function)
            problem = (
                f"{function.logical_id} shares CodeUri {uri} with {others}; "
                f"its old Handler {handler!r} "
                "named its binary, but `sam build` makes one binary per folder, named bootstrap"
            )
        else:
            problem = (
                f"{function.logical_id}: CodeUri {uri} holds no Go main package for `sam build` "
                f"(the old Handler {handler!r} named a prebuilt binary)"
            )
        self._notice(function.resource, problem, f"give it its own entry: CodeUri: {folder}")

    # ------------------------------------------------------------ edits and records

    def _add_properties(self, function: _Function, additions: dict[str, Value]) -> None:
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
            self._change(
                line,
                "",
                "Properties: " + ", ".join(f"{k}: {_show(v)}" for k, v in additions.items()),
            )
            return
        for key, value in additions.items():
            anchors = (function.own(name) for name in _NEIGHBOURS.get(key, ()))
            after = next((anchor for anchor in anchors if anchor is not None), None)
            line = self.doc.add_entry(function.properties, key, value, after=after)
            self._change(line, "", f"{key}: {_show(value)}")

    def _rewrite(self, node: Node, key: str, new: str, function: _Function) -> str:
        """Sets a literal value (once per node); returns the old value, "" when not literal."""
        if id(node) in self.rewritten:
            return self.rewritten[id(node)]
        if not node.is_plain_string:
            self._notice(
                node,
                f"{function.logical_id}: {key} is {self.doc.written(node)}; left alone",
                f"{key}: {new}",
            )
            return ""
        self.rewritten[id(node)] = node.value
        if node.value != new:
            self.doc.set_scalar(node, new)
            self._change(node.line, f"{key}: {node.value}", f"{key}: {new}")
        return node.value

    def _step(self, kind: str) -> None:
        if _BUILD_STEPS[kind] not in self.steps:
            self.steps.append(_BUILD_STEPS[kind])

    def _change(self, line: int, old: str, new: str) -> None:
        self.changes.append(Change(file=self.path, line=line, old=old, new=new))

    def _notice(self, node: Node, message: str, replacement: str = "") -> None:
        self.notices.append(
            Notice(file=self.path, line=node.line, message=message, replacement=replacement)
        )


# Where an added property goes: after the first of these the function has, else at the end.
_NEIGHBOURS = {
    "Handler": ("Runtime",),
    "CodeUri": ("Handler", "Runtime"),
    "Architectures": ("Handler", "Runtime"),
}

_BUILD_STEPS = {
    "sam": "Run `sam build` and `sam deploy`: with Metadata BuildMethod go1.x, SAM's Go builder "
    "writes each binary as bootstrap.",
    "gobuild": "Run `gobuild build` to write the zips that CodeUri now names, then `sam deploy` "
    "(skip `sam build`: there is nothing left for it to build).",
    "makefile": "Run `sam build`: it calls the build-<LogicalId> targets, "
    "which need gobuild and unzip on PATH.",
    "prebuilt": "Rebuild the zips that live in S3 so the binary inside is named bootstrap, "
    "upload them, then update the stack.",
}


def _as_map(node: Node | None) -> Node | None:
    return node if node is not None and node.is_map else None


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
