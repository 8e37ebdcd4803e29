"""What a check says about an archive: findings with stable codes, collected into a Report.

    CODES                    code → (severity, title) for every finding gobuild emits
    Finding(code, severity, message, fix, entry)
    Report(archive, findings, arch, go_version, build_info)
    FindingList              collects findings, at most MAX_PER_CODE naming entries per code

Codes never change meaning: GB0xx are about the archive, GB1xx about its entries and where
`bootstrap` is, GB2xx about the bootstrap executable, GB3xx about its Go build information.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from gobuild.lambda_facts import MIB

if TYPE_CHECKING:
    from gobuild.check.buildinfo import BuildInfo

Severity = Literal["error", "warning", "info"]

# At most this many findings of one code name entries; the rest are counted in one more.
MAX_PER_CODE = 10

CODES: dict[str, tuple[Severity, str]] = {
    "GB001": ("error", "not a readable zip archive"),
    "GB002": ("error", "entry data is corrupt"),
    "GB003": ("error", "archive is empty"),
    "GB004": ("warning", "zip is over Lambda's 50 MiB direct-upload limit"),
    "GB005": ("error", "unzipped size is over Lambda's 250 MiB limit"),
    "GB006": ("warning", "archive uses Zip64 records"),
    "GB007": ("error", "archive is a placeholder"),
    "GB101": ("error", "no bootstrap at the archive root"),
    "GB102": ("error", "bootstrap is not executable"),
    "GB103": ("error", "bootstrap has no Unix permissions (zip made on Windows)"),
    "GB104": ("error", "bootstrap is a symlink to nothing in the archive"),
    "GB105": ("warning", "bootstrap is a symlink"),
    "GB106": ("error", "bootstrap is a directory"),
    "GB107": ("error", "duplicate entry names"),
    "GB108": ("error", "encrypted entry"),
    "GB109": ("error", "entry name escapes the archive root"),
    "GB110": ("error", "compression method Lambda cannot unzip"),
    "GB111": ("error", "entry name contains a backslash"),
    "GB112": ("error", "entry name cannot be extracted"),
    "GB113": ("error", "a path is both a file and a folder"),
    "GB114": ("error", "symlink points outside the archive"),
    "GB115": ("warning", "entry needs a zip version above 2.0"),
    "GB116": ("warning", "stored entry with a data descriptor"),
    "GB117": ("warning", "entry others cannot read"),
    "GB200": ("info", "bootstrap contents not inspected"),
    "GB201": ("error", "bootstrap is empty"),
    "GB202": ("info", "bootstrap is a script"),
    "GB203": ("error", "bootstrap script has Windows line endings"),
    "GB204": ("error", "bootstrap is not an ELF executable"),
    "GB205": ("error", "bootstrap ELF is malformed or truncated"),
    "GB206": ("error", "bootstrap architecture is not one Lambda runs"),
    "GB207": ("error", "bootstrap architecture differs from --arch"),
    "GB208": ("info", "bootstrap ELF summary"),
    "GB209": ("error", "bootstrap is built for another operating system"),
    "GB210": ("error", "bootstrap ELF is not an executable"),
    "GB211": ("warning", "bootstrap is dynamically linked"),
    "GB212": ("error", "bootstrap needs a dynamic loader provided.al2023 lacks"),
    "GB213": ("error", "bootstrap needs a newer glibc than provided.al2023's 2.34"),
    "GB214": ("error", "bootstrap needs a shared library provided.al2023 lacks"),
    "GB300": ("info", "no Go build information"),
    "GB301": ("info", "Go version"),
    "GB302": ("info", "Go version unknown"),
    "GB303": ("error", "aws-lambda-go is older than v1.18.0"),
    "GB304": ("info", "built without the lambda.norpc tag"),
    "GB305": ("info", "built with CGO_ENABLED=1"),
    "GB306": ("info", "built without -trimpath"),
    "GB307": ("warning", "built for an amd64 CPU level Lambda does not promise"),
    "GB308": ("error", "built for an arm64 CPU level Graviton2 lacks"),
    "GB309": ("warning", "no Lambda runtime client (aws-lambda-go)"),
}


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One problem or fact about an archive. `code` is stable; `entry` names the zip entry."""

    code: str
    severity: Severity
    message: str
    fix: str = ""
    entry: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
            "entry": self.entry,
        }


class _Graded(Protocol):
    @property
    def severity(self) -> str: ...


GradedT = TypeVar("GradedT", bound=_Graded)


class Judged(Generic[GradedT]):
    """errors, warnings and failed() over the `findings` of a verdict (verify's, check's)."""

    findings: tuple[GradedT, ...]

    @property
    def errors(self) -> tuple[GradedT, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[GradedT, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    def failed(self, *, strict: bool = False) -> bool:
        """Whether the verdict fails: any error, or with `strict` any warning too."""
        return bool(self.errors) or (strict and bool(self.warnings))


@dataclass(frozen=True, kw_only=True)
class Report(Judged["Finding"]):
    """All findings for one archive, plus what was learned about its bootstrap."""

    archive: str
    findings: tuple[Finding, ...]
    arch: str | None = None
    go_version: str | None = None
    # The bootstrap's Go build information, for callers that compare it (the cache); not in to_dict.
    build_info: BuildInfo | None = None

    @property
    def has_errors(self) -> bool:
        """True when Lambda would reject the archive or fail to start the function."""
        return bool(self.errors)

    def codes(self) -> tuple[str, ...]:
        """The finding codes in order, handy for tests and summaries."""
        return tuple(f.code for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "archive": self.archive,
            "ok": not self.has_errors,
            "arch": self.arch,
            "go_version": self.go_version,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [f.to_dict() for f in self.findings],
        }


def finding(code: str, message: str, *, fix: str = "", entry: str | None = None) -> Finding:
    """A Finding with the severity its code has."""
    return Finding(code=code, severity=CODES[code][0], message=message, fix=fix, entry=entry)


class FindingList:
    """Collects findings, keeping at most MAX_PER_CODE per code so hostile archives stay short."""

    def __init__(self) -> None:
        self.items: list[Finding] = []
        self.counts: Counter[str] = Counter()
        self.overflow: Counter[str] = Counter()
        self.corrupt: set[str] = set()  # entries already reported as corrupt (GB002)

    def add(self, code: str, message: str, *, fix: str = "", entry: str | None = None) -> None:
        if self.counts[code] >= MAX_PER_CODE:
            self.overflow[code] += 1
            return
        self.counts[code] += 1
        self.items.append(finding(code, message, fix=fix, entry=entry))

    def has(self, code: str, entry: str | None = None) -> bool:
        """Whether a finding of `code` (about `entry`, when given) was added."""
        return any(f.code == code and (entry is None or f.entry == entry) for f in self.items)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.items if f.severity == "error")

    def result(self) -> tuple[Finding, ...]:
        extra = [
            finding(code, f"and {count} more entries with the same problem ({CODES[code][1]})")
            for code, count in self.overflow.items()
        ]
        return (*self.items, *extra)


def display(text: str) -> str:
    """Text safe to show: control characters escaped (zip names come from anyone), length capped."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:200])
    return shown + ("…" if len(text) > 200 else "")


def listing(names: list[str], limit: int = 5) -> str:
    """'a, b, c and 4 more': names for a message, displayed safely."""
    shown = ", ".join(display(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"
