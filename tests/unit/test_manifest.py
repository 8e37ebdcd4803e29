"""gobuild.toml → Manifest: what is accepted, and how every refusal names file, key path and fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gobuild.errors import EXIT_BAD_INPUT, ManifestError
from gobuild.manifest import Include, Manifest, PublishSettings, load_manifest
from tests.conftest import TESTDATA

# Two valid functions, so that errors in the second one prove key paths count from 1.
ORDERS = '[[function]]\nname = "orders"\npackage = "./cmd/orders"\n'
PAYMENTS = '[[function]]\nname = "payments"\npackage = "./cmd/payments"\n'
MAIN_GO = "package main\n\nfunc main() {}\n"


def toml_string(value: str) -> str:
    """A TOML basic string holding `value` (JSON string escapes are valid TOML)."""
    return json.dumps(value)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A Go module with two main packages, a library, an empty folder and files to include."""
    root = tmp_path / "shop"
    files = {
        "go.mod": "module example.com/shop\n\ngo 1.22\n",
        "cmd/orders/main.go": MAIN_GO,
        "cmd/payments/main.go": MAIN_GO,
        "internal/shop/shop.go": "// Package shop is a library.\npackage shop\n",
        "cmd/empty/README.md": "no Go here\n",
        "config/app.json": "{}\n",
        "config/run.sh": "#!/bin/sh\n",
        "services/api/go.mod": "module example.com/api\n\ngo 1.22\n",
        "services/api/cmd/api/main.go": MAIN_GO,
        # A main package beside the module: it exists, but is not inside it.
        "../other/main.go": MAIN_GO,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root.resolve()


def load(project: Path, text: str) -> Manifest:
    manifest_path = project / "gobuild.toml"
    manifest_path.write_text(text, encoding="utf-8")
    return load_manifest(manifest_path)


def refusal(project: Path, text: str) -> ManifestError:
    with pytest.raises(ManifestError) as caught:
        load(project, text)
    assert caught.value.exit_code == EXIT_BAD_INPUT == 2
    return caught.value


# (manifest text, message, hint); {root} is the project folder.
REFUSED = {
    # Unknown keys, with the nearest valid key suggested.
    "unknown top-level key": (
        'ot_dir = "dist"\n' + ORDERS,
        "gobuild.toml: ot_dir: unknown key",
        "did you mean 'out_dir'?",
    ),
    "unknown top-level key without a near match": (
        "zzzz = 1\n" + ORDERS,
        "gobuild.toml: zzzz: unknown key",
        "valid keys: out_dir, defaults, function, publish, cache",
    ),
    "unknown key in defaults": (
        '[defaults]\narchitecture = ["arm64"]\n' + ORDERS,
        "gobuild.toml: defaults.architecture: unknown key",
        "did you mean 'architectures'?",
    ),
    "unknown key in function": (
        ORDERS + PAYMENTS + 'architecture = ["arm64"]\n',
        "gobuild.toml: function[2].architecture: unknown key",
        "did you mean 'architectures'?",
    ),
    "unknown key in publish": (
        ORDERS + '[publish]\nbuckett = "artifacts"\n',
        "gobuild.toml: publish.buckett: unknown key",
        "did you mean 'bucket'?",
    ),
    "unknown key in cache": (
        ORDERS + '[cache]\nurll = "s3://cache"\n',
        "gobuild.toml: cache.urll: unknown key",
        "did you mean 'url'?",
    ),
    "unknown key in include table": (
        ORDERS + 'include = [{ source = "config/app.json", targt = "app.json" }]\n',
        "gobuild.toml: function[1].include[1].targt: unknown key",
        "did you mean 'target'?",
    ),
    # Required keys and names.
    "missing name": (
        ORDERS + '[[function]]\npackage = "./cmd/payments"\n',
        "gobuild.toml: function[2].name: missing",
        "every [[function]] needs `name`",
    ),
    "missing package": (
        ORDERS + '[[function]]\nname = "payments"\n',
        "gobuild.toml: function[2].package: missing",
        "every [[function]] needs `package`",
    ),
    "duplicate name": (
        ORDERS + PAYMENTS + '[[function]]\nname = "orders"\npackage = "./cmd/payments"\n',
        "gobuild.toml: function[3].name: 'orders' is already used by function[1]",
        "every function needs its own name: it names the zip",
    ),
    # Packages.
    "package outside the module": (
        '[[function]]\nname = "other"\npackage = "./../other"\n',
        "gobuild.toml: function[1].package: './../other' is outside the module at {root}",
        "point it inside module_dir",
    ),
    "package that does not exist": (
        ORDERS + '[[function]]\nname = "nope"\npackage = "./cmd/nope"\n',
        "gobuild.toml: function[2].package: './cmd/nope' does not exist ({root}/cmd/nope)",
        "check the path; it is relative to module_dir",
    ),
    "package that is not main": (
        '[[function]]\nname = "shop"\npackage = "./internal/shop"\n',
        "gobuild.toml: function[1].package: './internal/shop' is not a main package (package shop)",
        "a Lambda function is a `package main` with a main() that calls lambda.Start",
    ),
    "package without Go files": (
        '[[function]]\nname = "empty"\npackage = "./cmd/empty"\n',
        "gobuild.toml: function[1].package: './cmd/empty' holds no Go files",
        "point it at a folder with a main package",
    ),
    "package not written as ./path": (
        '[[function]]\nname = "orders"\npackage = "cmd/orders"\n',
        "gobuild.toml: function[1].package: 'cmd/orders' is not a relative package path",
        "write it as ./cmd/<name>",
    ),
    "module_dir without go.mod": (
        ORDERS + 'module_dir = "config"\n',
        "gobuild.toml: function[1].module_dir: 'config' has no go.mod ({root}/config)",
        "set module_dir to the folder that holds go.mod",
    ),
    # Architectures and tags.
    "bad architecture": (
        ORDERS + PAYMENTS + 'architectures = ["x86"]\n',
        "gobuild.toml: function[2].architectures: 'x86' is not one of amd64 (x86_64) or arm64 (aarch64)",
        None,
    ),
    "no architecture": (
        ORDERS + "architectures = []\n",
        "gobuild.toml: function[1].architectures: is empty",
        "list at least one of amd64 (x86_64) or arm64 (aarch64)",
    ),
    # env.
    "CGO_ENABLED=1": (
        ORDERS + 'env = { CGO_ENABLED = "1" }\n',
        (
            "gobuild.toml: function[1].env.CGO_ENABLED: CGO_ENABLED=1 is refused here: with the build "
            "machine's C compiler a cgo binary needs that machine's C library, which provided.al2023 may not have"
        ),
        "remove it and set `cgo = true` on the function: gobuild then compiles the C code with zig against "
        "Amazon Linux 2023's glibc 2.34 (gobuild's cgo extra)",
    ),
    "CGO_ENABLED beside cgo = true": (
        ORDERS + 'cgo = true\nenv = { CGO_ENABLED = "0" }\n',
        "gobuild.toml: function[1].env.CGO_ENABLED: cannot be set with `cgo = true`",
        "remove it: `cgo = true` builds with CGO_ENABLED=1",
    ),
    "CC in env": (
        ORDERS + 'env = { CC = "gcc" }\n',
        "gobuild.toml: function[1].env.CC: cannot be set: set by gobuild to zig for functions with `cgo = true`",
        None,
    ),
    "CGO_CFLAGS in env": (
        ORDERS + 'env = { CGO_CFLAGS = "-O3" }\n',
        "gobuild.toml: function[1].env.CGO_CFLAGS: cannot be set: use `cgo_cflags` (added after Go's default -O2 -g)",
        None,
    ),
    "cgo that is a string": (
        ORDERS + 'cgo = "yes"\n',
        "gobuild.toml: function[1].cgo: must be true or false, not a string",
        None,
    ),
    "cgo_libc newer than AL2023": (
        ORDERS + 'cgo = true\ncgo_libc = "2.36"\n',
        "gobuild.toml: function[1].cgo_libc: glibc 2.36 is newer than provided.al2023's 2.34: the binary would "
        "fail there with \"version `GLIBC_2.36' not found\"",
        "use a glibc release from 2.17 to 2.34 (provided.al2023 has 2.34), or 'musl' for a static binary",
    ),
    "cgo_libc older than zig targets": (
        '[defaults]\ncgo_libc = "2.12"\n' + ORDERS,
        "gobuild.toml: defaults.cgo_libc: glibc 2.12 is older than zig can target on arm64 (2.17)",
        "use a glibc release from 2.17 to 2.34 (provided.al2023 has 2.34), or 'musl' for a static binary",
    ),
    "cgo_libc that is no release": (
        ORDERS + 'cgo = true\ncgo_libc = "glibc-2.34"\n',
        "gobuild.toml: function[1].cgo_libc: 'glibc-2.34' is not a glibc release (such as '2.34') or 'musl'",
        "use a glibc release from 2.17 to 2.34 (provided.al2023 has 2.34), or 'musl' for a static binary",
    ),
    "cgo_cflags without cgo": (
        ORDERS + 'cgo_cflags = "-DX"\n',
        "gobuild.toml: function[1].cgo_cflags: has no effect without `cgo = true`",
        "add `cgo = true` to the function (or to [defaults]), or remove the key",
    ),
    "GOOS in env": (
        ORDERS + 'env = { GOOS = "darwin" }\n',
        "gobuild.toml: function[1].env.GOOS: cannot be set: set by gobuild to linux",
        None,
    ),
    "GOARCH in env": (
        ORDERS + 'env = { GOARCH = "amd64" }\n',
        "gobuild.toml: function[1].env.GOARCH: cannot be set: chosen by `architectures`",
        None,
    ),
    "env value that is a number": (
        ORDERS + "env = { CGO_ENABLED = 0 }\n",
        "gobuild.toml: function[1].env.CGO_ENABLED: must be a string, not a number",
        None,
    ),
    "env value that is a boolean": (
        ORDERS + "env = { DEBUG = true }\n",
        "gobuild.toml: function[1].env.DEBUG: must be a string, not a boolean",
        None,
    ),
    "env name that is not a variable name": (
        ORDERS + 'env = { "MY-VAR" = "x" }\n',
        "gobuild.toml: function[1].env.MY-VAR: is not a valid environment variable name",
        None,
    ),
    # include.
    "include of a missing file": (
        ORDERS + 'include = ["config/missing.json"]\n',
        (
            "gobuild.toml: function[1].include[1]: 'config/missing.json' is not a file "
            "({root}/config/missing.json)"
        ),
        "paths are relative to gobuild.toml",
    ),
    "include target escaping the zip": (
        ORDERS + 'include = [{ source = "config/app.json", target = "../app.json" }]\n',
        "gobuild.toml: function[1].include[1]: target '../app.json' leaves the zip's root",
        "use a relative path inside the zip",
    ),
    "include target that is absolute": (
        ORDERS + 'include = [{ source = "config/app.json", target = "/etc/app.json" }]\n',
        "gobuild.toml: function[1].include[1]: target '/etc/app.json' is absolute",
        "use a relative path inside the zip",
    ),
    "include target bootstrap": (
        ORDERS
        + 'include = ["config/app.json", { source = "config/run.sh", target = "bootstrap" }]\n',
        "gobuild.toml: function[1].include[2]: target 'bootstrap' is the function binary",
        "store the file under another name",
    ),
    "include target ./bootstrap": (
        ORDERS + 'include = [{ source = "config/run.sh", target = "./bootstrap" }]\n',
        "gobuild.toml: function[1].include[1]: target './bootstrap' is the function binary",
        "store the file under another name",
    ),
    "include targets that collide": (
        ORDERS
        + 'include = ["config/app.json", { source = "config/run.sh", target = "app.json" }]\n',
        "gobuild.toml: function[1].include: two files would be stored as 'app.json'",
        "give one a `target`",
    ),
    "include table without source": (
        ORDERS + 'include = [{ target = "app.json" }]\n',
        "gobuild.toml: function[1].include[1].source: missing",
        "an include table needs `source`",
    ),
    # No functions.
    "no function at all": (
        'out_dir = "dist"\n',
        "gobuild.toml: function: no functions declared",
        "add a [[function]] table with name and package",
    ),
    "[function] instead of [[function]]": (
        '[function]\nname = "orders"\npackage = "./cmd/orders"\n',
        "gobuild.toml: function: no functions declared",
        "add a [[function]] table with name and package",
    ),
    # Wrong types.
    "name that is a number": (
        '[[function]]\nname = 3\npackage = "./cmd/orders"\n',
        "gobuild.toml: function[1].name: must be a string, not a number",
        None,
    ),
    "out_dir that is a number": (
        "out_dir = 1\n" + ORDERS,
        "gobuild.toml: out_dir: must be a string, not a number",
        None,
    ),
    "ldflags that is a list": (
        ORDERS + 'ldflags = ["-s", "-w"]\n',
        "gobuild.toml: function[1].ldflags: must be a string, not an array",
        None,
    ),
    "trimpath that is a string": (
        ORDERS + 'trimpath = "yes"\n',
        "gobuild.toml: function[1].trimpath: must be true or false, not a string",
        None,
    ),
    "architectures that is a number": (
        ORDERS + "architectures = 64\n",
        "gobuild.toml: function[1].architectures: must be a list of strings",
        None,
    ),
    "tags holding a number": (
        ORDERS + 'tags = ["lambda.norpc", 1]\n',
        "gobuild.toml: function[1].tags: must be a list of strings",
        None,
    ),
    "include that is a string": (
        ORDERS + 'include = "config/app.json"\n',
        "gobuild.toml: function[1].include: must be a list of paths or {source, target} tables",
        None,
    ),
    "include item that is a number": (
        ORDERS + "include = [1]\n",
        "gobuild.toml: function[1].include[1]: must be a path or a {source, target} table",
        None,
    ),
    "publish bucket that is a number": (
        ORDERS + "[publish]\nbucket = 1\n",
        "gobuild.toml: publish.bucket: must be a string, not a number",
        None,
    ),
}


@pytest.mark.parametrize(("text", "message", "hint"), REFUSED.values(), ids=REFUSED.keys())
def test_refused_manifest_names_key_path_and_fix(
    project: Path, text: str, message: str, hint: str | None
) -> None:
    error = refusal(project, text)
    assert error.message == message.replace("{root}", str(project))
    assert error.hint == hint


# A table where the manifest wants another kind of value: the message may name the TOML type.
NOT_A_TABLE = {
    "defaults that is an array": (
        'defaults = ["arm64"]\n' + ORDERS,
        "gobuild.toml: defaults: must be a table",
    ),
    "env that is a string": (
        ORDERS + 'env = "CGO_ENABLED=0"\n',
        "gobuild.toml: function[1].env: must be a table",
    ),
    "publish that is a string": (
        'publish = "s3://x"\n' + ORDERS,
        "gobuild.toml: publish: must be a table",
    ),
}


@pytest.mark.parametrize(("text", "message"), NOT_A_TABLE.values(), ids=NOT_A_TABLE.keys())
def test_value_that_should_be_a_table_is_refused(project: Path, text: str, message: str) -> None:
    assert refusal(project, text).message.startswith(message + ", not ")


def test_toml_syntax_error_names_the_line(project: Path) -> None:
    error = refusal(project, 'out_dir = "dist"\n\nname = \n' + ORDERS)
    assert error.message.startswith("gobuild.toml:3: invalid TOML: ")
    assert error.hint == "fix the syntax at that line"


def test_missing_manifest_suggests_init(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path / "gobuild.toml")
    assert caught.value.message == f"{tmp_path / 'gobuild.toml'}: no such manifest"
    assert caught.value.hint == "run `gobuild init` to write one for the module's main packages"
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    "name",
    ["../x", "a/b", "con fig", "", "a" * 65, ".hidden", "-flag", "x\n", "x\\y"],
    ids=[
        "parent",
        "slash",
        "space",
        "empty",
        "65 chars",
        "leading dot",
        "leading dash",
        "trailing newline",
        "backslash",
    ],
)
def test_unsafe_function_name_is_refused(project: Path, name: str) -> None:
    error = refusal(
        project, f'[[function]]\nname = {toml_string(name)}\npackage = "./cmd/orders"\n'
    )
    assert error.message == f"gobuild.toml: function[1].name: {name!r} is not a safe file name"
    assert (
        error.hint == "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
    )


