"""What the CLI-wide fuzz test (test_cli_fuzz.py) throws at gobuild: a workspace of hostile files,
value pools per option, argument lists drawn from each registered command's own parameters, and
random gobuild.toml documents built as data and written as TOML.

Every path in the pools is relative to the workspace's project folder and stays inside the
workspace: the fuzz runs as whoever runs the tests (root in CI), and an output option pointed at
a real /dev/null would replace it. Device nodes are made in the workspace instead.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from gobuild.manifest import CACHE_KEYS, FUNCTION_DEFAULTS, FUNCTION_KEYS, PUBLISH_KEYS, TOP_KEYS
from tests.conftest import TESTDATA

FUNCTIONS = ["orders", "payments", "inventory", "healthcheck"]
# Exactly 6 MiB + 1: one byte over the synchronous Invoke limit (in-process runs only: argv holds less).
HUGE_EVENT = '"' + "x" * (6 * 1024 * 1024 - 1) + '"'

PATHS = [
    "", ".", "..", "gobuild.toml", "random.toml", "dist", "dist/orders-arm64.zip", "dist/orders-amd64.zip",
    "dist/artifacts.json", "template.yaml", "serverless.yml", "main.tf", "cmd", "cmd/orders-lambda",
    "../hostile/zero", "../hostile/null", "../hostile/fifo", "../hostile/fifo.zip", "../hostile/dir",
    "../hostile/dir.zip", "../hostile/garbage.zip", "../hostile/empty", "../hostile/loop", "../hostile/dangling",
    "../hostile/ünï☃ code.zip", "../hostile/bad.json", "../hostile/deep.json", "../hostile/escape/artifacts.json",
    "../hostile/file/child", "../hostile/random.toml", "../hostile/binary.toml", "/proc/self/status",
    "missing", "missing/deeper/x.zip", "x" * 300, "a/" * 2100, "-", "~", "\u202eevil.zip",
]
STRINGS = [
    "", " ", *FUNCTIONS, "nope", "arm64", "amd64", "x86_64", "aarch64", "ARM64", "..", "../x", "a\tb", "☃",
    "x" * 5000, "-", "--", "-1", "0", "1", "99999999999999999999", "nan", "inf", "1e309", "%s%n", "${HOME}",
    "$(touch pwned)", "a=b", "=", "s3://", "s3://bucket", "s3://b/../../k", "\x1b[31mred", "[red]markup[/red]",
]
INTS = ["1", "2", "0", "-3", "x", "", "99999", "99999999999999999999999", "1.5", "0x10"]
FLOATS = ["0", "-1", "nan", "inf", "-inf", "1e309", "0.001", "1", "2.5", "900", "901", "", "x", "1e-320"]


@dataclass(frozen=True, kw_only=True)
class Servers:
    """The S3 endpoints a run may name: a loopback port nobody answers on, and the SeaweedFS fixture."""

    dead: str
    live: str
    bucket: str


def option_values(servers: Servers) -> dict[str, list[str]]:
    """Values for options known by name; other options get values by their click type."""
    endpoints = [servers.dead, servers.live, "", "not a url", "http://", "http://127.0.0.1:99999",
                 "http://[::1]:9", "ftp://127.0.0.1/", f"{servers.dead}/path?x=1", "http://localhost:9",
                 "http://user:secret@127.0.0.1:9", "http://10.255.255.1:9"]
    return {
        "--arch": ["arm64", "amd64", "x86_64", "aarch64", "x86", "", "ARM64", "arm64,amd64", "all", *STRINGS],
        "--only": [*FUNCTIONS, *STRINGS],
        "--handler": ["orders", "bootstrap", "", "../x", "a/b", "nope", "orders-lambda"],
        "--jobs": INTS,
        "--timeout": FLOATS,
        "--event": ["{}", '{"a": 1}', "[]", '"x"', "null", "{", "", "-", '{"deep": ' + "[" * 3000 + "]" * 3000 + "}",
                    HUGE_EVENT, *PATHS],
        "--env": ["A=B", "=", "A", "=B", "AWS_LAMBDA_RUNTIME_API=x", "PATH=", "_HANDLER=x", "A" * 1000 + "=1",
                  "A=☃", "1A=2", "LD_PRELOAD=/nonexistent.so"],
        "--endpoint-url": endpoints,
        "--cache": [f"s3://{servers.bucket}/fuzz/", "s3://fuzz-cache/p/", "s3://", "s3:///x", "http://x", "",
                    "s3://UPPER/x", "file:///tmp"],
        "--bucket": ["lambda-artifacts", servers.bucket, "", "UPPER", "a", "a" * 64, "b..c", "bucket/with/slash",
                     *STRINGS],
        "--prefix": ["", "lambda/", "../", "/", "a" * 2000, "☃/", "%00"],
        "--region": ["us-east-1", "", "not a region", "../..", "☃"],
        "--profile": ["default", "", "nope", "../x", "☃"],
        "--format": ["sam", "cloudformation", "tfvars", "", "json", "SAM", "sam,tfvars"],
        "--shard": ["1/2", "3/3", "7/8", "0/1", "2/1", "x", "1/0", "-1/2", "1/99999999999", "", "1/", "/2", "1/2/3",
                    "１/２"],
        "--today": ["2026-11-28", "2026-02-30", "0000-01-01", "9999-12-31", "x", "", "2026-1-1", "99999-01-01"],
        "--to": ["provided.al2023", "provided.al2", "go1.x", "", "python3.12", "PROVIDED.AL2023"],
        "--build": ["sam", "gobuild", "makefile", "", "cmake"],
    }


def argument_values(name: str, servers: Servers) -> list[str]:
    """Values for a positional argument, by its parameter name."""
    if name == "target":  # invoke: a function or a zip
        return [*FUNCTIONS, *PATHS]
    if name in ("a", "b"):  # diff: zips, folders, indexes or S3 objects
        return [*PATHS, f"s3://{servers.bucket}/nope.zip", "s3://fuzz-missing/x.zip", "s3://", "s3:///k"]
    return PATHS


# local-s3 serves until a signal without a command: it always gets one, each ending in 0-3 or refused.
LOCAL_S3_COMMANDS = [["true"], ["false"], ["../hostile/fifo"], ["../hostile/dir"],
                     ["/nonexistent/prog"], [""]]


def values_for(option: Any, named: Mapping[str, list[str]]) -> list[str]:
    """The pool for one option: by its spelling when known, else by its type's name (typer's own
    copy of click's types: path, integer, integer range, float, choice, text)."""
    for spelling in option.opts:
        if spelling in named:
            return named[spelling]
    kind = option.type.name
    if kind == "path":
        return PATHS
    if kind.startswith("integer"):
        return INTS
    if kind.startswith("float"):
        return FLOATS
    if kind == "choice":
        return [*map(str, option.type.choices), *STRINGS]
    return [*STRINGS, *PATHS]


