"""`gobuild check`: the deployment as Lambda will see it, before it ships.

    check_deployment(paths, options, reporter) -> CheckResult

Reads SAM/CloudFormation templates, serverless.yml and Terraform (gobuild.deploy.discover),
judges each Lambda function's runtime and definition (gobuild.deploy.rules), resolves its code
the way the deploying tool would (gobuild.deploy.resolve) and runs `gobuild verify` on it
(gobuild.deploy.judge). Every finding carries the file:line it is about.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gobuild.deploy.discover import read_definitions
from gobuild.deploy.judge import Verifier, judge
from gobuild.deploy.model import CheckOptions, CheckResult, FunctionDef, FunctionResult
from gobuild.deploy.resolve import Resolver
from gobuild.deploy.s3code import S3Reader, S3Settings
from gobuild.deploy.verdicts import VerdictCache
from gobuild.report import RecordingReporter, Reporter, TeeReporter

__all__ = ["CheckOptions", "CheckResult", "FunctionResult", "check_deployment"]


def check_deployment(paths: Sequence[Path], options: CheckOptions,
                     reporter: Reporter | None = None) -> CheckResult:
    """Checks every function the definitions under `paths` (default: the base folder) declare.

    Raises DefinitionError (exit code 2) for a path that does not exist or a definition that
    cannot be read or parsed; everything about a function is a finding in the result.
    """
    recorder = RecordingReporter()
    report: Reporter = TeeReporter(recorder, reporter) if reporter else recorder
    definitions = read_definitions(list(paths) or [options.base], base=options.base, reporter=report)
    functions = [fn for definition in definitions for fn in definition.functions]
    settings = S3Settings(endpoint_url=options.endpoint_url, region=options.region, profile=options.profile)
    with tempfile.TemporaryDirectory(prefix="gobuild-check-") as scratch:
        resolver = Resolver(base=options.base, scratch=Path(scratch), s3=S3Reader(settings, Path(scratch)))
        cache = VerdictCache(options.verdicts) if options.verdicts else None
        verifier = Verifier(cache=cache)

        def one(fn: FunctionDef) -> FunctionResult:
            task = f"{fn.name} ({fn.place})"
            report.started(task)
            result = judge(fn, today=options.today, resolver=resolver, verifier=verifier)
            report.finished(task, not result.failed(), result.status)
            return result

        with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
            results = tuple(pool.map(one, functions))
        if cache:
            cache.save()
    return CheckResult(functions=results, files=tuple(d.shown for d in definitions), today=options.today,
                       warnings=tuple(recorder.warnings()))
