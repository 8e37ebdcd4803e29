"""`gobuild init`: find the Lambda functions of a module (or of a go.work workspace) and write
a manifest for them.

A function is a `package main` that imports aws-lambda-go (or reads AWS_LAMBDA_RUNTIME_API,
speaking the Runtime API itself), directly or through a package of the same module or
workspace (every main with all_mains), wherever it lives: cmd/<name>,
handlers/<name>, functions/<name>, <name>/ at the root, the root itself, any file name. Go
files are read here, without running go: package clause, imports and build constraints
(`//go:build ignore` files are no main). Skipped as Go skips them: vendor/, testdata/,
folders starting with `_` or `.`; nested modules (a folder with its own go.mod) are reported
with the module_dir to use. Names come from the folder (`cmd/orders-lambda` gives
`orders-lambda`, the `-lambda` suffix kept so names match the binaries teams deploy); two
folders of the same name are told apart by their parents (`cmd-api`, `handlers-api`). A main
that compiles files importing "C" (itself or a package of its module it imports, with no
`//go:build !cgo` fallback) gets `cgo = true`, with a note.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gobuild import gosource
from gobuild.errors import UsageError
from gobuild.lambda_facts import DEFAULT_OUT_DIR
from gobuild.lines import plural
from gobuild.manifest import NAME_PATTERN

SKIPPED_FOLDERS = ("vendor", "testdata")
# Folders that say where functions live, not which one: a name takes them only to tell two apart.
GENERIC_FOLDERS = frozenset({"cmd", "cmds", "handlers", "handler", "functions", "function", "lambdas", "lambda",
                             "cron", "jobs", "services", "apps", "app", "src", "internal", "pkg"})
_MODULE_LINE = re.compile(r"^\s*module\s+(\S+)", re.MULTILINE)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SHOWN = 5  # skipped folders named in the note; the rest are counted


@dataclass(frozen=True, kw_only=True)
class Found:
    """A main package to build: its function name, package path and module folder."""

    name: str
    package: str  # relative to module_dir: ./cmd/orders
    module_dir: str = "."  # relative to the folder init runs in
    folder: str = ""  # relative to the folder init runs in, for messages
    cgo: tuple[str, ...] = ()  # its module's files it compiles that import "C": it gets `cgo = true`


@dataclass(frozen=True, kw_only=True)
class Discovery:
    """What init found, and what it has to tell about it."""

    found: tuple[Found, ...]
    notes: tuple[str, ...] = ()  # renamed functions, nested modules, skipped mains
    workspace: bool = False  # found through a go.work


@dataclass(frozen=True, kw_only=True)
class _Main:
    folder: Path
    module_dir: Path
    module_path: str
    uses_lambda: bool
    cgo: tuple[str, ...] = ()


def discover(root: Path, *, all_mains: bool = False) -> Discovery:
    """Every main package below root (of every module a go.work there uses), sorted by name."""
    work = root / "go.work"
    if work.is_file():
        modules = gosource.workspace_modules(work)
        if not modules:
            raise UsageError(f"{work}: uses no module with a go.mod", hint="add `use ./<module>` lines to go.work")
    elif (root / "go.mod").is_file():
        modules = [root]
    else:
        modules = _modules_below(root)
        if not modules:
            raise UsageError(f"{root}: no go.mod or go.work here, nor a module below",
                             hint="run gobuild init in the module (or workspace) folder, or pass -C")
    notes: list[str] = []
    if len(modules) > 1 and not work.is_file():
        shown = ", ".join(os.path.relpath(m, root) for m in modules)
        notes.append(f"no go.mod here: {plural(len(modules), 'module')} below ({shown}); each function gets its "
                     "module_dir")
    mains: list[_Main] = []
    for module_dir in modules:
        mains += _scan_module(module_dir, set(modules), root, notes)
    chosen = [m for m in mains if all_mains or m.uses_lambda]
    skipped = sorted(os.path.relpath(m.folder, root) for m in mains if m not in chosen)
    if skipped:
        others = len(skipped)
        verb = "does" if others == 1 else "do"
        shown = ", ".join(skipped[:_SHOWN]) + (f" and {others - _SHOWN} more" if others > _SHOWN else "")
        notes.append(f"skipped {plural(others, 'main package')} that {verb} not import aws-lambda-go: {shown} "
                     f"(--all-mains includes {'it' if others == 1 else 'them'})")
    if not chosen:
        what = "main package" if all_mains else "main package that imports github.com/aws/aws-lambda-go"
        raise UsageError(
            f"{root}: no {what} found" + (f" ({'; '.join(notes)})" if notes else ""),
            hint="write gobuild.toml by hand (`gobuild init --example` prints every key: one [[function]] with "
                 "name and package each), or run `gobuild migrate TEMPLATE --build gobuild --write` to write it "
                 "from a SAM, CloudFormation, Serverless or Terraform definition",
        )
    found = _name(chosen, root, notes)
    return Discovery(found=tuple(sorted(found, key=lambda f: f.name)), notes=tuple(notes), workspace=work.is_file())


def _modules_below(root: Path) -> list[Path]:
    """The topmost folders below root that hold a go.mod (a repository of several modules)."""
    found: list[Path] = []
    for folder, dirnames, _ in os.walk(root):
        if (Path(folder) / "go.mod").is_file():
            found.append(Path(folder).resolve())
            dirnames[:] = []  # what is below belongs to that module (or is nested in it)
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")) and d not in SKIPPED_FOLDERS)
    return found


def _scan_module(module_dir: Path, workspace: set[Path], root: Path, notes: list[str]) -> list[_Main]:
    module_path = _module_path(module_dir)
    imports: dict[str, tuple[str, ...]] = {}  # import path → imports, for every package
    speaks: set[str] = set()  # packages that talk to the Runtime API themselves
    cgo: dict[str, list[str]] = {}  # packages whose files import "C", with no pure-Go (!cgo) fallback
    candidates: list[tuple[Path, str]] = []
    for folder, dirnames, _ in os.walk(module_dir):
        here = Path(folder)
        keep = []
        for name in sorted(dirnames):
            child = here / name
            if name.startswith((".", "_")) or name in SKIPPED_FOLDERS:
                continue
            if (child / "go.mod").is_file():
                if child.resolve() not in workspace:
                    relative = os.path.relpath(child, root)
                    notes.append(f"{relative} has its own go.mod (a nested module): skipped; to build its functions, "
                                 f'add them with module_dir = "{relative}", or run gobuild init there')
                continue
            keep.append(name)
        dirnames[:] = keep
        files = gosource.package_files(here, None)
        names = {f.package for f in files if f.package}
        if len(names) != 1:
            continue  # no Go files, or several packages: Go refuses it, and so do we
        relative = here.relative_to(module_dir).as_posix()
        path = module_path if relative == "." else f"{module_path}/{relative}"
        imports[path] = tuple({i for f in files for i in f.imports})
        if any(f.runtime_api for f in files):
            speaks.add(path)
        if not any(_fallback(f) for f in files):
            cgo[path] = [f.path for f in files if f.uses_cgo]
        if names == {"main"}:
            several = [os.path.basename(f.path) for f in files if f.declares_main]
            if len(several) > 1:
                notes.append(f"{os.path.relpath(here, root)}: {len(several)} files each declare func main() "
                             "(programs run one file at a time, not a package): skipped")
                continue
            candidates.append((here, path))
    uses = _LambdaUse(imports, speaks)
    return [_Main(folder=f, module_dir=module_dir, module_path=p, uses_lambda=uses(p),
                  cgo=_cgo_files(p, imports, cgo)) for f, p in candidates]


def _fallback(file: gosource.GoFile) -> bool:
    """Whether a file is built only without cgo (`//go:build !cgo`): its package has a pure-Go path."""
    return any("!cgo" in text for text in (file.constraint or "", *file.plus_build))


def _cgo_files(package: str, imports: dict[str, tuple[str, ...]], cgo: dict[str, list[str]]) -> tuple[str, ...]:
    """The files importing "C" in the package and the module's packages it imports, at any depth."""
    found: list[str] = []
    pending, seen = [package], {package}
    while pending:
        current = pending.pop()
        found += cgo.get(current, [])
        for path in imports.get(current, ()):
            if path in imports and path not in seen:
                seen.add(path)
                pending.append(path)
    return tuple(sorted(found))