# Any text a shell can pass: argv holds no NUL (and no lone surrogate before decoding).
ARGV_TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=8)


@st.composite
def argument_lists(draw: st.DrawFn, command: Any, servers: Servers) -> list[str]:
    """Options in any order (flags alone, values from their pools, sometimes as --name=value),
    junk words and unknown options, then positionals; a required one is sometimes left out."""
    named = option_values(servers)
    options = sorted((p for p in command.params if p.param_type_name == "option"), key=lambda p: p.opts[0])
    argv: list[str] = []
    for option in draw(st.lists(st.sampled_from(options), max_size=5)) if options else []:
        spelling = draw(st.sampled_from(option.opts))
        if option.is_flag:
            argv.append(spelling)
            continue
        value = draw(st.sampled_from(values_for(option, named)))
        if spelling.startswith("--") and draw(st.booleans()):
            argv.append(f"{spelling}={value}")
        else:
            argv += [spelling, value]
    argv += draw(st.lists(st.sampled_from(["--nope", "-Z", "--json=yes", "--help"]) | ARGV_TEXT, max_size=1))
    tail: list[str] = []
    for argument in (p for p in command.params if p.param_type_name == "argument"):
        if command.name == "local-s3":
            tail = ["--", *draw(st.sampled_from(LOCAL_S3_COMMANDS))]
            continue
        pool = argument_values(argument.name or "", servers)
        count = draw(st.integers(0, 3)) if argument.nargs == -1 else draw(st.sampled_from([1, 1, 1, 0]))
        argv += [draw(st.sampled_from(pool)) for _ in range(count)]
    return argv + tail


