"""Build information and recorded settings: each difference named once, as `old → new`."""

from __future__ import annotations

import pytest

from gobuild.check.buildinfo import BuildInfo, parse_modinfo
from gobuild.diff.goinfo import compare_buildinfo, compare_recorded, ldflags_differences, parse_ldflags

BASE = """path\texample.com/app
mod\texample.com/app\t(devel)\t
dep\tgithub.com/aws/aws-lambda-go\tv1.47.0\th1:aaa=
dep\tgithub.com/aws/aws-sdk-go-v2/service/dynamodb\tv1.40.0\th1:bbb=
dep\texample.com/greet\tv1.0.0\t
=>\t../greet-v1.0.0\t(devel)\t
build\t-buildmode=exe
build\t-compiler=gc
build\t-tags=lambda.norpc
build\t-trimpath=true
build\tDefaultGODEBUG=a=1,b=0
build\tCGO_ENABLED=0
build\tGOARCH=arm64
build\tGOOS=linux
build\tGOARM64=v8.0
"""


def info(go_version: str = "go1.26.8") -> BuildInfo:
    return parse_modinfo(BASE, go_version=go_version)


def replaced(old: str, new: str) -> BuildInfo:
    assert old in BASE
    return parse_modinfo(BASE.replace(old, new), go_version="go1.26.8")


def messages(old: BuildInfo, new: BuildInfo) -> list[str]:
    return [d.message for d in compare_buildinfo(old, new)]


def test_equal_build_info_has_no_differences() -> None:
    assert compare_buildinfo(info(), info()) == []


def test_go_version() -> None:
    (found,) = compare_buildinfo(info(), info(go_version="go1.25.14"))
    assert (found.kind, found.message) == ("go-version", "Go version go1.26.8 → go1.25.14")


def test_dependency_version_change_is_path_old_new() -> None:
    new = replaced("dynamodb\tv1.40.0\th1:bbb=", "dynamodb\tv1.41.2\th1:ccc=")
    assert messages(info(), new) == ["github.com/aws/aws-sdk-go-v2/service/dynamodb v1.40.0 → v1.41.2"]


def test_replace_target_change() -> None:
    new = replaced("=>\t../greet-v1.0.0\t(devel)", "=>\t../greet-fork\t(devel)")
    (found,) = compare_buildinfo(info(), new)
    assert found.kind == "dependency-replace"
    assert found.message == "example.com/greet v1.0.0: replaced by ../greet-v1.0.0 (devel) → ../greet-fork (devel)"


def test_version_change_through_replace_names_both() -> None:
    new = replaced("greet\tv1.0.0\t\n=>\t../greet-v1.0.0", "greet\tv1.1.0\t\n=>\t../greet-v1.1.0")
    assert messages(info(), new) == [
        "example.com/greet v1.0.0 → v1.1.0 (replaced by ../greet-v1.0.0 (devel) → ../greet-v1.1.0 (devel))"
    ]


def test_checksum_change_at_the_same_version_is_flagged() -> None:
    (found,) = compare_buildinfo(info(), replaced("v1.47.0\th1:aaa=", "v1.47.0\th1:zzz="))
    assert found.kind == "dependency-checksum"
    assert "checksum h1:aaa= → h1:zzz=" in found.message and "same version" in found.message


def test_dependencies_added_and_removed() -> None:
    new = replaced("dep\tgithub.com/aws/aws-lambda-go\tv1.47.0\th1:aaa=\n", "dep\tgolang.org/x/sync\tv0.9.0\th1:s=\n")
    assert sorted(messages(info(), new)) == [
        "github.com/aws/aws-lambda-go v1.47.0 removed", "golang.org/x/sync v0.9.0 added",
    ]


