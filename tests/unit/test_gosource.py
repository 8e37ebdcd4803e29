"""Reading Go files without go: build constraints, package clauses, imports, go.work."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gobuild import gosource

HEADER = '''// Copyright 2024 Example.
// SPDX-License-Identifier: Apache-2.0

//go:build linux && (amd64 || arm64)

/* Package main is a function.
import "not/an/import" */
package main

import (
	"fmt" // formatting
	l "github.com/aws/aws-lambda-go/lambda"
	_ "embed"
)
import "C"

var text = `import "also/not"`

func main() { fmt.Println(text); l.Start(nil) }
'''


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def test_header_gives_package_imports_and_constraint(tmp_path: Path) -> None:
    source = gosource.read_go_file(write(tmp_path, "main.go", HEADER))
    assert source is not None
    assert source.package == "main"
    assert source.imports == ("fmt", "github.com/aws/aws-lambda-go/lambda", "embed", "C")
    assert source.constraint == "linux && (amd64 || arm64)"
    assert source.declares_main and source.uses_cgo
    assert gosource.imports_lambda(source.imports)


@pytest.mark.parametrize(("constraint", "expected"), [
    ("ignore", False),
    ("linux", True),
    ("!linux", False),
    ("windows || darwin", False),
    ("linux && !cgo", True),
    ("cgo", False),
    ("go1.21 && unix", True),
    ("lambda.norpc", True),
    ("!lambda.norpc", False),
    ("integration", False),
    ("(linux && (arm64 || amd64)) || windows", True),
    ("linux && (", True),  # unreadable: Go decides
])
def test_build_constraints_are_evaluated_for_lambda(tmp_path: Path, constraint: str, expected: bool) -> None:
    source = gosource.read_go_file(write(tmp_path, "a.go", f"//go:build {constraint}\n\npackage main\n"))
    assert source is not None
    assert gosource.satisfied(source, ["lambda.norpc"]) is expected


def test_old_plus_build_lines_and_file_names_count(tmp_path: Path) -> None:
    old = gosource.read_go_file(write(tmp_path, "old.go", "// +build !linux,!darwin\n\npackage main\n"))
    assert old is not None and not gosource.satisfied(old, [])
    for name, expected in [("x_windows.go", False), ("x_linux.go", True), ("x_linux_arm64.go", False),
                           ("x_arm64.go", False), ("x_amd64.go", True), ("x_other.go", True)]:
        source = gosource.read_go_file(write(tmp_path, name, "package main\n"))
        assert source is not None and gosource.satisfied(source, [], goarch="amd64") is expected, name


def test_package_files_skips_what_go_skips(tmp_path: Path) -> None:
    write(tmp_path, "main.go", "package main\n\nfunc main() {}\n")
    write(tmp_path, "main_test.go", "package main\n")
    write(tmp_path, "gen.go", "//go:build ignore\n\npackage main\n")
    write(tmp_path, "_draft.go", "package main\n")
    write(tmp_path, "only_windows.go", "package main\n")
    os.symlink("nobody@host.1:2", tmp_path / ".#main.go")  # an editor's lock file
    os.symlink("gone.go", tmp_path / "dangling.go")
    names = [os.path.basename(f.path) for f in gosource.package_files(tmp_path, None)]
    assert names == ["main.go"]
    # With tags=None, a custom tag may be set; with explicit tags it must be among them.
    write(tmp_path, "tagged.go", "//go:build mytag\n\npackage main\n")
    assert len(gosource.package_files(tmp_path, None)) == 2
    assert len(gosource.package_files(tmp_path, ["lambda.norpc"])) == 1


def test_a_deeply_nested_constraint_does_not_recurse_without_bound(tmp_path: Path) -> None:
    deep = "(" * 5000 + "linux" + ")" * 5000
    source = gosource.read_go_file(write(tmp_path, "a.go", f"//go:build {deep}\n\npackage main\n"))
    assert source is not None and gosource.satisfied(source, []) is True


def test_workspace_uses_and_where_a_go_work_counts(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "go.mod").write_text(f"module example.com/{name}\n")
    (tmp_path / "go.work").write_text('go 1.26\n\nuse ./a\nuse (\n\t./b // the second\n\t"./missing"\n)\n')
    assert gosource.workspace_modules(tmp_path / "go.work") == [(tmp_path / "a").resolve(), (tmp_path / "b").resolve()]
    module = tmp_path / "a"
    assert gosource.find_workspace(module, tmp_path) == tmp_path / "go.work"
    assert gosource.find_workspace(module, module) is None  # above the manifest's folder: not the project's
    assert gosource.workspace_folders(module, tmp_path) == [module, tmp_path]
