"""Reading Go source without running go: a file's build constraints, package clause and imports,
which files of a folder Go compiles for Lambda (linux, amd64 or arm64, cgo off), and go.work.

What Go itself ignores is ignored here too: names starting with `.` or `_` (editor lock files
such as `.#main.go`), `_test.go` files, and files that cannot be read (a dangling symlink).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LAMBDA_GOOS = "linux"
LAMBDA_GOARCHES = ("amd64", "arm64")
# GOOS and GOARCH values a file-name suffix can name (go/build's knownOS and knownArch).
KNOWN_OS = frozenset((
    "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl", "netbsd",
    "openbsd", "plan9", "solaris", "wasip1", "windows", "zos"))
KNOWN_ARCH = frozenset((
    "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips", "mipsle", "mips64", "mips64le",
    "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64",
    "wasm"))
UNIX_OS = frozenset((
    "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "linux", "netbsd", "openbsd",
    "solaris"))
MAX_EXPRESSION = 4096  # a longer //go:build line is left to Go to judge
# Tags that mean something to Go itself; with tags=None every other tag counts as set.
_GO_TAGS = KNOWN_OS | KNOWN_ARCH | {"cgo", "gc", "gccgo", "unix", "ignore"}
_ANY_TAG = "*"
LAMBDA_GO_MODULE = "github.com/aws/aws-lambda-go"
RUNTIME_API_VARIABLE = "AWS_LAMBDA_RUNTIME_API"

# Comments and strings are matched whole so that a keyword inside them does not count.
_TOKENS = re.compile(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\\n])*\"|`[^`]*`|^(?:func|type|var|const)\b",
                     re.DOTALL | re.MULTILINE)
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)
_GO_BUILD = re.compile(r"^//go:build\s+(.*?)\s*$", re.MULTILINE)
_PLUS_BUILD = re.compile(r"^//\s*\+build\s+(.*?)\s*$", re.MULTILINE)
_IMPORT_BLOCK = re.compile(r"\bimport\s*\((.*?)\)", re.DOTALL)
_IMPORT_ONE = re.compile(r"\bimport\s+(?:[A-Za-z_.][A-Za-z0-9_]*\s+)?(\"[^\"\n]*\"|`[^`]*`)")
_SPEC = re.compile(r"(\"[^\"\n]*\"|`[^`]*`)")
_MAIN_FUNC = re.compile(r"^func\s+main\s*\(\s*\)", re.MULTILINE)
_EXPR_TOKEN = re.compile(r"\s*(\(|\)|!|&&|\|\||[A-Za-z0-9_.]+)")


@dataclass(frozen=True, kw_only=True)
class GoFile:
    """What package loading reads of one .go file, and whether it declares func main()."""

    path: str
    package: str | None
    imports: tuple[str, ...]
    constraint: str | None  # the //go:build expression (or the +build lines joined), if any
    plus_build: tuple[str, ...] = ()
    declares_main: bool = False
    runtime_api: bool = False  # names AWS_LAMBDA_RUNTIME_API: speaks the Lambda Runtime API itself

    @property
    def uses_cgo(self) -> bool:
        return "C" in self.imports


def ignored_name(name: str) -> bool:
    """Names Go never compiles: not .go, tests, and names starting with `.` or `_`."""
    return not name.endswith(".go") or name.endswith("_test.go") or name.startswith((".", "_"))


def read_go_file(path: str) -> GoFile | None:
    """The header of a .go file; None when it cannot be read (dangling symlink, no permission)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    text = data.decode("utf-8", "replace")
    header = text[:_header_end(text)]
    bare = _COMMENT.sub("", header)
    package = _PACKAGE.search(bare)
    before_package = header[:_clause_start(header)]
    expression = _GO_BUILD.search(before_package)
    plus = tuple(_PLUS_BUILD.findall(before_package))
    return GoFile(path=path, package=package.group(1) if package else None, imports=tuple(_imports(bare)),
                  constraint=expression.group(1) if expression else None, plus_build=plus,
                  declares_main=bool(_MAIN_FUNC.search(text)), runtime_api=RUNTIME_API_VARIABLE in text)