def test_settings_tags_godebug_and_main_path() -> None:
    new = replaced("-tags=lambda.norpc", "-tags=lambda.norpc,extra")
    assert messages(info(), new) == ["-tags lambda.norpc → lambda.norpc,extra (+extra)"]
    new = replaced("DefaultGODEBUG=a=1,b=0", "DefaultGODEBUG=a=1,c=1")
    assert messages(info(), new) == ["DefaultGODEBUG changed (+c=1, -b=0)"]
    new = replaced("CGO_ENABLED=0", "CGO_ENABLED=1")
    assert messages(info(), new) == ["CGO_ENABLED 0 → 1"]
    new = replaced("build\t-trimpath=true\n", "")
    assert messages(info(), new) == ["-trimpath removed (was true)"]
    new = replaced("path\texample.com/app\n", "path\texample.com/app/cmd/other\n")
    assert messages(info(), new) == ["main package example.com/app → example.com/app/cmd/other"]


def test_vcs_settings() -> None:
    old = replaced("build\tGOOS=linux\n", "build\tGOOS=linux\nbuild\tvcs=git\nbuild\tvcs.revision=abc\n"
                   "build\tvcs.time=2025-01-01T00:00:00Z\n")
    new = replaced("build\tGOOS=linux\n", "build\tGOOS=linux\nbuild\tvcs=git\nbuild\tvcs.revision=def\n"
                   "build\tvcs.time=2025-02-01T00:00:00Z\n")
    assert messages(old, new) == ["vcs.revision abc → def", "vcs.time 2025-01-01T00:00:00Z → 2025-02-01T00:00:00Z"]


@pytest.mark.parametrize(
    ("text", "assignments", "others"),
    [
        ("-s -w", (), ("-s", "-w")),
        ("-s -w -X main.version=1.2.3", (("main.version", "1.2.3"),), ("-s", "-w")),
        ("-X=main.version=1.2.3 -X 'main.name=a b'", (("main.version", "1.2.3"), ("main.name", "a b")), ()),
        ('--X "example.com/m/v.Built=2025-01-01 10:00"', (("example.com/m/v.Built", "2025-01-01 10:00"),), ()),
        ("-X main.version", (), ("-X", "main.version")),  # not an assignment: kept as it is
        ("-s 'unbalanced", (), ("-s 'unbalanced",)),
    ],
)
def test_parse_ldflags(text: str, assignments: tuple[tuple[str, str], ...], others: tuple[str, ...]) -> None:
    parsed = parse_ldflags(text)
    assert (parsed.assignments, parsed.others) == (assignments, others)


def test_each_changed_x_key_is_listed_on_its_own() -> None:
    found = ldflags_differences("-s -w -X main.version=1.2.3 -X main.commit=abc -X main.gone=1",
                                "-s -X main.version=1.2.4 -X main.commit=abc -X main.built=now")
    assert [d.message for d in found] == [
        "-X main.version changed (1.2.3 → 1.2.4)",
        "-X main.gone removed (was 1)",
        "-X main.built added (now)",
        "-ldflags -s -w → -s",
    ]
    assert [d.kind for d in found] == ["ldflags-x", "ldflags-x", "ldflags-x", "ldflags"]


def test_ldflags_in_build_info_of_a_build_without_trimpath() -> None:
    old = replaced("build\t-trimpath=true\n", "build\t-ldflags=\"-s -w -X main.version=1.2.3\"\n")
    new = replaced("build\t-trimpath=true\n", "build\t-ldflags=\"-s -w -X main.version=1.2.4\"\n")
    assert messages(old, new) == ["-X main.version changed (1.2.3 → 1.2.4)"]


def test_recorded_settings() -> None:
    old = {"goarch": "arm64", "tags": ["lambda.norpc"], "ldflags": "-s -w -X main.version=1.2.3", "env": {}}
    new = {"goarch": "arm64", "tags": ["lambda.norpc", "extra"], "ldflags": "-s -w -X main.version=1.2.4",
           "env": {"GOEXPERIMENT": "x"}}
    assert [d.message for d in compare_recorded(old, new)] == [
        "-X main.version changed (1.2.3 → 1.2.4)",
        "env (none) → GOEXPERIMENT=x (artifacts.json)",
        "tags lambda.norpc → lambda.norpc,extra (artifacts.json)",
    ]
