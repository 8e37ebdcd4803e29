"""The Go builds a Makefile states, read and never run: `go build -o bin/orders ./cmd/orders`
lines, and the `build-<LogicalId>` targets `sam build` calls. They say exactly which package
each binary comes from, where it is written and with which build tags.

Only what make would do without running a shell is followed: simple variables (`=`, `:=`,
`?=`, `+=`, `export`), `$(VAR)`/`${VAR}`, line continuations, `cd DIR &&` and `go build -C`.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

MAKEFILE_NAMES = ("GNUmakefile", "makefile", "Makefile")
# `go build` flags that take the next word as their value.
_VALUE_FLAGS = frozenset(
    {
        "-o", "-C", "-p", "-tags", "-ldflags", "-gcflags", "-asmflags", "-gccgoflags", "-mod",
        "-modfile", "-pkgdir", "-buildmode", "-compiler", "-installsuffix", "-overlay", "-pgo",
        "-toolexec", "-exec", "-covermode", "-coverpkg", "-coverprofile",
    }
)
_ASSIGNMENT = re.compile(r"^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(:{0,3}=|\?=|\+=|!=)\s*(.*)$")
_RULE = re.compile(r"^([^:=#\t][^:=#]*?)\s*::?(?!=)\s*(.*)$")
_REFERENCE = re.compile(r"\$(?:\(([A-Za-z_][A-Za-z0-9_.-]*)\)|\{([A-Za-z_][A-Za-z0-9_.-]*)\}|([@*<]))")
_ENV_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
# A recipe line or variable expanded longer than this is cut: no real build line comes close.
MAX_EXPANSION = 64 * 1024
_MAX_DEPTH = 10
# Where SAM puts what a build-<LogicalId> target writes, as a Makefile spells it.
ARTIFACTS_DIR = "$(ARTIFACTS_DIR)"


@dataclass(frozen=True, kw_only=True)
class GoBuild:
    """One `go build` a Makefile recipe runs."""

    makefile: Path
    target: str
    line: int  # of the recipe line in the Makefile
    cwd: Path  # where it runs: the Makefile's folder, after any `cd` and `-C`
    output: str  # the -o value after expansion ("" when there is none); $(ARTIFACTS_DIR) kept
    arguments: tuple[str, ...]  # the packages or .go files, as written
    tags: tuple[str, ...] = ()

    @property
    def output_path(self) -> Path | None:
        """Where the binary is written, when that is a path in the checkout."""
        if not self.output or "$" in self.output:
            return None
        return Path(os.path.normpath(self.cwd / self.output))

    @property
    def output_name(self) -> str:
        """The binary's file name: the -o value's last part, else what go build names it."""
        if self.output:
            return self.output.rstrip("/").rsplit("/", 1)[-1]
        files = self.files
        if files:
            return Path(files[0]).stem
        folder = self.folder
        return folder.name if folder is not None else ""

    @property
    def files(self) -> tuple[str, ...]:
        """The .go files named one by one (`go build todos/create.go`), not globs."""
        return tuple(a for a in self.arguments if a.endswith(".go") and "*" not in a)

    @property
    def folder(self) -> Path | None:
        """The folder of the package built: `.`, `./cmd/x`, `x/main.go` and `x/*.go` give
        their folder; an import path, a pattern or several folders give None."""
        arguments = self.arguments or (".",)
        if not all(_local(a) for a in arguments):
            return None
        folders = {
            os.path.normpath(self.cwd / (os.path.dirname(a) if a.endswith(".go") else a))
            for a in arguments
        }
        return Path(folders.pop()) if len(folders) == 1 else None


def _local(argument: str) -> bool:
    """A package argument that is a folder or files of the checkout (`./cmd/x`, `x/main.go`),
    not an import path or a `./...` pattern."""
    return "..." not in argument and (argument.endswith(".go") or argument.startswith((".", "/")))


@dataclass(frozen=True, kw_only=True)
class Makefile:
    """A Makefile's variables and rules: target → its recipe lines with their line numbers."""

    path: Path
    variables: dict[str, str]
    rules: dict[str, tuple[tuple[int, str], ...]]
    variable_lines: dict[str, int]

    def recipe(self, target: str) -> tuple[tuple[int, str], ...] | None:
        """The recipe of `target`, its lines expanded; None when there is no such rule."""
        lines = self.rules.get(target)
        if lines is None:
            return None
        return tuple((number, self.expand(text, target)) for number, text in lines)

    def expand(self, text: str, target: str = "") -> str:
        """`$(VAR)` and `${VAR}` replaced by their values; `$@` by the target; unknown
        variables (such as SAM's ARTIFACTS_DIR) written as `$(NAME)`. Each variable is
        expanded once, and a result longer than MAX_EXPANSION is cut there (a hostile
        Makefile can nest variables to expand to terabytes)."""
        return self._expand(text, target, 0, {})

    def _expand(self, text: str, target: str, depth: int, done: dict[str, str]) -> str:
        budget = [MAX_EXPANSION]

        def value(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2)
            if name is None:
                found = target if match.group(3) == "@" else match.group(0)
            elif name in self.variables and depth < _MAX_DEPTH:
                if name not in done:
                    done[name] = self._expand(self.variables[name], target, depth + 1, done)
                found = done[name]
            else:
                found = f"$({name})"
            if len(found) > budget[0]:
                return ""
            budget[0] -= len(found)
            return found

        expanded = _REFERENCE.sub(value, text[:MAX_EXPANSION].replace("$$", "\0"))
        return expanded[:MAX_EXPANSION].replace("\0", "$")

    def origin(self, build: GoBuild, needle: str = "-o") -> int:
        """The line that writes `needle` of a build: its recipe line, or the line of the
        variable the recipe takes it from (`build_cmd = go build -o ...`)."""
        raw = next((text for number, text in self.rules.get(build.target, ()) if number == build.line), "")
        if needle in raw:
            return build.line
        pending, seen = _references(raw), set()
        while pending:
            name = pending.pop(0)
            if name in seen or name not in self.variables:
                continue
            seen.add(name)
            if needle in self.variables[name]:
                return self.variable_lines.get(name, build.line)
            pending += _references(self.variables[name])
        return build.line

    def go_builds(self, target: str | None = None) -> list[GoBuild]:
        """The `go build` commands of one target's recipe, or of every rule."""
        targets = [target] if target is not None else list(self.rules)
        builds: list[GoBuild] = []
        for name in targets:
            for number, line in self.recipe(name) or ():
                builds += _builds_in(line, self, name, number)
        return builds