def _header_end(text: str) -> int:
    for match in _TOKENS.finditer(text):
        if match.group().startswith(("func", "type", "var", "const")):
            return match.start()
    return len(text)


def _clause_start(header: str) -> int:
    """Where the package clause starts (build constraints must come before it)."""
    position = 0
    for match in _TOKENS.finditer(header):
        gap = header[position:match.start()]
        found = _PACKAGE.search(gap)
        if found:
            return position + found.start(1)
        position = match.end()
    found = _PACKAGE.search(header[position:])
    return position + found.start(1) if found else len(header)


def _imports(bare: str) -> list[str]:
    paths = [spec.strip('"`') for block in _IMPORT_BLOCK.findall(bare) for spec in _SPEC.findall(block)]
    paths += [spec.strip('"`') for spec in _IMPORT_ONE.findall(_IMPORT_BLOCK.sub("", bare))]
    return paths


def name_matches(name: str, goos: str, goarch: str) -> bool:
    """Go's file-name constraints: *_GOOS.go, *_GOARCH.go, *_GOOS_GOARCH.go."""
    parts = name[: -len(".go")].split("_")
    if len(parts) >= 3 and parts[-2] in KNOWN_OS and parts[-1] in KNOWN_ARCH:
        return _os_matches(parts[-2], goos) and parts[-1] == goarch
    if len(parts) >= 2 and parts[-1] in KNOWN_OS:
        return _os_matches(parts[-1], goos)
    if len(parts) >= 2 and parts[-1] in KNOWN_ARCH:
        return parts[-1] == goarch
    return True


def _os_matches(wanted: str, goos: str) -> bool:
    # Go also lets android match linux files, illumos solaris and ios darwin; not the reverse.
    implied = {"android": "linux", "illumos": "solaris", "ios": "darwin"}
    return wanted in (goos, implied.get(goos))


def satisfied(file: GoFile, tags: Iterable[str] | None, goos: str = LAMBDA_GOOS, goarch: str = "amd64") -> bool:
    """Whether Go compiles the file for goos/goarch with these tags (cgo off, but files that
    import "C" are kept: the build reports what they need). With tags=None any tag that is not
    Go's own counts as set: only files that cannot be built for Lambda at all are left out."""
    true_tags = {*(tags if tags is not None else (_ANY_TAG,)), goos, goarch, "gc"}
    if goos in UNIX_OS:
        true_tags.add("unix")
    if not name_matches(os.path.basename(file.path), goos, goarch):
        return False
    if file.constraint is not None:
        return _evaluate(file.constraint, true_tags)
    return all(_plus_build_line(line, true_tags) for line in file.plus_build)


def _known(tag: str, true_tags: set[str]) -> bool:
    if re.fullmatch(r"go1\.\d+", tag):
        return True  # release tags: any Go that reads this module has them
    if _ANY_TAG in true_tags and tag not in _GO_TAGS:
        return True
    return tag in true_tags  # cgo is off: the `cgo` tag is false


def _plus_build_line(line: str, true_tags: set[str]) -> bool:
    """// +build A,B C: any space-separated option whose comma-separated terms all hold."""
    def term(word: str) -> bool:
        return not _known(word[1:], true_tags) if word.startswith("!") else _known(word, true_tags)

    return any(all(term(t) for t in option.split(",") if t) for option in line.split())


def _evaluate(expression: str, true_tags: set[str]) -> bool:
    """A //go:build expression (||, &&, !, parentheses); an unreadable one counts as true so
    that Go, not gobuild, decides about it."""
    if len(expression) > MAX_EXPRESSION:
        return True
    tokens: list[str] = []
    position = 0
    while position < len(expression):
        match = _EXPR_TOKEN.match(expression, position)
        if match is None:
            return True
        tokens.append(match.group(1))
        position = match.end()
        if not expression[position:].strip():
            break
    try:
        value, rest = _or(tokens, true_tags)
    except (IndexError, ValueError, RecursionError):
        return True
    return value if not rest else True


