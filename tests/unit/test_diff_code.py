"""The code-level explanation from a function diff: the order NOTES.md recommends, ranked packages
with their top functions, and the inlined function that may be the cause (filtered)."""

from __future__ import annotations

from typing import cast

from gobuild.check.buildinfo import BuildInfo, parse_modinfo
from gobuild.diff.code import explain_code, function_text
from gobuild.diff.gosym import BinaryDiff, FunctionDiff, GoBinary, PackageDiff

INFO = parse_modinfo(
    "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n"
    "dep\texample.com/lib\tv1.0.0\th1:x=\ndep\texample.com/same\tv1.0.0\th1:y=\n",
    go_version="go1.26.8",
)
NEWER = parse_modinfo(
    "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n"
    "dep\texample.com/lib\tv1.1.0\th1:z=\ndep\texample.com/same\tv1.0.0\th1:y=\n",
    go_version="go1.26.8",
)
NO_BINARY = cast(GoBinary, None)  # explain_code reads the binaries only when no function changed
IDS = "a/b/c/d"


def changed(name: str, package: str, old: int, new: int, inlined: tuple[str, ...] = ()) -> FunctionDiff:
    change = "added" if old == 0 else "removed" if new == 0 else "size" if old != new else "code"
    return FunctionDiff(name=name, package=package, change=change, old_size=old, new_size=new,
                        file=f"{package}/x.go", inlined=inlined)


def result(*functions: FunctionDiff, sections: tuple[str, ...] = (".text",), new_ids: str = "a/b/c/e",
           relined: tuple[tuple[str, int], ...] = ()) -> BinaryDiff:
    packages: dict[str, list[FunctionDiff]] = {}
    for f in functions:
        packages.setdefault(f.package, []).append(f)
    ranked = sorted((PackageDiff(package=p, functions=tuple(sorted(fs, key=lambda c: -abs(c.delta))))
                     for p, fs in packages.items()), key=lambda p: (p.rank, p.package))
    return BinaryDiff(functions=functions, packages=tuple(ranked), same=10, moved=0, sections=sections,
                      old_build_id=IDS, new_build_id=new_ids, relined=relined)


def explain(found: BinaryDiff, *, build_differs: bool = False, new_info: BuildInfo = INFO) -> list[str]:
    return [d.message for d in explain_code(NO_BINARY, NO_BINARY, found, old_info=INFO, new_info=new_info,
                                            build_differs=build_differs)]


def test_function_text() -> None:
    assert function_text(changed("p.F", "p", 10, 14)) == "F 10 → 14 bytes (+4)"
    assert function_text(changed("p.(*T).M", "p", 10, 10)) == "(*T).M recoded (10 bytes, same size)"
    assert function_text(changed("p.G", "p", 0, 30)) == "G added (30 bytes)"
    assert function_text(changed("p.H", "p", 30, 0)) == "H removed (30 bytes)"


def test_the_code_itself_changed_only_when_build_information_is_equal() -> None:
    found = result(changed("example.com/app/a.F", "example.com/app/a", 10, 14))
    assert explain(found) == ["the code itself changed in package example.com/app/a: F 10 → 14 bytes (+4)"]
    assert explain(found, build_differs=True) == ["code changed in package example.com/app/a: F 10 → 14 bytes (+4)"]


def test_packages_are_ranked_and_the_rest_counted() -> None:
    functions = [changed(f"example.com/app/p{i}.F", f"example.com/app/p{i}", 10, 10) for i in range(7)]
    functions.append(changed("example.com/app/p9.G", "example.com/app/p9", 0, 40))
    messages = explain(result(*functions))
    assert messages[0] == "the code itself changed in package example.com/app/p9: G added (40 bytes)"
    assert len(messages) == 6
    assert messages[-1] == ("code also changed in 3 more packages (3 functions: example.com/app/p4, "
                            "example.com/app/p5, example.com/app/p6)")


def test_a_long_list_of_functions_goes_to_the_details() -> None:
    functions = [changed(f"example.com/app/a.F{i}", "example.com/app/a", 10, 10 + i) for i in range(1, 13)]
    (only,) = explain_code(NO_BINARY, NO_BINARY, result(*functions), old_info=INFO, new_info=INFO,
                           build_differs=False)
    assert only.message.endswith("F12 10 → 22 bytes (+12), F11 10 → 21 bytes (+11), F10 10 → 20 bytes (+10), "
                                 "and 9 more")
    assert len(only.details) == 11 and only.details[-1] == "… 2 more functions"


def test_an_inlined_function_of_a_changed_dependency_is_named() -> None:
    inlined = ("example.com/lib.Clamp", "strings.ToUpper", "example.com/same.Helper")
    found = result(changed("example.com/app/a.F", "example.com/app/a", 10, 10, inlined),
                   changed("main.main", "main", 20, 20, inlined))
    assert explain(found, new_info=NEWER)[-1] == (
        "the change may come from example.com/lib.Clamp, which is inlined into 2 changed functions"
    )
    # With the dependency unchanged no candidate is left: standard library and same versions cannot change.
    assert not any("may come from" in m for m in explain(found, new_info=INFO))


def test_without_changed_functions() -> None:
    assert explain(result(sections=(), new_ids="x/y/z/d")) == [
        "same code and data: only the Go build IDs differ (the build's inputs changed without changing the "
        "output, e.g. unused code was added)"
    ]
    lines_only = result(sections=(".gopclntab",), relined=(("example.com/app/a", 4),))
    assert explain(lines_only) == [
        "only line numbers moved, the code is unchanged: functions start on other lines (4 in example.com/app/a) "
        "(comments or blank lines edited)"
    ]
    assert explain(result(sections=(".go.buildinfo",)), build_differs=True) == []
