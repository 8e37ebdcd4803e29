"""Serverless Framework `serverless.yml`: Go functions → provided.al2023.

`provider.runtime` and `functions.*.runtime` move from go1.x (and from provided.al2 when the
function is shown to be Go), each moved function's `handler` becomes bootstrap, and with
`--build gobuild` each gets `package.artifact` naming gobuild's zip. A runtime in a `${...}`
variable is reported, not guessed. The checks run on the result, so a second run reports the
same: `package.patterns` that leave bootstrap out, an aws-lambda-go too old for provided.*.
"""

from __future__ import annotations

from pathlib import Path

from gobuild.migrate.cfn import CUSTOM_RUNTIMES, GO_RUNTIME
from gobuild.migrate.document import Document, Node
from gobuild.migrate.functions import relative_path
from gobuild.migrate.gocode import bootstrap_is_go
from gobuild.migrate.locate import PACKAGE_FIX, Located, located_fix
from gobuild.migrate.model import (
    DEFAULT_ARCH,
    ERROR,
    GOARCH,
    HANDLER,
    INFO,
    Change,
    FileResult,
    ManifestFunction,
    MigrateOptions,
    Notice,
    original_line,
)
from gobuild.migrate.serverless_checks import ServiceFunction, check_service, service_functions
from gobuild.migrate.workspace import Resolved, Workspace

FILE_NAMES = ("serverless.yml", "serverless.yaml")

_STEPS = {
    "gobuild": "Run `gobuild build` to write the zips package.artifact now names, "
    "then `serverless deploy`.",
    "other": "Package each function so its zip holds the binary named bootstrap "
    "(`--build gobuild` sets package.artifact to gobuild's zips), then `serverless deploy`.",
}


def is_serverless(text: str) -> bool:
    """Cheap test before parsing: a Serverless Framework service declares a provider."""
    return "provider" in text and "functions" in text


def migrate_serverless(
    *, path: Path, text: str, options: MigrateOptions, workspace: Workspace | None = None
) -> FileResult:
    """Migrates one serverless.yml; raises TemplateSyntaxError when it does not parse."""
    doc = Document(path=path, text=text, syntax="yaml")
    return _ServiceMigration(doc, options, workspace or Workspace()).run()


