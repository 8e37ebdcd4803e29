"""What changed in the code of two Go binaries whose bytes differ, in the order that explains most:
only the build IDs; only line numbers; only data (string values: -X, constants); else the Go
packages whose code changed, ranked, with their top functions and sizes, and the function
inlined into several of them when that is the likelier cause.
"""

from __future__ import annotations

from gobuild.check.buildinfo import BuildInfo
from gobuild.diff.gosym import (
    BinaryDiff,
    FunctionDiff,
    GoBinary,
    PackageDiff,
    changed_strings,
    is_standard_library,
    package_of,
)
from gobuild.diff.model import Difference
from gobuild.lines import plural

MAX_PACKAGES = 5  # packages explained one by one; the rest are counted
MAX_FUNCTIONS = 10  # functions listed under a package
HEADLINE_FUNCTIONS = 3  # functions named in a package's one-line message
MAX_STRINGS = 5
DATA_SECTIONS = (".rodata", ".data", ".noptrdata", ".go.buildinfo")


def explain_code(old: GoBinary, new: GoBinary, result: BinaryDiff, *, old_info: BuildInfo,
                 new_info: BuildInfo, build_differs: bool) -> list[Difference]:
    """The code-level differences of two binaries whose build information has the same Go version."""
    if not result.functions:
        return _without_functions(old, new, result, build_differs=build_differs)
    found = [
        _package(package, first=index == 0 and not build_differs)
        for index, package in enumerate(result.packages[:MAX_PACKAGES])
    ]
    rest = result.packages[MAX_PACKAGES:]
    if rest:
        names = ", ".join(_package_name(p) for p in rest[:5]) + (", …" if len(rest) > 5 else "")
        count = sum(len(p.functions) for p in rest)
        found.append(Difference(level="code", kind="package", subject="",
                                message=f"code also changed in {plural(len(rest), 'more package')} "
                                        f"({plural(count, 'function')}: {names})"))
    cause = _inlined_cause(result, old_info, new_info)
    if cause is not None:
        found.append(cause)
    return found


def _without_functions(old: GoBinary, new: GoBinary, result: BinaryDiff, *, build_differs: bool) -> list[Difference]:
    if result.only_build_ids_differ:
        return [Difference(level="code", kind="build-ids", subject="",
                           message="same code and data: only the Go build IDs differ (the build's inputs changed "
                                   "without changing the output, e.g. unused code was added)")]
    sections = set(result.sections)
    if sections == {".gopclntab"}:
        moved = ", ".join(f"{count} in {package or '(no package)'}" for package, count in result.relined[:5])
        detail = f": functions start on other lines ({moved})" if moved else ""
        return [Difference(level="code", kind="line-numbers", subject="",
                           message=f"only line numbers moved, the code is unchanged{detail} "
                                   "(comments or blank lines edited)")]
    if build_differs and sections <= {".go.buildinfo"}:
        return []  # the build information itself is the difference, already explained
    strings = changed_strings(old, new)
    in_main = " in package main" if result.main_package_changed else ""
    if strings:
        return [
            Difference(level="code", kind="strings", subject="",
                       message=f"no code changed; string data did{in_main}: {_quote(a)} → {_quote(b)} "
                               "(an -X value or a string constant)", old=a, new=b)
            for a, b in strings[:MAX_STRINGS]
        ]
    data = [s for s in result.sections if s in DATA_SECTIONS] or list(result.sections)
    where = ", ".join(data) or "the build ID notes"
    return [Difference(level="code", kind="data", subject="",
                       message=f"no code changed; only data{in_main} ({where}): constants, strings or -X values")]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _package_name(package: PackageDiff) -> str:
    if package.package == "main" and package.directory:
        return f"main ({package.directory})"
    return package.package or "(no package)"


def _short(function: FunctionDiff) -> str:
    prefix = function.package + "."
    return function.name[len(prefix) :] if function.package and function.name.startswith(prefix) else function.name


def function_text(function: FunctionDiff) -> str:
    """"Count 57 → 69 bytes (+12)", "Total added (147 bytes)", "handler (1081 bytes, same size)"."""
    name = _short(function)
    if function.change == "added":
        return f"{name} added ({function.new_size} bytes)"
    if function.change == "removed":
        return f"{name} removed ({function.old_size} bytes)"
    if function.change == "size":
        return f"{name} {function.old_size} → {function.new_size} bytes ({function.delta:+d})"
    return f"{name} recoded ({function.new_size} bytes, same size)"


def _package(package: PackageDiff, *, first: bool) -> Difference:
    functions = package.functions
    shown = ", ".join(function_text(f) for f in functions[:HEADLINE_FUNCTIONS])
    more = f", and {len(functions) - HEADLINE_FUNCTIONS} more" if len(functions) > HEADLINE_FUNCTIONS else ""
    lead = "the code itself changed in package" if first else "code changed in package"
    details = tuple(function_text(f) for f in functions[:MAX_FUNCTIONS]) if more else ()
    if len(functions) > MAX_FUNCTIONS:
        details += (f"… {plural(len(functions) - MAX_FUNCTIONS, 'more function')}",)
    return Difference(level="code", kind="package", subject=package.package,
                      message=f"{lead} {_package_name(package)}: {shown}{more}", details=details)


def _inlined_cause(result: BinaryDiff, old_info: BuildInfo, new_info: BuildInfo) -> Difference | None:
    """The function of another package inlined into several changed ones, when it may have changed.

    Standard library functions and those of dependencies at the same version on both sides
    cannot have changed; a candidate must be inlined into two changed functions, or be the
    only candidate of a single changed function.
    """
    candidates = [
        (name, count) for name, count in result.inlined_elsewhere()
        if _may_have_changed(name, old_info, new_info)
    ]  # fmt: skip
    if not candidates:
        return None
    name, count = candidates[0]
    if count < 2 and not (len(result.functions) == 1 and len(candidates) == 1):
        return None
    functions = plural(count, "changed function")
    return Difference(level="code", kind="inlined", subject=name,
                      message=f"the change may come from {name}, which is inlined into {functions}")


def _may_have_changed(function: str, old_info: BuildInfo, new_info: BuildInfo) -> bool:
    package = package_of(function)
    if not package:
        return False
    main = old_info.main.path if old_info.main is not None else ""
    if package == "main" or (main and (package == main or package.startswith(main + "/"))):
        return True
    module = module_of(package, old_info)
    if module is None:
        return not is_standard_library(package)
    other = new_info.dep(module)
    return other is None or other != old_info.dep(module)


def module_of(package: str, info: BuildInfo) -> str | None:
    """The path of the dependency that provides `package` (the longest matching module path)."""
    best: str | None = None
    for module in info.deps:
        if (package == module.path or package.startswith(module.path + "/")) and (
            best is None or len(module.path) > len(best)
        ):
            best = module.path
    return best
