"""What `gobuild check` reads and says: functions as their definitions declare them, where each
value is written, findings placed at a file:line, and the verdict per function and overall.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from gobuild.check.findings import Judged
from gobuild.errors import EXIT_BAD_INPUT, GobuildError

Severity = Literal["error", "warning", "info"]
Format = Literal["sam", "cloudformation", "serverless", "terraform"]
Status = Literal["ok", "failed", "not resolved", "skipped"]
CodeKind = Literal["path", "s3", "published", "inline", "image", "unresolved", "missing"]

# Codes about the deployment definition; verify's own (GB0xx–GB3xx) are about the zip.
CODES: dict[str, tuple[Severity, str]] = {
    "GB401": ("error", "runtime is deprecated"),
    "GB402": ("info", "runtime is supported"),
    "GB403": ("error", "runtime is not one Lambda has"),
    "GB404": ("error", "runtime missing"),
    "GB405": ("error", "customer-managed runtime without RuntimeConfig"),
    "GB406": ("info", "customer-managed runtime"),
    "GB410": ("warning", "value not resolved"),
    "GB411": ("error", "code not found"),
    "GB412": ("warning", "code could not be read"),
    "GB413": ("error", "inline code cannot hold a bootstrap"),
    "GB414": ("warning", "zip changed since gobuild build"),
    "GB415": ("error", "CodeSha256 in published.json does not match the local zip"),
    "GB416": ("info", "not a Go program"),
    "GB417": ("error", "code folder too big to deploy"),
    "GB418": ("info", "value not checked: not resolved"),
    "GB420": ("error", "Handler missing"),
    "GB421": ("error", "Architectures invalid"),
    "GB422": ("error", "Timeout outside Lambda's limits"),
    "GB423": ("error", "MemorySize outside Lambda's limits"),
    "GB424": ("error", "environment variable reserved by Lambda"),
}


class DefinitionError(GobuildError):
    """A definition cannot be read (missing, unreadable, too large); the message names it."""

    exit_code = EXIT_BAD_INPUT


@dataclass(frozen=True, kw_only=True)
class Place:
    """A line of a definition file; `file` as shown to the user (relative to where check ran)."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, kw_only=True)
class Value:
    """A property as written. `text` is the literal value, or None for an intrinsic function,
    a parameter or a variable, which `written` shows as it stands in the file."""

    text: str | None
    written: str
    place: Place

    @property
    def resolved(self) -> bool:
        return self.text is not None


@dataclass(frozen=True, kw_only=True)
class ListValue:
    """A list property (Architectures): its literal items, or None when not literal."""

    items: tuple[str, ...] | None
    written: str
    place: Place


@dataclass(frozen=True, kw_only=True)
class CodeRef:
    """Where a function's code comes from, as the deploying tool would find it.

    path: a local zip or folder (absolute). s3: bucket/key(/version). published: a (name, arch)
    entry of gobuild's dist/published.json, by the parameter or variable the template uses.
    inline: code in the template. image: a container image. unresolved: an intrinsic or
    variable (`detail` says which). missing: no code property at all.
    """

    kind: CodeKind
    place: Place
    path: Path | None = None
    bucket: str | None = None
    key: str | None = None
    version: str | None = None
    published: tuple[str, str] | None = None
    parameter: str = ""  # the template parameter an S3 key comes from (gobuild publish --format)
    built_by: str = ""  # "sam build (Metadata BuildMethod go1.x)" when the folder is a build input
    made_by: str = ""  # "cdk synth" when the path is its output (a CDK asset), which cdk deploy zips
    detail: str = ""
    # SAM, CloudFormation and Serverless upload through S3; Terraform's `filename` does not.
    through_s3: bool = True


@dataclass(frozen=True, kw_only=True)
class FunctionDef:
    """One Lambda function as a definition declares it (SAM Globals already applied)."""

    name: str
    format: Format
    resource_type: str
    place: Place
    base_dir: Path  # the folder relative paths in the definition start from
    code: CodeRef
    runtime: Value | None = None
    handler: Value | None = None
    architectures: ListValue | None = None
    timeout: Value | None = None
    memory: Value | None = None
    environment: tuple[tuple[str, Place], ...] = ()  # literal variable names
    runtime_config: Value | None = None  # RuntimeArn of a customer-managed runtime
    default_runtime: str = ""  # what the tool uses when Runtime is absent (Serverless: Node.js)


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One problem or fact about a function, at the line of the definition it concerns."""

    code: str
    severity: Severity
    message: str
    fix: str = ""
    place: Place | None = None
    entry: str | None = None  # the zip entry, for verify's findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code, "severity": self.severity, "message": self.message, "fix": self.fix,
            "file": self.place.file if self.place else None,
            "line": self.place.line if self.place else None,
            "entry": self.entry,
        }


def finding(code: str, message: str, *, place: Place | None, fix: str = "") -> Finding:
    """A finding with one of the GB4xx codes above."""
    return Finding(code=code, severity=CODES[code][0], message=message, fix=fix, place=place)


@dataclass(frozen=True, kw_only=True)
class FunctionResult(Judged["Finding"]):
    """The verdict on one function: its findings, and what was learned about its code."""

    function: FunctionDef
    findings: tuple[Finding, ...] = ()
    skipped: str = ""  # why it was not judged (another language, a container image)
    runtime: str = ""  # the runtime as declared, "" when absent or unresolved
    arch: str = ""  # GOARCH the definition asks for
    code: str = ""  # the artifact checked, as shown: "dist/orders-arm64.zip", "s3://b/k"
    language: Literal["go", "not go", "unknown"] = "unknown"
    go_version: str = ""
    resolved: bool = True  # False when the runtime or the code could not be resolved

    @property
    def status(self) -> Status:
        if self.skipped:
            return "skipped"
        if self.errors:
            return "failed"
        return "ok" if self.resolved else "not resolved"

    def to_dict(self) -> dict[str, Any]:
        fn = self.function
        return {
            "name": fn.name, "format": fn.format, "type": fn.resource_type,
            "file": fn.place.file, "line": fn.place.line, "status": self.status,
            "skipped": self.skipped or None, "runtime": self.runtime or None,
            "arch": self.arch or None, "code": self.code or None, "language": self.language,
            "go_version": self.go_version or None, "errors": len(self.errors),
            "warnings": len(self.warnings), "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True, kw_only=True)
class CheckOptions:
    """How to check: the day runtime dates are judged on, and how to reach S3 for code there."""

    today: date
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    base: Path = field(default_factory=Path.cwd)  # paths are shown relative to this folder
    jobs: int = 4
    verdicts: Path | None = None  # where verify's verdicts on local zips are remembered; None: nowhere


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """Every function found, in file order, and the definition files read."""

    functions: tuple[FunctionResult, ...]
    files: tuple[str, ...]
    today: date
    warnings: tuple[str, ...] = ()  # files skipped while searching, and why

    def failed(self, *, strict: bool = False) -> bool:
        return any(result.failed(strict=strict) for result in self.functions)

    def count(self, status: Status) -> int:
        return sum(1 for result in self.functions if result.status == status)

    def to_dict(self, *, strict: bool) -> dict[str, Any]:
        statuses: tuple[Status, ...] = ("ok", "failed", "not resolved", "skipped")
        return {
            "ok": not self.failed(strict=strict), "strict": strict, "today": self.today.isoformat(),
            "files": list(self.files), "summary": {s: self.count(s) for s in statuses},
            "warnings": list(self.warnings),
            "functions": [result.to_dict() for result in self.functions],
        }
