"""The package layout holds: no import cycle, and no lower stage importing a higher one.

Every `import` in gobuild/ counts, also those inside functions and under TYPE_CHECKING: a lazy
import is still a dependency. The layers, lowest first, are the ones README's developer section
describes; a new module joins one of them here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "gobuild"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("gobuild.errors", "gobuild.lambda_facts", "gobuild.files", "gobuild.lines", "gobuild.report",
     "gobuild.gosource", "gobuild.zippaths", "gobuild.cgo"),
    ("gobuild.manifest", "gobuild.tomlread", "gobuild.s3", "gobuild.check", "gobuild.noop"),
    ("gobuild.plan", "gobuild.discover"),
    ("gobuild.build",),
    ("gobuild.invoke", "gobuild.publish", "gobuild.migrate", "gobuild.repack", "gobuild.deploy", "gobuild.diff",
     "gobuild.locals3"),
    ("gobuild.cli",),
    ("gobuild.main", "gobuild.__main__"),
)
MAX_LINES = 450


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def imports_of(path: Path, name: str) -> set[str]:
    """The gobuild modules a file imports, resolved to module names (a package's names count
    as the package module when they are not submodules)."""
    known = modules()
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("gobuild"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                prefix = package.split(".")
                prefix = prefix[: len(prefix) - node.level + 1]
                base = ".".join([*prefix, base] if base else prefix)
            if not base.startswith("gobuild"):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    return {m for m in found if m != name}


def layer_of(module: str) -> int:
    for index, members in enumerate(LAYERS):
        if any(module == m or module.startswith(m + ".") for m in members):
            return index
    if module == "gobuild":
        return 0  # the package itself: its version
    raise AssertionError(f"{module} is in no layer of tests/unit/test_layers.py: add it to one")


def graph() -> dict[str, set[str]]:
    return {name: imports_of(path, name) for name, path in modules().items()}


def test_every_module_has_a_layer() -> None:
    for name in modules():
        layer_of(name)


def test_no_module_imports_a_higher_layer() -> None:
    upward = [f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})"
              for a, targets in graph().items() for b in sorted(targets) if layer_of(b) > layer_of(a)]
    assert upward == []


def test_the_imports_have_no_cycle() -> None:
    edges = graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []
    cycles: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target):], target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert cycles == []


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_too_big_to_hold_in_your_head(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines; split it at a natural seam"
