"""Which files are deployment definitions: SAM/CloudFormation templates (YAML or JSON),
serverless.yml and Terraform .tf files, named on the command line or found under a folder.

A folder is searched without entering build output, dependencies or tool state
(node_modules, vendor, dist, .aws-sam, .terraform, .serverless, cdk.out, and every hidden
folder such as .git). A file found there is read only when its name fits and its text mentions
a Lambda function; one that is too large or not UTF-8 is skipped with a warning. A file named
on the command line must be readable and parse, or the run stops with exit code 2.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gobuild.deploy import cfn, serverless, terraform
from gobuild.deploy.model import DefinitionError, FunctionDef
from gobuild.errors import MigrateError
from gobuild.lambda_facts import MIB
from gobuild.report import Reporter

SKIP_DIRS = frozenset({
    "node_modules", "vendor", "dist", "cdk.out", "__pycache__", "venv", "env", "site-packages",
    "target", "bower_components",
})
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
MAX_FILE = 8 * MIB  # CloudFormation takes 1 MB templates; anything far bigger is not one

Reader = Callable[[Path, str, str], list[FunctionDef]]


@dataclass(frozen=True, kw_only=True)
class Definition:
    """A definition file, how it is shown, and the functions it declares."""

    path: Path
    shown: str
    functions: tuple[FunctionDef, ...]


def read_definitions(paths: list[Path], *, base: Path, reporter: Reporter) -> list[Definition]:
    """The definitions under `paths` (files or folders), in the order found."""
    found: list[Definition] = []
    seen: set[Path] = set()
    for path in paths:
        absolute = path if path.is_absolute() else base / path
        if not absolute.exists():
            raise DefinitionError(f"{path}: no such file or folder", hint="name a template, serverless.yml, "
                                  ".tf file or a folder holding them")
        if absolute.is_dir():
            candidates = [(file, False) for file in _walk(absolute)]
        else:
            candidates = [(absolute, True)]
        for file, named in candidates:
            real = file.resolve()
            if real in seen:
                continue
            seen.add(real)
            definition = _read(file, _shown(file, base), named=named, reporter=reporter)
            if definition is not None:
                found.append(definition)
    return found


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        for name in sorted(files):
            path = Path(root) / name
            if _reader_for(path) is not None:
                yield path


def _reader_for(path: Path) -> tuple[Reader, Callable[[str], bool]] | None:
    """The reader for a file name, and the cheap text test a found file must pass."""
    if serverless.is_serverless_file(path):
        return serverless.read_serverless, lambda text: "functions" in text
    if path.suffix == ".tf":
        return terraform.read_terraform, terraform.mentions_function
    if path.suffix in TEMPLATE_SUFFIXES:
        return cfn.read_template, cfn.mentions_function
    return None


def _read(path: Path, shown: str, *, named: bool, reporter: Reporter) -> Definition | None:
    chosen = _reader_for(path)
    if chosen is None:
        if named:
            raise DefinitionError(f"{shown} is not a deployment definition",
                                  hint="name a SAM or CloudFormation template (.yaml, .yml, .json, .template), "
                                  "a serverless.yml or a .tf file")
        return None
    reader, mentions = chosen
    text = _text(path, shown, named=named, reporter=reporter)
    if text is None or (not named and not mentions(text)):
        return None
    try:
        functions = reader(path, text, shown)
    except RecursionError:  # a parser's own limit on nesting: the file is hostile, not a template
        raise DefinitionError(f"{shown}: nested too deeply to be a deployment definition") from None
    except MigrateError as error:  # the shared YAML/JSON reader names the file by its full path
        raise DefinitionError(error.message.replace(str(path), shown, 1), hint=error.hint) from None
    return Definition(path=path, shown=shown, functions=tuple(functions))


def _text(path: Path, shown: str, *, named: bool, reporter: Reporter) -> str | None:
    try:
        size = path.stat().st_size
        if size > MAX_FILE:
            raise _Skip(f"{shown} is {size // MIB} MiB; a deployment definition is far smaller")
        return path.read_bytes().decode("utf-8-sig")
    except _Skip as skip:
        reason = str(skip)
    except UnicodeDecodeError:
        reason = f"{shown} is not UTF-8 text"
    except OSError as error:
        reason = f"{shown}: cannot read: {error.strerror or error}"
    if named:
        raise DefinitionError(reason)
    reporter.warning(f"skipped {reason}")
    return None


class _Skip(Exception):
    pass


def _shown(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def cdk_output(folder: Path) -> Path | None:
    """Where `cdk synth` writes the templates of the CDK app in `folder` (cdk.json's "output",
    by default cdk.out); None when the folder holds no cdk.json. Its templates are what deploys."""
    import json

    from gobuild.files import read_small_file

    try:
        settings = json.loads(read_small_file(str(folder / "cdk.json"), MIB))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        settings = {}
    output = settings.get("output") if isinstance(settings, dict) else None
    return folder / (output if isinstance(output, str) and output else "cdk.out")
