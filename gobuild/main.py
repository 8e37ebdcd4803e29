"""The console-script entry point: a no-op build answered from its record, else the full CLI."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Runs gobuild; `gobuild build` with nothing to do returns before the CLI is even imported."""
    from gobuild import noop

    answer = noop.check(sys.argv[1:], os.environ)
    if answer is not None:
        sys.stderr.write(answer)
        sys.stderr.flush()
        sys.exit(0)
    from gobuild.cli import main as cli_main

    cli_main()
