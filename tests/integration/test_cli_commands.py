"""The CLI loads only the module of the command it runs: every command must still be reachable,
listed in --help exactly as registered, and an unknown word must still get click's usage error."""

from __future__ import annotations

import re

import pytest

from gobuild.cli import MODULES, app, load_commands
from tests.integration.fixtures_build import gobuild

ENV = {"COLUMNS": "200", "PATH": "/usr/bin:/bin"}


def registered() -> set[str]:
    """The command names the typer app holds once every command module is imported."""
    load_commands([])
    return {command.name or "" for command in app.registered_commands}


def listed_in_help(text: str) -> set[str]:
    """The command names in the Commands panel of `gobuild --help`."""
    panel = text.split("Commands", 1)[1]
    return {m.group(1) for m in re.finditer(r"^│ ([a-z][a-z0-9-]*)\s", panel, re.MULTILINE)}


def test_every_command_word_is_registered_by_the_module_it_names() -> None:
    assert registered() == set(MODULES)


def test_help_lists_exactly_the_registered_commands() -> None:
    proc = gobuild("--help", env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert listed_in_help(proc.stdout) == registered()


@pytest.mark.parametrize("command", sorted(MODULES))
def test_each_command_answers_help_alone(command: str) -> None:
    proc = gobuild("--debug", command, "--help", env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert f"gobuild {command}" in proc.stdout


def test_an_unknown_command_is_a_usage_error() -> None:
    proc = gobuild("biuld", env=ENV)
    assert proc.returncode == 2
    assert "No such command" in proc.stderr and "biuld" in proc.stderr