@pytest.mark.parametrize("name", ["a" * 64, "orders", "Orders.v2_eu-west-1", "9lives"])
def test_safe_function_name_is_accepted(project: Path, name: str) -> None:
    manifest = load(
        project, f'[[function]]\nname = {toml_string(name)}\npackage = "./cmd/orders"\n'
    )
    assert manifest.functions[0].name == name


@pytest.mark.parametrize(
    "tag",
    ["lambda norpc", "a,b", "-x", "", "x\n"],
    ids=["space", "comma", "leading dash", "empty", "trailing newline"],
)
def test_invalid_build_tag_is_refused(project: Path, tag: str) -> None:
    error = refusal(project, ORDERS + f"tags = [{toml_string(tag)}]\n")
    assert error.message == f"gobuild.toml: function[1].tags: {tag!r} is not a valid build tag"
    assert error.hint == "use letters, digits, '_' and '.'"


@pytest.mark.parametrize(
    ("jobs", "shown"), [("0", "0"), ("-2", "-2"), ('"4"', "'4'"), ("true", "True"), ("1.5", "1.5")]
)
def test_invalid_publish_jobs_is_refused(project: Path, jobs: str, shown: str) -> None:
    error = refusal(project, ORDERS + f"[publish]\njobs = {jobs}\n")
    assert error.message == f"gobuild.toml: publish.jobs: {shown} is not a positive whole number"