# --- random manifests ---------------------------------------------------------------------------

class Raw(str):
    """TOML text written as it is (deep nesting no data structure of reasonable depth can hold)."""


WORD = st.text(st.characters(blacklist_characters="/\\", blacklist_categories=("Cs",)), max_size=20)
HUGE = st.sampled_from([1000, 70_000, 140_000, 1_100_000]).map(lambda n: "x" * n)
DEEP = st.sampled_from([10, 40, 300, 3000]).map(lambda n: Raw("[" * n + "]" * n))
PLAUSIBLE: list[Any] = [
    *FUNCTION_DEFAULTS.values(), *FUNCTIONS, "./cmd/orders-lambda", "./cmd/payments-lambda", "./cmd/healthcheck",
    "./cmd/nope", "cmd/orders-lambda", "../hostile/dir", ["arm64"], ["amd64", "arm64"], ["x86"], [], ["lambda.norpc"],
    "-s -w", "-X main.v=1", True, False, 0, 1, -1, 2**63, ".", "", "..", "dist", "out", "../hostile/file",
    "../hostile/zero", {"A": "b"}, {"AWS_REGION": "x"}, ["config/healthcheck.json"], ["../hostile/fifo"],
    ["../hostile/zero"], [{"source": "config/healthcheck.json", "target": "x.json"}],
    [{"source": "config/healthcheck.json", "target": "bootstrap/x"}], "s3://fuzz-cache/c/", "http://127.0.0.1:9",
    "{name}/{sha256}.zip", "{nope}", "glibc", "musl", datetime.date(2026, 1, 1), float("nan"), float("inf"), 1.5,
]
SCALARS = (st.sampled_from(PLAUSIBLE) | WORD | st.integers() | st.floats() | st.booleans() | HUGE | DEEP)
KNOWN_KEYS = sorted({*FUNCTION_KEYS, *TOP_KEYS, *PUBLISH_KEYS, *CACHE_KEYS, "source", "target"})
KEYS = st.sampled_from([*KNOWN_KEYS, "nope", "Name", "", "a.b", "ü", " "]) | WORD
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                      max_leaves=10)


