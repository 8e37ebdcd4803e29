"""action.yml and the example workflows in docs/ pass actionlint and zizmor.

actionlint lints workflows, and action.yml only as the local action of a workflow that uses it
(`uses: ./`), so a throwaway repository holds action.yml and a workflow that passes every input
and reads every output; a misspelt input there must fail, which shows the action was read.
.ci/run installs actionlint into .ci/bin (and shellcheck, which actionlint runs on `run:` blocks)
and sets GOBUILD_REQUIRE_LINTERS=1, so in CI these never skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

EXAMPLES = sorted((REPO / "docs" / "examples" / "workflows").glob("*.yml"))
ZIZMOR = Path(sys.executable).parent / "zizmor"


def actionlint() -> str:
    found = shutil.which("actionlint", path=f"{REPO / '.ci' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        if os.environ.get("GOBUILD_REQUIRE_LINTERS") == "1":
            pytest.fail("actionlint is not installed (.ci/run installs it into .ci/bin)")
        pytest.skip("actionlint is not installed: go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12")
    return found


def lint(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300)


SELF_TEST = """\
name: self-test
on: push
permissions: {}
jobs:
  action:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - id: gobuild
        uses: ./
        with:
          command: build
          args: --verify
          working-directory: .
          python-version: "3.13"
          INPUT_LINE
      - env:
          ARTIFACTS_JSON: ${{ steps.gobuild.outputs.artifacts-json }}
          PUBLISHED_JSON: ${{ steps.gobuild.outputs.published-json }}
          CHANGED: ${{ steps.gobuild.outputs.changed }}
          CHANGED_FUNCTIONS: ${{ steps.gobuild.outputs.changed-functions }}
        run: echo "$ARTIFACTS_JSON $PUBLISHED_JSON $CHANGED $CHANGED_FUNCTIONS"
"""


def self_test_repository(folder: Path, input_line: str) -> Path:
    (folder / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(REPO / "action.yml", folder / "action.yml")
    (folder / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "github_action.py", folder / "scripts" / "github_action.py")
    (folder / ".github" / "workflows" / "self-test.yml").write_text(SELF_TEST.replace("INPUT_LINE", input_line))
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    return folder


def test_actionlint_passes_on_the_example_workflows() -> None:
    assert len(EXAMPLES) == 3
    result = lint([actionlint(), *map(str, EXAMPLES)], cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_passes_on_action_yml_through_a_workflow_that_uses_it(tmp_path: Path) -> None:
    folder = self_test_repository(tmp_path / "ok", "# every input is set above")
    result = lint([actionlint()], cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_reads_action_yml(tmp_path: Path) -> None:
    folder = self_test_repository(tmp_path / "bad", "comand: publish")
    result = lint([actionlint()], cwd=folder)
    assert result.returncode == 1
    assert 'input "comand" is not defined in action "gobuild"' in result.stdout


def test_zizmor_finds_nothing_even_pedantic() -> None:
    result = lint([str(ZIZMOR), "--offline", "--persona=pedantic", "action.yml",
                   *(str(p.relative_to(REPO)) for p in EXAMPLES)], cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout
