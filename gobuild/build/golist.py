"""`go list -deps -e` for one group of targets: each target's build inputs, or Go's own error
messages for the targets it cannot load, and which files left out of the build need cgo.

With -e, go list reports a package it cannot load (an import no module provides, a missing
go.sum entry, a module the proxy refuses, a missing folder) in that package's Error field and
in the DepsErrors of every package that imports it, so each target fails with exactly the
messages that concern it while the others of its group still build. Its stdout is parsed and
its stderr (`go: downloading ...`) kept apart.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gobuild import gosource
from gobuild.build.fingerprint import Inputs
from gobuild.build.gotool import GoTool
from gobuild.build.processes import Completed
from gobuild.errors import BuildError
from gobuild.plan import BuildSettings, Target

_LIST_FIELDS = ("ImportPath,Dir,GoFiles,SFiles,EmbedPatterns,EmbedFiles,SysoFiles,IgnoredGoFiles,"
                "IgnoredOtherFiles,InvalidGoFiles,Standard,Module,Deps,Error,DepsErrors,"
                "CgoFiles,CFiles,CXXFiles,MFiles,HFiles,FFiles,SwigFiles,SwigCXXFiles")
_SOURCE_LISTS = ("GoFiles", "SFiles", "EmbedFiles", "SysoFiles")
# What a cgo build compiles besides Go: inputs of cgo targets only (CGO_ENABLED=0 lists them
# nowhere, but for header files, so static fingerprints keep their value).
_CGO_LISTS = ("CgoFiles", "CFiles", "CXXFiles", "MFiles", "HFiles", "FFiles", "SwigFiles", "SwigCXXFiles")
_IGNORED_LISTS = ("IgnoredGoFiles", "IgnoredOtherFiles")
_GLOB = re.compile(r"[*?[\\]")
MAX_REPLAYED_JSON = 4096  # a failed go list's stdout is shown when it is this short
_DOWNLOADING = re.compile(r"^go: (downloading|finding|extracting) ")
_POSITION = re.compile(r"^[^\s:]+\.go:\d+(?::\d+)?: ")  # file.go:line:col: as Go prefixes an error


class Listing:
    """What go list said about a group: inputs of the targets it could load, errors of the others."""

    def __init__(self, inputs: Mapping[Target, Inputs], errors: Mapping[Target, str],
                 closures: Mapping[Target, Sequence[dict[str, Any]]]) -> None:
        self.inputs = dict(inputs)
        self.errors = dict(errors)
        self.closures = dict(closures)

    def cgo_files(self, target: Target) -> list[str]:
        """Files of the target's packages that build constraints left out and that import "C":
        with CGO_ENABLED=0 they are not compiled, so what they declare is missing."""
        candidates = [os.path.join(p["Dir"], name) for p in self.closures.get(target, ())
                      if p.get("Dir") and not p.get("Standard") for name in p.get("IgnoredGoFiles") or []]
        return cgo_files(candidates)


def cgo_files(paths: Iterable[str]) -> list[str]:
    """The files among `paths` that import "C"."""
    found: list[str] = []
    for path in paths:
        source = gosource.read_go_file(path) if path.endswith(".go") else None
        if source is not None and source.uses_cgo:
            found.append(path)
    return found


def cgo_hint(files: Sequence[str], module_dir: Path) -> str | None:
    """One line naming why a target that needs cgo cannot build, or None."""
    if not files:
        return None
    shown = [os.path.relpath(f, module_dir) for f in files[:3]]
    more = f" and {len(files) - 3} more" if len(files) > 3 else ""
    verb = "imports" if len(files) == 1 else "import"
    return (f"this function needs cgo: {', '.join(shown)}{more} {verb} \"C\", which a static build "
            "(CGO_ENABLED=0) leaves out; set `cgo = true` for it in gobuild.toml to compile the C code with "
            "zig against provided.al2023's glibc 2.34 (gobuild's cgo extra), or use a pure-Go "
            "replacement for that code")


def go_sum_hint(output: str, module_dir: Path) -> str | None:
    """One line for a target go list failed because go.sum lacks entries, or None: Go's own
    "to add" lines name one package each, where `go mod tidy` adds every missing entry."""
    if "missing go.sum entry" not in output:
        return None
    return (f"go.sum lacks entries for modules this function needs: run `go mod tidy` in {module_dir}, "
            "then commit go.sum")


def list_inputs(go: GoTool, settings: BuildSettings, targets: Iterable[Target]) -> Listing:
    """Runs `go list -deps -e` once for a group of targets and splits the result per target.
    A BuildError (Go's output attached) only when go list itself fails for the whole group."""
    targets = tuple(targets)
    argv = [go.path, "list", "-deps", "-e", f"-json={_LIST_FIELDS}"]
    if settings.tags:
        argv.append("-tags=" + ",".join(settings.tags))
    argv += [t.function.package for t in targets]
    done = go.run(argv, cwd=settings.module_dir, env=go.env_for(settings))
    if done.returncode != 0:
        shown = done.replay() if len(done.stdout) <= MAX_REPLAYED_JSON else \
            done.replay(stdout=False) + f"({len(done.stdout)} bytes of go list output on stdout not shown)\n"
        raise BuildError("go list failed while reading build inputs", output=shown)
    try:
        packages = {p["ImportPath"]: p for p in _json_stream(done.stdout)}
    except (ValueError, KeyError, TypeError):
        raise BuildError("go list printed output gobuild cannot read", output=done.replay()) from None
    by_dir = {os.path.realpath(p["Dir"]): p for p in packages.values() if p.get("Dir") and not p.get("Standard")}
    module_files = _module_files(settings)
    inputs: dict[Target, Inputs] = {}
    errors: dict[Target, str] = {}
    closures: dict[Target, list[dict[str, Any]]] = {}
    for target in targets:
        main = by_dir.get(os.path.realpath(settings.module_dir / target.function.package))
        main = main or packages.get(target.function.package)  # a folder that does not exist
        if main is None:
            errors[target] = _failure(done, target, [f"go list did not report {target.function.package}"])
            continue
        closures[target] = [packages[p] for p in [main["ImportPath"], *(main.get("Deps") or [])] if p in packages]
        messages = errors_of(main, closures[target])
        if messages:
            errors[target] = _failure(done, target, messages)
        else:
            inputs[target] = _inputs_of(main, packages, module_files, cgo=settings.cgo is not None)
    return Listing(inputs, errors, closures)


def errors_of(main: dict[str, Any], closure: Sequence[dict[str, Any]]) -> list[str]:
    """Go's messages for a target, as `go build` prints them: position, then the error; an error
    that several imports give is said once, with a count of the others."""
    found = [main["Error"]] if main.get("Error") else []
    found += main.get("DepsErrors") or []
    if not found:  # a package with an error that DepsErrors did not carry
        found = [p["Error"] for p in closure if p.get("Error")]
    found += [{"Err": f"{p['ImportPath']}: go list reported no folder"} for p in closure
              if not p.get("Dir") and not p.get("Error") and not p.get("Standard")]
    messages: list[str] = []
    repeats: dict[str, int] = {}  # an error's text → how many more positions gave it
    for error in found:
        text = str(error.get("Err", "")).rstrip() if isinstance(error, dict) else str(error)
        position = error.get("Pos") if isinstance(error, dict) else ""
        line = f"{position}: {text}" if position and not text.startswith(str(position)) else text
        if not line or line in messages:
            continue
        # One module the proxy refuses fails every import of it: say it once, then count.
        said = _text_of(line)
        if said in repeats:
            repeats[said] += 1
            continue
        repeats[said] = 0
        messages.append(line)
    return [_with_repeats(line, repeats.get(_text_of(line), 0)) for line in messages]


def _text_of(line: str) -> str:
    """The error of a `position: error` line."""
    match = _POSITION.match(line)
    return line[match.end():] if match else line


def _with_repeats(line: str, more: int) -> str:
    if not more:
        return line
    return f"{line}\n(the same error at {more} more import{'s' if more != 1 else ''})"


def _failure(done: Completed, target: Target, messages: list[str]) -> str:
    """The output shown for a target go list could not load: the command that shows it for
    this target alone, Go's messages, and what else go said on stderr (download progress left out)."""
    tags = [a for a in done.argv if a.startswith("-tags=")]
    command = shlex.join([*done.argv[:4], *tags, target.function.package])
    said = [line for line in done.stderr.splitlines() if line.strip() and not _DOWNLOADING.match(line)]
    return "\n".join([f"$ {command}", *messages, *said]) + "\n"


def _inputs_of(main: dict[str, Any], packages: dict[str, Any], module_files: list[tuple[str, str]], *,
               cgo: bool) -> Inputs:
    files = list(module_files)
    lists = (*_SOURCE_LISTS, *_CGO_LISTS) if cgo else _SOURCE_LISTS
    dirs: list[str] = []
    excluded: list[str] = []
    trees: list[str] = []
    modules: set[str] = set()
    for path in [main["ImportPath"], *main.get("Deps", [])]:
        package = packages.get(path)
        if package is None or package.get("Standard"):
            continue
        module = package.get("Module") or {}
        replace = module.get("Replace") or {}
        version = replace.get("Version") or (module.get("Version") if not replace else "")
        if version:
            modules.add(f"{replace.get('Path') or module.get('Path')}@{version}")
            if module.get("Dir"):
                continue  # an immutable module version from the module cache: its identity is enough
        # A versioned module without a Dir is read from vendor/, where its files can be edited.
        root = package["Dir"] if version else replace.get("Dir") or module.get("Dir") or package["Dir"]
        prefix = f"vendor/{package['ImportPath']}" if version else module.get("Path", "")
        if replace.get("Dir") and os.path.isfile(os.path.join(root, "go.mod")):
            # A local replacement's requirements take part in choosing module versions.
            files.append((os.path.join(root, "go.mod"), f"{prefix}/go.mod"))
        dirs.append(package["Dir"])
        for field in lists:
            for name in package.get(field) or []:
                absolute = os.path.join(package["Dir"], name)
                files.append((absolute, f"{prefix}/{os.path.relpath(absolute, root)}"))
        trees += _embedded_folders(package)
        excluded += [os.path.join(package["Dir"], n) for f in _IGNORED_LISTS for n in package.get(f) or []]
    return Inputs(files=tuple(sorted(set(files))), dirs=tuple(sorted(set(dirs))), modules=tuple(sorted(modules)),
                  excluded=tuple(sorted(set(excluded))), trees=tuple(sorted(set(trees))))


def _embedded_folders(package: dict[str, Any]) -> list[str]:
    """The folders below the package's own that //go:embed reaches: the folder each pattern
    starts from (its path up to the first glob character: `static/*.html` → static) and the
    top folder of each embedded file. A file added anywhere in them can change what is embedded."""
    directory = package["Dir"]
    folders = {name.split("/", 1)[0] for name in package.get("EmbedFiles") or [] if "/" in name}
    for pattern in package.get("EmbedPatterns") or []:
        pattern = pattern.removeprefix("all:")
        match = _GLOB.search(pattern)
        folders.add(pattern if match is None else os.path.dirname(pattern[:match.start()]))
    paths = (os.path.normpath(os.path.join(directory, f)) for f in folders if f)
    return [p for p in paths if p != os.path.normpath(directory) and os.path.isdir(p)]


def _module_files(settings: BuildSettings) -> list[tuple[str, str]]:
    """go.mod, go.sum and vendor/modules.txt; in a workspace also go.work, go.work.sum and
    every used module's go.mod and go.sum: together they choose the module versions."""
    module_dir = settings.module_dir
    names = ("go.mod", "go.sum", "vendor/modules.txt")
    found = [(str(module_dir / n), f"./{n}") for n in names if (module_dir / n).is_file()]
    if settings.workfile is not None:
        work = settings.workfile
        candidates = [work, work.with_name("go.work.sum")]
        for used in gosource.workspace_modules(work):
            candidates += [used / "go.mod", used / "go.sum"]
        for path in candidates:
            key = os.path.relpath(path, module_dir).replace(os.sep, "/")
            if path.is_file() and (str(path), f"./{key}") not in found:
                found.append((str(path), f"./{key}"))
    return found


def _json_stream(text: str) -> Iterable[dict[str, Any]]:
    decoder = json.JSONDecoder()
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return
        value, index = decoder.raw_decode(text, index)
        yield value
