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
    modules_below,
    package_path,
    per_file_problem,
)
from gobuild.migrate.makerules import MAKEFILE_NAMES, GoBuild, Makefile, parse_makefile
from gobuild.migrate.model import ERROR, ManifestFunction, Notice, RefusedInput, TemplateSyntaxError

# The fix for an aws-lambda-go that predates the Runtime API, as the user types it.
LAMBDA_GO_FIX = f"go get {AWS_LAMBDA_GO}@latest"


@dataclass(frozen=True, kw_only=True)
class Resolved:
    """A function's main package, found in the module at `root`, its gobuild name, and the
    folder whose gobuild.toml declares it (`top`: the module root, or the folder above the
    modules of a repository with one module per function)."""

    root: Path
    folder: Path
    name: str
    top: Path
    tags: tuple[str, ...] = ()  # build tags the old build used (a Makefile's -tags)

    @property
    def package(self) -> str:
        return package_path(self.folder, self.root)

    @property
    def module_dir(self) -> str:
        """The module's folder relative to the manifest's, "" when they are the same."""
        return "" if self.root == self.top else Path(os.path.relpath(self.root, self.top)).as_posix()

    def declaration(self, *, goarch: str, source: Path, line: int) -> ManifestFunction:
        """The [[function]] table this package becomes in the gobuild.toml in `top`."""
        return ManifestFunction(
            root=self.top, name=self.name, package=self.package, architectures=(goarch,),
            source=source, line=line, module_dir=self.module_dir, tags=self.tags,
        )


def manifest_folder(start: Path, root: Path) -> Path:
    """Where the gobuild.toml for a function defined in `start` whose module is at `root`
    goes: the module of the definition when the function's module is it or nested in it,
    else the folder holding both (a repository of one module per function); and never below
    the go.work Go uses for the module, so gobuild builds it as Go does."""
    own = module_root(start)
    if (own / "go.mod").is_file() and (root == own or own in root.parents):
        top = own
    else:
        top = Path(os.path.commonpath([os.path.abspath(start), os.path.abspath(root)]))
    work = go_work_folder(root)
    return work if work is not None and work in top.parents else top


def go_work_folder(root: Path) -> Path | None:
    """The folder of the go.work Go uses for the module at `root`: the nearest one at or above
    it, looked for up to the repository's root (the folder with .git)."""
    for folder in (root, *root.parents):
        if (folder / "go.work").is_file():
            return folder
        if (folder / ".git").exists():
            return None
    return None