def test_bad_value_in_defaults_is_reported_at_the_defaults_key(project: Path) -> None:
    # The user wrote the bad value under [defaults]; function[1] has no architectures key to fix.
    error = refusal(project, '[defaults]\narchitectures = ["x86"]\n' + ORDERS)
    assert (
        error.message
        == "gobuild.toml: defaults.architectures: 'x86' is not one of amd64 (x86_64) or arm64 (aarch64)"
    )


def test_minimal_function_gets_every_default(project: Path) -> None:
    manifest = load(project, ORDERS)
    assert manifest.path == project / "gobuild.toml"
    assert manifest.root == project
    assert manifest.out_dir == project / "dist"
    assert manifest.publish == PublishSettings()
    assert manifest.cache.url is None
    (orders,) = manifest.functions
    assert orders.name == "orders"
    assert orders.package == "./cmd/orders"
    assert orders.module_dir == project
    assert orders.architectures == ("arm64",)
    assert orders.tags == ("lambda.norpc",)
    assert orders.ldflags == "-s -w"
    assert orders.env == ()
    assert orders.include == ()
    assert orders.trimpath is True
    assert orders.buildvcs is False


def test_defaults_are_inherited_and_overridden_per_function(project: Path) -> None:
    manifest = load(
        project,
        'out_dir = "build/zips"\n'
        "[defaults]\n"
        'architectures = ["amd64"]\ntags = ["lambda.norpc", "prod"]\nldflags = "-s"\n'
        'env = { GOAMD64 = "v3" }\ntrimpath = false\nbuildvcs = true\n'
        + ORDERS
        + PAYMENTS
        + 'architectures = ["arm64", "amd64"]\ntags = []\nenv = { CGO_ENABLED = "0" }\nbuildvcs = false\n',
    )
    orders, payments = manifest.functions
    assert manifest.out_dir == project / "build" / "zips"
    assert (
        orders.architectures,
        orders.tags,
        orders.ldflags,
        orders.env,
        orders.trimpath,
        orders.buildvcs,
    ) == (
        ("amd64",),
        ("lambda.norpc", "prod"),
        "-s",
        (("GOAMD64", "v3"),),
        False,
        True,
    )
    # A function's value replaces the default whole: env tables are not merged.
    assert (
        payments.architectures,
        payments.tags,
        payments.ldflags,
        payments.env,
        payments.trimpath,
        payments.buildvcs,
    ) == (("amd64", "arm64"), (), "-s", (("CGO_ENABLED", "0"),), False, False)


