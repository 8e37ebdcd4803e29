"""Random argument lists for `gobuild build`, run in-process on a copy of the built example:
whatever the flags, the command ends with an exit code (0, 1 or 2) and never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gobuild.cli import load_commands
from gobuild.cli.app import app
from tests.integration.fixtures_build import copy_built

VALUES = {
    "--only": st.sampled_from(["orders", "payments", "nope", "", "../x", "a\tb"]),
    "--arch": st.sampled_from(["arm64", "amd64", "x86_64", "x86", "", "ARM64"]),
    "--shard": st.sampled_from(["1/2", "3/3", "7/8", "0/1", "2/1", "x", "1/0", "-1/2", "1/99999999999"]),
    "-j": st.sampled_from(["1", "2", "0", "-3", "x", "99999"]),
    "-m": st.sampled_from(["gobuild.toml", "missing.toml", "/dev/zero", "/dev/null", ".", "/"]),
}
SWITCHES = ["--json", "-q", "--verify", "--fail-fast"]
ARGUMENTS = st.lists(
    st.one_of(
        st.sampled_from(SWITCHES).map(lambda s: [s]),
        st.sampled_from(sorted(VALUES)).flatmap(lambda option: VALUES[option].map(lambda v: [option, v])),
        st.text(max_size=8).map(lambda t: [t]),
    ),
    max_size=5,
).map(lambda groups: [a for group in groups for a in group])


@pytest.fixture(scope="module")
def shop(built_example: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    load_commands(["build"])
    return copy_built(built_example, tmp_path_factory.mktemp("fuzz") / "shop")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ARGUMENTS)
def test_random_build_arguments_never_end_in_a_traceback(shop: Path, arguments: list[str]) -> None:
    result = CliRunner().invoke(app, ["build", "-C", str(shop), *arguments])
    assert result.exception is None or isinstance(result.exception, SystemExit), (arguments, result.output)
    assert result.exit_code in (0, 1, 2), (arguments, result.output)
    assert "Traceback" not in result.output
