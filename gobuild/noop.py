"""The no-op fast path: answer `gobuild build` from the record of the last successful build.

After a successful build, the CLI records (out_dir/.gobuild/noop.json, one entry per selection
of targets) the stat of every file and folder the build consulted: sources, go.mod/go.sum,
included files, package folders, the manifest, the zips and index files; plus the Go version,
and a digest of the environment variables that can change a build. A later run with the same
selection that finds all of them unchanged cannot have anything to do, so it prints the
recorded answer without loading the CLI or asking `go list`, like git's index trusting stat
for content. Any difference, or any argument it does not know, falls back to the full build,
which decides by content and records again.

Standard library only, and not even dataclasses, pathlib or typing: this module is imported
first on every `gobuild` run, and those imports would cost more than the whole check.
"""

from __future__ import annotations

import json
import os
import sys
import time

from gobuild import lines
from gobuild.files import RACY_SECONDS, find_go, parse_json, read_small_file, stat_key, write_atomic
from gobuild.lambda_facts import MANIFEST_NAME, MAX_MANIFEST_BYTES, out_dir_of

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

RECORD_VERSION = 2
RECORD_NAME = os.path.join(".gobuild", "noop.json")
DISABLE = "GOBUILD_NOOP"  # GOBUILD_NOOP=0 always runs the full build
MAX_SELECTIONS = 8
_ENV_NAMES = ("SOURCE_DATE_EPOCH", "PATH", "HOME", "XDG_CONFIG_HOME")
# gobuild's own code: an upgrade (or an edit, in a checkout) rewrites these, and a record made
# by other code must not answer for this one.
_OWN_FILES = tuple(os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
                   for name in ("__init__.py", "noop.py", "lines.py", "lambda_facts.py"))
_VALUE_OPTIONS = {"-C": "directory", "--directory": "directory", "-m": "manifest", "--manifest": "manifest",
                  "-j": "jobs", "--jobs": "jobs", "--only": "only", "--arch": "arch"}


def selection_key(manifest_path: str, only: Iterable[str], arch: str | None) -> str:
    """Which targets a build was asked for: the manifest, --only names and --arch."""
    return json.dumps([os.path.realpath(manifest_path), sorted(set(only)), arch or ""])


def environment_digest(environ: Mapping[str, str], stamped: Iterable[str] = ()) -> str:
    """A digest of every variable that can change what a build does (GO*, CGO_*, PATH..., and
    the `stamped` names that ldflags read through {env:NAME})."""
    import hashlib  # here, not at the top: hashing is the only thing it is needed for

    names = {*_ENV_NAMES, *stamped}
    chosen = sorted((k, v) for k, v in environ.items()
                    if (k.startswith(("GO", "CGO_")) or k in names) and k != DISABLE)
    return hashlib.sha256(json.dumps(chosen).encode()).hexdigest()


