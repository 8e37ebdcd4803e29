"""Hostile inputs: YAML alias bombs, nesting too deep for the recursive parsers, files that are
not regular files, files over the size limit. Each is refused with exit 2 naming file and line,
before the expensive or recursive step runs."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

from gobuild.errors import EXIT_BAD_INPUT, GobuildError
from gobuild.migrate import MigrateOptions, migrate
from gobuild.migrate.inputs import MAX_FILE_SIZE
from gobuild.migrate.limits import MAX_ALIAS_NODES, MAX_DEPTH

LAUGHS = "".join(
    f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
    for previous, name in zip("abcdefgh", "bcdefghi")
)
BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + LAUGHS
    + "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: go1.x, Handler: *i}\n"
)
SAM_HEAD = "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: go1.x\n"


def refused(path: Path, **kwargs: object) -> GobuildError:
    with pytest.raises(GobuildError) as raised:
        migrate([path], MigrateOptions(**kwargs))  # type: ignore[arg-type]
    assert raised.value.exit_code == EXIT_BAD_INPUT
    return raised.value


def test_a_yaml_alias_bomb_is_refused_at_the_line_that_would_explode(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(BOMB)
    assert len(BOMB.splitlines()) == 13  # the 13-line file of the report: 9**9 nodes

    tracemalloc.start()
    error = refused(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert error.message == f"{path}:6: YAML its aliases expand to more than {MAX_ALIAS_NODES:,} nodes"
    assert peak < 100 * 1024 * 1024


def test_aliases_a_real_file_uses_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "serverless.yml"
    path.write_text(
        "service: s\nprovider:\n  name: aws\n  runtime: go1.x\ncustom:\n  env: &env {A: '1', B: '2'}\n"
        "functions:\n  a:\n    handler: bin/a\n    environment: *env\n  b:\n    handler: bin/b\n"
        "    environment:\n      <<: *env\n      C: '3'\n"
    )
    assert migrate([path], MigrateOptions()).changed


@pytest.mark.parametrize(
    ("name", "text", "line", "what"),
    [
        ("deep.yaml", SAM_HEAD + "      Tags: " + "[" * 3000 + "]" * 3000 + "\n", 6, "YAML"),
        ("block.yaml", SAM_HEAD + "      Tags:\n" + "".join(f"{' ' * (8 + i)}- \n" for i in range(150)), 7, "YAML"),
        ("deep.json", '{"Resources": {"AWS::Lambda::Function": ' + "[" * 3000 + "]" * 3000 + "}}", 1, "JSON"),
    ],
)
def test_nesting_deeper_than_the_limit_is_refused_not_a_recursion_error(
    name: str, text: str, line: int, what: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    path.write_text(text)
    error = refused(path)
    assert error.message.startswith(f"{path}:")
    assert f": {what} nested more than {MAX_DEPTH} levels deep" in error.message
    assert error.message.split(":")[1].isdigit()


def test_a_deep_gobuild_toml_is_refused_before_tomllib_reads_it(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.22\n")
    (tmp_path / "cmd" / "fn").mkdir(parents=True)
    (tmp_path / "cmd" / "fn" / "main.go").write_text("package main\n\nfunc main() {}\n")
    (tmp_path / "gobuild.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    template = tmp_path / "template.yaml"
    template.write_text(SAM_HEAD + "      Handler: fn\n      CodeUri: cmd/fn/\n")

    error = refused(template, build="gobuild")
    assert error.message == f"{tmp_path / 'gobuild.toml'}:1: TOML nested more than {MAX_DEPTH} levels deep"


def test_a_fifo_is_refused_without_being_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "template.yaml"
    os.mkfifo(fifo)  # opening it for reading would block forever: the test finishing proves it was not
    error = refused(fifo)
    assert error.message == f"{fifo}: not a regular file or a folder; it was not read"
    assert not migrate([tmp_path], MigrateOptions()).changed  # a walk skips it


def test_a_device_is_refused(tmp_path: Path) -> None:
    error = refused(Path("/dev/zero"))
    assert error.message == "/dev/zero: not a regular file or a folder; it was not read"


def test_a_file_over_the_size_limit_is_refused_by_name_and_skipped_by_a_walk(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(SAM_HEAD + "#" * (MAX_FILE_SIZE + 1) + "\n")
    error = refused(path)
    assert error.message.startswith(f"{path}: 2.0 MiB is more than migrate reads (2 MiB)")
    assert migrate([tmp_path], MigrateOptions()).files_seen == 0


def test_a_dangling_symlink_in_a_walk_is_skipped(tmp_path: Path) -> None:
    (tmp_path / ".#template.yaml").symlink_to(tmp_path / "gone")
    (tmp_path / "cmd").mkdir()
    (tmp_path / "cmd" / ".#main.go").symlink_to(tmp_path / "gone.go")
    assert migrate([tmp_path], MigrateOptions()).files_seen == 0
