"""The CLI reads right: --version, usage lines, plurals, help text, architecture spellings, pasteable
commands, the manifest reference, and `build --dry-run`."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gobuild import example_manifest
from tests.conftest import TESTDATA
from tests.integration.fixtures_build import copy_example, gobuild

VERSION = importlib.metadata.version("gobuild")
WIDE = {**os.environ, "COLUMNS": "200"}
SPELLINGS = {"amd64": ("amd64", "x86_64", "x86-64", "X86_64"), "arm64": ("arm64", "aarch64", "ARM64")}


def env_without_go(tmp_path: Path) -> dict[str, str]:
    """PATH holds only this Python's folder and the system's, neither with a go."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = {k: v for k, v in os.environ.items() if k != "GOBUILD_GO"}
    env["PATH"] = f"{bin_dir}:/usr/bin:/bin"
    assert shutil.which("go", path=env["PATH"]) is None
    return env


def test_version_names_gobuild_python_and_go() -> None:
    result = gobuild("--version")
    assert result.returncode == 0, result.stderr
    gobuild_line, python_line, go_line = result.stdout.splitlines()
    assert gobuild_line.startswith(f"gobuild {VERSION} from ")
    assert Path(gobuild_line.split(" from ", 1)[1], "__init__.py").is_file()
    assert python_line == f"Python {sys.version.split()[0]} at {sys.executable}"
    go = shutil.which("go")
    assert go is not None
    real = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=True).stdout.strip()
    assert go_line == f"{real} at {go}"
    assert result.stderr == ""


