"""The two fast paths of an incremental build, seen through the go commands gobuild runs:

- a no-op answered from the record of the last build (only `go env GOVERSION` runs), with
  exactly the full build's output, and a fall back to the full build on any change;
- a body-only edit compiled without `go list`, while a change to imports, build constraints
  or file lists still asks go list, so the inputs stay exactly what Go reads.
"""

from __future__ import annotations

import os
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from tests.integration.fixtures_build import go_shim, gobuild
from tests.integration.test_incremental import ALL, rebuilt, snapshot


def run(project: Path, env: dict[str, str], *args: str) -> str:
    proc = gobuild("build", "-C", str(project), *args, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def calls(log: Path) -> list[str]:
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


def full_build_ran(lines: list[str]) -> bool:
    return any(line.startswith("env -json") for line in lines)


def age(path: Path) -> None:
    """Moves a just-edited file's mtime out of the window in which stat is not trusted."""
    past = time.time() - 60
    os.utime(path, (past, past))


def test_a_second_no_op_is_answered_from_the_record(project: Path, tmp_path: Path) -> None:
    env, log = go_shim(tmp_path)
    run(project, env)  # the copy's first build: the record names other paths, so a full build
    assert full_build_ran(calls(log))
    full = run(project, {**env, "GOBUILD_NOOP": "0"})
    assert full_build_ran(calls(log))
    before = snapshot(project)
    log_file = (project / "dist/gobuild.log").read_bytes()
    fast = run(project, env)
    assert calls(log) == [f"-C {project} env GOVERSION"]  # no go list, no go build
    assert fast == full and "5 up to date" in fast
    assert snapshot(project) == before
    assert (project / "dist/gobuild.log").read_bytes() == log_file  # not even the log is written
    quiet = run(project, env, "-q")
    assert quiet == "" and not full_build_ran(calls(log))


def change_body(project: Path) -> None:
    main = project / "cmd/orders-lambda/main.go"
    main.write_text(main.read_text().replace('"orders", 5', '"orders", 6'))


def add_file(project: Path) -> None:
    (project / "cmd/payments-lambda/extra.go").write_text("package main\n\nconst extra = 1\n")


def edit_manifest(project: Path) -> None:
    manifest = project / "gobuild.toml"
    manifest.write_text(manifest.read_text() + "\n# a comment\n")


def damage_zip(project: Path) -> None:
    path = project / "dist/inventory-arm64.zip"
    path.write_bytes(path.read_bytes()[:-10] + b"corrupted!")


@pytest.mark.parametrize("change, rebuilt_zips", [
    (change_body, {"orders-amd64.zip", "orders-arm64.zip"}),
    (add_file, {"payments-arm64.zip"}),
    (edit_manifest, set()),
    (damage_zip, {"inventory-arm64.zip"}),
])
def test_any_change_falls_back_to_the_full_build(project: Path, tmp_path: Path, change, rebuilt_zips) -> None:
    env, log = go_shim(tmp_path)
    run(project, env)
    calls(log)
    before = snapshot(project)
    change(project)
    output = run(project, env)
    assert full_build_ran(calls(log))
    assert set(rebuilt(before, snapshot(project))) == rebuilt_zips
    assert f"{len(rebuilt_zips)} built" in output or not rebuilt_zips


def test_an_environment_change_or_another_selection_falls_back(project: Path, tmp_path: Path) -> None:
    env, log = go_shim(tmp_path)
    run(project, env)
    calls(log)
    output = run(project, {**env, "GOFLAGS": "-race"})
    assert full_build_ran(calls(log)) and "GOFLAGS from the environment is ignored" in output
    # The same variable again: answered from the record, warning included.
    assert run(project, {**env, "GOFLAGS": "-race"}) == output and not full_build_ran(calls(log))
    run(project, env, "--only", "orders")
    assert full_build_ran(calls(log))
    run(project, env, "--only", "orders")
    assert not full_build_ran(calls(log))


def test_a_different_go_version_falls_back(project: Path, tmp_path: Path) -> None:
    env, log = go_shim(tmp_path)
    run(project, env)
    calls(log)
    # A go that reports another version (as after an upgrade) must not be answered from the record.
    real = shutil.which("go")
    fake = tmp_path / "go-upgraded"
    fake.write_text(f'#!/bin/sh\nif [ "$3" = env ] && [ "$4" = GOVERSION ]; then echo go9.99.0; exit 0; fi\n'
                    f'echo "$*" >> "{log}"\nexec "{real}" "$@"\n')
    fake.chmod(0o755)
    run(project, {**env, "GOBUILD_GO": str(fake)})
    assert full_build_ran(calls(log))


def test_a_body_edit_compiles_without_go_list(project: Path, tmp_path: Path) -> None:
    env, log = go_shim(tmp_path)
    run(project, env)
    calls(log)
    before = snapshot(project)
    change_body(project)
    run(project, env)
    lines = calls(log)
    assert not any(line.startswith("list") for line in lines)
    assert rebuilt(before, snapshot(project)) == {"orders-amd64.zip", "orders-arm64.zip"}
    # The shared package's body: every importer, still without go list.
    shared = project / "internal/shop/shop.go"
    shared.write_text(shared.read_text().replace('item = "nothing"', 'item = "nothing at all"'))
    before = snapshot(project)
    run(project, env)
    assert not any(line.startswith("list") for line in calls(log))
    assert rebuilt(before, snapshot(project)) == ALL - {"healthcheck-arm64.zip"}


def test_an_import_change_asks_go_list_again(project: Path, tmp_path: Path) -> None:
    env, log = go_shim(tmp_path)
    run(project, env)
    calls(log)
    main = project / "cmd/healthcheck/main.go"
    main.write_text(main.read_text().replace('import (\n', 'import (\n\t_ "net/url"\n', 1))
    run(project, env)
    assert any(line.startswith("list") for line in calls(log))


def bootstrap(project: Path, name: str) -> bytes:
    with zipfile.ZipFile(project / "dist" / name) as archive:
        return archive.read("bootstrap")


def test_a_file_let_in_by_its_build_constraint_is_compiled(project: Path, tmp_path: Path) -> None:
    env, log = go_shim(tmp_path)
    extra = project / "cmd/healthcheck/extra.go"
    extra.write_text('//go:build ignore\n\npackage main\n\nfunc init() { println("extra init ran") }\n')
    age(extra)
    run(project, env)
    assert b"extra init ran" not in bootstrap(project, "healthcheck-arm64.zip")
    extra.write_text(extra.read_text().replace("//go:build ignore\n\n", ""))  # same file names, new header
    run(project, env)
    assert any(line.startswith("list") for line in calls(log))
    assert b"extra init ran" in bootstrap(project, "healthcheck-arm64.zip")


def test_a_file_added_to_an_embedded_folder_is_embedded(project: Path, tmp_path: Path) -> None:
    env, log = go_shim(tmp_path)
    static = project / "cmd/healthcheck/static"
    static.mkdir()
    (static / "a.txt").write_text("first embedded file\n")
    (project / "cmd/healthcheck/embed.go").write_text(
        'package main\n\nimport "embed"\n\n//go:embed static\nvar static embed.FS\n\n'
        'func init() { _, _ = static.ReadDir("static") }\n')
    run(project, env)
    assert b"first embedded file" in bootstrap(project, "healthcheck-arm64.zip")
    (static / "b.txt").write_text("second embedded file\n")
    run(project, env)
    assert b"second embedded file" in bootstrap(project, "healthcheck-arm64.zip")
    (static / "sub").mkdir()
    (static / "sub/c.txt").write_text("file in a new folder\n")
    run(project, env)
    assert b"file in a new folder" in bootstrap(project, "healthcheck-arm64.zip")
    for path in [*static.rglob("*"), static, project / "cmd/healthcheck/embed.go", project / "cmd/healthcheck"]:
        age(path)
    run(project, env)  # records, now that no file is too new to trust
    calls(log)
    run(project, env)
    assert not full_build_ran(calls(log))  # answered from the record...
    (static / "sub/d.txt").write_text("one more\n")
    run(project, env)  # ...until a file appears in a folder below the embedded one
    assert full_build_ran(calls(log))
    assert b"one more" in bootstrap(project, "healthcheck-arm64.zip")