class _ServiceMigration:
    def __init__(self, doc: Document, options: MigrateOptions, workspace: Workspace) -> None:
        self.doc = doc
        self.options = options
        self.workspace = workspace
        self.path = doc.path
        self.folder = doc.path.parent
        self.changes: list[Change] = []
        self.notices: list[Notice] = []
        self.functions: list[ManifestFunction] = []
        provider = doc.root.get("provider")
        self.provider = provider if provider is not None and provider.is_map else None
        self.rewritten: set[int] = set()
        self.packages: dict[str, Resolved] = {}

    def run(self) -> FileResult:
        functions = service_functions(self.doc)
        moving = [f for f in functions if self._decide(f)]
        names = {f.name for f in moving}
        shared = self.provider.get("runtime") if self.provider else None
        heirs = [f for f in functions if f.inherits_runtime]
        provider_moves = all(f.name in names for f in heirs)
        if shared is not None and heirs and not provider_moves and any(f.name in names for f in heirs):
            kept = [f.name for f in heirs if f.name not in names]
            one = len(kept) == 1
            self._notice(
                shared,
                f"provider.runtime {shared.value} kept: {', '.join(kept)} "
                f"{'inherits' if one else 'inherit'} it and {'is' if one else 'are'} not migrated; "
                "the migrated functions get their own runtime",
                f"runtime: {self.options.runtime} once {', '.join(kept)} no longer "
                f"{'needs' if one else 'need'} {shared.value}",
            )
        for function in moving:
            self._migrate(function, moving, provider_moves)
        new_text = self.doc.result_text()
        final = Document(path=self.path, text=new_text, syntax="yaml")
        self.notices += check_service(
            final,
            self.workspace,
            line_of=lambda offset: original_line(self.doc.edits, self.doc.lines, offset),
        )
        steps = (
            (_STEPS["gobuild" if self.options.build == "gobuild" else "other"],) if moving else ()
        )
        return FileResult(
            path=self.path,
            old_text=self.doc.text,
            new_text=new_text,
            changes=tuple(self.changes),
            notices=tuple(self.notices),
            functions=tuple(self.functions),
            steps=steps,
        )

    def _decide(self, function: ServiceFunction) -> bool:
        runtime = function.runtime
        if runtime is None or not runtime.is_plain_string:
            return False
        if "${" in runtime.value:
            if id(runtime) not in self.rewritten:
                self.rewritten.add(id(runtime))
                self._notice(
                    runtime,
                    f"{function.name}: runtime is {runtime.value}, a variable; not guessed",
                    f"runtime: {self.options.runtime} and handler: {HANDLER} "
                    "where it resolves to go1.x",
                )
            return False
        if runtime.value in CUSTOM_RUNTIMES and not self._is_go(function):
            self._notice(
                function.key,
                f"{function.name}: not Go: move its runtime yourself (runtime {runtime.value}; "
                "its handler is no Go binary here and the module has no main package of its name)",
                f"if it is Go: runtime: {self.options.runtime} and handler: {HANDLER}",
            )
            return False
        if runtime.value not in (GO_RUNTIME, *CUSTOM_RUNTIMES):
            return False
        if self.options.build != "gobuild":
            return True
        found = self._resolve(function)
        if isinstance(found, Resolved):
            self.packages[function.name] = found
            return True
        self._notice(
            function.key, f"{function.name}: not migrated: {found.problem}", located_fix(found, PACKAGE_FIX), ERROR
        )
        return False

    def _is_go(self, function: ServiceFunction) -> bool:
        handler = function.node.get("handler")
        if handler is not None and handler.is_plain_string:
            binary = self.folder / handler.value
            if bootstrap_is_go(binary.parent, (binary.name,)):
                return True
        return isinstance(self._resolve(function), Resolved)

    def _resolve(self, function: ServiceFunction) -> Resolved | Located:
        return self.workspace.resolve(
            code=None, start=self.folder, names=function.binary_names(), binary=function.binary(self.folder)
        )

    def _migrate(self, function: ServiceFunction, moving: list[ServiceFunction], provider_moves: bool) -> None:
        assert function.runtime is not None
        if function.inherits_runtime and not provider_moves:
            self._add(function.node, "runtime", self.options.runtime, after=function.node.get("handler"))
        else:
            self._rewrite(function.runtime, "runtime", self.options.runtime)
        handler = function.node.get("handler")
        if handler is not None:
            self._rewrite(handler, "handler", HANDLER)
        else:
            self._add(function.node, "handler", HANDLER)
        arch = self._arch(function, moving)
        if self.options.build == "gobuild":
            self._point_at_zip(function, arch)

    def _arch(self, function: ServiceFunction, moving: list[ServiceFunction]) -> str:
        """Sets `architecture` from --arch (at the provider when every function inheriting
        it migrates); returns the architecture in effect."""
        own = function.node.get("architecture")
        shared = self.provider.get("architecture") if self.provider else None
        current = own or shared
        in_effect = (
            current.value if current is not None and current.is_plain_string else DEFAULT_ARCH
        )
        wanted = self.options.arch
        if wanted is None or (current is not None and wanted == in_effect):
            return in_effect
        names = {f.name for f in moving}
        all_migrate = all(
            f.name in names for f in service_functions(self.doc) if f.node.get("architecture") is None
        )
        if own is not None:
            self._rewrite(own, "architecture", wanted)
        elif shared is not None and all_migrate:
            self._rewrite(shared, "architecture", wanted)
        elif self.provider is not None and all_migrate and function.node.get("runtime") is None:
            if id(self.provider) not in self.rewritten:
                self.rewritten.add(id(self.provider))
                self._add(self.provider, "architecture", wanted, after=self.provider.get("runtime"))
        else:
            self._add(function.node, "architecture", wanted)
        return wanted

    def _point_at_zip(self, function: ServiceFunction, arch: str) -> None:
        found = self.packages[function.name]
        goarch = GOARCH.get(arch, "amd64")
        zip_path = relative_path(self.workspace.artifact(found.top, found.name, goarch), self.folder)
        self.functions.append(found.declaration(goarch=goarch, source=self.path, line=function.key.line))
        settings = function.node.get("package")
        if settings is None:
            self._add(function.node, "package", {"artifact": zip_path})
        elif not settings.is_map:
            self._notice(
                settings,
                f"{function.name}: package is {self.doc.written(settings)}; left alone",
                f"package: {{artifact: {zip_path}}}",
            )
        elif settings.get("artifact") is not None:
            self._rewrite(settings.get("artifact"), "artifact", zip_path)  # type: ignore[arg-type]
        else:
            self._add(settings, "artifact", zip_path)

    def _rewrite(self, node: Node, key: str, new: str) -> None:
        if id(node) in self.rewritten:
            return
        self.rewritten.add(id(node))
        if not node.is_plain_string:
            self._notice(node, f"{key} is {self.doc.written(node)}; left alone", f"{key}: {new}")
        elif node.value != new:
            self.doc.set_scalar(node, new)
            self.changes.append(
                Change(
                    file=self.path, line=node.line, old=f"{key}: {node.value}", new=f"{key}: {new}"
                )
            )

    def _add(
        self, mapping: Node, key: str, value: str | dict[str, str], *, after: Node | None = None
    ) -> None:
        line = self.doc.add_entry(mapping, key, value, after=after)
        shown = (
            value if isinstance(value, str) else ", ".join(f"{k}: {v}" for k, v in value.items())
        )
        self.changes.append(Change(file=self.path, line=line, old="", new=f"{key}: {shown}"))

    def _notice(self, node: Node, message: str, replacement: str, level: str = INFO) -> None:
        self.notices.append(
            Notice(file=self.path, line=node.line, message=message, replacement=replacement, level=level)
        )
