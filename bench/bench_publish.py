"""Publishing a 24-zip fleet twice to a local S3 server: what the second (unchanged) run costs.

    python bench/bench_publish.py [--functions 12] [--jobs 8]

The fleet is generated, not built by `gobuild build`: the example's healthcheck function is
compiled once per architecture with the real Go toolchain (GOOS=linux, CGO_ENABLED=0,
-trimpath, -ldflags="-s -w", -tags lambda.norpc), then each of 12 function names × 2 arches
gets its own zip (gobuild.build.package.write_zip) holding that binary as `bootstrap` plus a
`fleet.json` naming the function, so all 24 zips differ, plus an artifacts.json describing
them. Publishing goes through gobuild.publish.publish, in this process, to SeaweedFS started
by gobuild.locals3 (as `gobuild local-s3` does) on 127.0.0.1 with throwaway credentials.

Requests and bytes sent are counted by botocore `before-send` event hooks on the client
(every attempt, retries included; bytes are request bodies). Wall time covers re-hashing and
verifying each zip, the HeadBucket, and every HeadObject/PutObject.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gobuild.build.artifacts import Artifact, ArtifactsFile, save
from gobuild.build.package import MODE_EXECUTABLE, ZipEntry, write_zip
from gobuild.locals3 import S3Server
from gobuild.publish.model import PublishOptions, PublishResult
from gobuild.publish.upload import publish
from gobuild.report import NullReporter

ARCHES = ("amd64", "arm64")
BUCKET = "bench-fleet"


def go_binaries(work: Path) -> tuple[dict[str, bytes], str]:
    """The example healthcheck compiled for each Lambda architecture, and the Go version."""
    env = {**os.environ, "GOOS": "linux", "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"}
    binaries = {}
    for arch in ARCHES:
        out = work / f"bootstrap-{arch}"
        subprocess.run(
            ["go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags=-s -w", "-o", str(out),
             "./cmd/healthcheck"],
            cwd=REPO / "testdata", env={**env, "GOARCH": arch}, check=True,
        )
        binaries[arch] = out.read_bytes()
    version = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, check=True).stdout.strip()
    return binaries, version


def make_fleet(dist: Path, functions: int, binaries: dict[str, bytes], go_version: str) -> ArtifactsFile:
    """functions × 2 distinct zips in dist/ and their artifacts.json."""
    artifacts = []
    for index in range(functions):
        name = f"fn{index:02d}"
        for arch in ARCHES:
            label = json.dumps({"function": name, "arch": arch}).encode()
            zipped = write_zip(dist / f"{name}-{arch}.zip", [
                ZipEntry(name="bootstrap", data=binaries[arch], mode=MODE_EXECUTABLE),
                ZipEntry(name="fleet.json", data=label),
            ])
            artifacts.append(Artifact(
                name=name, arch=arch, package="./cmd/healthcheck", path=zipped.path.name,
                size=zipped.size, sha256=zipped.sha256, code_sha256=zipped.code_sha256,
                contents_sha256=zipped.sha256, inputs="bench",
            ))
    document = ArtifactsFile(artifacts=tuple(artifacts), go_version=go_version)
    save(dist / "artifacts.json", document)
    return document


def timed(document: ArtifactsFile, dist: Path, options: PublishOptions) -> tuple[PublishResult, float]:
    start = time.perf_counter()
    result = publish(document, dist, options, NullReporter())
    elapsed = time.perf_counter() - start
    if not result.ok:
        raise SystemExit(f"publish failed: {result.failures[0].reason}")
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=12, help="function names (×2 arches)")
    parser.add_argument("--jobs", type=int, default=8, help="parallel uploads")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gobuild-bench-publish-") as tmp:
        work = Path(tmp)
        binaries, go_version = go_binaries(work)
        dist = work / "dist"
        document = make_fleet(dist, args.functions, binaries, go_version)
        total = sum(a.size for a in document.artifacts)
        with S3Server(work / "s3") as server:
            server.create_bucket(BUCKET)
            # The standard chain must find only the throwaway keys (and never instance metadata).
            os.environ.update(server.client_env({}))
            options = PublishOptions(bucket=BUCKET, endpoint_url=server.endpoint_url, jobs=args.jobs)
            first, first_time = timed(document, dist, options)
            second, second_time = timed(document, dist, options)

    print(f"fleet: {len(document.artifacts)} zips, {total / 1e6:.1f} MB, {go_version}; "
          f"SeaweedFS on 127.0.0.1; -j {args.jobs}")
    print(f"{'run':<8} {'uploaded':>8} {'present':>8} {'requests':>9} {'bytes sent':>12} {'wall':>8}")
    for label, result, seconds in (("first", first, first_time), ("second", second, second_time)):
        print(f"{label:<8} {result.count('uploaded'):>8} {result.count('present'):>8} {result.requests:>9} "
              f"{result.bytes_sent:>12,} {seconds:>7.2f}s")
    print(f"second/first wall time: {second_time / first_time:.2f} "
          f"({first_time / second_time:.1f}x faster); bytes sent by the second run: {second.bytes_sent}")


if __name__ == "__main__":
    main()