def test_version_without_go_says_so(tmp_path: Path) -> None:
    result = gobuild("--version", env=env_without_go(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("go: not found")
    assert "GOBUILD_GO" in result.stdout


def test_version_with_a_broken_go_says_what_failed(tmp_path: Path) -> None:
    broken = tmp_path / "go"
    broken.write_text("#!/bin/sh\necho 'go: toolchain not available' >&2\nexit 1\n")
    broken.chmod(0o755)
    result = gobuild("--version", env={**os.environ, "GOBUILD_GO": str(broken)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"go: {broken} env GOVERSION failed: go: toolchain not available"


def test_artifacts_json_carries_the_package_version(built_example: Path) -> None:
    document = json.loads((built_example / "dist" / "artifacts.json").read_text())
    assert document["gobuild_version"] == VERSION


def test_the_noop_path_does_not_read_the_package_metadata(built_example: Path, tmp_path: Path) -> None:
    project = shutil.copytree(built_example, tmp_path / "shop", symlinks=True)
    gobuild("build", "-C", str(project), check=True)  # records the no-op answer (sources are old)
    probe = (
        "import sys, os; from gobuild import noop; "
        f"answer = noop.check(['build', '-C', {str(project)!r}], os.environ); "
        "print(answer is not None, 'importlib.metadata' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "False"]


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("verify", "Usage: gobuild verify [OPTIONS] ZIP..."),
        ("migrate", "Usage: gobuild migrate [OPTIONS] PATH..."),
        ("repack", "Usage: gobuild repack [OPTIONS] SOURCE"),
        ("merge", "Usage: gobuild merge [OPTIONS] ARTIFACTS_JSON..."),
        ("invoke", "Usage: gobuild invoke [OPTIONS] FUNCTION|ZIP"),
    ],
)
def test_usage_lines_use_conventional_metavars(command: str, usage: str) -> None:
    result = gobuild(command, env=WIDE)  # the required argument is missing
    assert result.returncode == 2
    assert usage in result.stderr
    assert "{" not in result.stderr.split("Usage:", 1)[1].splitlines()[0]


def test_merge_help_shows_the_default_output() -> None:
    result = gobuild("merge", "--help", env=WIDE)
    assert "Merged index (default: out_dir/artifacts.json)." in result.stdout


def test_init_counts_in_the_singular(tmp_path: Path) -> None:
    module = tmp_path / "one"
    (module / "cmd" / "orders").mkdir(parents=True)
    shutil.copy(TESTDATA / "go.mod", module / "go.mod")
    shutil.copy(TESTDATA / "cmd" / "orders-lambda" / "main.go", module / "cmd" / "orders" / "main.go")
    result = gobuild("init", "-C", str(module))
    assert result.returncode == 0, result.stderr
    assert "with 1 function: orders" in result.stderr
    written = (module / "gobuild.toml").read_text()
    assert "run `gobuild init --example` for every key" in written


def test_init_example_prints_the_shipped_reference(tmp_path: Path) -> None:
    result = gobuild("init", "--example", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == example_manifest()
    assert "[[function]]" in result.stdout and "[publish]" in result.stdout
    assert list(tmp_path.iterdir()) == []  # printed, not written


def test_build_dry_run_lists_targets_and_writes_nothing(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop")
    result = gobuild("build", "-C", str(project), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0].split() == ["healthcheck/arm64", "./cmd/healthcheck"]
    assert result.stderr.splitlines()[-1] == f"{project / 'gobuild.toml'}: 5 targets to build; nothing built"
    assert not (project / "dist").exists()


def test_build_dry_run_refuses_a_bad_manifest(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop")
    manifest = project / "gobuild.toml"
    manifest.write_text(manifest.read_text().replace('"./cmd/healthcheck"', '"./cmd/nosuch"'))
    result = gobuild("build", "-C", str(project), "--dry-run")
    assert result.returncode == 2
    assert "function[4].package" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("spelling", [s for spellings in SPELLINGS.values() for s in spellings])
def test_every_arch_spelling_is_accepted(spelling: str, built_example: Path) -> None:
    goarch = next(name for name, spellings in SPELLINGS.items() if spelling in spellings)
    zip_path = built_example / "dist" / f"orders-{goarch}.zip"
    verified = gobuild("verify", "--arch", spelling, str(zip_path))
    assert verified.returncode == 0, verified.stderr + verified.stdout
    assert f"({goarch}, go" in verified.stdout
    planned = gobuild("build", "-C", str(built_example), "--dry-run", "--arch", spelling)
    assert planned.returncode == 0, planned.stderr
    assert {line.split()[0].split("/")[1] for line in planned.stderr.splitlines()[:-1]} == {goarch}


@pytest.mark.parametrize(("spelling", "lambda_name"), [("amd64", "x86_64"), ("aarch64", "arm64")])
def test_migrate_takes_go_spellings_and_writes_lambdas(spelling: str, lambda_name: str, tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    shutil.copy(TESTDATA / "migrate" / "sam-globals" / "input" / "template.yaml", template)
    result = gobuild("migrate", "--arch", spelling, str(template), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"template.yaml:34: + Architectures: [{lambda_name}]" in result.stdout.splitlines()


def test_an_unknown_arch_names_every_spelling(built_example: Path) -> None:
    result = gobuild("verify", "--arch", "x86", str(built_example / "dist" / "orders-amd64.zip"))
    assert result.returncode == 2
    assert "error: --arch 'x86': not one of amd64 (x86_64) or arm64 (aarch64)" in result.stderr


def test_a_failed_go_command_is_replayed_shell_quoted(project: Path) -> None:
    main_go = project / "cmd" / "payments-lambda" / "main.go"
    main_go.write_text(main_go.read_text() + "\nfunc broken() { undefined() }\n")
    result = gobuild("build", "-C", str(project), "--only", "payments")
    assert result.returncode == 1
    replayed = next(line for line in result.stderr.splitlines() if line.lstrip().startswith("$ "))
    argv = shlex.split(replayed.lstrip()[2:])
    assert "-ldflags=-s -w" in argv  # one argument, as go received it
    assert argv[1] == "build" and argv[-1] == "./cmd/payments-lambda"


def test_publish_counts_in_the_singular(project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]) -> None:
    result = gobuild("publish", "-C", str(project), "--bucket", bucket, "--endpoint-url", s3_server.endpoint_url,
                     "--only", "payments", env=s3_env)
    assert result.returncode == 0, result.stderr
    assert f"published 1 zip to s3://{bucket}: 1 uploaded, 0 already present;" in result.stderr
