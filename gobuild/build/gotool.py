"""Every call of the `go` command: which go, its environment, flags, captured output.

The caller's GO* variables must not silently change the bytes: gobuild builds with
GOENV=off (so `go env -w` settings cannot inject flags), passes through only the variables
that say where modules come from and where caches live, and records the names of the
others it cleared. A go.work is used only when the manifest's project holds it (at or above
module_dir, up to the manifest's folder); GOWORK from the environment is not.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gobuild import files
from gobuild.build.processes import Completed, Processes
from gobuild.build.zig import Zig, cgo_env
from gobuild.cgo import link_flags
from gobuild.errors import BuildError, ToolError
from gobuild.plan import BuildSettings

# Where modules come from and where caches live: they do not change the output.
PASSTHROUGH = (
    "GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GOSUMDB", "GONOSUMDB", "GONOPROXY",
    "GOPRIVATE", "GOINSECURE", "GOTMPDIR", "GOTOOLCHAIN", "GOROOT", "GOVCS", "GOAUTH",
    "GOTELEMETRY", "GOBIN", "GOTELEMETRYDIR", "GOCACHEPROG",
)
# Go's defaults for variables that change code generation; anything else is recorded.
NEUTRAL = {"GOFLAGS": "", "GOAMD64": "v1", "GOARM64": "v8.0", "GOEXPERIMENT": "", "GO386": "sse2",
           "GOARM": "7", "GOOS": "linux", "GOARCH": "", "GOENV": "", "GOWORK": ""}
# GOFLAGS entries that only say how the module cache is stored: kept, the rest is cleared.
NEUTRAL_GOFLAGS = frozenset({"-modcacherw"})
INSTALL_HINT = "install Go from https://go.dev/dl/ (or your package manager), or set GOBUILD_GO=/path/to/go"


@dataclass(frozen=True, kw_only=True)
class GoTool:
    """The go command gobuild runs, its version and the environment it runs with."""

    path: str
    version: str
    base_env: tuple[tuple[str, str], ...]
    ignored_env: tuple[str, ...]
    tmpdir: str | None = None  # GOTMPDIR for go's work folders: inside the build's scratch folder
    zig: Zig | None = None  # the C compiler of cgo targets, found when a build has any
    processes: Processes = field(default_factory=Processes, compare=False, repr=False)

    def env_for(self, settings: BuildSettings) -> dict[str, str]:
        """The full environment for one build: base, manifest env, then the fixed target."""
        env = dict(self.base_env)
        env.update({"GOAMD64": "v1", "GOARM64": "v8.0"})
        env.update(dict(settings.env))
        env.update({"GOOS": "linux", "GOARCH": settings.arch, "CGO_ENABLED": "0"})
        if settings.cgo is not None:
            env.update(cgo_env(self.zig, settings.cgo, settings.arch))
        env["GOWORK"] = str(settings.workfile) if settings.workfile else "off"
        if self.tmpdir:
            env["GOTMPDIR"] = self.tmpdir
        return env

    def run(self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> Completed:
        """Runs a go command in its own process group, stdout and stderr kept apart."""
        return self.processes.run(argv, cwd=cwd, env=env, hint=INSTALL_HINT)


def find_go(environ: Mapping[str, str]) -> str:
    """The go binary: $GOBUILD_GO, else `go` on PATH; a clear ToolError otherwise."""
    found = files.find_go(environ)
    if found is None:
        raise ToolError("go: command not found on PATH", hint=INSTALL_HINT)
    if not (os.path.isfile(found) and os.access(found, os.X_OK)):
        raise ToolError(f"GOBUILD_GO={found} is not an executable file", hint=INSTALL_HINT)
    return found


def clean_env(environ: Mapping[str, str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """The caller's environment without GO*/CGO_* variables that could change the output."""
    env: dict[str, str] = {}
    ignored: list[str] = []
    for name, value in environ.items():
        if name.startswith("GOBUILD_"):
            continue  # gobuild's own settings, not Go's
        if name == "GOFLAGS":
            kept = [flag for flag in value.split() if flag in NEUTRAL_GOFLAGS]
            if len(kept) < len(value.split()):
                ignored.append(name)
            env[name] = " ".join(kept)
            continue
        if (name.startswith("GO") or name.startswith("CGO_")) and name not in PASSTHROUGH:
            if NEUTRAL.get(name) != value:
                ignored.append(name)
            continue
        if name.startswith("ZIG_") and name != "ZIG_GLOBAL_CACHE_DIR":  # ZIG_LIB_DIR, ZIG_LIBC: other C libraries
            ignored.append(name)
            continue
        env[name] = value
    env["GOENV"] = "off"
    env.setdefault("GOFLAGS", "")
    env["GOWORK"] = "off"  # only a go.work of the project counts (BuildSettings.workfile)
    return env, tuple(sorted(ignored))


def probe(environ: Mapping[str, str], module_dir: Path, processes: Processes) -> GoTool:
    """Finds go and reads its version and module settings once, as the build will see them."""
    path = find_go(environ)
    env, ignored = clean_env(environ)
    # Settings a user keeps in `go env -w` (GOPROXY, GOPRIVATE...) are read here and passed
    # explicitly, because builds run with GOENV=off.
    keys = ["GOVERSION", *PASSTHROUGH]
    done = processes.run([path, "env", "-json", *keys], cwd=module_dir,
                         env={**env, "GOENV": environ.get("GOENV", "")}, hint=INSTALL_HINT)
    if done.returncode != 0:
        raise ToolError(f"{path} env failed", hint=INSTALL_HINT, output=done.replay())
    try:
        values = json.loads(done.stdout)
    except ValueError:
        raise ToolError(f"{path} env printed no JSON", output=done.replay()) from None
    for key in PASSTHROUGH:
        if values.get(key):
            env[key] = values[key]
    env.pop("GOROOT", None)  # let the chosen go find its own root
    return GoTool(path=path, version=values.get("GOVERSION", "unknown"), base_env=tuple(sorted(env.items())),
                  ignored_env=ignored, processes=processes)


def build_argv(go: GoTool, settings: BuildSettings, packages: Sequence[str], out_dir: Path) -> list[str]:
    """`go build` for one group: fixed flags, tags, ldflags, output folder, packages."""
    argv = [go.path, "build", f"-buildvcs={'true' if settings.buildvcs else 'false'}"]
    if settings.trimpath:
        argv.append("-trimpath")
    if settings.tags:
        argv.append("-tags=" + ",".join(settings.tags))
    argv.append("-ldflags=" + (link_flags(settings.ldflags, settings.cgo) if settings.cgo else settings.ldflags))
    argv += ["-o", str(out_dir) + os.sep, *packages]
    return argv


_MODULE_LINE = re.compile(r"^\s*module\s+(\S+)", re.MULTILINE)


def module_path(module_dir: Path) -> str:
    """The module path declared in go.mod."""
    text = (module_dir / "go.mod").read_text(encoding="utf-8")
    match = _MODULE_LINE.search(text)
    if not match:
        raise BuildError(f"{module_dir / 'go.mod'}: no module line")
    return match.group(1).strip('"')
