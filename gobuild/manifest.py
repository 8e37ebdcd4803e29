"""gobuild.toml → a frozen Manifest. One place knows the keys, their defaults and their checks.

Every error names the file and the key path (`function[2].architectures`, counted from 1),
or the line for TOML syntax errors, and says how to fix it. Nothing here runs Go.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gobuild import cgo as cgo_facts
from gobuild import gosource, stamp, zippaths
from gobuild.errors import ManifestError
from gobuild.lambda_facts import (
    ARCH_SPELLINGS,
    DEFAULT_ARCHITECTURES,
    DEFAULT_LDFLAGS,
    DEFAULT_OUT_DIR,
    DEFAULT_TAGS,
    arch_name,
    out_dir_of,
)
from gobuild.tomlread import out_dir_setting as out_dir_setting
from gobuild.tomlread import parse_toml as parse_toml
from gobuild.tomlread import read_manifest_text

# Lambda function names: letters, digits, hyphens, underscores; we also allow dots.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
TAG_PATTERN = re.compile(r"[A-Za-z0-9_.]+")
ENV_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Set by gobuild for every build; a manifest may not change them.
RESERVED_ENV = {
    "GOOS": "set by gobuild to linux",
    "GOARCH": "chosen by `architectures`",
    "GOENV": "gobuild builds with GOENV=off so that no go env file changes the output",
    "CC": "set by gobuild to zig for functions with `cgo = true`",
    "CXX": "set by gobuild to zig for functions with `cgo = true`",
    "CGO_CFLAGS": "use `cgo_cflags` (added after Go's default -O2 -g)",
    "CGO_LDFLAGS": "use `cgo_ldflags` (added after Go's default -O2 -g)",
}
MAX_ARGUMENT_BYTES = 32 * 4096 - 1  # Linux's MAX_ARG_STRLEN, NUL included: go cannot get a longer one
FUNCTION_DEFAULTS: dict[str, Any] = {
    "module_dir": ".",
    "architectures": list(DEFAULT_ARCHITECTURES),
    "tags": list(DEFAULT_TAGS),
    "ldflags": DEFAULT_LDFLAGS,
    "env": {},
    "include": [],
    "trimpath": True,
    "buildvcs": False,
    "cgo": False,
    "cgo_libc": cgo_facts.DEFAULT_LIBC,
    "cgo_cflags": "",
    "cgo_ldflags": "",
}
CGO_KEYS = ("cgo_libc", "cgo_cflags", "cgo_ldflags")  # folded into Function.cgo
FUNCTION_KEYS = ("name", "package", *FUNCTION_DEFAULTS)
TOP_KEYS = ("out_dir", "defaults", "function", "publish", "cache")
PUBLISH_KEYS = ("bucket", "prefix", "key_template", "endpoint_url", "region", "profile", "jobs")
CACHE_KEYS = ("url", "endpoint_url", "region", "profile")


@dataclass(frozen=True, kw_only=True)
class Include:
    """An extra file stored next to `bootstrap`: where it comes from, its name in the zip."""

    source: Path
    target: str


@dataclass(frozen=True, kw_only=True)
class Function:
    """One Lambda function as the manifest declares it, defaults applied."""

    name: str
    package: str
    module_dir: Path
    architectures: tuple[str, ...]
    tags: tuple[str, ...] = DEFAULT_TAGS
    ldflags: str = DEFAULT_LDFLAGS
    env: tuple[tuple[str, str], ...] = ()
    include: tuple[Include, ...] = ()
    trimpath: bool = True
    buildvcs: bool = False
    workspace: Path | None = None  # the project's go.work that Go uses for module_dir, if any
    stamps: tuple[tuple[str, str], ...] = ()  # ldflags placeholder values but {inputs}, set as a build starts
    cgo: cgo_facts.Cgo | None = None  # None: CGO_ENABLED=0, a static binary


@dataclass(frozen=True, kw_only=True)
class PublishSettings:
    """The [publish] table; every value may be overridden by a flag."""

    bucket: str | None = None
    prefix: str = ""
    key_template: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    jobs: int | None = None


@dataclass(frozen=True, kw_only=True)
class CacheSettings:
    """The [cache] table: a shared artifact cache such as s3://bucket/prefix."""

    url: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """The whole gobuild.toml: where it is, where artifacts go, and every function."""

    path: Path
    out_dir: Path
    functions: tuple[Function, ...]
    publish: PublishSettings = field(default_factory=PublishSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)

    @property
    def root(self) -> Path:
        return self.path.parent


def load_manifest(path: Path) -> Manifest:
    """Reads and checks a manifest; raises ManifestError naming file, key path and fix."""
    path = Path(path)
    return parse_manifest(read_manifest_text(path), path=path.resolve(), label=path.name)


