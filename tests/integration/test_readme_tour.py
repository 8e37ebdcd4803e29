"""The README's tour shows what gobuild really prints: every command in it runs here, in order,
and its output is compared with the lines the README shows under it.

How the README marks the tour:
- a ```` ```console tour ```` block holds `$ command` lines, each followed by the output the
  README shows for it (stdout and stderr together, as a terminal shows them);
- a block whose info string has `file=NAME` (```` ```yaml file=template.yaml ````) is a file the
  tour writes into the current folder before the next command runs.

The blocks run in README order as one session: it starts at the root of this checkout; `cd DIR`
changes the folder for the commands after it; every other command runs in bash, and must exit 0.
`gobuild` is this checkout's (`python -m gobuild`, through a shim first on PATH), with no AWS
settings and no GO* variables that gobuild would warn about, so nothing reaches AWS.

What may differ between the README and a run, and how the comparison forgives it (both sides
are normalised alike, in `normalise`):
- the project folder: the README's tour works in /tmp/shop; the test uses a fresh temporary
  folder, put in place of /tmp/shop in the commands and replaced by /tmp/shop in the output
  (gobuild prints absolute paths, so the README shows /tmp/shop/... where it does);
- values that change from run to run or machine to machine: times (`1.1s`, `152.54 ms`), sizes
  (`2.2 MB`), Go versions (`go1.26.8`), SHA-256s (hex and base64), request ids (UUIDs) and
  127.0.0.1 ports;
- the order of the per-zip lines of `build` and `publish` (`ok   name/arch ...`), which follow
  completion order: each run of consecutive such lines is compared as a sorted list;
- a README line holding only `…` stands for any number of lines (an elided part).
Everything else, spacing, blank lines and line order included, must match.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from gobuild.build.gotool import PASSTHROUGH
from gobuild.locals3 import AWS_VARIABLES_TO_DROP
from tests.conftest import REPO
from tests.integration.fixtures_rie import arm64_runner

README = REPO / "README.md"
README_PROJECT = "/tmp/shop"  # the folder the README's tour works in
ELISION = "…"
# The commands the tour must show, in this order.
TOUR = ("init", "build", "verify", "invoke", "publish", "migrate")

_VARYING = (
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
    (re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}="), "<base64>"),
    (re.compile(r"\bgo1\.\d+(\.\d+)?\b"), "go<version>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"\b\d+(\.\d+)? ?(B|KB|MB|GB|KiB|MiB|GiB)\b"), "<size>"),
    (re.compile(r"\b\d+(\.\d+)? ?(ms|s)\b"), "<time>"),
)
_PER_ZIP = re.compile(r"^(ok|FAIL|skip) +\S+/(amd64|arm64) ")


@dataclass
class Step:
    """One `$ command` of the tour and the output lines the README shows for it."""

    command: str
    expected: list[str] = field(default_factory=list)


@dataclass
class FileBlock:
    """A file the tour writes before the next command: its name and text."""

    name: str
    text: str


def tour_blocks(markdown: str) -> list[Step | FileBlock]:
    """The README's tour in order: the steps of each ```console tour block and the files."""
    items: list[Step | FileBlock] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        fence = re.match(r"^```(.*)$", lines[index])
        index += 1
        if not fence:
            continue
        words = fence.group(1).split()
        body: list[str] = []
        while index < len(lines) and lines[index] != "```":
            body.append(lines[index])
            index += 1
        index += 1
        files = [w.split("=", 1)[1] for w in words if w.startswith("file=")]
        if files:
            items.append(FileBlock(name=files[0], text="\n".join(body) + "\n"))
        elif words[:2] == ["console", "tour"]:
            for line in body:
                if line.startswith("$ "):
                    items.append(Step(command=line[2:]))
                else:
                    step = items[-1]
                    assert isinstance(step, Step), f"output before any command in a tour block: {line!r}"
                    step.expected.append(line)
    return items


def normalise(lines: list[str], project: str | None = None) -> list[str]:
    """The lines with what varies between runs replaced by placeholders (see the module's doc)."""
    result: list[str] = []
    for line in lines:
        if project is not None:
            for path in sorted({project, os.path.realpath(project)}, key=len, reverse=True):
                line = line.replace(path, README_PROJECT)
        for pattern, placeholder in _VARYING:
            line = pattern.sub(placeholder, line)
        result.append(line.rstrip())
    return _sort_per_zip_runs(result)