class Workspace:
    """Caches for one run; nothing here writes."""

    def __init__(self, files: tuple[Path, ...] = ()) -> None:
        self.files = files  # every file this run reads (Terraform finds a module's calls there)
        self._indexes: dict[Path, ModuleIndex] = {}
        self._manifests: dict[Path, dict[str, Any]] = {}
        self._makefiles: dict[Path, tuple[Makefile, ...]] = {}
        self._below: dict[Path, tuple[Path, ...]] = {}
        self.tops: set[Path] = set()  # folders whose gobuild.toml this run adds to
        self.terraform_folders: dict[Path, Any] = {}  # folder → its .tf files, parsed
        self.terraform_calls: dict[Path, Any] | None = None  # module folder → its calls

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
        self,
        *,
        code: Path | None,
        start: Path,
        names: tuple[str, ...],
        binary: Path | None = None,
        build: GoBuild | None = None,
    ) -> Resolved | Located:
        """The function's main package, or a Located that says why there is none. A Makefile's
        `go build` of the old binary (`binary`, a path) or the SAM target's own `build` says
        it exactly; otherwise the code folder, then the folders named like the binary in the
        module of the code or definition, then in the modules below the definition."""
        build = build or (self.make_build(binary, start) if binary is not None else None)
        found = self._locate(code=code, start=start, names=names, build=build)
        if found.folder is None:
            return found
        root = module_root(found.folder)
        top = manifest_folder(start, root)
        name = function_name(found.folder, top, names)
        if name is None:
            return Located(
                folder=None,
                problem=f"{package_path(found.folder, root)} gives no valid function name",
            )
        tags = tuple(dict.fromkeys(build.tags)) if build is not None and build.folder == found.folder else ()
        self.tops.add(top)
        return Resolved(root=root, folder=found.folder, name=name, top=top, tags=tags)

    def _locate(
        self, *, code: Path | None, start: Path, names: tuple[str, ...], build: GoBuild | None
    ) -> Located:
        if build is not None:
            built = self._built_package(build)
            if built is not None:
                return built
        root = self.root_for(code, start)
        found = Located(folder=None, problem=f"no go.mod at or above {root}")
        if (root / "go.mod").is_file():
            found = self.index(root).locate(code_dir=code, names=names)
            if found.folder is not None or found.per_file is not None or found.ambiguous:
                return found
        # One module per function: the modules below the definition, searched by name.
        nested = [
            (module, located)
            for module in self.modules_below(start)
            if module != root
            and ((located := self.index(module).locate(code_dir=None, names=names)).folder is not None)
        ]
        if len(nested) == 1:
            return nested[0][1]
        if nested:
            shown = ", ".join(package_path(located.folder, start) for _, located in nested if located.folder)
            return Located(folder=None, problem=f"several main packages fit: {shown}", ambiguous=True)
        return found

    def _built_package(self, build: GoBuild) -> Located | None:
        """The package a Makefile's `go build` builds, when it is a main package here."""
        folder = build.folder
        if folder is None or not folder.is_dir():
            return None
        root = module_root(folder)
        main = self.index(root).main_at(folder)
        if main is None:
            return None
        if main.per_file:
            single = [Path(f).name for f in build.files if Path(f).name in main.per_file]
            return per_file_problem(main, root, single[0] if len(single) == 1 else "")
        return Located(folder=main.path)

    # ------------------------------------------------------------ Makefiles

    def makefiles(self, folder: Path) -> tuple[Makefile, ...]:
        """The Makefiles in `folder` (GNUmakefile, makefile, Makefile), parsed."""
        folder = Path(os.path.abspath(folder))
        if folder not in self._makefiles:
            found: list[Makefile] = []
            for name in MAKEFILE_NAMES:
                try:
                    text = read_side_file(folder / name) if (folder / name).is_file() else None
                except (RefusedInput, TemplateSyntaxError):
                    continue  # read for hints only: one that cannot be read gives none
                if text is not None:
                    found.append(parse_makefile(folder / name, text))
            self._makefiles[folder] = tuple(found)
        return self._makefiles[folder]

    def sam_target(self, folder: Path, logical_id: str) -> tuple[Makefile, list[GoBuild]] | None:
        """The Makefile in a SAM code folder that has `build-<LogicalId>`, with the `go build`
        commands of that target (SAM runs the first Makefile make would read)."""
        for makefile in self.makefiles(folder)[:1]:
            target = f"build-{logical_id}"
            if makefile.recipe(target) is not None:
                return makefile, makefile.go_builds(target)
        return None

    def make_build(self, binary: Path, start: Path) -> GoBuild | None:
        """The `go build` that writes `binary`, in a Makefile of its folder or of a folder
        above it, up to the module of `start` (or the folder above `start` when it has none)."""
        binary = Path(os.path.normpath(binary))
        own = module_root(start)
        limit = own if (own / "go.mod").is_file() else Path(os.path.abspath(start)).parent
        for folder in (binary.parent, *binary.parent.parents):
            for makefile in self.makefiles(folder):
                build = next((b for b in makefile.go_builds() if b.output_path == binary), None)
                if build is not None:
                    return build
            if folder == limit or limit not in folder.parents:
                return None
        return None

    def modules_below(self, folder: Path) -> tuple[Path, ...]:
        """The Go modules (folders with go.mod) below `folder`, nearest first."""
        folder = Path(os.path.abspath(folder))
        if folder not in self._below:
            self._below[folder] = modules_below(folder)
        return self._below[folder]

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
        folder = Path(os.path.abspath(path.parent))
        for top in (folder.parent, *folder.parent.parents[:3]):
            declares = (top / MANIFEST_NAME).is_file() or (top / "go.mod").is_file() or top in self.tops
            if declares and folder == Path(os.path.abspath(top / self.out_dir(top))):
                return True
        return False

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
