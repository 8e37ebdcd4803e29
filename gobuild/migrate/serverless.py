"""Serverless Framework `serverless.yml`: Go functions → provided.al2023.

`provider.runtime` and `functions.*.runtime` move from go1.x/provided.al2, each migrated
function's `handler` becomes bootstrap, and with `--build gobuild` each gets
`package.artifact` pointing at gobuild's zip. A runtime held in a `${...}` variable is
reported, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gobuild.migrate.document import Document, Node
from gobuild.migrate.functions import (
    GUESS_REPLACEMENT,
    artifact_path,
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
    ManifestFunction,
    MigrateOptions,
    Notice,
)

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


def migrate_serverless(*, path: Path, text: str, options: MigrateOptions) -> FileResult:
    """Migrates one serverless.yml; raises TemplateSyntaxError when it does not parse."""
    return _ServiceMigration(Document(path=path, text=text, syntax="yaml"), options).run()


@dataclass(frozen=True, kw_only=True)
class _Function:
    name: str
    node: Node
    runtime: Node | None


class _ServiceMigration:
    def __init__(self, doc: Document, options: MigrateOptions) -> None:
        self.doc = doc
        self.options = options
        self.path = doc.path
        self.changes: list[Change] = []
        self.notices: list[Notice] = []
        self.functions: list[ManifestFunction] = []
        provider = doc.root.get("provider")
        self.provider = provider if provider is not None and provider.is_map else None
        self.rewritten: set[int] = set()

    def run(self) -> FileResult:
        shared_runtime = self.provider.get("runtime") if self.provider else None
        migrated = [f for f in self._functions(shared_runtime) if self._decide(f)]
        for function in migrated:
            self._migrate(function, migrated)
        steps = (
            (_STEPS["gobuild" if self.options.build == "gobuild" else "other"],) if migrated else ()
        )
        return FileResult(
            path=self.path,
            old_text=self.doc.text,
            new_text=self.doc.result_text(),
            changes=tuple(self.changes),
            notices=tuple(self.notices),
            functions=tuple(self.functions),
            steps=steps,
        )

    def _functions(self, shared_runtime: Node | None) -> list[_Function]:
        functions = self.doc.root.get("functions")
        if functions is None or not functions.is_map:
            return []
        return [
            _Function(name=key.value, node=node, runtime=node.get("runtime") or shared_runtime)
            for key, node in functions.entries
            if node.is_map
        ]

    def _decide(self, function: _Function) -> bool:
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
        return runtime.value in OLD_RUNTIMES

    def _migrate(self, function: _Function, migrated: list[_Function]) -> None:
        assert function.runtime is not None
        self._rewrite(function.runtime, "runtime", self.options.runtime)
        handler = function.node.get("handler")
        old_handler = handler.value if handler is not None and handler.is_plain_string else ""
        if handler is not None:
            self._rewrite(handler, "handler", HANDLER)
        else:
            self._add(function.node, "handler", HANDLER)
        arch = self._arch(function, migrated)
        if self.options.build == "gobuild":
            self._point_at_zip(function, old_handler, arch)

    def _arch(self, function: _Function, migrated: list[_Function]) -> str:
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
        names = {f.name for f in migrated}
        all_migrate = all(
            f.name in names for f in self._functions(None) if f.node.get("architecture") is None
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

    def _point_at_zip(self, function: _Function, handler: str, arch: str) -> None:
        folder = self.path.parent
        root = module_root(folder)
        package = locate_package(root=root, code_dir=None, binary=handler, fallback=function.name)
        goarch = GOARCH.get(arch, "amd64")
        zip_path = relative_path(artifact_path(root, package.name, goarch), folder)
        self.functions.append(
            package.declaration(root=root, goarch=goarch, source=self.path, line=function.node.line)
        )
        if not package.found:
            self._notice(
                function.node,
                f"{function.name}: no main package found for handler {handler!r}; "
                f"gobuild.toml gets the guess {package.package}",
                GUESS_REPLACEMENT,
            )
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

    def _notice(self, node: Node, message: str, replacement: str) -> None:
        self.notices.append(
            Notice(file=self.path, line=node.line, message=message, replacement=replacement)
        )
