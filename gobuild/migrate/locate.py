"""Finding a function's main package in its Go module, from what the old definition names.

The right folder is the code location itself when it is a main package; otherwise it shares its
name with the old Handler or binary (`orders` → `orders/`, `cmd/orders/`, `functions/orders/`,
`cmd/orders-lambda/`...). Where no folder, or more than one, fits, there is no answer and the
caller writes a note instead of a guess.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from gobuild.lambda_facts import AWS_LAMBDA_GO
from gobuild.manifest import NAME_PATTERN
from gobuild.migrate.inputs import SKIPPED_FOLDERS, read_bounded
from gobuild.migrate.model import RefusedInput

# Handler values that name no particular binary: the go1.x default and the new one.
GENERIC_BINARIES = frozenset({"", "main", "bootstrap", "handler", "function", "app"})
# What a note asks for when no main package was found for a function.
PACKAGE_FIX = (
    'declare it in gobuild.toml ([[function]] name and package = "./<folder of its main package>", '
    "with module_dir when that is another module), then run migrate again"
)
# Folder names that say what a folder is, not which function: `services/orders/cmd` is orders.
GENERIC_FOLDERS = frozenset({"cmd", "main", "lambda", "src", "app", "handler", "function", "bin"})
# A module with more folders than this is searched only this far.
MAX_FOLDERS = 20_000
MAX_GO_FILE = 1024 * 1024

_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)
_FUNC_MAIN = re.compile(r"^func\s+main\s*\(\s*\)", re.MULTILINE)
_CONSTRAINT = re.compile(r"^//(?:go:build|\s*\+build)\s", re.MULTILINE)
_IMPORT_C = re.compile(r'^import\s+"C"|^import\s*\([^)]*^\s*"C"\s*$', re.MULTILINE)
_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)


@dataclass(frozen=True, kw_only=True)
class MainFolder:
    """A folder of the module whose Go files are `package main`."""

    path: Path
    # Each file is its own program (`go build x.go`): several files declare main() with no
    # build constraint to choose between them, so the folder does not build as a package.
    per_file: tuple[str, ...]
    imports_lambda: bool
    cgo: tuple[str, ...] = ()  # files that `import "C"`: they need CGO_ENABLED=1


@dataclass(frozen=True, kw_only=True)
class Located:
    """The answer for one function: its package folder, or why there is none."""

    folder: Path | None
    problem: str = ""
    per_file: MainFolder | None = None
    file: str = ""  # with per_file: the one program (`go build x/create.go`) the function is
    ambiguous: bool = False  # several folders fit: searching further would not settle it


class ModuleIndex:
    """The main packages of one Go module, found by one walk (made on first use)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._mains: dict[Path, MainFolder] | None = None

    def mains(self) -> dict[Path, MainFolder]:
        if self._mains is None:
            self._mains = dict(_scan(self.root))
        return self._mains

    def main_at(self, folder: Path) -> MainFolder | None:
        """The main package in `folder` (found by the walk, or read now when the walk skips it)."""
        folder = Path(os.path.abspath(folder))
        found = self.mains().get(folder)
        return found if found is not None else _read_folder(folder)

    def locate(self, *, code_dir: Path | None, names: tuple[str, ...]) -> Located:
        """The main package for a function whose code location is `code_dir` and whose old
        binary may be called any of `names` (most telling first)."""
        if code_dir is not None and _inside(code_dir, self.root):
            main = self.main_at(code_dir)
            if main is not None:
                return per_file_problem(main, self.root) if main.per_file else Located(folder=main.path)
        wanted = [name for name in dict.fromkeys(names) if name and name not in GENERIC_BINARIES]
        per_file: Located | None = None
        for name in wanted:
            spellings = {name, f"{name}-lambda", f"{name}_lambda", name.removesuffix("-lambda")}
            matches = [m for m in self.mains().values() if folder_name(m.path) in spellings and not m.per_file]
            if len(matches) > 1:
                matches = [m for m in matches if m.imports_lambda] or matches
            if len(matches) == 1:
                return Located(folder=matches[0].path)
            if matches:
                shown = ", ".join(_shown(m.path, self.root) for m in matches)
                return Located(
                    folder=None, problem=f"several main packages could be {name!r}: {shown}", ambiguous=True
                )
            program = next(
                (m for m in self.mains().values() if m.per_file and f"{name}.go" in m.per_file), None
            )
            if per_file is None and program is not None:
                per_file = per_file_problem(program, self.root, f"{name}.go")
        if per_file is not None:
            return per_file
        looked = " or ".join(repr(name) for name in wanted) if wanted else "(no binary name to go by)"
        return Located(
            folder=None, problem=f"no main package named {looked} in the module at {self.root}"
        )


def per_file_problem(main: MainFolder, root: Path, file: str = "") -> Located:
    """Why a folder of one program per file cannot be a function's package, naming the one
    program the function is when that is known."""
    folder = package_path(main.path, root)
    listed = ", ".join(main.per_file[:4]) + ("..." if len(main.per_file) > 4 else "")
    if file:
        problem = (
            f"{folder}/{file} is one of {len(main.per_file)} programs in {folder}, one per file "
            f"({listed}); gobuild builds a package, one per folder"
        )
    else:
        problem = (
            f"{folder} holds {len(main.per_file)} programs, one per file ({listed}); gobuild, "
            "like `go build ./...`, builds a package, one per folder"
        )
    return Located(folder=None, per_file=main, file=file, problem=problem)


