"""One function's verdict: its runtime, its definition, then its code through `gobuild verify`.

Whether a function is Go is decided by its code (Go build information in `bootstrap`), not by
its runtime's name: a provided.* function written in Rust or C is "not Go" and keeps only
verify's archive, entry and executable findings (GB0xx–GB2xx), not the Go ones (GB3xx). A
function whose runtime is not resolved, or is a customer-managed one, is judged only when its
code turns out to be Go. Verify's findings are placed at the line of the code property; one
about the architecture at the Architectures line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Literal

from gobuild.check.verify import Report, verify_zip
from gobuild.deploy.model import Finding, FunctionDef, FunctionResult, Place, finding
from gobuild.deploy.resolve import Resolved, Resolver
from gobuild.deploy.rules import definition_findings, judge_runtime
from gobuild.deploy.verdicts import VerdictCache
from gobuild.lambda_facts import Arch

Language = Literal["go", "not go", "unknown"]
# Verify's code for a bootstrap built for another architecture than the function's.
ARCH_MISMATCH = "GB207"
# Verify's warning for a zip over Lambda's direct-upload limit: moot when the tool uploads via S3.
DIRECT_UPLOAD_LIMIT = "GB004"


class Verifier:
    """`gobuild verify` on each zip and architecture once, however many functions share it."""

    def __init__(self, verify: Callable[[Path, str | None], Report] | None = None, *,
                 cache: VerdictCache | None = None) -> None:
        self._verify = verify or (lambda path, arch: verify_zip(path, arch=arch))
        self.cache = cache
        self._lock = threading.Lock()
        self._reports: dict[tuple[Path, str | None], Report] = {}

    def __call__(self, path: Path, arch: str | None, *, remember: bool = False) -> Report:
        """Verify's report; `remember` keeps it in the cache across runs (files that stay)."""
        key = (path, arch)
        with self._lock:
            if key in self._reports:
                return self._reports[key]
        report = self.cache.get(path, arch) if remember and self.cache else None
        if report is None:
            # Two threads may verify the same zip at once; both get the same verdict.
            report = self._verify(path, arch)
            if remember and self.cache:
                self.cache.put(path, arch, report)
        with self._lock:
            return self._reports.setdefault(key, report)


def judge(fn: FunctionDef, *, today: date, resolver: Resolver, verifier: Verifier) -> FunctionResult:
    """The whole verdict on one function."""
    if fn.code.kind == "image":
        return FunctionResult(function=fn, skipped="container image: not a .zip")
    verdict = judge_runtime(fn, today)
    if verdict.skip:
        return FunctionResult(function=fn, skipped=verdict.skip, runtime=verdict.name)
    findings = list(verdict.findings)
    definition, arch = definition_findings(fn, zip_code=True)
    findings += definition
    base = FunctionResult(function=fn, runtime=verdict.name, arch=arch.goarch if arch else "")
    if fn.code.kind == "inline":
        if verdict.custom or not verdict.known:
            return replace(base, skipped="inline code: not Go")
        findings.append(finding("GB413", "inline code (ZipFile, InlineCode) is one Node.js or Python "
                                "source file; it cannot hold a bootstrap", place=fn.code.place,
                                fix="deploy a zip with the bootstrap (gobuild build)"))
        return replace(base, findings=tuple(findings))
    resolved = resolver.resolve(fn)
    findings += resolved.findings
    result = replace(base, code=resolved.label, resolved=verdict.known and resolved.resolved)
    if resolved.zip is None:
        return replace(result, findings=tuple(findings))
    report = verifier(resolved.zip, arch.goarch if arch else None, remember=resolved.local)
    language = _language(report)
    result = replace(result, language=language, go_version=report.go_version or "")
    if (verdict.custom or not verdict.known) and language != "go":
        if verdict.custom:
            return replace(result, skipped="customer-managed runtime, and the code is not a Go bootstrap")
        findings.append(finding("GB416", f"{resolved.label} holds no Go bootstrap: with the runtime "
                                "not resolved, it is not judged", place=fn.code.place))
        return replace(result, findings=tuple(findings))
    findings += _placed(report, fn, resolved, language)
    return replace(result, findings=tuple(findings))


def _language(report: Report) -> Language:
    codes = set(report.codes())
    if codes & {"GB301", "GB302"}:
        return "go"
    if codes & {"GB300", "GB202"}:
        return "not go"
    return "unknown"


def _placed(report: Report, fn: FunctionDef, resolved: Resolved, language: Language) -> list[Finding]:
    """Verify's findings on the function's lines; only the bootstrap ones for code that is not Go."""
    placed: list[Finding] = []
    for found in report.findings:
        if found.code == DIRECT_UPLOAD_LIMIT and fn.code.through_s3:
            continue
        if language == "not go" and not found.code.startswith(("GB0", "GB1", "GB2")):
            continue
        place: Place = fn.code.place
        message = found.message
        if found.code == ARCH_MISMATCH:
            place = fn.architectures.place if fn.architectures else fn.place
            if fn.architectures is None:
                message += f" (no Architectures: Lambda's default, {Arch.AMD64.lambda_name})"
        placed.append(Finding(code=found.code, severity=found.severity, message=message, fix=found.fix,
                              place=place, entry=found.entry))
    if language == "not go":
        placed.append(finding("GB416", f"{resolved.label}: bootstrap has no Go build information; "
                              "checked only as a bootstrap, not as a Go program", place=fn.code.place))
    return placed
