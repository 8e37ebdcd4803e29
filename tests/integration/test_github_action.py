"""The GitHub Action (action.yml): its run step, scripts/github_action.py, run as the runner runs
it (GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, inputs in the environment) on a real build and
a real publish; and the metadata that ties action.yml's outputs to what the step writes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

STEP = REPO / "scripts" / "github_action.py"
FULL_SHA = re.compile(r"[0-9a-f]{40}")


def run_step(command: str, args: str, cwd: Path, env: dict[str, str] | None = None
             ) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
    """Runs the action's step; its result, the outputs it set and the summary it wrote."""
    outputs, summary = cwd / "github-output", cwd / "github-summary"
    for path in (outputs, summary):
        path.write_text("")
    environ = {**(env or os.environ), "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary),
               "GOBUILD_ACTION_COMMAND": command, "GOBUILD_ACTION_ARGS": args}
    done = subprocess.run([sys.executable, str(STEP)], cwd=cwd, env=environ, capture_output=True, text=True,
                          timeout=900)
    written = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    return done, written, summary.read_text()


def action() -> dict[str, Any]:
    import yaml

    loaded: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text())
    return loaded


def test_build_outputs_the_index_and_what_it_rebuilt(project: Path) -> None:
    cwd = project.parent
    args = f"-C {project.name} --verify"
    first, outputs, summary = run_step("build", args, cwd)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"$ gobuild build -C {project.name} --verify --json\n")
    assert outputs["artifacts-json"] == str(project / "dist" / "artifacts.json")
    assert outputs["published-json"] == ""
    assert json.loads(outputs["changed"]) == []  # the copy is up to date
    assert "### gobuild build: 0 rebuilt" in summary

    main_go = project / "cmd" / "payments-lambda" / "main.go"
    main_go.write_text(main_go.read_text().replace('"payments', '"payments v2', 1))
    second, outputs, summary = run_step("build", args, cwd)
    assert second.returncode == 0, second.stderr
    assert json.loads(outputs["changed"]) == ["payments/arm64"]
    assert json.loads(outputs["changed-functions"]) == ["payments"]
    assert "changed: payments/arm64" in second.stdout
    assert "| payments | arm64 |" in summary


def test_publish_outputs_published_json_and_what_it_uploaded(
    project: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    cwd = project.parent
    args = f"-C {project.name} --bucket {bucket} --endpoint-url {s3_server.endpoint_url}"
    first, outputs, _ = run_step("publish", args, cwd, env=s3_env)
    assert first.returncode == 0, first.stderr
    assert outputs["published-json"] == str(project / "dist" / "published.json")
    assert json.loads(outputs["changed"]) == [
        "healthcheck/arm64", "inventory/arm64", "orders/amd64", "orders/arm64", "payments/arm64"]
    assert json.loads(outputs["changed-functions"]) == ["healthcheck", "inventory", "orders", "payments"]
    again, outputs, summary = run_step("publish", args, cwd, env=s3_env)
    assert again.returncode == 0, again.stderr
    assert json.loads(outputs["changed"]) == []
    assert "### gobuild publish: 0 uploaded" in summary


def test_other_commands_run_as_they_are(built_example: Path, tmp_path: Path) -> None:
    zips = " ".join(str(p) for p in sorted((built_example / "dist").glob("*.zip")))
    done, outputs, summary = run_step("verify", f"--arch arm64 {zips}", tmp_path)
    assert done.returncode == 1  # orders-amd64.zip is not arm64: verify's own exit status
    assert "GB207" in done.stdout
    assert outputs == {"artifacts-json": "", "published-json": "", "changed": "[]", "changed-functions": "[]"}
    assert summary == ""


def test_quoted_args_are_split_as_a_shell_would(tmp_path: Path) -> None:
    done, _, _ = run_step("migrate", "--check 'my templates'", tmp_path)
    assert done.returncode == 2
    assert "my templates" in done.stderr  # one argument, not two


@pytest.mark.parametrize(("command", "args", "message"), [
    ("build", "--only 'unterminated", "args: No closing quotation"),
    ("--version", "", "command '--version' is not a gobuild command"),
])
def test_bad_inputs_are_one_annotated_line(command: str, args: str, message: str, tmp_path: Path) -> None:
    done, outputs, _ = run_step(command, args, tmp_path)
    assert done.returncode == 2
    assert done.stdout.startswith("::error::gobuild action: ") and message in done.stdout
    assert outputs == {}


def test_a_failing_command_passes_its_status_on(tmp_path: Path) -> None:
    (tmp_path / "gobuild.toml").write_text("[[function]]\nname = 'x'\npackage = './cmd/x'\n")
    done, outputs, _ = run_step("build", "", tmp_path)
    assert done.returncode == 2, done.stderr
    assert "has no go.mod" in done.stderr
    assert outputs["changed"] == "[]"


def test_action_outputs_are_what_the_step_writes() -> None:
    meta = action()
    steps = {step.get("id"): step for step in meta["runs"]["steps"]}
    for name, output in meta["outputs"].items():
        assert output["value"] == f"${{{{ steps.gobuild.outputs.{name} }}}}"
    assert "scripts/github_action.py" in steps["gobuild"]["run"]
    assert set(steps["gobuild"]["env"]) >= {"GOBUILD_ACTION_COMMAND", "GOBUILD_ACTION_ARGS"}
    assert meta["runs"]["using"] == "composite"


def uses_of(path: Path) -> list[str]:
    return re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)", path.read_text(), flags=re.MULTILINE)


@pytest.mark.parametrize("path", [REPO / "action.yml", *sorted((REPO / "docs" / "examples" / "workflows").glob("*.yml"))],
                         ids=lambda p: p.name)
def test_every_action_is_pinned_by_full_commit_sha(path: Path) -> None:
    uses = uses_of(path)
    assert uses
    for reference in uses:
        _, _, ref = reference.partition("@")
        assert FULL_SHA.fullmatch(ref), f"{path.name}: {reference} is not pinned by a full commit SHA"
