"""The step action.yml runs: `gobuild COMMAND ARGS`, then the action's outputs.

    GOBUILD_ACTION_COMMAND=build GOBUILD_ACTION_ARGS='--shard 1/4' python scripts/github_action.py

ARGS is split as a POSIX shell splits words (shlex), with nothing expanded. For `build` and
`publish` the command runs with `--json`, so that the targets it changed can be read from its
document; the document is shown in a collapsed group of the log, and a short summary after it.
Outputs go to $GITHUB_OUTPUT (artifacts-json, published-json, changed, changed-functions) and a
summary table to $GITHUB_STEP_SUMMARY. The exit status is gobuild's.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

JSON_COMMANDS = ("build", "publish")  # the commands whose --json document says what changed
USAGE_ERROR = 2


def option_value(args: Sequence[str], short: str, long: str, default: str) -> str:
    """The last value given to -X VALUE, --long VALUE or --long=VALUE, as gobuild parses it."""
    value = default
    for index, arg in enumerate(args):
        if arg in (short, long) and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith(long + "="):
            value = arg.split("=", 1)[1]
        elif arg.startswith(short) and len(arg) > len(short) and short != long:
            value = arg[len(short):]
    return value


def index_files(args: Sequence[str]) -> dict[str, str]:
    """artifacts-json and published-json: the project's index files that exist after the run."""
    from gobuild.errors import GobuildError
    from gobuild.lambda_facts import ARTIFACTS_NAME, MANIFEST_NAME, PUBLISHED_NAME
    from gobuild.manifest import load_manifest

    directory = option_value(args, "-C", "--directory", ".")
    manifest = option_value(args, "-m", "--manifest", MANIFEST_NAME)
    try:
        out_dir = load_manifest(Path(directory) / manifest).out_dir
    except GobuildError:
        return {"artifacts-json": "", "published-json": ""}  # not a project (verify, migrate...)
    found = {}
    for output, name in (("artifacts-json", ARTIFACTS_NAME), ("published-json", PUBLISHED_NAME)):
        path = Path(out_dir, name).resolve()
        found[output] = str(path) if path.is_file() else ""
    return found


def changed_targets(command: str, document: Mapping[str, Any]) -> list[str]:
    """name/arch of what the run changed: zips build wrote, zips publish uploaded."""
    if command == "build":
        return sorted(document.get("changed", []))
    if command == "publish":
        return sorted(f"{p['name']}/{p['arch']}" for p in document.get("published", []) if p["status"] == "uploaded")
    return []


def write_outputs(path: str | None, outputs: Mapping[str, str]) -> None:
    """Appends NAME=VALUE lines to $GITHUB_OUTPUT (values are single-line)."""
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        for name, value in outputs.items():
            handle.write(f"{name}={value}\n")


def write_summary(path: str | None, command: str, changed: Sequence[str]) -> None:
    """A short table of what changed, for the workflow run's summary page."""
    if not path:
        return
    verb = {"build": "rebuilt", "publish": "uploaded"}.get(command)
    if verb is None:
        return
    lines = [f"### gobuild {command}: {len(changed)} {verb}", ""]
    if changed:
        lines += ["| function | arch |", "| --- | --- |"]
        lines += ["| {} | {} |".format(*target.split("/", 1)) for target in changed]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def main(environ: Mapping[str, str]) -> int:
    command = environ.get("GOBUILD_ACTION_COMMAND", "").strip()
    try:
        args = shlex.split(environ.get("GOBUILD_ACTION_ARGS", ""))
    except ValueError as error:
        print(f"::error::gobuild action: args: {error}", flush=True)
        return USAGE_ERROR
    if not command or command.startswith("-"):
        print(f"::error::gobuild action: command {command!r} is not a gobuild command", flush=True)
        return USAGE_ERROR
    wants_json = command in JSON_COMMANDS
    argv = [command, *args, *(["--json"] if wants_json and "--json" not in args else [])]
    print(f"$ gobuild {shlex.join(argv)}", flush=True)
    done = subprocess.run([sys.executable, "-m", "gobuild", *argv], stdout=subprocess.PIPE if wants_json else None,
                          text=True, check=False)
    document: dict[str, Any] = {}
    if wants_json and done.stdout:
        print("::group::gobuild's JSON document", flush=True)
        print(done.stdout, end="", flush=True)
        print("::endgroup::", flush=True)
        try:
            document = json.loads(done.stdout)
        except ValueError:
            document = {}
    changed = changed_targets(command, document)
    if wants_json:
        print(f"changed: {', '.join(changed) or 'nothing'}", flush=True)
    outputs = {
        **index_files(args),
        "changed": json.dumps(changed),
        "changed-functions": json.dumps(sorted({target.split("/")[0] for target in changed})),
    }
    write_outputs(environ.get("GITHUB_OUTPUT"), outputs)
    write_summary(environ.get("GITHUB_STEP_SUMMARY"), command, changed)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(os.environ))