def table(keys: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """A table of mostly known keys (each with a plausible or a random value) and some unknown ones."""
    known = st.dictionaries(st.sampled_from(keys), st.sampled_from(PLAUSIBLE) | VALUES, max_size=len(keys))
    return st.tuples(known, st.dictionaries(KEYS, VALUES, max_size=2)).map(lambda pair: {**pair[1], **pair[0]})


FUNCTION_TABLE = st.tuples(st.sampled_from(FUNCTIONS) | WORD, st.sampled_from(PLAUSIBLE[-60:]) | WORD,
                           table(FUNCTION_KEYS)).map(lambda t: {"name": t[0], "package": t[1], **t[2]})
DOCUMENTS = st.fixed_dictionaries({}, optional={
    "out_dir": st.sampled_from(["dist", "out", ".", "", "..", "../hostile/file", "../hostile/zero",
                                "../hostile/dir", "x" * 300]) | VALUES,
    "defaults": table(tuple(FUNCTION_DEFAULTS)) | VALUES,
    "function": st.lists(FUNCTION_TABLE, max_size=4) | VALUES,
    "publish": table(PUBLISH_KEYS) | VALUES,
    "cache": table(CACHE_KEYS) | VALUES,
    "nope": VALUES,
})
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_key(key: str) -> str:
    return key if BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def toml_value(value: Any) -> str:
    """One TOML value; strings as JSON basic strings (TOML refuses some of them: that is a case too)."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(document: Mapping[str, Any]) -> str:
    """The document as TOML: tables as [table] and arrays of tables as [[table]], the rest inline."""
    lines = [f"{toml_key(k)} = {toml_value(v)}" for k, v in document.items()
             if not isinstance(v, dict) and not (isinstance(v, list) and v and all(isinstance(x, dict) for x in v))]
    for key, value in document.items():
        if isinstance(value, dict):
            lines += [f"[{toml_key(key)}]", *(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())]
        elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            for item in value:
                lines += [f"[[{toml_key(key)}]]", *(f"{toml_key(k)} = {toml_value(v)}" for k, v in item.items())]
    return "\n".join(lines) + "\n"


MANIFESTS = (DOCUMENTS.map(toml_document).map(str.encode)
             | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
             | st.binary(max_size=200))


# --- the workspace -------------------------------------------------------------------------------

def make_pristine(root: Path, built_example: Path) -> Path:
    """The workspace every run starts from: root/shop (the built example and three templates) and
    root/hostile (devices, a FIFO, symlink loops, garbage, an index that escapes its folder)."""
    shop = Path(shutil.copytree(built_example, root / "shop", symlinks=True))
    shutil.copy(TESTDATA / "deploy/sam-app/template.yaml", shop / "template.yaml")
    shutil.copy(TESTDATA / "migrate/serverless/input/serverless.yml", shop / "serverless.yml")
    shutil.copy(TESTDATA / "deploy/terraform/main.tf", shop / "main.tf")
    hostile = root / "hostile"
    (hostile / "dir").mkdir(parents=True)
    (hostile / "dir.zip").mkdir()
    os.mknod(hostile / "zero", 0o666 | 0o020000, os.makedev(1, 5))  # a character device like /dev/zero
    os.mknod(hostile / "null", 0o666 | 0o020000, os.makedev(1, 3))  # and one like /dev/null
    os.mkfifo(hostile / "fifo")
    os.mkfifo(hostile / "fifo.zip")
    os.symlink("loop", hostile / "loop")
    os.symlink("nowhere", hostile / "dangling")
    (hostile / "garbage.zip").write_bytes(bytes(range(256)) * 64)
    (hostile / "empty").write_bytes(b"")
    (hostile / "file").write_text("a file, not a folder\n")
    shutil.copy(shop / "dist/orders-arm64.zip", hostile / "ünï☃ code.zip")
    (hostile / "bad.json").write_text("{")
    (hostile / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (hostile / "random.toml").write_text("[[function]]\nname = 1\n")
    (hostile / "binary.toml").write_bytes(b"\xff\xfe\x00name = 1\n")
    index = json.loads((shop / "dist/artifacts.json").read_text())
    for artifact in index["artifacts"]:
        artifact["path"] = "../../escaped/" + artifact["path"]
    (hostile / "escape").mkdir()
    (hostile / "escape/artifacts.json").write_text(json.dumps(index))
    return shop


def copy_workspace(pristine: Path, dest: Path) -> Path:
    """A run's own workspace: zips and special files hard-linked (gobuild replaces zips, never
    writes into them; a device or FIFO cannot be copied), the other files copied."""
    def link_or_copy(source: str, target: str) -> object:
        if source.endswith(".zip") or not stat.S_ISREG(os.lstat(source).st_mode):
            return os.link(source, target)
        return shutil.copy2(source, target)

    copy: Callable[[str, str], object] = link_or_copy
    shutil.copytree(pristine, dest, symlinks=True, copy_function=copy)
    return dest / "shop"


def write_manifest(shop: Path, data: bytes, *, replace: bool) -> None:
    """Puts a random manifest at random.toml, and over gobuild.toml too when `replace`."""
    for name in ("random.toml", "gobuild.toml") if replace else ("random.toml",):
        path = shop / name
        path.unlink(missing_ok=True)  # never write through a link into the pristine workspace
        path.write_bytes(data)
