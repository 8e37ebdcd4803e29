"""What one migrate run reads beside the definitions, each read once: the Go modules' main
packages, their go.mod, and gobuild.toml. Every migrate module asks through one Workspace."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gobuild.errors import ManifestError
from gobuild.lambda_facts import ARCHES, AWS_LAMBDA_GO, MANIFEST_NAME, artifact_name, out_dir_of
from gobuild.manifest import parse_toml
from gobuild.migrate.gocode import bootstrap_is_go, lambda_requirement
from gobuild.migrate.inputs import read_side_file
from gobuild.migrate.limits import check_toml
from gobuild.migrate.locate import (
    Located,
    ModuleIndex,
    function_name,
    module_root,
    package_path,
)
from gobuild.migrate.model import ERROR, ManifestFunction, Notice, TemplateSyntaxError

# The fix for an aws-lambda-go that predates the Runtime API, as the user types it.
LAMBDA_GO_FIX = f"go get {AWS_LAMBDA_GO}@latest"


@dataclass(frozen=True, kw_only=True)
class Resolved:
    """A function's main package, found in the module at `root`, and its gobuild name."""

    root: Path
    folder: Path
    name: str

    @property
    def package(self) -> str:
        return package_path(self.folder, self.root)

    def declaration(self, *, goarch: str, source: Path, line: int) -> ManifestFunction:
        """The [[function]] table this package becomes in gobuild.toml at `root`."""
        return ManifestFunction(
            root=self.root, name=self.name, package=self.package, architectures=(goarch,),
            source=source, line=line,
        )


class Workspace:
    """Caches for one run; nothing here writes."""

    def __init__(self) -> None:
        self._indexes: dict[Path, ModuleIndex] = {}
        self._manifests: dict[Path, dict[str, Any]] = {}
        self.terraform_modules: dict[Path, Any] = {}  # folder → its aws_lambda_function blocks

    def index(self, root: Path) -> ModuleIndex:
        """The main packages of the module at `root`."""
        if root not in self._indexes:
            self._indexes[root] = ModuleIndex(root)
        return self._indexes[root]

    @staticmethod
    def root_for(code: Path | None, start: Path) -> Path:
        """The Go module a function's code belongs to: from its code location when that
        exists, else from the definition's folder."""
        if code is not None and code.exists():
            return module_root(code if code.is_dir() else code.parent)
        return module_root(start)

    def resolve(
        self, *, code: Path | None, start: Path, names: tuple[str, ...]
    ) -> Resolved | Located:
        """The function's main package, or a Located that says why there is none."""
        root = self.root_for(code, start)
        if not (root / "go.mod").is_file():
            return Located(folder=None, problem=f"no go.mod at or above {root}")
        found = self.index(root).locate(code_dir=code, names=names)
        if found.folder is None:
            return found
        name = function_name(found.folder, root, names)
        if name is None:
            return Located(
                folder=None,
                problem=f"{package_path(found.folder, root)} gives no valid function name",
            )
        return Resolved(root=root, folder=found.folder, name=name)

    def is_go(self, code: Path | None, start: Path, names: tuple[str, ...]) -> bool:
        """Whether a custom-runtime function's code is shown to be Go: a Go main package at its
        code location, or Go build information in the executable it ships. A location that
        does not exist yet (build output) counts when the module has a main package of the
        binary's name."""
        if code is None:
            return False
        if code.exists():
            root = self.root_for(code, start)
            main = self.index(root).main_at(code) if code.is_dir() else None
            return main is not None or bootstrap_is_go(code, names)
        found = self.resolve(code=None, start=start, names=names)
        return isinstance(found, Resolved)

    # ------------------------------------------------------------ gobuild.toml

    def manifest_data(self, root: Path) -> dict[str, Any]:
        """gobuild.toml at `root`, parsed ({} when there is none)."""
        if root not in self._manifests:
            path = root / MANIFEST_NAME
            text = read_side_file(path)
            data: dict[str, Any] = {}
            if text is not None:
                check_toml(text, path)
                try:
                    data = parse_toml(text, str(path))
                except ManifestError as error:
                    raise TemplateSyntaxError(error.message, "fix the file; nothing was changed") from None
            self._manifests[root] = data
        return self._manifests[root]

    def out_dir(self, root: Path) -> str:
        """gobuild's output folder for the module at `root`, relative to it (default dist)."""
        absolute = out_dir_of(str(root / MANIFEST_NAME), self.manifest_data(root))
        return Path(os.path.relpath(absolute, os.path.realpath(root))).as_posix()

    def artifact(self, root: Path, name: str, goarch: str) -> Path:
        """Where `gobuild build` writes a function's zip for one GOARCH."""
        return root / self.out_dir(root) / artifact_name(name, goarch)

    def is_artifact(self, path: Path) -> bool:
        """Whether a zip path is one gobuild writes: <module>/<out_dir>/<name>-<arch>.zip."""
        match = re.fullmatch(rf".+-({'|'.join(ARCHES)})\.zip", path.name)
        if match is None:
            return False
        root = module_root(path.parent.parent if path.parent.exists() else path.parent)
        if not (root / "go.mod").is_file():
            return False
        return Path(os.path.abspath(path.parent)) == Path(os.path.abspath(root / self.out_dir(root)))

    # ------------------------------------------------------------ go.mod

    def lambda_note(self, root: Path) -> Notice | None:
        """An error note when the module's go.mod requires an aws-lambda-go older than v1.18."""
        path = root / "go.mod"
        text = read_side_file(path)
        requirement = lambda_requirement(text) if text is not None else None
        if requirement is None or not requirement.predates_runtime_api:
            return None
        return Notice(
            file=path,
            line=requirement.line,
            message=f"{AWS_LAMBDA_GO} {requirement.version} predates the Lambda Runtime API "
            "(v1.18.0): its functions cannot receive events on provided.al2023",
            replacement=f"{LAMBDA_GO_FIX} (then go mod tidy) in {root}",
            level=ERROR,
        )
