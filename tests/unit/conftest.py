"""Unit tests are fast and hermetic: no subprocess, no network."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest


@pytest.fixture(autouse=True)
def _no_subprocess_or_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("unit tests may not start processes or open sockets; move it to tests/integration")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    if hasattr(os, "posix_spawn"):
        monkeypatch.setattr(os, "posix_spawn", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
