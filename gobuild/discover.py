"""`gobuild init`: find the main packages under ./cmd/ and write a manifest for them.

Function names are the folder names as they are: `cmd/orders-lambda` gives `orders-lambda`
(the `-lambda` suffix is kept, so the name matches the binary teams already deploy).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gobuild.errors import ManifestError, UsageError
from gobuild.lambda_facts import DEFAULT_OUT_DIR
from gobuild.manifest import NAME_PATTERN, go_package_names


@dataclass(frozen=True, kw_only=True)
class Found:
    """A main package found under cmd/."""

    name: str
    package: str


def discover(module_dir: Path) -> tuple[Found, ...]:
    """Every folder below module_dir/cmd that holds a `package main`, sorted by name."""
    if not (module_dir / "go.mod").is_file():
        raise UsageError(f"{module_dir}: no go.mod here", hint="run gobuild init in the module folder, or pass -C")
    cmd = module_dir / "cmd"
    found = []
    for directory in sorted(p for p in cmd.rglob("*") if p.is_dir()) if cmd.is_dir() else []:
        if "main" in go_package_names(directory):
            found.append(Found(name=directory.name, package="./" + directory.relative_to(module_dir).as_posix()))
    if not found:
        raise UsageError(f"{cmd}: no main packages found", hint="put each function in cmd/<name>/main.go")
    names = [f.name for f in found]
    for item in found:
        if names.count(item.name) > 1 or not NAME_PATTERN.fullmatch(item.name):
            raise ManifestError(f"{item.package}: folder name {item.name!r} cannot name a function uniquely",
                                hint="write gobuild.toml by hand for this layout")
    return tuple(found)


def render(found: tuple[Found, ...], architectures: tuple[str, ...]) -> str:
    """The text of a new gobuild.toml for the found packages."""
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
    for item in found:
        lines += ["", "[[function]]", f'name = "{item.name}"', f'package = "{item.package}"']
    return "\n".join(lines) + "\n"
