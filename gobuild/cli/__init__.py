"""Command-line interface: one module per command, all registered on one typer app.

`main()` imports only the module of the command being run (all of them for --help or an
unknown word), so `gobuild build` does not pay for the imports of publish, invoke or migrate.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from gobuild.cli.app import app
from gobuild.cli.app import main as _run_app

# Command word → the module that registers it on `app`.
MODULES = {
    "init": "build",
    "build": "build",
    "merge": "build",
    "publish": "publish",
    "invoke": "invoke",
    "verify": "verify",
    "migrate": "migrate",
    "repack": "repack",
    "diff": "diff",
    "local-s3": "local_s3",
    "check": "check",
}
# Root options that answer before any command runs: nothing to import for them.
ANSWERED_AT_ROOT = ("--version", "--show-completion", "--install-completion")


def load_commands(argv: Sequence[str]) -> None:
    """Registers the command argv names, or every command when it names none that is known."""
    word = next((a for a in argv if not a.startswith("-")), None)
    if word is None and any(a.split("=", 1)[0] in ANSWERED_AT_ROOT for a in argv):
        return
    chosen = [MODULES[word]] if word in MODULES else sorted(set(MODULES.values()))
    for name in chosen:
        importlib.import_module(f"gobuild.cli.{name}")


def main() -> None:
    """Console-script entry point of the full CLI."""
    load_commands(sys.argv[1:])
    _run_app()


__all__ = ["app", "load_commands", "main"]