def _references(text: str) -> list[str]:
    return [m.group(1) or m.group(2) for m in _REFERENCE.finditer(text) if m.group(1) or m.group(2)]


def parse_makefile(path: Path, text: str) -> Makefile:
    """The variables and explicit rules of a Makefile (pattern rules are skipped)."""
    variables: dict[str, str] = {}
    lines: dict[str, int] = {}
    rules: dict[str, list[tuple[int, str]]] = {}
    current: list[list[tuple[int, str]]] = []
    for number, line in _logical_lines(text):
        if line.startswith("\t"):
            for recipe in current:
                recipe.append((number, line[1:]))
            continue
        stripped = line.split("#", 1)[0].rstrip()
        if not stripped.strip():
            continue
        assignment = _ASSIGNMENT.match(stripped.strip())
        if assignment is not None:
            name, operator, value = assignment.groups()
            if operator == "+=":
                variables[name] = f"{variables.get(name, '')} {value}".strip()
            elif operator != "?=" or name not in variables:
                variables[name] = value.strip()
            lines.setdefault(name, number)
            current = []
            continue
        rule = _RULE.match(stripped)
        if rule is None:
            current = []
            continue
        current = []
        inline = rule.group(2).split(";", 1)
        for target in rule.group(1).split():
            if "%" in target or target.startswith("."):
                continue
            recipe = rules.setdefault(target, [])
            if len(inline) == 2 and inline[1].strip():
                recipe.append((number, inline[1].strip()))
            current.append(recipe)
    return Makefile(
        path=path, variables=variables, rules={k: tuple(v) for k, v in rules.items()}, variable_lines=lines
    )


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, each with the number of its first line."""
    joined: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if pending is not None:
            line = pending[1] + " " + line.lstrip()
            number = pending[0]
        if line.endswith("\\"):
            pending = (number, line[:-1].rstrip())
            continue
        pending = None
        joined.append((number, line))
    if pending is not None:
        joined.append(pending)
    return joined


def _builds_in(line: str, makefile: Makefile, target: str, number: int) -> list[GoBuild]:
    cwd = makefile.path.parent
    builds: list[GoBuild] = []
    for command in re.split(r"&&|\|\||;|\|", line.lstrip("@-+ \t")):
        words = _words(command)
        if not words:
            continue
        if words[0] == "cd" and len(words) >= 2:
            cwd = Path(os.path.normpath(cwd / words[1]))
            continue
        while words and (words[0] == "env" or _ENV_WORD.match(words[0])):
            words = words[1:]
        if len(words) >= 2 and (words[0] == "go" or words[0].endswith("/go")) and words[1] == "build":
            builds.append(_go_build(words[2:], cwd, makefile.path, target, number))
    return builds


def _go_build(words: list[str], cwd: Path, path: Path, target: str, number: int) -> GoBuild:
    output = ""
    tags: list[str] = []
    arguments: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        flag, has_value, value = word.partition("=")
        if word.startswith("-") and not has_value and flag.lstrip("-") and f"-{flag.lstrip('-')}" in _VALUE_FLAGS:
            value = words[index + 1] if index + 1 < len(words) else ""
            index += 1
        flag = f"-{flag.lstrip('-')}"
        if word.startswith("-"):
            if flag == "-o":
                output = value
            elif flag == "-C":
                cwd = Path(os.path.normpath(cwd / value))
            elif flag == "-tags":
                tags += [t for t in re.split(r"[,\s]+", value) if t]
        else:
            arguments.append(word)
        index += 1
    return GoBuild(
        makefile=path, target=target, line=number, cwd=cwd, output=output,
        arguments=tuple(arguments), tags=tuple(tags),
    )


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:  # an unbalanced quote: words are still words
        return command.split()
