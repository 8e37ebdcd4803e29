"""The real CLI given bad input or a bad place to write: one line naming the file, key or
folder, the documented exit code (2 bad input, 1 failed), never a traceback, never a hang."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.integration.fixtures_build import copy_example, gobuild


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "shop")


def one_line_error(stderr: str) -> str:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_a_manifest_that_is_not_a_regular_file_is_refused_unread(shop: Path, special: str) -> None:
    manifest = special
    if special == "fifo":
        os.mkfifo(shop / "fifo.toml")  # nobody writes to it: reading it would wait forever
        manifest = str(shop / "fifo.toml")
    proc = gobuild("build", "-C", str(shop), "-m", manifest)
    assert proc.returncode == 2
    assert one_line_error(proc.stderr).endswith(": is not a regular file")


def test_too_deep_toml_is_bad_input(shop: Path) -> None:
    manifest = shop / "gobuild.toml"
    manifest.write_text("deep = " + "[" * 100_000 + "]" * 100_000 + "\n" + manifest.read_text())
    proc = gobuild("build", "-C", str(shop))
    assert proc.returncode == 2
    assert one_line_error(proc.stderr).startswith("error: gobuild.toml:1: arrays or tables nested 100000 deep")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('package = "./cmd/orders-lambda"', 'package = "./cmd/orders\\u0000lambda"',
     "error: gobuild.toml: function[1].package: contains a NUL character"),
    ('include = ["config/healthcheck.json"]', 'include = [{ source = "config/healthcheck.json", target = "bootstrap/x.json" }]',
     "error: gobuild.toml: function[4].include[1]: target 'bootstrap/x.json' would make the function binary"),
    ('include = ["config/healthcheck.json"]',
     'include = [{ source = "config/healthcheck.json", target = "a" }, { source = "go.mod", target = "a/b" }]',
     "error: gobuild.toml: function[4].include: targets 'a' and 'a/b' would be a file and a folder at once"),
    ('ldflags = "-s -w"', f'ldflags = "-X main.blob={"x" * 140_000}"',
     "error: gobuild.toml: defaults.ldflags: is 140022 bytes; one command-line argument holds at most 131071"),
])
def test_manifest_values_no_zip_or_process_can_hold_are_bad_input(shop: Path, old: str, new: str,
                                                                  expected: str) -> None:
    manifest = shop / "gobuild.toml"
    manifest.write_text(manifest.read_text().replace(old, new, 1))
    proc = gobuild("build", "-C", str(shop))
    assert proc.returncode == 2
    assert one_line_error(proc.stderr).startswith(expected)
    assert not (shop / "dist").exists()


def test_an_environment_too_large_for_exec_is_bad_input(shop: Path) -> None:
    manifest = shop / "gobuild.toml"
    env_table = ", ".join(f'BIG{i} = "{"x" * 120_000}"' for i in range(7))
    manifest.write_text(manifest.read_text().replace('ldflags = "-s -w"', f'ldflags = "-s -w"\nenv = {{ {env_table} }}'))
    # The caller's environment plus the manifest's is over the kernel's limit for exec.
    env = {**os.environ, **{f"CALLER{i}": "y" * 100_000 for i in range(15)}}
    proc = gobuild("build", "-C", str(shop), env=env)
    assert proc.returncode == 2, proc.stderr
    line = one_line_error(proc.stderr)
    assert "the command line for go is too long for this system" in line and "the largest is variable BIG" in line
    assert not list((shop / "dist").glob(".gobuild-scratch-*"))


@pytest.mark.parametrize("out_dir", ["a-file", "/sys/gobuild-dist"], ids=["a file", "unwritable"])
def test_an_out_dir_that_cannot_be_written_fails_with_one_line(shop: Path, out_dir: str) -> None:
    (shop / "a-file").write_text("I am not a folder\n")
    manifest = shop / "gobuild.toml"
    manifest.write_text(manifest.read_text().replace('out_dir = "dist"', f'out_dir = "{out_dir}"'))
    proc = gobuild("build", "-C", str(shop))
    assert proc.returncode == 1, proc.stderr
    line = one_line_error(proc.stderr)
    assert out_dir.split("/")[-1] in line
    assert (shop / "a-file").read_text() == "I am not a folder\n"


def test_shards_beyond_the_targets_build_nothing_and_merge(shop: Path, tmp_path: Path) -> None:
    indexes = []
    for k in range(1, 9):  # a CI matrix of 8 jobs for 5 targets
        job = copy_example(tmp_path / f"job{k}" / "shop")
        proc = gobuild("build", "-C", str(job), "--shard", f"{k}/8")
        assert proc.returncode == 0, proc.stderr
        if k > 5:
            assert proc.stderr.startswith(f"shard {k}/8 has no targets (5 targets in 8 shards): nothing to build\n")
            assert "0 zips" in proc.stderr
            document = json.loads((job / "dist/artifacts.json").read_text())
            assert document["artifacts"] == [] and document["go_version"].startswith("go1.")
        indexes.append(str(job / "dist/artifacts.json"))
    merged = gobuild("merge", "-C", str(shop), *indexes)
    assert merged.returncode == 0, merged.stderr
    assert len(json.loads((shop / "dist/artifacts.json").read_text())["artifacts"]) == 5
