"""How a migrated SAM or CloudFormation function is built afterwards (`--build`).

sam: `Metadata: BuildMethod: go1.x`, so `sam build`'s Go builder writes bootstrap.
gobuild: CodeUri (or Code) names gobuild's zip, and gobuild.toml declares the function.
makefile: `BuildMethod: makefile` and a build-<LogicalId> target that runs gobuild.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from gobuild.migrate.cfn import TemplateFunction
from gobuild.migrate.document import Document, Node, Value
from gobuild.migrate.functions import relative_path
from gobuild.migrate.model import GOARCH, HANDLER, MakeTarget, ManifestFunction, MigrateOptions
from gobuild.migrate.workspace import Resolved, Workspace


class TemplateMigration(Protocol):
    """What a build mode needs of the template migration (sam.TemplateMigration)."""

    doc: Document
    options: MigrateOptions
    workspace: Workspace
    path: Path
    folder: Path
    packages: dict[str, Resolved]
    functions: list[ManifestFunction]
    targets: list[MakeTarget]

    def step(self, text: str) -> None: ...

    def change(self, line: int, old: str, new: str) -> None: ...

    def rewrite(self, node: Node, key: str, new: str, function: TemplateFunction) -> str: ...

    def notice(self, node: Node, message: str, replacement: str = "", *, level: str = "info") -> None: ...

# What a note asks for when no main package was found for a SAM function.
PACKAGE_REPLACEMENT = (
    'declare it in gobuild.toml ([[function]] name and package = "./<folder of its main package>"), '
    "or give it a CodeUri that is its main package's folder, then run migrate again"
)

STEPS = {
    "sam": "Run `sam build` and `sam deploy`: with Metadata BuildMethod go1.x, SAM's Go builder "
    "writes each binary as bootstrap.",
    "sam-makefile": "Run `sam build` and `sam deploy`: each build-<LogicalId> Makefile target "
    "must leave the binary as $(ARTIFACTS_DIR)/bootstrap.",
    "gobuild": "Run `gobuild build` to write the zips that CodeUri (or Code) now names, then "
    "`sam deploy`, or `aws cloudformation package` and `deploy` (skip `sam build`: there is "
    "nothing left for it to build).",
    "makefile": "Run `sam build`: it calls the build-<LogicalId> targets, "
    "which need gobuild and unzip on PATH.",
}


def build_step(
    migration: TemplateMigration,
    function: TemplateFunction,
    handler: str,
    arch: str,
    additions: dict[str, Value],
) -> None:
    """Makes the edits and follow-up work of the chosen build mode for one moved function."""
    mode = migration.options.build
    if mode == "sam":
        if function.code.kind == "folder":
            _set_build_method(migration, function, "go1.x", replace=False)
            if function.build_method != "makefile":
                migration.step(STEPS["sam"])
            elif handler != HANDLER:  # a provided.al2 build already wrote bootstrap
                migration.step(STEPS["sam-makefile"])
        return
    found = migration.packages[function.logical_id]
    goarch = GOARCH[arch]
    migration.functions.append(
        found.declaration(goarch=goarch, source=migration.path, line=function.key.line)
    )
    migration.step(STEPS[mode])
    if mode == "makefile":
        if function.code.kind == "folder" and function.code.path is not None:
            _set_build_method(migration, function, "makefile", replace=True)
            migration.targets.append(
                MakeTarget(
                    directory=function.code.path,
                    logical_id=function.logical_id,
                    function=found.name,
                    arch=goarch,
                    root=found.top,
                    source=migration.path,
                    line=function.key.line,
                    out_dir=migration.workspace.out_dir(found.top),
                )
            )
        return
    zip_path = relative_path(
        migration.workspace.artifact(found.top, found.name, goarch), migration.folder
    )
    key = "CodeUri" if function.is_sam else "Code"
    own = function.own(key)
    if own is not None and own.is_plain_string:
        migration.rewrite(own, key, zip_path, function)
    elif own is None and function.is_sam:
        additions["CodeUri"] = zip_path
    else:
        return  # code in S3 or inline stays; the checks report it with the zip to upload
    _drop_build_method(migration, function)


def _drop_build_method(migration: TemplateMigration, function: TemplateFunction) -> None:
    """A function whose code is now gobuild's zip has nothing left for `sam build` to build:
    its Metadata.BuildMethod (and the Metadata, when that is all it holds) goes."""
    metadata = function.metadata
    method = metadata.get("BuildMethod") if metadata is not None else None
    if metadata is None or method is None:
        return
    builder_only = {k.value for k, _ in metadata.entries} <= {"BuildMethod", "BuildProperties"}
    if builder_only:
        line = migration.doc.remove_entry(function.resource, "Metadata")
    else:
        line = migration.doc.remove_entry(metadata, "BuildMethod")
    migration.change(line, f"Metadata.BuildMethod: {migration.doc.written(method)}", "")


def _set_build_method(
    migration: TemplateMigration, function: TemplateFunction, method: str, *, replace: bool
) -> None:
    metadata = function.resource.get("Metadata")
    doc = migration.doc
    if metadata is None:
        line = doc.add_entry(function.resource, "Metadata", {"BuildMethod": method})
        migration.change(line, "", f"Metadata: BuildMethod: {method}")
        return
    current = metadata.get("BuildMethod") if metadata.is_map else None
    if current is None and metadata.is_map:
        line = doc.add_entry(metadata, "BuildMethod", method)
        migration.change(line, "", f"BuildMethod: {method}")
    elif current is not None and current.value != method and replace:
        migration.rewrite(current, "BuildMethod", method, function)
    elif current is None:
        migration.notice(
            metadata,
            f"{function.logical_id}: Metadata is {doc.written(metadata)}; left alone",
            f"BuildMethod: {method}",
        )
