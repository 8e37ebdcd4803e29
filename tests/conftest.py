"""Shared test configuration. Fixture modules register here as plugins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis: no wall-clock deadlines anywhere (tests never time things). CI runs the "ci"
# profile, derandomised, so a run is reproducible from its commit; locally examples vary.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

REPO = Path(__file__).resolve().parent.parent
TESTDATA = REPO / "testdata"

pytest_plugins: list[str] = [
    "tests.integration.fixtures_build",
    "tests.integration.fixtures_s3",
    "tests.integration.fixtures_rie",
    "tests.integration.fixtures_gobinaries",
    "tests.integration.fixtures_package",
    "tests.integration.fixtures_deploy",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in item.nodeid.split("/"):
            item.add_marker(pytest.mark.integration)