def go_version(go: str, module_dir: str, environ: Mapping[str, str]) -> str | None:
    """`go env GOVERSION` as run in module_dir: which toolchain go would pick there."""
    argv = [go, "-C", module_dir, "env", "GOVERSION"]
    if not hasattr(os, "posix_spawn"):
        import subprocess

        done = subprocess.run(argv, env=dict(environ), capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else None
    read, write = os.pipe()
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        # posix_spawn, not subprocess: importing subprocess alone costs more than the check.
        pid = os.posix_spawn(go, argv, dict(environ), file_actions=[
            (os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, write, 1), (os.POSIX_SPAWN_DUP2, devnull, 2),
        ])
    except OSError:
        os.close(read)
        return None
    finally:
        os.close(write)
        os.close(devnull)
    with os.fdopen(read, "rb") as pipe:
        output = pipe.read()
    _, status = os.waitpid(pid, 0)
    return output.decode("utf-8", "replace").strip() if status == 0 else None


def parse_build_args(argv: Sequence[str]) -> dict[str, object] | None:
    """The options of a plain `gobuild build ...`; None for anything else (the full CLI decides)."""
    if not argv or argv[0] != "build":
        return None
    found: dict[str, object] = {"directory": ".", "manifest": MANIFEST_NAME, "only": [], "arch": None,
                                "quiet": False}
    rest = list(argv[1:])
    while rest:
        arg = rest.pop(0)
        if arg in ("-q", "--quiet"):
            found["quiet"] = True
            continue
        name, value = ([*arg.split("=", 1), None])[:2] if arg.startswith("--") else (arg, None)
        option = _VALUE_OPTIONS.get(name or "")
        if option is None:
            return None
        if value is None:
            if not rest or (rest[0].startswith("-") and rest[0] != "-"):
                return None
            value = rest.pop(0)
        if option == "only":
            found["only"].append(value)  # type: ignore[attr-defined]
        elif option == "jobs":
            if not value.isdigit() or int(value) < 1:
                return None
        else:
            found[option] = value
    return found


def check(argv: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """The text a full build would print, when argv asks for a build whose record still holds."""
    if environ.get(DISABLE, "1") == "0":
        return None
    args = parse_build_args(argv)
    if args is None:
        return None
    manifest = os.path.join(str(args["directory"]), str(args["manifest"]))
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        # Bounded, and refused unread when not a regular file: `-m /dev/zero` or a FIFO must
        # not hang here (the full CLI then says what is wrong with it).
        data = top_level(tomllib, read_small_file(manifest, MAX_MANIFEST_BYTES).decode("utf-8"))
        with open(os.path.join(out_dir_of(manifest, data), RECORD_NAME), encoding="utf-8") as handle:
            record = json.load(handle)
        entry = record["selections"][selection_key(manifest, args["only"], args["arch"])]  # type: ignore[arg-type]
        if record["version"] != RECORD_VERSION or not _unchanged(entry, environ):
            return None
        return render(entry, quiet=bool(args["quiet"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None  # no usable record (a TOMLDecodeError is a ValueError): the full build decides


def top_level(tomllib: Any, text: str) -> dict[str, Any]:
    """The manifest's top-level keys (out_dir is the one needed here). TOML puts them before the
    first table header, so only that part is parsed: a fleet's hundreds of [[function]] tables
    are not. When the part does not parse alone (a line of a multi-line value starts with "["),
    the whole text is."""
    start = 0
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("["):
            try:
                return dict(tomllib.loads(text[:start]))
            except ValueError:
                break
        start += len(line)
    return dict(tomllib.loads(text))


def render(entry: dict[str, Any], *, quiet: bool) -> str:
    """What the full build prints when every target is up to date, from a recorded entry."""
    shown = [lines.warning_line(message) for message in entry["warnings"]]
    if not quiet:
        shown += [lines.result_line(label, True, "up to date", size=size) for label, size in entry["targets"]]
        shown.append(lines.build_summary(zips=len(entry["targets"]), out_dir=entry["out_dir"],
                                         go_version=entry["go"][2], up_to_date=len(entry["targets"])))
    return "".join(line + "\n" for line in shown)


def _unchanged(entry: dict[str, Any], environ: Mapping[str, str]) -> bool:
    if entry["environment"] != environment_digest(environ, entry.get("stamped_env", ())):
        return False
    if any(stat_key(path) != recorded for path, recorded in entry["stats"].items()):
        return False
    if [stat_key(path) for path in _OWN_FILES] != entry["gobuild"]:
        return False
    go_path, module_dir, version = (str(value) for value in entry["go"])
    return find_go(environ) == go_path and go_version(go_path, module_dir, environ) == version


def record(out_dir: str, key: str, *, environ: Mapping[str, str], go: tuple[str, str, str],
           sources: Iterable[str], outputs: Iterable[str], since: float,
           warnings: Sequence[str], targets: Sequence[tuple[str, int]], stamped_env: Sequence[str] = ()) -> bool:
    """Records a successful build's answer for its selection; returns False (and forgets the
    selection) when a source changed too recently to trust its stat later, or when the record
    cannot be written.

    `go` is (go binary, module folder, Go version); `sources` are files and folders the build
    read (a folder's stat changes when a file is added or removed); `outputs` are files it
    wrote or checked, whose recent mtimes are its own; `targets` are (label, zip size) in the
    order they are printed; `warnings` are the messages every build of them prints;
    `stamped_env` the variables the targets' ldflags read ({env:NAME})."""
    from pathlib import Path

    path = Path(out_dir) / RECORD_NAME
    try:
        document = parse_json(path.read_text(encoding="utf-8"))
        if document.get("version") != RECORD_VERSION:
            raise ValueError("another version's record")
        selections = dict(document["selections"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        selections = {}
    previous = selections.pop(key, None)
    stats = {p: stat_key(p) for p in sources}
    trusted = all(s is None or s[1] / 1e9 < since - RACY_SECONDS for s in stats.values())
    if trusted:
        stats.update({p: stat_key(p) for p in outputs})
        entry = {"environment": environment_digest(environ, stamped_env), "go": list(go), "stats": stats,
                 "gobuild": [stat_key(p) for p in _OWN_FILES], "out_dir": out_dir,
                 "warnings": list(warnings), "targets": [list(t) for t in targets]}
        if stamped_env:
            entry["stamped_env"] = sorted(stamped_env)
        # The same answer as recorded: keep the record as it is (a build that changed nothing
        # writes nothing).
        same = isinstance(previous, dict) and {k: v for k, v in previous.items() if k != "recorded"} == entry
        selections[key] = previous if same else {**entry, "recorded": time.time()}
        newest = sorted(selections, key=lambda k: selections[k].get("recorded", 0), reverse=True)
        selections = {k: selections[k] for k in newest[:MAX_SELECTIONS]}
    document = {"version": RECORD_VERSION, "selections": selections}
    text = json.dumps(document, sort_keys=True).encode()
    try:
        if _read(path) != text:
            write_atomic(path, text)
    except OSError:
        return False  # only a shortcut is lost: the next build takes the full path
    return trusted


def _read(path: object) -> bytes | None:
    try:
        with open(str(path), "rb") as handle:
            return handle.read()
    except OSError:
        return None