def located_fix(located: Located, otherwise: str) -> str:
    """What to do about a function whose package was not found: for a per-file program, the
    move that makes it a package of its own; `otherwise` for anything else."""
    main = located.per_file
    if main is None:
        return otherwise
    folder = package_path(main.path, module_root(main.path))
    if located.file:
        stem = located.file.removesuffix(".go")
        return f"move {folder}/{located.file} to {folder}/{stem}/main.go (a folder of its own), then run migrate again"
    return f"move each program of {folder} to a folder of its own ({folder}/<name>/main.go), then run migrate again"


def folder_name(folder: Path) -> str:
    """The name a package folder gives its function: its own, or its parent's for a folder
    named for what it is (`services/orders/cmd` → orders)."""
    return folder.parent.name if folder.name in GENERIC_FOLDERS and folder.parent.name else folder.name


def function_name(folder: Path, top: Path, names: tuple[str, ...]) -> str | None:
    """The gobuild name of a function, as `gobuild init` names it: its package's folder
    (`-lambda` kept; `services/orders/cmd` → orders); for a main package at `top` (the
    manifest's folder), or a generic folder right under it, the first binary name given.
    None when that is not a valid function name."""
    name = folder_name(folder) if folder != top else ""
    if not name or (folder.name in GENERIC_FOLDERS and folder.parent == top):
        name = next((n for n in names if n and n not in GENERIC_BINARIES), name)
    return name if NAME_PATTERN.fullmatch(name) else None


def package_path(folder: Path, root: Path) -> str:
    """./cmd/orders: a package folder as gobuild.toml writes it."""
    relative = Path(os.path.relpath(folder, root)).as_posix()
    return "." if relative == "." else f"./{relative}"


def module_root(start: Path) -> Path:
    """The nearest folder at or above `start` that holds go.mod; `start` when none does."""
    start = Path(os.path.abspath(start))
    for folder in (start, *start.parents):
        if (folder / "go.mod").is_file():
            return folder
    return start


def modules_below(folder: Path) -> tuple[Path, ...]:
    """The folders below `folder` that hold go.mod (not `folder` itself), nearest first,
    skipping dependency, build-output and hidden folders; bounded like the module walk."""
    found: list[tuple[int, str, Path]] = []
    for visited, (current, folders, names) in enumerate(os.walk(folder), start=1):
        folders[:] = sorted(
            name for name in folders
            if name not in SKIPPED_FOLDERS and name != "testdata" and not name.startswith((".", "_"))
        )
        if visited > MAX_FOLDERS:
            break
        path = Path(current)
        if "go.mod" in names and path != Path(folder):
            found.append((len(path.relative_to(folder).parts), str(path), path))
    return tuple(path for _, _, path in sorted(found))


def _scan(root: Path) -> list[tuple[Path, MainFolder]]:
    found: list[tuple[Path, MainFolder]] = []
    for visited, (current, folders, _) in enumerate(os.walk(root), start=1):
        folders[:] = sorted(
            name
            for name in folders
            if name not in SKIPPED_FOLDERS
            and name != "testdata"
            and not name.startswith((".", "_"))
            and not (Path(current) / name / "go.mod").exists()  # a nested module
        )
        if visited > MAX_FOLDERS:
            break
        main = _read_folder(Path(current))
        if main is not None:
            found.append((main.path, main))
    return found


def _read_folder(folder: Path) -> MainFolder | None:
    """The folder as a main package, None when its Go files are another package (or none)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    mains: list[str] = []
    cgo: list[str] = []
    imports_lambda = False
    is_main = False
    for name in names:
        if not name.endswith(".go") or name.endswith("_test.go") or name.startswith((".", "_")):
            continue
        try:
            data = read_bounded(folder / name, MAX_GO_FILE)
        except (OSError, RefusedInput):
            continue  # a dangling symlink (an editor's lock file), or too large to be a main
        if data is None:
            continue
        text = data.decode("utf-8", "replace")
        bare = _COMMENTS.sub("", text)
        package = _PACKAGE.search(bare)
        if package is None or package.group(1) != "main":
            continue
        is_main = True
        if _IMPORT_C.search(bare):
            cgo.append(name)
        imports_lambda = imports_lambda or f'"{AWS_LAMBDA_GO}/' in text
        if _FUNC_MAIN.search(bare) and not _CONSTRAINT.search(text):
            mains.append(name)
    if not is_main:
        return None
    return MainFolder(
        path=Path(os.path.abspath(folder)),
        per_file=tuple(mains) if len(mains) > 1 else (),
        imports_lambda=imports_lambda,
        cgo=tuple(cgo),
    )


def _inside(folder: Path, root: Path) -> bool:
    folder, root = Path(os.path.abspath(folder)), Path(os.path.abspath(root))
    return folder == root or root in folder.parents


def _shown(folder: Path, root: Path) -> str:
    return package_path(folder, root)
