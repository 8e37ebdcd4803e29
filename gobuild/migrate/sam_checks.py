"""What still stands in the way of a SAM or CloudFormation template's Go functions on
provided.al2023, read from the template as it is (or as migrate would write it).

Because these notes come from the files and not from the change, `--check` after a `--write`
reports them again: a zip shared by functions that each need their own bootstrap, a BuildMethod
next to a zip, code in S3, a CodeUri that holds no main package, an aws-lambda-go too old for
the Runtime API.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gobuild.lambda_facts import BOOTSTRAP, TARGET_RUNTIME, function_of_artifact
from gobuild.migrate.cfn import TemplateFunction, template_functions
from gobuild.migrate.document import Document, Node
from gobuild.migrate.functions import relative_path
from gobuild.migrate.gocode import BUILD_ZIP_FIX, bootstrap_is_go, prebuilt_zip_ready
from gobuild.migrate.locate import MainFolder, module_root
from gobuild.migrate.makerules import ARTIFACTS_DIR
from gobuild.migrate.model import ERROR, HANDLER, INFO, Notice
from gobuild.migrate.workspace import Resolved, Workspace


def check_template(
    doc: Document,
    workspace: Workspace,
    *,
    made_targets: set[tuple[Path, str]],
    line_of: Callable[[int], int],
) -> list[Notice]:
    """The notes about the template's Go functions on provided.al2023. `made_targets` are the
    Makefile targets this run adds; `line_of` turns an offset into doc's text into the line
    to report (the original file's numbering when doc is migrate's result)."""
    checks = _Checks(doc, workspace, made_targets, line_of)
    functions = [f for f in template_functions(doc) if checks.is_go(f)]
    for function in functions:
        checks.function(function, functions)
    checks.shared_zips(functions)
    checks.outputs()
    return checks.notices


class _Checks:
    def __init__(
        self,
        doc: Document,
        workspace: Workspace,
        made_targets: set[tuple[Path, str]],
        line_of: Callable[[int], int],
    ) -> None:
        self.doc = doc
        self.workspace = workspace
        self.made_targets = made_targets
        self.line_of = line_of
        self.folder = doc.path.parent
        self.in_go_module = (module_root(self.folder) / "go.mod").is_file()
        self.notices: list[Notice] = []
        # Makefile line and the -o it writes → the build-<LogicalId> targets that run it.
        self.wrong_outputs: dict[tuple[Path, int, str], list[str]] = {}

    def outputs(self) -> None:
        """One note per Makefile line whose `go build -o` writes another name than bootstrap."""
        for (path, line, output), targets in self.wrong_outputs.items():
            self.notices.append(
                Notice(
                    file=path,
                    line=line,
                    message=f"{' and '.join(targets)} {'writes' if len(targets) == 1 else 'write'} "
                    f"{output} (`go build -o`), but a {TARGET_RUNTIME} zip must hold {BOOTSTRAP}",
                    replacement=f"-o {ARTIFACTS_DIR}/{BOOTSTRAP}",
                    level=ERROR,
                )
            )

    def is_go(self, function: TemplateFunction) -> bool:
        """A function on provided.al2023 whose code is Go, or that looks like one migrate
        moved (Handler bootstrap in a template inside a Go module)."""
        runtime, code = function.runtime, function.code
        if runtime is None or not runtime.is_plain_string or runtime.value != TARGET_RUNTIME:
            return False
        method = function.build_method
        if method == "go1.x":
            return True
        if method == "makefile" and (self._made(function) or self._target_builds(function)):
            return True
        if code.local and code.path is not None:
            if code.kind == "zip" and self.workspace.is_artifact(code.path):
                return True
            if code.path.exists() and (
                (code.kind == "folder" and self._main_at(code.path))
                or bootstrap_is_go(code.path)
            ):
                return True
        # What migrate leaves behind when it cannot look at the code (S3, a zip not built yet).
        handler = function.handler
        return handler is not None and handler.value == HANDLER and (self.in_go_module or not code.local)

    def function(self, function: TemplateFunction, functions: list[TemplateFunction]) -> None:
        code = function.code
        method = function.build_method
        metadata = function.metadata
        if method and (code.kind == "zip" or code.identity.lower().endswith(".zip")):
            where = metadata.get("BuildMethod") if metadata else None
            self.note(
                where or function.key,
                f"{function.logical_id}: Metadata.BuildMethod {method} asks `sam build` to build it, "
                f"but its code is the zip {code.shown(self.doc)}",
                "remove Metadata.BuildMethod (gobuild builds the zip) and deploy without `sam build`",
                ERROR,
            )
        elif method == "go1.x" and code.kind == "folder":
            self._go_builder(function, functions)
        elif method == "makefile" and code.kind == "folder":
            self._makefile(function)
        self._cgo(function)
        root = self.workspace.root_for(code.path if code.local else None, self.folder)
        note = self.workspace.lambda_note(root)
        if note is not None:
            self.notices.append(note)

    def shared_zips(self, functions: list[TemplateFunction]) -> None:
        """A zip holds one bootstrap: functions sharing one S3 object or prebuilt zip would all
        run the same program. A zip gobuild writes is one function's, shared on purpose."""
        groups: dict[str, list[TemplateFunction]] = {}
        for function in functions:
            code = function.code
            if code.kind == "s3" or (code.kind == "zip" and not self._artifact(function)):
                groups.setdefault(code.identity or f"#{id(function)}", []).append(function)
        for group in groups.values():
            for function in group:
                shown = self.doc.written(function.code.node)  # type: ignore[arg-type]
                where = function.code.node if function.own("CodeUri" if function.is_sam else "Code") else function.key
                others = [f.logical_id for f in group if f is not function]
                if others:
                    self.note(
                        where,  # type: ignore[arg-type]
                        f"{function.logical_id} shares its code {shown} with {', '.join(others)}, "
                        "but one zip holds one bootstrap: they would all run the same binary",
                        "give each function its own zip: `gobuild migrate --build gobuild` points "
                        "each at dist/<name>-<arch>.zip",
                        ERROR,
                    )
                elif function.code.kind == "s3":
                    self.note(
                        where,  # type: ignore[arg-type]
                        f"{function.logical_id}: its code is in S3 ({shown}); that zip must hold "
                        "the binary named bootstrap",
                        "build it with `gobuild build`, upload it with `gobuild publish`, "
                        "and point the code at the new object",
                    )
                elif (ready := prebuilt_zip_ready(function.code.path)) is not True:  # type: ignore[arg-type]
                    self.note(
                        where,  # type: ignore[arg-type]
                        f"{function.logical_id}: its code is the prebuilt zip {shown}; it "
                        + ("holds no bootstrap" if ready is False else "must hold the binary named bootstrap"),
                        BUILD_ZIP_FIX.format(key="CodeUri"),
                        ERROR if ready is False else INFO,
                    )

    def _go_builder(self, function: TemplateFunction, functions: list[TemplateFunction]) -> None:
        """`sam build`'s Go builder builds the one main package in CodeUri."""
        path = function.code.path
        assert path is not None
        main = self._main_at(path) if path.exists() else None
        if main is not None and not main.per_file:
            return
        shown = function.code.shown(self.doc)
        if main is not None:
            programs = ", ".join(main.per_file[:4])
            problem = f"CodeUri {shown} holds one program per file ({programs}), which `sam build` cannot build"
        elif path.exists():
            problem = f"CodeUri {shown} holds no Go main package for `sam build`'s Go builder"
        else:
            problem = f"CodeUri {shown} does not exist, and `sam build`'s Go builder builds the main package there"
        sharing = [f.logical_id for f in functions if f is not function and f.code.identity == function.code.identity]
        if sharing:
            problem += f" (shared with {', '.join(sharing)})"
        found = self.workspace.resolve(code=None, start=self.folder, names=function.binary_names())
        replacement = (
            f"CodeUri: {relative_path(found.folder, self.folder)}/"
            if isinstance(found, Resolved)
            else "CodeUri: <folder of its main package>/"
        )
        self.note(function.key, f"{function.logical_id}: {problem}", replacement, ERROR)

    def _makefile(self, function: TemplateFunction) -> None:
        """A build-<LogicalId> target must leave bootstrap in $(ARTIFACTS_DIR). A target that
        is missing is not the runtime's business (`sam build` says so itself, and a project
        that builds with its own make and deploys without `sam build` never runs it)."""
        if self._made(function) or function.code.path is None:
            return
        target = self.workspace.sam_target(function.code.path, function.logical_id)
        if target is None:
            return
        makefile, builds = target
        shown = relative_path(makefile.path, self.folder)
        written = [b for b in builds if b.output.startswith(ARTIFACTS_DIR)]
        for build in written:
            if build.output_name != BOOTSTRAP:
                written_at = (makefile.path, makefile.origin(build), build.output)
                self.wrong_outputs.setdefault(written_at, []).append(f"build-{function.logical_id}")
        recipe = " ".join(text for _, text in makefile.recipe(f"build-{function.logical_id}") or ())
        if written or BOOTSTRAP in recipe or "gobuild build" in recipe:
            return
        where = function.metadata.get("BuildMethod") if function.metadata else None
        self.note(
            where or function.key,
            f"{function.logical_id}: build-{function.logical_id} in {shown} does not write "
            f"{ARTIFACTS_DIR}/{BOOTSTRAP}",
            f"make it write {ARTIFACTS_DIR}/{BOOTSTRAP}, or run `gobuild migrate --build makefile` "
            "on a template without the target",
            ERROR,
        )

    def _target_builds(self, function: TemplateFunction) -> bool:
        """Whether the function's build-<LogicalId> target runs `go build`."""
        if function.code.kind != "folder" or function.code.path is None:
            return False
        target = self.workspace.sam_target(function.code.path, function.logical_id)
        return bool(target and target[1])

    def _cgo(self, function: TemplateFunction) -> None:
        """A package with cgo files does not build the way gobuild (and Lambda's static
        binaries) build: CGO_ENABLED=0 leaves those files out."""
        code = function.code
        if code.path is None:
            return
        if code.kind == "folder":
            main = self._main_at(code.path) if code.path.exists() else None
        elif code.kind == "zip" and self.workspace.is_artifact(code.path):
            found = self.workspace.resolve(
                code=None, start=self.folder, names=(function_of_artifact(code.path.name),)
            )
            main = self._main_at(found.folder) if isinstance(found, Resolved) else None
        else:
            main = None
        if main is None or not main.cgo:
            return
        self.note(
            function.key,
            f"{function.logical_id}: its package uses cgo ({', '.join(main.cgo)} import \"C\"); "
            "gobuild builds with CGO_ENABLED=0, which leaves those files out",
            "replace the C code with Go (or a pure-Go library); a cgo binary must be built for "
            "Amazon Linux 2023's C library and cannot be cross-compiled portably",
            ERROR,
        )

    def _made(self, function: TemplateFunction) -> bool:
        path = function.code.path
        return path is not None and (path, function.logical_id) in self.made_targets

    def _artifact(self, function: TemplateFunction) -> bool:
        path = function.code.path
        return path is not None and self.workspace.is_artifact(path)

    def _main_at(self, folder: Path) -> MainFolder | None:
        return self.workspace.index(self.workspace.root_for(folder, self.folder)).main_at(folder)

    def note(self, node: Node, message: str, replacement: str, level: str = INFO) -> None:
        self.notices.append(
            Notice(
                file=self.doc.path,
                line=self.line_of(node.start),
                message=message,
                replacement=replacement,
                level=level,
            )
        )


