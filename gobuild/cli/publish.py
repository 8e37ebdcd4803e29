"""`gobuild publish`: upload the built zips to S3 and write dist/published.json."""

from __future__ import annotations

import os
from contextlib import ExitStack
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gobuild.cli.app import (
    HERE,
    MANIFEST,
    DirOption,
    ManifestOption,
    app,
    err_console,
    manifest_file,
    print_json,
    run,
)
from gobuild.errors import PublishError
from gobuild.lines import human_size, plural

if TYPE_CHECKING:
    from gobuild.publish.model import PublishResult
    from gobuild.report import RecordingReporter


@app.command("publish")
def publish_command(
    directory: DirOption = HERE,
    manifest: ManifestOption = MANIFEST,
    bucket: Annotated[
        str | None, typer.Option("--bucket", help="S3 bucket (else publish.bucket in gobuild.toml).")
    ] = None,
    prefix: Annotated[str | None, typer.Option("--prefix", help="Text before every key, e.g. lambda/.")] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option("--endpoint-url", help="S3 endpoint (else publish.endpoint_url, AWS_ENDPOINT_URL or AWS)."),
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="AWS region (else the standard chain).")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile (else AWS_PROFILE).")] = None,
    only: Annotated[list[str], typer.Option("--only", help="Publish only this function (repeatable).")] = [],
    jobs: Annotated[int | None, typer.Option("-j", "--jobs", min=1, help="Parallel uploads (default 8).")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check zips and the bucket; send and write nothing.")
    ] = False,
    formats: Annotated[
        list[str], typer.Option("--format", help="Also write sam, cloudformation or tfvars files (repeatable).")
    ] = [],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Verify the built zips and upload them to S3 under content-addressed keys."""
    # Imported here: boto3 takes a large part of a second to import, and only publish needs it.
    from gobuild.cli.output import reporters
    from gobuild.manifest import load_manifest
    from gobuild.publish.checks import load_artifacts
    from gobuild.publish.options import resolve_options
    from gobuild.publish.upload import publish

    def action() -> PublishResult:
        loaded = load_manifest(manifest_file(directory, manifest))
        options = resolve_options(
            loaded.publish,
            bucket=bucket,
            prefix=prefix,
            endpoint_url=endpoint_url,
            region=region,
            profile=profile,
            jobs=jobs,
            only=only,
            dry_run=dry_run,
            formats=formats,
        )
        document = load_artifacts(loaded, options.only, os.environ)
        with ExitStack() as stack:
            reporter, recorder = reporters(stack, loaded.out_dir, "publish", as_json=as_json)
            result = publish(document, loaded.out_dir, options, reporter)
        if as_json:
            print_json(result_document(result, recorder))
        elif result.published or not result.failures:
            err_console.print(summary(result), highlight=False)
        if not result.ok:
            raise failure(result)
        return result

    run(action)


def summary(result: PublishResult) -> str:
    """One line: what happened, how much went over the wire, where it is recorded."""
    verb = "would publish" if result.dry_run else "published"
    counts = f"{result.count('to upload')} to upload" if result.dry_run else f"{result.count('uploaded')} uploaded"
    line = (
        f"{verb} {plural(len(result.published), 'zip')} to s3://{result.bucket}: {counts}, "
        f"{result.count('present')} already present; {human_size(result.bytes_sent)} sent "
        f"in {plural(result.requests, 'request')}"
    )
    if result.written:
        line += f" → {', '.join(p.name for p in result.written)}"
    return line


def failure(result: PublishResult) -> PublishError:
    """The error for a publish that left some zips out."""
    first = result.failures[0]
    total = result.total
    names = ", ".join(f.label for f in result.failures)
    if any(f.stage == "check" for f in result.failures):
        return PublishError(
            f"{len(result.failures)} of {total} zips refused, nothing was sent: {first.label}: {first.reason}",
            hint="run `gobuild build` to rebuild them"
            if len(result.failures) == 1
            else f"refused: {names}; run `gobuild build` to rebuild them",
        )
    if any(f.stage == "conflict" for f in result.failures):
        hint = "inspect the objects named: a key should only ever hold the bytes its SHA-256 names"
    else:
        hint = "rerun `gobuild publish`: objects already in the bucket are not sent again"
    return PublishError(
        f"{len(result.failures)} of {total} zips not published: {first.label}: {first.reason}", hint=hint
    )


def result_document(result: PublishResult, recorder: RecordingReporter) -> dict[str, Any]:
    """The --json document."""
    return {
        "ok": result.ok,
        "dry_run": result.dry_run,
        "bucket": result.bucket,
        "published": [p.__dict__ for p in result.published],
        "failures": [f.__dict__ for f in result.failures],
        "requests": result.requests,
        "bytes_sent": result.bytes_sent,
        "written": [str(p) for p in result.written],
        "warnings": recorder.warnings(),
    }
