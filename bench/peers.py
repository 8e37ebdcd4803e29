"""Installs the peer tools the benchmark compares against, once per machine, into a cache folder.

    aws-sam-cli   pip, in a venv of its own (its pins must not meet gobuild's)
    goreleaser    GOBIN=<cache>/bin go install github.com/goreleaser/goreleaser/v2@VERSION

The cache is $GOBUILD_BENCH_CACHE, else ~/.cache/gobuild-bench. An install that fails
(no network, version not served) gives a Skipped with the reason, which the benchmark prints
as a skipped row: a peer is never dropped silently.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SAM_VERSION = "1.170.0"
GORELEASER_MODULE = "github.com/goreleaser/goreleaser/v2"
GORELEASER_VERSION = "v2.15.1"
INSTALL_TIMEOUT = 1800.0


@dataclass(frozen=True, kw_only=True)
class Tool:
    """An installed peer: the executable and the version it reports."""

    path: Path
    version: str


@dataclass(frozen=True, kw_only=True)
class Skipped:
    """A peer that could not be installed, and why (one line)."""

    reason: str


def cache_dir(environ: Mapping[str, str]) -> Path:
    """Where installed peers live between runs."""
    explicit = environ.get("GOBUILD_BENCH_CACHE")
    return Path(explicit) if explicit else Path.home() / ".cache" / "gobuild-bench"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "not found" in line.lower()]
    return (errors or lines or ["no output"])[-1][:200]


def _attempt(argv: list[str], env: Mapping[str, str], log: Path) -> str | None:
    """Runs an install step, appending its output to `log`; returns a reason when it failed."""
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.run(argv, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=INSTALL_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{Path(argv[0]).name}: {error}"
    output = proc.stdout.decode(errors="replace")
    with log.open("a") as handle:
        handle.write("$ " + " ".join(argv) + "\n" + output + "\n")
    if proc.returncode != 0:
        return f"{' '.join(Path(a).name if i == 0 else a for i, a in enumerate(argv[:4]))}... exit " \
               f"{proc.returncode}: {_last_line(output)} (log: {log})"
    return None


def _version(argv: list[str], env: Mapping[str, str]) -> str | None:
    try:
        proc = subprocess.run(argv, env=dict(env), capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (proc.stdout + proc.stderr).strip() if proc.returncode == 0 else None


def sam_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for sam: no telemetry, no AWS credentials or profile, and no weekly
    version check (sam asks PyPI after a command when its metadata says a week has passed)."""
    app_dir = cache_dir(environ) / "sam-app-dir"
    app_dir.mkdir(parents=True, exist_ok=True)
    metadata = {"telemetryEnabled": False, "lastVersionCheck": time.time()}
    (app_dir / "metadata.json").write_text(json.dumps(metadata))
    env = {k: v for k, v in environ.items() if not k.startswith("AWS_")}
    env.update({
        "SAM_CLI_TELEMETRY": "0",
        "__SAM_CLI_APP_DIR": str(app_dir),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    })
    return env


def ensure_sam(environ: Mapping[str, str]) -> Tool | Skipped:
    """aws-sam-cli in <cache>/sam-venv, installed with pip on first use."""
    venv = cache_dir(environ) / f"sam-{SAM_VERSION}"
    sam = venv / "bin" / "sam"
    env = sam_env(environ)
    version = _version([str(sam), "--version"], env) if sam.is_file() else None
    if version is None:
        log = cache_dir(environ) / "install-sam.log"
        pip_env = {k: v for k, v in environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        for step in ([sys.executable, "-m", "venv", "--clear", str(venv)],
                     [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--upgrade", "pip"],
                     [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"aws-sam-cli=={SAM_VERSION}"]):
            reason = _attempt(step, pip_env, log)
            if reason:
                return Skipped(reason=f"pip install aws-sam-cli=={SAM_VERSION} failed: {reason}")
        version = _version([str(sam), "--version"], env)
        if version is None:
            return Skipped(reason=f"{sam} --version failed after install")
    return Tool(path=sam, version=version.splitlines()[-1])


def ensure_goreleaser(environ: Mapping[str, str]) -> Tool | Skipped:
    """goreleaser in <cache>/bin, built with `go install` on first use."""
    gobin = cache_dir(environ) / "bin"
    binary = gobin / "goreleaser"
    env = {**environ, "GOBIN": str(gobin), "GOFLAGS": "", "CGO_ENABLED": "0"}
    version = _version([str(binary), "--version"], env) if binary.is_file() else None
    if version is None or GORELEASER_VERSION.lstrip("v") not in version:
        log = cache_dir(environ) / "install-goreleaser.log"
        reason = _attempt(["go", "install", f"{GORELEASER_MODULE}@{GORELEASER_VERSION}"], env, log)
        if reason:
            return Skipped(reason=f"go install goreleaser@{GORELEASER_VERSION} failed: {reason}")
        version = _version([str(binary), "--version"], env)
        if version is None:
            return Skipped(reason=f"{binary} --version failed after install")
    line = next((ln for ln in version.splitlines() if "GitVersion" in ln), version.splitlines()[-1])
    return Tool(path=binary, version=" ".join(line.split()))


if __name__ == "__main__":
    # `python bench/peers.py`: install (or find) both peers and say what was found.
    print(ensure_goreleaser(os.environ))
    print(ensure_sam(os.environ))
