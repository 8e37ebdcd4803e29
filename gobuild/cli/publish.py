"""`gobuild publish`: upload the built zips to S3 and write dist/published.json."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from gobuild.cli.app import DirOption, ManifestOption, app, err_console, manifest_file, print_json, run
from gobuild.cli.render import human_size
from gobuild.errors import PublishError

if TYPE_CHECKING:
    from gobuild.publish import PublishResult
    from gobuild.report import RecordingReporter


@app.command("publish")
def publish_command(
    directory: Path = DirOption,
    manifest: Path = ManifestOption,
    bucket: str | None = typer.Option(None, "--bucket", help="S3 bucket (else publish.bucket in gobuild.toml)."),
    prefix: str | None = typer.Option(None, "--prefix", help="Text before every key, e.g. lambda/."),
    endpoint_url: str | None = typer.Option(
        None, "--endpoint-url", help="S3 endpoint (else publish.endpoint_url, AWS_ENDPOINT_URL or AWS)."),
    region: str | None = typer.Option(None, "--region", help="AWS region (else the standard chain)."),
    profile: str | None = typer.Option(None, "--profile", help="AWS profile (else AWS_PROFILE)."),
    only: list[str] = typer.Option([], "--only", help="Publish only this function (repeatable)."),
    jobs: int | None = typer.Option(None, "-j", "--jobs", min=1, help="Parallel uploads (default 8)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check zips and the bucket; send and write nothing."),
    formats: list[str] = typer.Option(
        [], "--format", help="Also write sam, cloudformation or tfvars files (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Verify the built zips and upload them to S3 under content-addressed keys."""
    # Imported here: boto3 takes a large part of a second to import, and only publish needs it.
    from gobuild.cli.render import reporters
    from gobuild.manifest import load_manifest
    from gobuild.publish import load_artifacts, publish, resolve_options

    def action() -> PublishResult:
        loaded = load_manifest(manifest_file(directory, manifest))
        options = resolve_options(
            loaded.publish, bucket=bucket, prefix=prefix, endpoint_url=endpoint_url, region=region,
            profile=profile, jobs=jobs, only=only, dry_run=dry_run, formats=formats,
        )
        document = load_artifacts(loaded, options.only)
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
    counts = (f"{result.count('to upload')} to upload" if result.dry_run
              else f"{result.count('uploaded')} uploaded")
    line = (f"{verb} {len(result.published)} zips to s3://{result.bucket}: {counts}, "
            f"{result.count('present')} already present; {human_size(result.bytes_sent)} sent "
            f"in {result.requests} requests")
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
            hint="run `gobuild build` to rebuild them" if len(result.failures) == 1
            else f"refused: {names}; run `gobuild build` to rebuild them",
        )
    if any(f.stage == "conflict" for f in result.failures):
        hint = "inspect the objects named: a key should only ever hold the bytes its SHA-256 names"
    else:
        hint = "rerun `gobuild publish`: objects already in the bucket are not sent again"
    return PublishError(f"{len(result.failures)} of {total} zips not published: {first.label}: {first.reason}",
                        hint=hint)


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
