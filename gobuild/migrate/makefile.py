"""The `build-<LogicalId>` Makefile targets `sam build` runs for `BuildMethod: makefile`.

SAM runs `make --makefile <CodeUri>/Makefile build-<LogicalId>`, possibly from a scratch copy
of the folder, and takes whatever lands in $(ARTIFACTS_DIR). Each target builds the function
with gobuild in the module root (found from the Makefile's own path, so a scratch copy
does not matter) and unpacks its zip there, which keeps bootstrap's executable bit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from gobuild.lambda_facts import artifact_name
from gobuild.migrate.functions import relative_path
from gobuild.migrate.model import MakeTarget, Notice

ROOT_VARIABLE = "GOBUILD_ROOT"


def add_targets(
    path: Path, text: str | None, targets: Sequence[MakeTarget]
) -> tuple[str | None, list[MakeTarget], list[Notice]]:
    """Appends a target for each logical id the Makefile lacks, leaving the rest as it is
    (a target that exists is kept: the user may have written it; the template checks say
    when it does not write bootstrap). Returns the new text (None when nothing was added),
    the targets added, and notices (none so far)."""
    existing = text or ""
    missing = [t for t in targets if not _has_target(existing, t.logical_id)]
    notices: list[Notice] = []
    if not missing:
        return None, [], notices
    sections = [] if f"{ROOT_VARIABLE} :=" in existing else [_header(path, missing[0])]
    sections += [_target(t) for t in missing]
    added = "\n".join(sections)
    if not existing:
        return added, missing, notices
    return existing + ("\n" if existing.endswith("\n") else "\n\n") + added, missing, notices


def _header(path: Path, target: MakeTarget) -> str:
    up = relative_path(target.root, path.parent)
    suffix = "" if up == "." else up
    return (
        "# Targets `sam build` calls for functions with Metadata BuildMethod: makefile.\n"
        "# gobuild builds each zip in the module root; SAM packs what lands in $(ARTIFACTS_DIR).\n"
        f"{ROOT_VARIABLE} := $(abspath $(dir $(firstword $(MAKEFILE_LIST))){suffix})\n"
    )


def _target(target: MakeTarget) -> str:
    return f".PHONY: build-{target.logical_id}\nbuild-{target.logical_id}:\n{_recipe(target)}\n"


def _recipe(target: MakeTarget) -> str:
    zip_path = f"$({ROOT_VARIABLE})/{target.out_dir}/{artifact_name(target.function, target.arch)}"
    return (
        f'\tgobuild build -C "$({ROOT_VARIABLE})" '
        f"--only {target.function} --arch {target.arch} --quiet\n"
        f'\tunzip -o -q "{zip_path}" -d "$(ARTIFACTS_DIR)"'
    )


def _has_target(text: str, logical_id: str) -> bool:
    return re.search(rf"^build-{re.escape(logical_id)}\s*:", text, re.MULTILINE) is not None
