"""gobuild: reproducible, verified Lambda zips for Go functions on provided.al2023.

What the package knows about itself: its version and the manifest reference it ships. The
version has one source, the package metadata (pyproject.toml's `version`), read on first use:
importing importlib.metadata costs more than the whole no-op build, which imports this package
first and never needs the version.
"""

from __future__ import annotations

from functools import cache

DISTRIBUTION = "gobuild"
# What a checkout that was never installed reports (PEP 440: a local version of 0).
UNKNOWN_VERSION = "0+unknown"

# The annotated gobuild.toml with every key, shipped as package data (`gobuild init --example`).
EXAMPLE_MANIFEST = "data/gobuild.toml.example"


@cache
def version() -> str:
    """gobuild's version from the installed distribution's metadata."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as distribution_version

    try:
        return distribution_version(DISTRIBUTION)
    except PackageNotFoundError:
        return UNKNOWN_VERSION


def example_manifest() -> str:
    """The annotated example gobuild.toml: every key, its default and a one-line comment."""
    from importlib.resources import files

    return files(__name__).joinpath(EXAMPLE_MANIFEST).read_text(encoding="utf-8")


def __getattr__(name: str) -> str:
    # `from gobuild import __version__` keeps working, and reads the metadata only then.
    if name == "__version__":
        return version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