class _LambdaUse:
    """Whether a package is Lambda code: it imports aws-lambda-go or speaks the Runtime API
    (AWS_LAMBDA_RUNTIME_API) itself or through packages of the same module."""

    def __init__(self, imports: dict[str, tuple[str, ...]], speaks: set[str]) -> None:
        self.imports = imports
        self.speaks = speaks
        self.known: dict[str, bool] = {}

    def __call__(self, package: str) -> bool:
        if package not in self.known:
            self.known[package] = self._search(package)
        return self.known[package]

    def _search(self, package: str) -> bool:
        pending = [package]
        seen = {package}
        while pending:  # iterative, so import cycles and deep chains cost no recursion
            current = pending.pop()
            imported = self.imports.get(current, ())
            if self.known.get(current) or current in self.speaks or gosource.imports_lambda(imported):
                return True
            for path in imported:
                if path in self.imports and path not in seen:
                    seen.add(path)
                    pending.append(path)
        return False


def _module_path(module_dir: Path) -> str:
    try:
        text = (module_dir / "go.mod").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return module_dir.name
    match = _MODULE_LINE.search(text)
    return match.group(1).strip('"') if match else module_dir.name


def _name(mains: Sequence[_Main], root: Path, notes: list[str]) -> list[Found]:
    """Function names from folder names; a name two folders share gets parents in front of it:
    first the telling ones (`orders/cmd/cancel` → orders-cancel), then all (`cmd/api` → cmd-api)."""
    parts = {m.folder: _path_parts(m, root) for m in mains}
    candidates = {folder: _candidates(names) for folder, names in parts.items()}
    choice = dict.fromkeys(candidates, 0)
    while True:
        names = {folder: options[choice[folder]] for folder, options in candidates.items()}
        taken: dict[str, int] = {}
        for name in names.values():
            taken[name] = taken.get(name, 0) + 1
        clashing = [f for f, n in names.items() if taken[n] > 1 and choice[f] + 1 < len(candidates[f])]
        if not clashing:
            break
        for folder in clashing:
            choice[folder] += 1
    found = []
    numbered: dict[str, int] = {}
    for main in mains:
        name = names[main.folder]
        if taken[name] > 1:  # the same path in two modules: number them
            numbered[name] = numbered.get(name, 0) + 1
            name = _safe_name(f"{name}-{numbered[name]}")
        natural = _natural(parts[main.folder])
        if name != natural:
            clashed = taken[names[main.folder]] > 1 or choice[main.folder] > 0
            why = f"{candidates[main.folder][0]!r} is taken" if clashed else "a function name must be a safe file name"
            notes.append(f"{os.path.relpath(main.folder, root)} is named {name!r} ({why})")
        package = main.folder.relative_to(main.module_dir).as_posix()
        cgo = tuple(os.path.relpath(f, root) for f in main.cgo)
        if cgo:
            shown = ", ".join(cgo[:3]) + (f" and {len(cgo) - 3} more" if len(cgo) > 3 else "")
            notes.append(f"{name} uses cgo ({shown} {'imports' if len(cgo) == 1 else 'import'} \"C\"): set cgo = true, "
                         "so zig compiles its C code against provided.al2023's glibc 2.34 "
                         "(needs gobuild's cgo extra)")
        found.append(Found(name=name, package="." if package == "." else f"./{package}",
                           module_dir=Path(os.path.relpath(main.module_dir, root)).as_posix(),
                           folder=os.path.relpath(main.folder, root), cgo=cgo))
    return found


