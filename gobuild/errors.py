"""Typed errors: each kind carries the exit code the CLI returns for it."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3


class GobuildError(Exception):
    """Base error: one line of message, an optional hint with the fix, an exit code."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, hint: str | None = None, *, output: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # Captured subprocess output to replay under the message.
        self.output = output

    def __str__(self) -> str:
        return self.message


class ManifestError(GobuildError):
    """gobuild.toml is unreadable or invalid; the message names file, key path or line."""

    exit_code = EXIT_BAD_INPUT


class UsageError(GobuildError):
    """A flag or argument is invalid."""

    exit_code = EXIT_BAD_INPUT


class ToolError(GobuildError):
    """A required program (go, qemu, ...) is missing or unusable."""

    exit_code = EXIT_ENVIRONMENT


class BuildError(GobuildError):
    """One or more functions failed to compile or package."""


class StaleError(GobuildError):
    """Artifacts are missing or older than their sources: run gobuild build first."""


class VerifyError(GobuildError):
    """An archive would not run on Lambda."""


class PublishError(GobuildError):
    """Uploading to S3 failed or found conflicting content."""


class InvokeError(GobuildError):
    """A local invocation did not produce a successful response."""


class MigrateError(GobuildError):
    """A template could not be read or rewritten."""