@pytest.mark.parametrize(
    ("architectures", "expected"),
    [
        ('["x86_64"]', ("amd64",)),
        ('["x86_64", "amd64", "arm64", "arm64"]', ("amd64", "arm64")),
        ('["arm64", "amd64"]', ("amd64", "arm64")),
    ],
    ids=["alias", "alias deduplicated", "sorted"],
)
def test_architectures_are_normalised(
    project: Path, architectures: str, expected: tuple[str, ...]
) -> None:
    manifest = load(project, ORDERS + f"architectures = {architectures}\n")
    assert manifest.functions[0].architectures == expected


def test_include_accepts_string_and_table_forms(project: Path) -> None:
    run_sh = project / "config" / "run.sh"
    manifest = load(
        project,
        ORDERS + 'include = ["config/app.json", { source = "config/run.sh" }, '
        '{ source = "config/app.json", target = "etc/copy.json" }]\n',
    )
    assert manifest.functions[0].include == (
        Include(source=project / "config" / "app.json", target="app.json"),
        Include(source=run_sh, target="run.sh"),
        Include(source=project / "config" / "app.json", target="etc/copy.json"),
    )


def test_env_is_sorted_and_cgo_disabled_is_accepted(project: Path) -> None:
    manifest = load(project, ORDERS + 'env = { GOAMD64 = "v2", CGO_ENABLED = "0", A_FLAG = "1" }\n')
    assert manifest.functions[0].env == (("A_FLAG", "1"), ("CGO_ENABLED", "0"), ("GOAMD64", "v2"))