def _natural(parts: list[str]) -> str:
    """The name a main's folder gives it: its own, or its parent's when its own only says what it
    is (`services/orders/cmd` → orders, as migrate names it)."""
    if len(parts) > 1 and parts[-1] in GENERIC_FOLDERS and parts[-2] not in GENERIC_FOLDERS:
        return parts[-2]
    return parts[-1]


def _candidates(parts: list[str]) -> list[str]:
    telling = [p for p in parts[:-1] if p not in GENERIC_FOLDERS] + parts[-1:]
    natural = _natural(parts)
    names = [_safe_name(natural)]
    # A generic leaf alone (cmd, lambda) never names a function its parent can name.
    start = 2 if natural != parts[-1] else 1
    names += [_safe_name("-".join(telling[-k:])) for k in range(start, len(telling) + 1)]
    names += [_safe_name("-".join(parts[-k:])) for k in range(2, len(parts) + 1)]
    return list(dict.fromkeys(names))


def _path_parts(main: _Main, root: Path) -> list[str]:
    """The folder names that can name a main: its path from root, or the module's last path
    element for a main at a module's root."""
    relative = [p for p in Path(os.path.relpath(main.folder, root)).parts if p not in (".", "..")]
    if main.folder == main.module_dir:
        relative = [*relative[:-1], main.module_path.rstrip("/").rsplit("/", 1)[-1]] if relative else \
            [main.module_path.rstrip("/").rsplit("/", 1)[-1]]
    return relative or [root.resolve().name]


def _safe_name(text: str) -> str:
    """A function name (NAME_PATTERN) made from a folder name."""
    name = _UNSAFE.sub("-", text).lstrip("._-")[:64].rstrip(".") or "function"
    return name if NAME_PATTERN.fullmatch(name) else "function"


def render(discovery: Discovery, architectures: tuple[str, ...]) -> str:
    """The text of a new gobuild.toml for what discover() found."""
    arch_list = ", ".join(f'"{a}"' for a in architectures)
    lines = [
        "# gobuild manifest: run `gobuild init --example` for every key.",
        f'out_dir = "{DEFAULT_OUT_DIR}"',
        "",
        "[defaults]",
        f"architectures = [{arch_list}]",
        'tags = ["lambda.norpc"]',
        'ldflags = "-s -w"',
    ]
    module_dirs = {f.module_dir for f in discovery.found}
    shared = module_dirs.pop() if len(module_dirs) == 1 else None
    if shared not in (None, "."):
        lines.append(f"module_dir = {_toml_string(shared or '.')}")
    for item in discovery.found:
        lines += ["", "[[function]]", f"name = {_toml_string(item.name)}", f"package = {_toml_string(item.package)}"]
        if shared is None:
            lines.append(f"module_dir = {_toml_string(item.module_dir)}")
        if item.cgo:
            lines.append("cgo = true  # C code compiled by zig against glibc 2.34 (gobuild's cgo extra)")
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    """A TOML basic string: quotes and backslashes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
