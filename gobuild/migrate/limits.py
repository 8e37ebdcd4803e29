"""Limits on what a YAML, JSON or TOML file may ask of migrate, checked before it is parsed.

YAML aliases let a few lines stand for billions of nodes ("billion laughs"), and deep nesting
makes the recursive parsers (ruamel's composer, json, tomllib) fail with RecursionError. Each
check here is a flat scan, so it costs time and memory in proportion to the file's size, and
refuses the file (exit 2, naming file and line) before the expensive or recursive step.
"""

from __future__ import annotations

import re
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml import events as yaml_events

from gobuild.migrate.model import RefusedInput

# Real templates nest about a dozen levels (Resources > X > Properties > Policies > ...).
MAX_DEPTH = 100
# Nodes that aliases may add to a YAML document (`<<: *defaults` in a serverless.yml adds a few
# hundred); a billion-laughs file asks for billions.
MAX_ALIAS_NODES = 100_000

_HINT = "gobuild refuses such files before parsing them (migrate and check alike); nothing was changed"


def check_yaml(text: str, path: Path) -> None:
    """Refuses YAML nested deeper than MAX_DEPTH or whose aliases expand to more than
    MAX_ALIAS_NODES nodes. Syntax errors are left for the parser to report."""
    # ruamel's scanner looks ahead over a whole flow collection for a possible key, which is
    # quadratic in its depth: count brackets first (in quoted text too).
    _check_brackets(text, path, _YAML_FLOW_TOKEN, "YAML")
    sizes: dict[str, int] = {}  # anchor → nodes its value stands for, aliases expanded
    stack: list[tuple[str | None, int]] = []  # open collections: anchor, nodes so far
    added = 0
    for event in YAML(typ="rt").parse(text):
        if isinstance(event, (yaml_events.MappingStartEvent, yaml_events.SequenceStartEvent)):
            stack.append((event.anchor, 1))
            if len(stack) > MAX_DEPTH:
                raise _refuse(path, event, f"nested more than {MAX_DEPTH} levels deep")
            continue
        if isinstance(event, (yaml_events.MappingEndEvent, yaml_events.SequenceEndEvent)):
            anchor, size = stack.pop()
        elif isinstance(event, yaml_events.AliasEvent):
            anchor, size = None, sizes.get(str(event.anchor), 1)
            added += size
            if added > MAX_ALIAS_NODES:
                raise _refuse(
                    path, event, f"its aliases expand to more than {MAX_ALIAS_NODES:,} nodes"
                )
        elif isinstance(event, yaml_events.ScalarEvent):
            anchor, size = event.anchor, 1
        else:
            continue
        if anchor is not None:
            sizes[str(anchor)] = size
        if stack:
            stack[-1] = (stack[-1][0], stack[-1][1] + size)


def _refuse(path: Path, event: yaml_events.Event, problem: str) -> RefusedInput:
    mark = event.start_mark
    line = f":{mark.line + 1}" if mark is not None else ""
    return RefusedInput(f"{path}{line}: YAML {problem}", _HINT)


# Any bracket: skipping quoted text would let an apostrophe in a plain scalar hide a deep flow
# collection from this count. A bracket in a scalar counts too, which only matters for a file
# with a hundred unclosed ones.
_YAML_FLOW_TOKEN = re.compile(r"[\[\]{}]")
# A JSON string, or one bracket.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
# TOML strings (multi-line first), comments and brackets.
_TOML_TOKEN = re.compile(
    r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]',
    re.DOTALL,
)


def check_json(text: str, path: Path) -> None:
    """Refuses JSON nested deeper than MAX_DEPTH."""
    _check_brackets(text, path, _JSON_TOKEN, "JSON")


def check_toml(text: str, path: Path) -> None:
    """Refuses TOML whose arrays and inline tables nest deeper than MAX_DEPTH."""
    _check_brackets(text, path, _TOML_TOKEN, "TOML")


def _check_brackets(text: str, path: Path, tokens: re.Pattern[str], syntax: str) -> None:
    depth = 0
    for match in tokens.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                raise RefusedInput(
                    f"{path}:{line}: {syntax} nested more than {MAX_DEPTH} levels deep", _HINT
                )
        elif token in "]}":
            depth = max(depth - 1, 0)
