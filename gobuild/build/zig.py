"""zig as the C compiler of `cgo = true` builds.

zig comes from PyPI's `ziglang` package (gobuild's optional extra `cgo`),
found in the Python gobuild runs in. It cross-compiles C for either architecture against a
chosen glibc release (its link stubs carry only that release's symbol versions) or musl, with
no system toolchain. Its cache lives beside Go's (GOCACHE/../gobuild-zig) so that every project
shares it, as Go's is shared; ZIG_GLOBAL_CACHE_DIR chooses another place.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gobuild.cgo import Cgo, quote_word
from gobuild.errors import ToolError

PACKAGE = "ziglang"
TESTED_VERSION = "0.17.1"  # the version the cgo extra pins: another one gives other bytes
INSTALL_HINT = ("install gobuild with its cgo extra: pip install '.[cgo]' in gobuild's clone (uv tool install, pipx "
                "install the same), or pip install ziglang==0.17.1 into the Python gobuild runs in")
CACHE_NAME = "gobuild-zig"
# zig turns UBSan on for C compiled without -O or with -O0; Go's link has no UBSan runtime.
COMPILER_FLAGS = ("-fno-sanitize=undefined",)
GO_DEFAULT_FLAGS = "-O2 -g"  # what Go uses for CGO_CFLAGS and CGO_LDFLAGS when they are unset


@dataclass(frozen=True, kw_only=True)
class Zig:
    """The zig executable of the ziglang package, its version, and the cache it uses."""

    path: str
    version: str
    cache_dir: str

    def command(self, subcommand: str, target: str) -> str:
        """CC or CXX as Go reads it (quoted words): `<zig> cc -target <target> -fno-sanitize=undefined`."""
        try:
            return " ".join(quote_word(w) for w in [self.path, subcommand, "-target", target, *COMPILER_FLAGS])
        except ValueError:
            raise ToolError(f"zig is installed at {self.path}, a path Go cannot pass as a C compiler (it "
                            "holds both kinds of quote)", hint="install gobuild into a virtualenv at a plainer path"
                            ) from None


def cgo_env(zig: Zig | None, cgo: Cgo, arch: str) -> dict[str, str]:
    """The variables a `cgo = true` go command runs with: CGO_ENABLED=1, zig as CC and CXX for
    the target (CXX too: unset, Go would compile C++ with the host's g++), zig's cache, and the
    manifest's flags after Go's defaults. Without zig (a `go list` that compiles nothing) only
    CGO_ENABLED and the flags."""
    env = {"CGO_ENABLED": "1"}
    if cgo.cflags:
        env["CGO_CFLAGS"] = f"{GO_DEFAULT_FLAGS} {cgo.cflags}"
    if cgo.ldflags:
        env["CGO_LDFLAGS"] = f"{GO_DEFAULT_FLAGS} {cgo.ldflags}"
    if zig is not None:
        target = cgo.target(arch)
        env.update({"CC": zig.command("cc", target), "CXX": zig.command("c++", target),
                    "ZIG_GLOBAL_CACHE_DIR": zig.cache_dir, "ZIG_LOCAL_CACHE_DIR": zig.cache_dir})
    return env


def cache_dir(env: Mapping[str, str]) -> str:
    """Where zig caches what it builds (glibc stubs, crt files, libc++): ZIG_GLOBAL_CACHE_DIR when
    set, else `gobuild-zig` beside GOCACHE (~/.cache/go-build → ~/.cache/gobuild-zig)."""
    chosen = env.get("ZIG_GLOBAL_CACHE_DIR", "")
    if os.path.isabs(chosen):
        return chosen
    gocache = env.get("GOCACHE", "")
    if os.path.isabs(gocache):
        return str(Path(gocache).parent / CACHE_NAME)
    return str(Path.home() / ".cache" / CACHE_NAME)


def find_zig(env: Mapping[str, str], *, needed_by: str) -> Zig:
    """The ziglang package's zig in this Python and its version; a ToolError (exit code 3) naming
    `needed_by` and the fix when it is not installed or does not run."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        raise ToolError(f"{needed_by} has cgo = true, which needs zig as its C compiler, and the ziglang "
                        "package is not installed", hint=INSTALL_HINT)
    path = str(Path(spec.origin).parent / "zig")
    try:
        done = subprocess.run([path, "version"], capture_output=True, text=True, timeout=120, check=False,
                              env={**env, "ZIG_GLOBAL_CACHE_DIR": cache_dir(env)})
    except OSError as error:
        raise ToolError(f"zig from the ziglang package does not run ({path}: {error.strerror or error})",
                        hint=INSTALL_HINT) from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"{path} version did not answer within 120 s", hint=INSTALL_HINT) from None
    version = done.stdout.strip()
    if done.returncode != 0 or not version:
        raise ToolError(f"{path} version failed", hint=INSTALL_HINT, output=done.stdout + done.stderr)
    return Zig(path=path, version=version, cache_dir=cache_dir(env))


def version_warning(zig: Zig) -> str | None:
    """A warning when zig is not the version the cgo extra pins: the C code compiles, but the zips
    differ from those of machines with the pinned one (a shared cache misses, no byte equality)."""
    if zig.version == TESTED_VERSION:
        return None
    return (f"zig {zig.version} is not the {TESTED_VERSION} gobuild's cgo extra pins: cgo zips will differ from those "
            f"built elsewhere (pip install 'ziglang=={TESTED_VERSION}')")
