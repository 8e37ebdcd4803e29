"""The real-world corpus (testdata/realworld/), each project taken through a new user's path:
`gobuild init` or `gobuild migrate --build gobuild --write`, then `gobuild build`, `gobuild
verify`, `gobuild invoke` of one function with an event, `gobuild check` of the definitions, and
`gobuild migrate --check`.

The fixtures are written in the shape of real projects: SAM with Globals and a Node.js function,
plain CloudFormation JSON, Serverless, Terraform modules, a go.mod with no `go` line, an
aws-lambda-go older than the Runtime API, the old one-zip-for-every-binary flow, and a function
that needs cgo. Those two cannot run on provided.al2023 by design: their tests assert the clear
failure instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "testdata" / "realworld"
MIGRATE = ("migrate", ".", "--build", "gobuild", "--write")


@dataclass(frozen=True)
class Case:
    setup: tuple[str, ...]
    function: str
    event: dict[str, Any]
    response: dict[str, Any]
    notes: tuple[str, ...] = field(default=())  # what migrate --check still reports (info)


CASES = {
    "sam-globals-nodejs": Case(MIGRATE, "orders", {"id": "42"}, {"function": "orders", "order": "42"}),
    "cloudformation-json": Case(
        MIGRATE,
        "ingest",
        {"source": "s3"},
        {"function": "ingest", "accepted": "s3"},
        notes=("NotifyFunction: its code is in S3",),
    ),
    "serverless-framework": Case(
        MIGRATE, "signup", {"email": "ada@example.com"}, {"function": "signup", "registered": "ada@example.com"}
    ),
    "terraform-modules": Case(
        MIGRATE, "cleanup", {"table": "sessions"}, {"function": "cleanup", "purged": "sessions"}
    ),
    "gomod-without-go-line": Case(
        ("init", "--arch", "amd64"), "hello", {"name": "gopher"}, {"function": "hello", "greeting": "gopher"}
    ),
    "multi-binary-zip": Case(MIGRATE, "reserve", {"sku": "A-1"}, {"function": "reserve", "reserved": "A-1"}),
    # The Makefile says bin/api/auth/signin is built from handler/auth/login.
    "serverless-makefile-paths": Case(
        MIGRATE, "login", {"user": "ada"}, {"function": "login", "session": "ada"}
    ),
    # One Terraform module per service, its code in S3: one function per call.
    "terraform-reused-module": Case(
        MIGRATE,
        "deposit",
        {"account": "42"},
        {"function": "deposit", "credited": "42"},
        notes=("aws_lambda_function.default (a function for each of 2 calls",),
    ),
    # services/<name>/cmd for every service, cmd/<tool>/lambda, and a web-adapter HTTP server.
    "services-cmd": Case(
        ("init", "--arch", "amd64"),
        "deposit",
        {"account": "42", "cents": 500},
        {"function": "deposit", "account": "42", "balance": 500},
    ),
    # Terraform in terraform/ zipping lambdas/<name>/main with archive_file; one module per function,
    # named unlike their folders; no go.mod at the root.
    "terraform-archive-modules": Case(
        MIGRATE,
        "greeter",
        {"name": "ada"},
        {"function": "greeter", "greeted": "ada"},
        notes=("data.archive_file.greeter_zip is no longer used", "data.archive_file.queue_drain_zip is no longer used"),
    ),
    # One Go module per function, built by SAM's makefile targets; no go.mod at the root.
    "sam-makefile-modules": Case(MIGRATE, "quotes", {"symbol": "GO"}, {"function": "quotes", "quoted": "GO"}),
}



def gobuild(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`python -m gobuild ARGS` from this checkout, as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "AWS_EC2_METADATA_DISABLED": "true"}
    return subprocess.run(
        [sys.executable, "-m", "gobuild", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )


def project(case: str, tmp_path: Path) -> Path:
    """A copy of one fixture whose modules are in the module cache. A module the proxy will
    not serve fails the test: a skipped fixture would prove nothing."""
    folder = tmp_path / case
    shutil.copytree(CORPUS / case, folder)
    go = shutil.which("go")
    assert go is not None, "the Go toolchain is required (install go)"
    for gomod in sorted(folder.rglob("go.mod")):  # every module of the project
        download = subprocess.run(
            [go, "mod", "download"],
            cwd=gomod.parent,
            env={**os.environ, "GOFLAGS": "-mod=readonly", "GOTOOLCHAIN": "local"},
            capture_output=True, text=True, timeout=600, check=False,
        )
        if download.returncode != 0:
            pytest.fail(f"{case}: go mod download failed; the Go module proxy must serve it:\n{download.stderr}")
    return folder


def zips(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in (folder / "dist").glob("*.zip"))


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_project_migrates_builds_verifies_and_runs(case: str, tmp_path: Path) -> None:
    spec = CASES[case]
    folder = project(case, tmp_path)

    setup = gobuild(*spec.setup, cwd=folder)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    build = gobuild("build", cwd=folder)
    assert build.returncode == 0, build.stdout + build.stderr
    assert zips(folder), build.stderr
    verify = gobuild("verify", *zips(folder), cwd=folder)
    assert verify.returncode == 0, verify.stdout
    invoke = gobuild("invoke", spec.function, "--event", json.dumps(spec.event), cwd=folder)
    assert invoke.returncode == 0, invoke.stderr
    assert json.loads(invoke.stdout) == spec.response
    deployed = gobuild("check", ".", cwd=folder)  # the definitions against the zips just built
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "/../" not in deployed.stdout, deployed.stdout  # a Terraform ${path.module}/../dist reads as dist/

    check = gobuild("migrate", ".", "--build", "gobuild", "--check", cwd=folder)
    assert check.returncode == 0, check.stdout
    assert "nothing to change;" in check.stdout
    reported = [line.split(": note: ", 1)[1] for line in check.stdout.splitlines() if ": note: " in line]
    assert [r for r in reported if not r.startswith(spec.notes)] == [] and len(reported) == len(spec.notes)


def test_an_aws_lambda_go_before_v1_18_is_an_error_in_migrate_and_verify(tmp_path: Path) -> None:
    folder = project("old-aws-lambda-go", tmp_path)
    fix = "go get github.com/aws/aws-lambda-go@latest"

    migrate = gobuild(*MIGRATE, cwd=folder)
    assert migrate.returncode == 0, migrate.stderr
    assert "go.mod:5: error: github.com/aws/aws-lambda-go v1.17.0 predates the Lambda Runtime API" in migrate.stdout
    assert f"    fix: {fix} (then go mod tidy)" in migrate.stdout
    build = gobuild("build", cwd=folder)
    assert build.returncode == 0, build.stderr  # it compiles; it cannot receive events
    verify = gobuild("verify", *zips(folder), cwd=folder)
    assert verify.returncode == 1
    assert "GB303" in verify.stdout and fix in verify.stdout
    check = gobuild("migrate", ".", "--build", "gobuild", "--check", cwd=folder)
    assert check.returncode == 1  # nothing to change, but an error note stands
    assert "nothing to change; 1 note (1 error)" in check.stdout


def test_a_function_that_needs_cgo_fails_clearly(tmp_path: Path) -> None:
    folder = project("cgo-build-script", tmp_path)

    migrate = gobuild(*MIGRATE, cwd=folder)
    assert migrate.returncode == 0, migrate.stderr
    assert 'ThumbnailFunction: its package uses cgo (scale.go import "C")' in migrate.stdout
    build = gobuild("build", cwd=folder)
    assert build.returncode == 1
    assert "FAIL thumbnail/amd64" in build.stderr
    assert "undefined: halve" in build.stderr  # Go's own message, under the function's name
    check = gobuild("migrate", ".", "--build", "gobuild", "--check", cwd=folder)
    assert check.returncode == 1 and "uses cgo" in check.stdout


def test_the_cgo_build_failure_names_cgo(tmp_path: Path) -> None:
    folder = project("cgo-build-script", tmp_path)
    assert gobuild(*MIGRATE, cwd=folder).returncode == 0
    build = gobuild("build", cwd=folder)
    assert "cgo" in build.stderr.replace(str(folder), "").lower()  # not in the folder names


def test_functions_in_generic_folders_are_named_for_their_service(tmp_path: Path) -> None:
    # services/deposit/cmd is deposit (as migrate names it), not cmd or deposit-cmd (survey D28).
    folder = project("services-cmd", tmp_path)
    init = gobuild("init", "--arch", "amd64", cwd=folder)
    assert init.returncode == 0, init.stderr
    assert "wrote gobuild.toml with 3 functions: audit, deposit, withdraw" in init.stderr
    assert "is named" not in init.stderr  # no name was changed from what the folders say
    assert "skipped 1 main package that does not import aws-lambda-go: services/statement/cmd" in init.stderr
    # Two generic folders of one service: each keeps its own, never a bare `cmd` or `lambda`.
    shutil.copytree(folder / "cmd/audit/lambda", folder / "services/deposit/lambda")
    again = gobuild("init", "--arch", "amd64", "--force", cwd=folder)
    assert again.returncode == 0, again.stderr
    assert "functions: audit, deposit-cmd, deposit-lambda, withdraw" in again.stderr
    assert "services/deposit/cmd is named 'deposit-cmd' ('deposit' is taken)" in again.stderr
