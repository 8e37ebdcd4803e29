"""Command-line interface: one module per command, all registered on one typer app."""

from gobuild.cli.app import app, main

# Each import registers its command(s) on `app`.
from gobuild.cli import build  # noqa: E402,F401
from gobuild.cli import publish  # noqa: E402,F401
from gobuild.cli import invoke  # noqa: E402,F401
from gobuild.cli import verify  # noqa: E402,F401
from gobuild.cli import migrate  # noqa: E402,F401
from gobuild.cli import repack  # noqa: E402,F401

__all__ = ["app", "main"]
