"""Shared test configuration. Fixture modules register here as plugins."""

from __future__ import annotations

from pathlib import Path

import pytest

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
