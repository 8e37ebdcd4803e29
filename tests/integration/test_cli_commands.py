"""The CLI loads only the module of the command it runs: every command must still be reachable,
listed in --help, and an unknown word must still get click's usage error."""

from __future__ import annotations

import pytest

from gobuild.cli import MODULES
from tests.integration.fixtures_build import gobuild


def test_help_lists_every_command() -> None:
    proc = gobuild("--help", env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    for command in MODULES:
        assert command in proc.stdout


@pytest.mark.parametrize("command", sorted(MODULES))
def test_each_command_answers_help_alone(command: str) -> None:
    proc = gobuild("--debug", command, "--help", env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert f"gobuild {command}" in proc.stdout


def test_an_unknown_command_is_a_usage_error() -> None:
    proc = gobuild("biuld", env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2
    assert "No such command" in proc.stderr and "biuld" in proc.stderr
