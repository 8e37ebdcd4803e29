"""A real S3-compatible server for the tests: SeaweedFS on 127.0.0.1, from gobuild.locals3.

The server is the same code `gobuild local-s3` and `scripts/demo` run. It gets throwaway credentials whose secret is
recognisable (SECRET_MARK), so tests can prove it never shows up in output, logs or files.
Clients get an environment with only those credentials: no profile, no config file, no
instance metadata, so nothing can reach AWS.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    from typing import Self
else:  # pragma: no cover - typer depends on typing_extensions
    from typing_extensions import Self

import pytest

from gobuild.locals3 import AWS_VARIABLES_TO_DROP, Credentials, S3Server

SECRET_MARK = "FAKEsecretGOBUILD"


def marked_credentials() -> Credentials:
    """Credentials whose secret contains SECRET_MARK (and is still unique to this run)."""
    return Credentials(
        access_key="GOBUILDTEST" + secrets.token_hex(4).upper(),
        secret_key=f"{SECRET_MARK}-{secrets.token_hex(12)}",
    )


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One SeaweedFS for the session; tests isolate themselves with their own bucket."""
    server = S3Server(tmp_path_factory.mktemp("s3server"), credentials=marked_credentials())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_s3_server(tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """Starts private servers (for tests that stop and restart one); all stopped at the end."""
    started: list[Any] = []

    def make() -> Any:
        server = S3Server(tmp_path / f"s3server-{len(started)}", credentials=marked_credentials())
        started.append(server)
        server.start()
        return server

    try:
        yield make
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def bucket(s3_server: Any) -> str:
    """A new, empty bucket on the session server."""
    name = f"gobuild-{uuid.uuid4().hex[:12]}"
    s3_server.create_bucket(name)
    return name


@pytest.fixture
def s3_env(s3_server: Any) -> dict[str, str]:
    """Environment for `gobuild publish` subprocesses: only the session server's credentials."""
    env: dict[str, str] = s3_server.client_env(os.environ)
    env["AWS_MAX_ATTEMPTS"] = "2"  # keep fault tests quick; retries themselves are botocore's
    return env


@pytest.fixture
def hermetic_aws(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], None]:
    """For in-process publishes (the standard chain reads os.environ): aim_at(server) sets the
    same environment the subprocess tests get, for that server's credentials."""

    def aim_at(server: Any) -> None:
        for name in AWS_VARIABLES_TO_DROP:
            monkeypatch.delenv(name, raising=False)
        for name, value in server.client_env({}).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")

    return aim_at


def bucket_contents(server: Any, bucket: str) -> dict[str, bytes]:
    """Every object in the bucket: key → bytes."""
    client = server.client()
    contents: dict[str, bytes] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            contents[item["Key"]] = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return contents


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LimitedS3Proxy:
    """A loopback HTTP proxy in front of the real server that behaves like a more limited one.

    It forwards every request unchanged (the Host header too, so SigV4 signatures still verify),
    counts the response body bytes each path delivered (`delivered`), and can answer PutObject with `If-None-Match` by 501 NotImplemented, and drop the
    x-amz-checksum-* headers from responses: an S3-compatible server without conditional
    writes or stored checksums, which SeaweedFS and AWS both are not.
    """

    def __init__(self, upstream_port: int, *, reject_conditional: bool = False, strip_checksums: bool = False) -> None:
        import http.client
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def relay(self) -> None:
                length = int(self.headers.get("Content-Length", 0) or 0)
                body = self.rfile.read(length) if length else None
                if self.command == "PUT" and reject_conditional and "If-None-Match" in self.headers:
                    proxy.rejected += 1
                    payload = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NotImplemented</Code>"
                               b"<Message>A header you provided implies functionality that is not "
                               b"implemented</Message></Error>")
                    self.send_response(501)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                connection = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                try:
                    connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                    for name, value in self.headers.items():
                        connection.putheader(name, value)
                    connection.endheaders(body)
                    response = connection.getresponse()
                    length = response.getheader("Content-Length")
                    data = response.read() if length is None else b""
                    self.send_response(response.status)
                    for name, value in response.getheaders():
                        lowered = name.lower()
                        if lowered in ("transfer-encoding", "connection"):
                            continue
                        if strip_checksums and lowered.startswith("x-amz-checksum-"):
                            continue
                        self.send_header(name, value)
                    if length is None:
                        self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.stream(response, data)
                finally:
                    connection.close()

            def stream(self, response: Any, data: bytes) -> None:
                # Body bytes go out as they arrive and are counted once written to the client's
                # connection, so a test can see how little of an object a client took before hanging up.
                chunks = iter([data]) if data else iter(lambda: response.read(64 * 1024), b"")
                try:
                    for chunk in chunks:
                        self.wfile.write(chunk)
                        with proxy.lock:
                            proxy.delivered[self.path.split("?")[0]] = (
                                proxy.delivered.get(self.path.split("?")[0], 0) + len(chunk))
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = relay

        self.rejected = 0
        self.delivered: dict[str, int] = {}  # request path → response body bytes the client took
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
