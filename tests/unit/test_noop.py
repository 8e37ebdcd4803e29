"""The no-op fast path's pure parts: which command lines it answers, where it looks, what it
records, and which part of a Go file decides how Go loads it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from gobuild import noop
from gobuild.build.fingerprint import go_header
from gobuild.files import stat_key
from gobuild.lambda_facts import out_dir_of


@pytest.mark.parametrize("argv, expected", [
    (["build"], {"directory": ".", "manifest": "gobuild.toml", "only": [], "arch": None, "quiet": False}),
    (["build", "-C", "proj", "-q", "--only", "a", "--only=b", "--arch", "arm64", "-j", "4"],
     {"directory": "proj", "manifest": "gobuild.toml", "only": ["a", "b"], "arch": "arm64", "quiet": True}),
    (["build", "--directory=proj", "--manifest", "x.toml", "--quiet", "--jobs=2"],
     {"directory": "proj", "manifest": "x.toml", "only": [], "arch": None, "quiet": True}),
])
def test_plain_build_command_lines_are_understood(argv: list[str], expected: dict[str, object]) -> None:
    assert noop.parse_build_args(argv) == expected


@pytest.mark.parametrize("argv", [
    [], ["publish"], ["--debug", "build"], ["build", "--json"], ["build", "--verify"], ["build", "--cache", "s3://b"],
    ["build", "--shard", "1/2"], ["build", "--fail-fast"], ["build", "-j", "0"], ["build", "-j4"], ["build", "-C"],
    ["build", "--only", "--quiet"], ["build", "--help"], ["build", "extra"],
])
def test_anything_else_goes_to_the_full_cli(argv: list[str]) -> None:
    assert noop.parse_build_args(argv) is None


def test_out_dir_is_read_as_the_manifest_reads_it(tmp_path: Path) -> None:
    manifest = str(tmp_path / "gobuild.toml")
    assert out_dir_of(manifest, {"defaults": {"out_dir": "x"}}) == str(tmp_path / "dist")
    assert out_dir_of(manifest, {"out_dir": "build/out"}) == str(tmp_path / "build/out")
    assert out_dir_of(manifest, {"out_dir": "."}) == str(tmp_path)


def test_selection_key_ignores_order_and_repeats_of_only(tmp_path: Path) -> None:
    manifest = str(tmp_path / "gobuild.toml")
    assert noop.selection_key(manifest, ["b", "a", "a"], None) == noop.selection_key(manifest, ["a", "b"], None)
    assert noop.selection_key(manifest, [], "arm64") != noop.selection_key(manifest, [], None)


def test_environment_digest_follows_go_variables_only() -> None:
    base = {"PATH": "/bin", "GOFLAGS": "", "AWS_SECRET_ACCESS_KEY": "x"}
    digest = noop.environment_digest(base)
    assert noop.environment_digest({**base, "AWS_SECRET_ACCESS_KEY": "y", noop.DISABLE: "0"}) == digest
    assert noop.environment_digest({**base, "GOFLAGS": "-race"}) != digest
    assert noop.environment_digest({**base, "CGO_CFLAGS": "-O2"}) != digest
    assert noop.environment_digest({**base, "SOURCE_DATE_EPOCH": "1"}) != digest
    assert "x" not in json.dumps(digest)


def test_variables_that_ldflags_stamp_count_when_a_build_names_them() -> None:
    base = {"PATH": "/bin", "BUILT_AT": "2025-01-01"}
    digest = noop.environment_digest(base, ["BUILT_AT"])
    assert noop.environment_digest({**base, "BUILT_AT": "2025-01-02"}, ["BUILT_AT"]) != digest
    assert noop.environment_digest({**base, "BUILT_AT": "2025-01-02"}) == noop.environment_digest(base)


def _record(out_dir: Path, key: str, sources: list[str], since: float) -> bool:
    return noop.record(str(out_dir), key, environ={}, go=("/usr/bin/go", "/m", "go1.26"), sources=sources,
                       outputs=[], since=since, warnings=[], targets=[("f/arm64", 10)])


def test_a_recently_changed_source_is_not_trusted(tmp_path: Path) -> None:
    source = tmp_path / "main.go"
    source.write_text("package main\n")
    assert not _record(tmp_path / "dist", "k", [str(source)], since=time.time())
    document = json.loads((tmp_path / "dist" / noop.RECORD_NAME).read_text())
    assert document["selections"] == {}
    os.utime(source, (time.time() - 60, time.time() - 60))
    assert _record(tmp_path / "dist", "k", [str(source)], since=time.time())
    entry = json.loads((tmp_path / "dist" / noop.RECORD_NAME).read_text())["selections"]["k"]
    assert entry["stats"] == {str(source): stat_key(str(source))}
    assert entry["go"] == ["/usr/bin/go", "/m", "go1.26"]


def test_only_the_newest_selections_are_kept(tmp_path: Path) -> None:
    for index in range(noop.MAX_SELECTIONS + 3):
        assert _record(tmp_path, f"k{index}", [], since=time.time())
    kept = json.loads((tmp_path / noop.RECORD_NAME).read_text())["selections"]
    assert sorted(kept) == sorted(f"k{i}" for i in range(3, noop.MAX_SELECTIONS + 3))


def test_a_record_of_another_format_is_ignored(tmp_path: Path) -> None:
    (tmp_path / ".gobuild").mkdir()
    (tmp_path / noop.RECORD_NAME).write_text(json.dumps({"version": 1, "gobuild": "0.0.1", "selections": {"x": {}}}))
    assert _record(tmp_path, "k", [], since=time.time())
    assert list(json.loads((tmp_path / noop.RECORD_NAME).read_text())["selections"]) == ["k"]


def test_check_answers_nothing_without_a_record(tmp_path: Path) -> None:
    (tmp_path / "gobuild.toml").write_text("out_dir = 'dist'\n")
    assert noop.check(["build", "-C", str(tmp_path)], {}) is None
    assert noop.check(["build", "-C", str(tmp_path / "missing")], {}) is None


def test_go_header_ends_at_the_first_declaration() -> None:
    source = (b"//go:build linux\n\n/* not a\nfunc here\n*/\npackage main\n\nimport (\n\t\"fmt\" // func\n"
              b"\t`os`\n)\n\n//go:embed static\nvar files embed.FS\n\nfunc main() {\n\tfmt.Println(\"func\")\n}\n"
              b"\n//go:embed more.txt\nvar more string\n")
    header = go_header(source)
    assert header.startswith(b"//go:build linux") and b"`os`" in header and b"//go:embed static" in header
    assert b"Println" not in header and header.endswith(b"//go:embed more.txt")


def test_body_edits_keep_the_header_and_import_edits_change_it() -> None:
    source = b"package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(1) }\n"
    assert go_header(source) == go_header(source.replace(b"Println(1)", b"Println(2)"))
    assert go_header(source) != go_header(source.replace(b'import "fmt"', b'import (\n\t"fmt"\n\t"os"\n)'))
    assert go_header(source) != go_header(b"//go:build ignore\n\n" + source)


def test_a_file_without_declarations_is_all_header() -> None:
    assert go_header(b"package main\n\nimport _ \"embed\"\n") == b"package main\n\nimport _ \"embed\"\n"


def test_a_record_that_cannot_be_written_costs_only_the_shortcut(tmp_path: Path) -> None:
    (tmp_path / ".gobuild").write_text("a file where the folder should be")
    assert not _record(tmp_path, "k", [], since=time.time())


def test_a_manifest_that_is_a_fifo_or_device_goes_to_the_full_cli_unread(tmp_path: Path) -> None:
    fifo = tmp_path / "gobuild.toml"
    os.mkfifo(fifo)  # opening it for reading the usual way would wait for a writer forever
    assert noop.check(["build", "-C", str(tmp_path)], {"PATH": "/bin"}) is None
    assert noop.check(["build", "-m", "/dev/zero"], {"PATH": "/bin"}) is None


@pytest.mark.parametrize("text", [
    'out_dir = "build/zips"\n\n[defaults]\narchitectures = ["arm64"]\n\n[[function]]\nname = "a"\npackage = "./a"\n',
    'out_dir = "x"\n',  # no table at all
    '# only tables\n[[function]]\nname = "a"\npackage = "./a"\n',
    # A line of a multi-line value starts with "[": the top part alone does not parse.
    'extra = [\n  [1, 2],\n]\nout_dir = "deep"\n[[function]]\nname = "a"\n',
    'note = """\n[not a table]\n"""\nout_dir = "quoted"\n[[function]]\nname = "a"\n',
    '  [[function]]\nname = "a"\n',
])
def test_top_level_keys_are_those_of_the_whole_manifest(text: str) -> None:
    tomllib = pytest.importorskip("tomllib")
    whole = tomllib.loads(text)
    top = noop.top_level(tomllib, text)
    assert top.get("out_dir") == whole.get("out_dir")
    assert all(whole[key] == value for key, value in top.items())
    assert out_dir_of("/p/gobuild.toml", top) == out_dir_of("/p/gobuild.toml", whole)