def test_duplicate_tags_are_dropped_in_order(project: Path) -> None:
    manifest = load(project, ORDERS + 'tags = ["prod", "lambda.norpc", "prod"]\n')
    assert manifest.functions[0].tags == ("prod", "lambda.norpc")


@pytest.mark.parametrize("package", ["./cmd/orders/", "./cmd/../cmd/orders", "./cmd//orders"])
def test_package_path_is_normalised(project: Path, package: str) -> None:
    manifest = load(project, f'[[function]]\nname = "orders"\npackage = "{package}"\n')
    assert manifest.functions[0].package == "./cmd/orders"


def test_package_at_module_root_is_dot(project: Path) -> None:
    (project / "main.go").write_text(MAIN_GO)
    manifest = load(project, '[[function]]\nname = "root"\npackage = "."\n')
    assert manifest.functions[0].package == "."


def test_package_is_relative_to_module_dir(project: Path) -> None:
    manifest = load(
        project, '[[function]]\nname = "api"\nmodule_dir = "services/api"\npackage = "./cmd/api"\n'
    )
    (api,) = manifest.functions
    assert api.module_dir == project / "services" / "api"
    assert api.package == "./cmd/api"


def test_package_clause_is_found_after_comments_and_build_tags(project: Path) -> None:
    (project / "cmd" / "orders" / "main.go").write_text(
        "/* Copyright package shop\n */\n// package notmain\n//go:build linux\n\npackage main\n"
    )
    (project / "cmd" / "orders" / "main_test.go").write_text("package main_test\n")
    assert load(project, ORDERS).functions[0].package == "./cmd/orders"


