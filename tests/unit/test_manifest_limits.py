"""Hostile manifests get one clear ManifestError (exit 2), never a traceback: NUL characters,
paths a zip cannot unpack, values too long to pass to a process, nesting tomllib would recurse
through, files that are not regular files or too large to read, a module_dir default no
function uses. A hypothesis fuzz test throws random manifests at the loader."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gobuild import zippaths
from gobuild.errors import ManifestError
from gobuild.files import NotReadable, read_small_file
from gobuild.manifest import MAX_ARGUMENT_BYTES, load_manifest, parse_manifest
from gobuild.tomlread import MAX_TOML_NESTING

MAIN_GO = "package main\n\nfunc main() {}\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    for name, text in {"go.mod": "module example.com/shop\n\ngo 1.26\n", "cmd/orders/main.go": MAIN_GO,
                       "config/a": "a\n", "config/b": "b\n"}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root.resolve()


def refusal(project: Path, text: str) -> ManifestError:
    path = project / "gobuild.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert caught.value.exit_code == 2
    return caught.value


def function(extra: str = "", package: str = "./cmd/orders") -> str:
    return f'[[function]]\nname = "orders"\npackage = {json.dumps(package)}\n{extra}'


@pytest.mark.parametrize(("text", "key"), [
    (function(package="./cmd/\u0000orders"), "function[1].package"),
    (function('module_dir = ".\u0000"\n'), "function[1].module_dir"),
    ('out_dir = "dist\u0000"\n' + function(), "out_dir"),
    (function('include = ["config/a\u0000"]\n'), "function[1].include[1]"),
    (function('include = [{ source = "config/a", target = "a\u0000b" }]\n'), "function[1].include[1].target"),
    (function('ldflags = "-X main.v=\u0000"\n'), "function[1].ldflags"),
    (function('env = { NAME = "x\u0000" }\n'), "function[1].env.NAME"),
])
def test_a_nul_character_is_refused_naming_the_key(project: Path, text: str, key: str) -> None:
    error = refusal(project, text.replace("\u0000", "\\u0000"))
    assert error.message == f"gobuild.toml: {key}: contains a NUL character"


@pytest.mark.parametrize(("targets", "problem"), [
    (["a", "a/b"], "targets 'a' and 'a/b' would be a file and a folder at once"),
    (["x/y/z", "x"], "targets 'x' and 'x/y/z' would be a file and a folder at once"),
    (["a", "./a"], "two files would be stored as 'a'"),
    (["d/e", "d//e"], "two files would be stored as 'd/e'"),
])
def test_include_targets_that_cannot_be_unpacked_together_are_refused(
        project: Path, targets: list[str], problem: str) -> None:
    tables = ", ".join(f'{{ source = "config/a", target = {json.dumps(t)} }}' for t in targets)
    error = refusal(project, function(f"include = [{tables}]\n"))
    assert error.message == f"gobuild.toml: function[1].include: {problem}"


@pytest.mark.parametrize(("target", "problem"), [
    ("bootstrap/config.json", "would make the function binary (bootstrap) a folder"),
    ("./bootstrap/", "is not a file name"),
    ("a/../../b", "leaves the zip's root"),
    ("x" * 256, "has a component of 256 bytes; a file name holds at most 255"),
    ("/".join(["d" * 200] * 21), f"bytes long; Lambda unpacks at most {zippaths.MAX_ENTRY_BYTES} under /var/task"),
    ("/".join(["d" * 250] * 300), "bytes long"),  # over the zip format's own 64 KiB name limit
])
def test_an_include_target_a_zip_cannot_unpack_is_refused(project: Path, target: str, problem: str) -> None:
    error = refusal(project, function(f'include = [{{ source = "config/a", target = {json.dumps(target)} }}]\n'))
    assert error.message.startswith("gobuild.toml: function[1].include[1]: target ")
    assert problem in error.message
    assert len(error.message) < 300  # a long target is shortened, not echoed whole


def test_case_differences_are_different_files(project: Path) -> None:
    path = project / "gobuild.toml"
    path.write_text(function('include = [{ source = "config/a", target = "A" }, { source = "config/b", target = "a" }]\n'))
    assert [i.target for i in load_manifest(path).functions[0].include] == ["A", "a"]


@pytest.mark.parametrize(("extra", "key"), [
    (f'ldflags = "{"x" * MAX_ARGUMENT_BYTES}"\n', "function[1].ldflags"),
    (f'env = {{ BIG = "{"x" * MAX_ARGUMENT_BYTES}" }}\n', "function[1].env.BIG"),
    (f"tags = [{', '.join(json.dumps(f't{i:06}') for i in range(20000))}]\n", "function[1].tags"),
])
def test_a_value_over_the_argument_limit_is_bad_input_naming_the_key(project: Path, extra: str, key: str) -> None:
    error = refusal(project, function(extra))
    assert error.message.startswith(f"gobuild.toml: {key}: is ")
    assert f"one command-line argument holds at most {MAX_ARGUMENT_BYTES}" in error.message


@pytest.mark.parametrize("nested", [
    "x = " + "[" * 5000 + "]" * 5000 + "\n",
    "x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
    "x = " + "[" * (MAX_TOML_NESTING + 1) + "]" * (MAX_TOML_NESTING + 1) + "\n",
])
def test_nesting_is_refused_before_tomllib_recurses(project: Path, nested: str) -> None:
    error = refusal(project, nested + function())
    assert error.message.startswith("gobuild.toml:1: arrays or tables nested ")
    assert error.hint == "flatten the value at that line"


def test_nesting_inside_strings_and_comments_does_not_count(project: Path) -> None:
    path = project / "gobuild.toml"
    path.write_text(f'# {"[" * 100}\n' + function(f'ldflags = "{"[" * 100}"\n'))
    assert load_manifest(path).functions[0].ldflags == "[" * 100


def test_a_fifo_or_device_is_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "gobuild.toml"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer
    with pytest.raises(ManifestError) as caught:
        load_manifest(fifo)
    assert caught.value.message == f"{fifo}: is not a regular file"
    with pytest.raises(ManifestError) as caught:
        load_manifest(Path("/dev/zero"))
    assert caught.value.message == "/dev/zero: is not a regular file"


def test_a_manifest_over_1_mib_is_refused_unread(project: Path) -> None:
    path = project / "gobuild.toml"
    path.write_text(function() + "#" * (1 << 20))
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert "bytes; the limit is 1048576" in caught.value.message
    with pytest.raises(NotReadable):
        read_small_file(str(path), 10)


def test_the_built_in_module_dir_is_checked_only_where_it_is_used(tmp_path: Path) -> None:
    # A repository root without go.mod, modules in folders: every function names its own.
    for module in ("orders", "billing"):
        (tmp_path / module / "cmd/fn").mkdir(parents=True)
        (tmp_path / module / "go.mod").write_text(f"module example.com/{module}\n")
        (tmp_path / module / "cmd/fn/main.go").write_text(MAIN_GO)
    text = "".join(f'[[function]]\nname = "{m}"\nmodule_dir = "{m}"\npackage = "./cmd/fn"\n' for m in ("orders", "billing"))
    manifest = parse_manifest(text, path=tmp_path / "gobuild.toml")
    assert [f.module_dir for f in manifest.functions] == [tmp_path / "orders", tmp_path / "billing"]
    with_defaults = parse_manifest('[defaults]\nmodule_dir = "orders"\n' + function(package="./cmd/fn"),
                                   path=tmp_path / "gobuild.toml")
    assert with_defaults.functions[0].module_dir == tmp_path / "orders"
    with pytest.raises(ManifestError) as caught:
        parse_manifest(function(), path=tmp_path / "gobuild.toml")
    assert caught.value.message.startswith("gobuild.toml: function[1].module_dir: not set, and the manifest's folder "
                                           "has no go.mod")


def test_a_go_work_in_the_project_is_the_functions_workspace(project: Path) -> None:
    (project / "go.work").write_text("go 1.26\n\nuse .\n")
    path = project / "gobuild.toml"
    path.write_text(function())
    assert load_manifest(path).functions[0].workspace == project / "go.work"


TOML_VALUES = st.recursive(
    st.none().map(lambda _: "1") | st.text(max_size=20).map(json.dumps) | st.booleans().map(str).map(str.lower)
    | st.integers().map(str),
    lambda inner: st.lists(inner, max_size=3).map(lambda v: "[" + ", ".join(v) + "]")
    | st.dictionaries(st.sampled_from(["name", "package", "source", "target", "x"]), inner, max_size=3).map(
        lambda d: "{" + ", ".join(f"{k} = {v}" for k, v in d.items()) + "}"),
    max_leaves=8,
)
KEYS = st.sampled_from(["name", "package", "module_dir", "architectures", "tags", "ldflags", "env", "include",
                        "trimpath", "buildvcs", "out_dir", "bucket", "url", "jobs", "archs"])
TABLES = st.sampled_from(["", "[defaults]\n", "[[function]]\n", "[publish]\n", "[cache]\n"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(TABLES, KEYS, TOML_VALUES), max_size=8) | st.text(max_size=200).map(lambda t: [("", t, "")]))
def test_random_manifests_only_ever_raise_manifest_errors(project: Path, lines: list[tuple[str, str, str]]) -> None:
    text = "".join(f"{table}{key} = {value}\n" if value else key for table, key, value in lines)
    try:
        parse_manifest(text, path=project / "gobuild.toml")
    except ManifestError as error:
        assert error.message and "\n" not in error.message.split(": ", 1)[0]
