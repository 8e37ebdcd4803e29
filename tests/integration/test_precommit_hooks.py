"""The pre-commit hooks in .pre-commit-hooks.yaml, run by the real pre-commit against a throwaway
git repository: `pre-commit try-repo` installs gobuild from a repository holding this working tree
(language: python, so only PyPI is reached) and runs the hook the way a user's commit would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gobuild.cli import MODULES
from tests.conftest import REPO, TESTDATA
from tests.integration.fixtures_build import gobuild
from tests.integration.fixtures_package import BIN, install_env, run

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

GIT = ["git", "-c", "user.name=gobuild tests", "-c", "user.email=tests@gobuild.invalid", "-c", "commit.gpgsign=false"]
LEGACY = TESTDATA / "migrate" / "sam-globals" / "input"


def hooks() -> list[dict[str, object]]:
    import yaml  # pre-commit's own dependency, in the test extra through it

    loaded: list[dict[str, object]] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    return loaded


def user_repository(folder: Path) -> Path:
    """A project with a legacy SAM template (go1.x in Globals), committed."""
    shutil.copytree(LEGACY, folder)
    run([*GIT, "init", "-q", "-b", "main"], cwd=folder)
    run([*GIT, "add", "-A"], cwd=folder)
    run([*GIT, "commit", "-q", "-m", "legacy"], cwd=folder)
    return folder


def try_repo(hook_repo: Path, hook: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo HOOK_REPO HOOK --all-files` in cwd, as a user tries a hook."""
    env = install_env(PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never")
    return subprocess.run([str(BIN / "pre-commit"), "try-repo", str(hook_repo), hook, "--all-files"], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)


def test_the_hooks_manifest_is_valid() -> None:
    run([BIN / "pre-commit", "validate-manifest", REPO / ".pre-commit-hooks.yaml"], cwd=REPO)
    assert [hook["id"] for hook in hooks()] == ["gobuild-migrate-check", "gobuild-manifest", "gobuild-check"]
    assert {hook["language"] for hook in hooks()} == {"python"}


@pytest.mark.parametrize("hook", hooks(), ids=lambda hook: str(hook["id"]))
def test_each_hook_names_a_real_command_and_options(hook: dict[str, object]) -> None:
    words = str(hook["entry"]).split()
    assert words[0] == "gobuild"
    if words[1] not in MODULES:
        pytest.skip(f"`gobuild {words[1]}` is not in this checkout yet (issue 13, the deployment check)")
    shown = gobuild(*words[1:2], "--help", env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert shown.returncode == 0, shown.stderr
    for option in words[2:]:
        assert option in shown.stdout, f"{hook['id']}: `gobuild {words[1]}` has no {option}"


def test_migrate_check_hook_fails_on_a_legacy_template_and_passes_after_migrate_write(
    source_repo: Path, tmp_path: Path
) -> None:
    project = user_repository(tmp_path / "shop")
    home = tmp_path / "pre-commit-home"
    failed = try_repo(source_repo, "gobuild-migrate-check", project, home)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "gobuild migrate --check" in failed.stdout and "Failed" in failed.stdout
    assert "template.yaml:9: Runtime: go1.x → Runtime: provided.al2023" in failed.stdout

    written = gobuild("migrate", "--write", "template.yaml", cwd=project)
    assert written.returncode == 0, written.stderr
    run([*GIT, "commit", "-q", "-am", "provided.al2023"], cwd=project)
    passed = try_repo(source_repo, "gobuild-migrate-check", project, home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def head(repo: Path) -> str:
    return run(["git", "rev-parse", "HEAD"], cwd=repo).stdout.strip()


def test_manifest_hook_from_a_pre_commit_config(source_repo: Path, tmp_path: Path) -> None:
    # The way docs/ci.md configures it: .pre-commit-config.yaml names the repository and a commit.
    project = tmp_path / "shop"
    shutil.copytree(TESTDATA, project, ignore=shutil.ignore_patterns("dist", "migrate"))
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source_repo}\n    rev: {head(source_repo)}\n    hooks:\n      - id: gobuild-manifest\n"
    )
    run([*GIT, "init", "-q", "-b", "main"], cwd=project)
    run([*GIT, "add", "-A"], cwd=project)
    run([*GIT, "commit", "-q", "-m", "fleet"], cwd=project)
    env = install_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PRE_COMMIT_COLOR="never")

    def pre_commit_run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "pre-commit"), "run", "--all-files"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)

    passed = pre_commit_run()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "gobuild build --dry-run (gobuild.toml is valid)" in passed.stdout and "Passed" in passed.stdout
    assert not (project / "dist").exists()  # validated, not built

    manifest = project / "gobuild.toml"
    manifest.write_text(manifest.read_text().replace('architectures = ["amd64", "arm64"]', 'archs = ["arm64"]'))
    assert "archs" in tomllib.loads(manifest.read_text())["function"][0]
    run([*GIT, "add", "gobuild.toml"], cwd=project)  # staged, as a commit would check it
    failed = pre_commit_run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "function[1].archs: unknown key" in failed.stdout
    assert "did you mean 'architectures'?" in failed.stdout