def _or(tokens: list[str], tags: set[str]) -> tuple[bool, list[str]]:
    value, tokens = _and(tokens, tags)
    while tokens and tokens[0] == "||":
        right, tokens = _and(tokens[1:], tags)
        value = value or right
    return value, tokens


def _and(tokens: list[str], tags: set[str]) -> tuple[bool, list[str]]:
    value, tokens = _not(tokens, tags)
    while tokens and tokens[0] == "&&":
        right, tokens = _not(tokens[1:], tags)
        value = value and right
    return value, tokens


def _not(tokens: list[str], tags: set[str]) -> tuple[bool, list[str]]:
    if tokens[0] == "!":
        value, rest = _not(tokens[1:], tags)
        return not value, rest
    if tokens[0] == "(":
        value, rest = _or(tokens[1:], tags)
        if not rest or rest[0] != ")":
            raise ValueError("unbalanced parentheses")
        return value, rest[1:]
    if tokens[0] in (")", "&&", "||"):
        raise ValueError(f"unexpected {tokens[0]}")
    return _known(tokens[0], tags), tokens[1:]


def package_files(directory: Path | str, tags: Iterable[str] | None = ()) -> list[GoFile]:
    """The .go files of a folder that Go compiles for Lambda on amd64 or arm64, by name (tags
    as in satisfied())."""
    tags = tuple(tags) if tags is not None else None
    try:
        names = sorted(entry.name for entry in os.scandir(directory) if not ignored_name(entry.name))
    except OSError:
        return []
    found: list[GoFile] = []
    for name in names:
        source = read_go_file(os.path.join(directory, name))
        if source is not None and any(satisfied(source, tags, goarch=a) for a in LAMBDA_GOARCHES):
            found.append(source)
    return found


def imports_lambda(imports: Iterable[str]) -> bool:
    """Whether any import path is aws-lambda-go or one of its packages."""
    return any(p == LAMBDA_GO_MODULE or p.startswith(LAMBDA_GO_MODULE + "/") for p in imports)


_USE_BLOCK = re.compile(r"^\s*use\s*\((.*?)^\s*\)", re.DOTALL | re.MULTILINE)
_USE_ONE = re.compile(r"^\s*use\s+(\"[^\"]*\"|`[^`]*`|[^\s(]\S*)", re.MULTILINE)
_WORK_PATH = re.compile(r"\"[^\"]*\"|`[^`]*`|\S+")


def workspace_modules(go_work: Path) -> list[Path]:
    """The module folders a go.work file `use`s, resolved against its folder; [] if unreadable."""
    try:
        text = go_work.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    text = re.sub(r"//[^\n]*", "", text)
    paths = [p for block in _USE_BLOCK.findall(text) for p in _WORK_PATH.findall(block)]
    paths += _USE_ONE.findall(_USE_BLOCK.sub("", text))
    folders = [(go_work.parent / p.strip('"`')).resolve() for p in paths]
    return sorted(dict.fromkeys(f for f in folders if (f / "go.mod").is_file()))


def find_workspace(module_dir: Path, top: Path) -> Path | None:
    """The go.work Go would use for module_dir, looked for from module_dir up to `top` (the
    manifest's folder); a go.work above the project does not count."""
    for folder in workspace_folders(module_dir, top):
        candidate = folder / "go.work"
        if candidate.is_file():
            return candidate
    return None


def workspace_folders(module_dir: Path, top: Path) -> list[Path]:
    """The folders where a go.work for module_dir may be: module_dir and its parents up to top."""
    folders = [module_dir]
    if top == module_dir or top not in module_dir.parents:
        return folders
    for parent in module_dir.parents:
        folders.append(parent)
        if parent == top:
            break
    return folders
