"""Reading gobuild.toml files: bounded (a regular file of at most 1 MiB, read without waiting
on a FIFO or a device), nesting limited before tomllib recurses, and every error naming the
file and line.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from gobuild.errors import ManifestError
from gobuild.files import NotReadable, read_small_file
from gobuild.lambda_facts import DEFAULT_OUT_DIR, MANIFEST_NAME, MAX_MANIFEST_BYTES, out_dir_of

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# Arrays and inline tables nested deeper than this are refused before tomllib reads them
# (it recurses per level); a manifest needs three.
MAX_TOML_NESTING = 32
_TOML_TOKENS = re.compile(r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]',
                          re.DOTALL)


def read_manifest_text(path: Path) -> str:
    """The text of a manifest file; ManifestError for a missing, unreadable, oversized or
    non-regular file (nothing is read from a FIFO or a device)."""
    try:
        return read_small_file(str(path), MAX_MANIFEST_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise ManifestError(
            f"{path}: no such manifest", hint="run `gobuild init` to write one for the module's main packages"
        ) from None
    except NotReadable as error:
        raise ManifestError(f"{path}: {error}", hint="a manifest is a TOML file of at most 1 MiB") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"{path}: cannot read: {error}") from None


def parse_toml(text: str, label: str) -> dict[str, Any]:
    """The one TOML reader of gobuild.toml files; a ManifestError names the file and line."""
    depth, line = _nesting(text)
    if depth > MAX_TOML_NESTING:
        raise ManifestError(f"{label}:{line}: arrays or tables nested {depth} deep (at most {MAX_TOML_NESTING})",
                            hint="flatten the value at that line")
    try:
        return tomllib.loads(text)
    except RecursionError:  # nesting through dotted keys or headers the scan does not count
        raise ManifestError(f"{label}: nested too deep", hint="flatten the manifest") from None
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"at line (\d+)", str(error))
        where = f"{label}:{found.group(1)}" if found else label
        raise ManifestError(f"{where}: invalid TOML: {error}", hint="fix the syntax at that line") from None


def _nesting(text: str) -> tuple[int, int]:
    """The deepest nesting of [ and { outside strings and comments, and the line it is on."""
    depth = deepest = 0
    where = 0
    for match in _TOML_TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > deepest:
                deepest, where = depth, match.start()
        elif token in ("]", "}"):
            depth = max(0, depth - 1)
    return deepest, text.count("\n", 0, where) + 1


def out_dir_setting(root: Path) -> str:
    """The `out_dir` of the manifest in folder `root`, as written (default dist); the default
    when there is no readable manifest there."""
    path = root / MANIFEST_NAME
    try:
        data = parse_toml(read_small_file(str(path), MAX_MANIFEST_BYTES).decode("utf-8"), path.name)
    except (OSError, UnicodeDecodeError, NotReadable, ManifestError):
        return DEFAULT_OUT_DIR
    return os.path.relpath(out_dir_of(str(path), data), os.path.realpath(root))