def _sort_per_zip_runs(lines: list[str]) -> list[str]:
    result: list[str] = []
    run: list[str] = []
    for line in [*lines, ""]:
        if _PER_ZIP.match(line):
            run.append(line)
            continue
        result += sorted(run)
        run = []
        result.append(line)
    return result[:-1]


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the actual lines are the expected ones, an `…` line standing for any run of lines."""
    if not expected:
        return not actual
    if expected[0] == ELISION:
        return any(matches(expected[1:], actual[skip:]) for skip in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and matches(expected[1:], actual[1:])


def tour_environment(bin_dir: Path) -> dict[str, str]:
    """os.environ without AWS settings or GO* variables gobuild would warn about, with this
    checkout's gobuild first on PATH and unbuffered output (so stdout and stderr keep their order)."""
    env = {
        name: value for name, value in os.environ.items()
        if name not in AWS_VARIABLES_TO_DROP and not name.startswith(("AWS_", "CGO_", "FORCE_COLOR"))
        and not (name.startswith("GO") and not name.startswith("GOBUILD_") and name not in PASSTHROUGH)
    }
    shim = bin_dir / "gobuild"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m gobuild "$@"\n')
    shim.chmod(0o755)
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", PYTHONUNBUFFERED="1",
               AWS_EC2_METADATA_DISABLED="true", NO_COLOR="1")
    return env


def test_the_readme_marks_a_tour_of_every_main_command() -> None:
    steps = [item for item in tour_blocks(README.read_text(encoding="utf-8")) if isinstance(item, Step)]
    shown = [s.command.split()[1] for s in steps if s.command.startswith("gobuild ")]
    # `gobuild local-s3 -- gobuild publish` is the publish step.
    shown = ["publish" if c == "local-s3" else c for c in shown]
    assert [c for c in dict.fromkeys(shown) if c in TOUR] == list(TOUR)
    assert all(s.expected for s in steps if s.command.startswith("gobuild ")), "a tour command shows no output"


def test_the_comparison_forgives_only_what_varies() -> None:
    readme = ["ok   b/arm64  zipped  2.2 MB  2.4s", "ok   a/arm64  zipped  2.1 MB  1.1s",
              "4 zips in /tmp/shop/dist (4 built; go1.26.8)"]
    run = ["ok   a/arm64  zipped  2.0 MB  0.9s", "ok   b/arm64  zipped  2.3 MB  12.0s",
           "4 zips in /var/tmp/t/shop/dist (4 built; go1.27.1)"]
    assert normalise(readme) == normalise(run, "/var/tmp/t/shop")
    assert normalise(readme) != normalise(run, "/elsewhere")  # another folder is not the project
    assert normalise(readme) != normalise([*run[:2], "4 zips in /var/tmp/t/shop/dist (4 up to date; go1.27.1)"],
                                          "/var/tmp/t/shop")  # words count
    assert matches(["a", ELISION, "d"], ["a", "b", "c", "d"]) and matches(["a", ELISION], ["a"])
    assert not matches(["a", ELISION, "d"], ["a", "b", "c"])
    assert not matches(["ok   a/arm64  zipped"], ["ok   a/arm64   zipped"])  # spacing counts


def test_every_command_of_the_readme_tour_prints_what_the_readme_shows(tmp_path: Path) -> None:
    arm64_runner()  # the tour invokes an arm64 function: qemu on an amd64 machine
    project = tmp_path / "shop"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = tour_environment(bin_dir)
    cwd = REPO
    mismatches: list[str] = []
    for item in tour_blocks(README.read_text(encoding="utf-8")):
        if isinstance(item, FileBlock):
            (cwd / item.name).write_text(item.text, encoding="utf-8")
            continue
        command = item.command.replace(README_PROJECT, str(project))
        if command.startswith("cd "):
            cwd = Path(shlex.split(command)[1])
            continue
        proc = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=900, check=False)
        assert proc.returncode == 0, f"$ {item.command}\nexited {proc.returncode}:\n{proc.stdout}"
        expected = normalise(item.expected)
        actual = normalise(proc.stdout.splitlines(), str(project))
        if not matches(expected, actual):
            mismatches.append(f"$ {item.command}\n--- README (normalised)\n" + "\n".join(expected)
                              + "\n--- this run (normalised)\n" + "\n".join(actual))
    assert not mismatches, "\n\n".join(mismatches)