def parse_manifest(text: str, *, path: Path, label: str | None = None) -> Manifest:
    """Parses manifest text as if it were the file at `path` (relative paths resolve from it)."""
    checker = _Checker(label or path.name, path.parent)
    return checker.manifest(parse_toml(text, checker.label), path)


class _Checker:
    """Turns the parsed TOML into dataclasses, raising at the first bad value."""

    def __init__(self, label: str, root: Path) -> None:
        self.label = label
        self.root = root
        self.module_dirs: dict[str, Path] = {}
        self.top = root.resolve()  # resolved once: the highest folder a go.work is looked for in

    def fail(self, key: str, problem: str, hint: str | None = None) -> ManifestError:
        return ManifestError(f"{self.label}: {key}: {problem}", hint=hint)

    def known_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in table:
            if key not in allowed:
                # difflib misses abbreviations ("archs"): fall back to a shared prefix.
                close = difflib.get_close_matches(key, allowed, n=1) or [
                    k for k in allowed if len(key) >= 3 and k.startswith(key[:4])][:1]
                hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(allowed)}"
                raise self.fail(f"{where}{key}", "unknown key", hint)

    def manifest(self, data: dict[str, Any], path: Path) -> Manifest:
        self.known_keys(data, TOP_KEYS, "")
        self.string(data.get("out_dir", DEFAULT_OUT_DIR), "out_dir")
        defaults_table = self.table(data.get("defaults", {}), "defaults")
        self.known_keys(defaults_table, tuple(FUNCTION_DEFAULTS), "defaults.")
        defaults = {**self.settings(FUNCTION_DEFAULTS, "(built-in)"), **self.settings(defaults_table, "defaults")}
        tables = data.get("function", [])
        if not isinstance(tables, list) or not tables:
            raise self.fail(
                "function", "no functions declared", "add a [[function]] table with name and package"
            )
        functions = tuple(
            self.function(self.table(t, f"function[{i}]"), defaults, i)
            for i, t in enumerate(tables, start=1)
        )
        self.unique_names(functions)
        return Manifest(
            path=path,
            out_dir=Path(out_dir_of(str(path), data)),
            functions=functions,
            publish=self.publish(self.table(data.get("publish", {}), "publish")),
            cache=self.cache(self.table(data.get("cache", {}), "cache")),
        )

    def function(self, table: dict[str, Any], defaults: dict[str, Any], index: int) -> Function:
        where = f"function[{index}]"
        self.known_keys(table, FUNCTION_KEYS, f"{where}.")
        for required in ("name", "package"):
            if required not in table:
                raise self.fail(f"{where}.{required}", "missing", f"every [[function]] needs `{required}`")
        name = self.string(table["name"], f"{where}.name")
        if not NAME_PATTERN.fullmatch(name):
            raise self.fail(
                f"{where}.name",
                f"{name!r} is not a safe file name",
                "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            )
        merged = {**defaults, **self.settings(table, where)}
        # module_dir is checked where a function uses it: a default that every function
        # overrides (a root manifest of a multi-module repository) is never looked at.
        value, key = merged["module_dir"]
        merged["module_dir"] = module_dir = self.module_dir(value, key, where)
        package = self.package(self.string(table["package"], f"{where}.package"), module_dir, where)
        workspace = gosource.find_workspace(module_dir, self.top)
        cgo = self.cgo(merged, table, where)
        return Function(name=name, package=package, workspace=workspace, cgo=cgo,
                        **{k: v for k, v in merged.items() if k != "cgo" and k not in CGO_KEYS})

    def cgo(self, merged: dict[str, Any], table: dict[str, Any], where: str) -> cgo_facts.Cgo | None:
        """The function's cgo settings when `cgo = true`; its own cgo_* keys without it are refused."""
        values = {key: merged[key] for key in CGO_KEYS}
        if merged["cgo"]:
            if "CGO_ENABLED" in dict(merged["env"]):
                raise self.fail(f"{where}.env.CGO_ENABLED", "cannot be set with `cgo = true`",
                                "remove it: `cgo = true` builds with CGO_ENABLED=1")
            settings = cgo_facts.Cgo(**{key.removeprefix("cgo_"): value for key, value in values.items()})
            try:
                self.argument(f"{where}.ldflags", "-ldflags=" + cgo_facts.link_flags(merged["ldflags"], settings))
            except ValueError as error:
                raise self.fail(f"{where}.ldflags", str(error), "write the -extldflags value without quotes") from None
            return settings
        stray = [key for key in CGO_KEYS if key in table]
        if stray:
            raise self.fail(f"{where}.{stray[0]}", "has no effect without `cgo = true`",
                            "add `cgo = true` to the function (or to [defaults]), or remove the key")
        return None

    def settings(self, table: dict[str, Any], where: str) -> dict[str, Any]:
        """Checks the inheritable keys present in a [defaults] or [[function]] table."""
        checks = {
            "module_dir": lambda v, k: (self.string(v, k), k),
            "architectures": self.architectures,
            "tags": self.tags,
            "ldflags": self.ldflags,
            "env": lambda v, k: self.env(self.table(v, k), k),
            "include": self.includes,
            "trimpath": self.boolean,
            "buildvcs": self.boolean,
            "cgo": self.boolean,
            "cgo_libc": self.cgo_libc,
            "cgo_cflags": self.c_flags,
            "cgo_ldflags": self.c_flags,
        }
        return {key: check(table[key], f"{where}.{key}") for key, check in checks.items() if key in table}

    def unique_names(self, functions: tuple[Function, ...]) -> None:
        seen: dict[str, int] = {}
        for index, function in enumerate(functions, start=1):
            if function.name in seen:
                raise self.fail(
                    f"function[{index}].name",
                    f"{function.name!r} is already used by function[{seen[function.name]}]",
                    "every function needs its own name: it names the zip",
                )
            seen[function.name] = index

    def module_dir(self, value: str, key: str, where: str) -> Path:
        if value in self.module_dirs:
            return self.module_dirs[value]
        directory = Path(os.path.realpath(self.root / value))
        if not os.path.isfile(directory / "go.mod"):
            hint = "set module_dir to the folder that holds go.mod"
            if key.startswith("(built-in)"):
                problem = f"not set, and the manifest's folder has no go.mod ({directory})"
                raise self.fail(f"{where}.module_dir", problem, hint + " (for this function or in [defaults])")
            raise self.fail(key, f"{value!r} has no go.mod ({directory})", hint)
        self.module_dirs[value] = directory
        return directory

    def package(self, value: str, module_dir: Path, where: str) -> str:
        key = f"{where}.package"
        if not (value == "." or value.startswith("./")):
            raise self.fail(key, f"{value!r} is not a relative package path", "write it as ./cmd/<name>")
        directory = Path(os.path.realpath(module_dir / value))
        if directory != module_dir and module_dir not in directory.parents:
            raise self.fail(key, f"{value!r} is outside the module at {module_dir}", "point it inside module_dir")
        if not os.path.isdir(directory):
            raise self.fail(key, f"{value!r} does not exist ({directory})",
                            "check the path; it is relative to module_dir")
        clauses = go_package_names(directory)
        if not clauses:
            raise self.fail(key, f"{value!r} holds no Go files", "point it at a folder with a main package")
        if "main" not in clauses:
            raise self.fail(
                key,
                f"{value!r} is not a main package (package {sorted(clauses)[0]})",
                "a Lambda function is a `package main` with a main() that calls lambda.Start",
            )
        relative = directory.relative_to(module_dir).as_posix()
        return "." if relative == "." else f"./{relative}"

    def architectures(self, value: Any, key: str) -> tuple[str, ...]:
        items = self.string_list(value, key)
        if not items:
            raise self.fail(key, "is empty", f"list at least one of {ARCH_SPELLINGS}")
        result: list[str] = []
        for item in items:
            name = arch_name(item)
            if name is None:
                raise self.fail(key, f"{item!r} is not one of {ARCH_SPELLINGS}", None)
            if name not in result:
                result.append(name)
        return tuple(sorted(result))

    def tags(self, value: Any, key: str) -> tuple[str, ...]:
        items = self.string_list(value, key)
        for item in items:
            if not TAG_PATTERN.fullmatch(item):
                raise self.fail(key, f"{item!r} is not a valid build tag", "use letters, digits, '_' and '.'")
        self.argument(key, "-tags=" + ",".join(items))
        return tuple(dict.fromkeys(items))

    def ldflags(self, value: Any, key: str) -> str:
        text = self.string(value, key)
        self.argument(key, "-ldflags=" + text)
        try:
            stamp.check(text)
        except stamp.StampError as error:
            raise self.fail(key, error.message, error.hint) from None
        return text

    def c_flags(self, value: Any, key: str) -> str:
        text = self.string(value, key)
        self.argument(key, "CGO_CFLAGS=-O2 -g " + text)
        return text

    def cgo_libc(self, value: Any, key: str) -> str:
        text = self.string(value, key).strip()
        problem = cgo_facts.libc_problem(text)
        if problem:
            raise self.fail(key, problem, cgo_facts.LIBC_HINT)
        return text if text == cgo_facts.MUSL else f"2.{int(text[2:])}"  # 2.034 is 2.34

    def argument(self, key: str, argument: str) -> None:
        """Refuses a value that cannot be passed to a process: over Linux's limit for one string."""
        size = len(argument.encode("utf-8"))
        if size > MAX_ARGUMENT_BYTES:
            raise self.fail(key, f"is {size} bytes; one command-line argument holds at most {MAX_ARGUMENT_BYTES}",
                            "shorten it (move long -X values into an included file the function reads)")

    def env(self, table: dict[str, Any], key: str) -> tuple[tuple[str, str], ...]:
        result: list[tuple[str, str]] = []
        for name, value in table.items():
            item = f"{key}.{name}"
            if not ENV_NAME_PATTERN.fullmatch(name):
                raise self.fail(item, "is not a valid environment variable name")
            if name in RESERVED_ENV:
                raise self.fail(item, f"cannot be set: {RESERVED_ENV[name]}")
            text = self.string(value, item)
            self.argument(item, f"{name}={text}")
            if name == "CGO_ENABLED" and text != "0":
                raise self.fail(
                    item,
                    f"CGO_ENABLED={text} is refused here: with the build machine's C compiler a cgo binary "
                    "needs that machine's C library, which provided.al2023 may not have",
                    "remove it and set `cgo = true` on the function: gobuild then compiles the C code with "
                    "zig against Amazon Linux 2023's glibc 2.34 (gobuild's cgo extra)",
                )
            result.append((name, text))
        return tuple(sorted(result))

    def includes(self, value: Any, key: str) -> tuple[Include, ...]:
        if not isinstance(value, list):
            raise self.fail(key, "must be a list of paths or {source, target} tables")
        result: list[Include] = []
        for index, item in enumerate(value, start=1):
            where = f"{key}[{index}]"
            if isinstance(item, str):
                source = self.string(item, where)
                target = Path(source).name
            elif isinstance(item, dict):
                self.known_keys(item, ("source", "target"), f"{where}.")
                if "source" not in item:
                    raise self.fail(f"{where}.source", "missing", "an include table needs `source`")
                source = self.string(item["source"], f"{where}.source")
                target = self.string(item.get("target", Path(source).name), f"{where}.target")
            else:
                raise self.fail(where, "must be a path or a {source, target} table")
            result.append(self.include(source, target, where))
        for first, second, why in zippaths.conflicts([i.target for i in result]):
            if why == zippaths.SAME_ENTRY:
                raise self.fail(key, f"two files would be stored as {first!r}", "give one a `target`")
            raise self.fail(key, f"targets {first!r} and {second!r} {why}", "give one of them another `target`")
        return tuple(result)

    def include(self, source: str, target: str, where: str) -> Include:
        path = Path(os.path.realpath(self.root / source))
        if not os.path.isfile(path):
            raise self.fail(where, f"{source!r} is not a file ({path})", "paths are relative to gobuild.toml")
        problem = zippaths.name_problem(target)
        if problem is not None:
            shown = target if len(target) <= 80 else target[:60] + "..."
            binary = zippaths.normalise(target).split("/")[0] == zippaths.BOOTSTRAP
            hint = "store the file under another name" if binary else "use a relative path inside the zip"
            raise self.fail(where, f"target {shown!r} {problem}", hint)
        return Include(source=path, target=zippaths.normalise(target))

    def publish(self, table: dict[str, Any]) -> PublishSettings:
        self.known_keys(table, PUBLISH_KEYS, "publish.")
        strings = {k: self.string(table[k], f"publish.{k}") for k in PUBLISH_KEYS if k in table and k != "jobs"}
        jobs = table.get("jobs")
        if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1):
            raise self.fail("publish.jobs", f"{jobs!r} is not a positive whole number")
        return PublishSettings(**strings, jobs=jobs)

    def cache(self, table: dict[str, Any]) -> CacheSettings:
        self.known_keys(table, CACHE_KEYS, "cache.")
        return CacheSettings(**{k: self.string(table[k], f"cache.{k}") for k in CACHE_KEYS if k in table})

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table, not {_toml_type(value)}")
        return value

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {_toml_type(value)}")
        if "\0" in value:
            raise self.fail(key, "contains a NUL character", "remove it: no path, flag or name can hold one")
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {_toml_type(value)}")
        return value

    def string_list(self, value: Any, key: str) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of strings")
        return [self.string(v, key) for v in value]


def _toml_type(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def go_package_names(directory: Path) -> set[str]:
    """The package names declared by the .go files Go would compile in a folder for Lambda (no
    Go needed): files Go ignores (`_test.go`, `.#main.go`, a dangling symlink, `//go:build ignore`)
    do not count."""
    return {f.package for f in gosource.package_files(directory, None) if f.package}