def test_package_with_only_test_files_holds_no_go_files(project: Path) -> None:
    (project / "cmd" / "empty" / "main_test.go").write_text("package main\n")
    error = refusal(project, '[[function]]\nname = "empty"\npackage = "./cmd/empty"\n')
    assert error.message == "gobuild.toml: function[1].package: './cmd/empty' holds no Go files"


def test_publish_and_cache_settings_are_read(project: Path) -> None:
    manifest = load(
        project,
        ORDERS
        + '[publish]\nbucket = "artifacts"\nprefix = "lambda/"\njobs = 4\nregion = "eu-west-1"\n'
        '[cache]\nurl = "s3://cache/gobuild"\n',
    )
    assert manifest.publish == PublishSettings(
        bucket="artifacts", prefix="lambda/", jobs=4, region="eu-west-1"
    )
    assert manifest.cache.url == "s3://cache/gobuild"


def test_example_manifest_loads() -> None:
    manifest = load_manifest(TESTDATA / "gobuild.toml")
    assert [(f.name, f.package, f.architectures) for f in manifest.functions] == [
        ("orders", "./cmd/orders-lambda", ("amd64", "arm64")),
        ("payments", "./cmd/payments-lambda", ("arm64",)),
        ("inventory", "./cmd/inventory-lambda", ("arm64",)),
        ("healthcheck", "./cmd/healthcheck", ("arm64",)),
    ]
    assert manifest.functions[3].include == (
        Include(source=TESTDATA / "config" / "healthcheck.json", target="healthcheck.json"),
    )
