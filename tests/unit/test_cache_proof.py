"""What a cached zip's Go build information must say, and what a cache signature binds (no I/O)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gobuild.build.cache import parse_url, sign, signing_key
from gobuild.build.proof import Expected, mismatches
from gobuild.check.buildinfo import BuildInfo, parse_modinfo
from gobuild.manifest import Function
from gobuild.plan import Target, settings_for

# What Go 1.26 writes for `go build -trimpath -tags=lambda.norpc -ldflags="-s -w"` of the
# example's payments function for arm64 (`go version -m` of a real build).
PAYMENTS = """path\texample.com/shop/cmd/payments-lambda
mod\texample.com/shop\t(devel)\t
build\t-buildmode=exe
build\t-compiler=gc
build\t-tags=lambda.norpc
build\t-trimpath=true
build\tCGO_ENABLED=0
build\tGOARCH=arm64
build\tGOOS=linux
build\tGOARM64=v8.0
"""


def expected(package: str = "./cmd/payments-lambda", arch: str = "arm64", **settings: object) -> Expected:
    function = Function(name="payments", package=package, module_dir=Path("/m"), architectures=(arch,))
    target = Target(function=replace(function, **settings), arch=arch)  # type: ignore[arg-type]
    return Expected(target=target, settings=settings_for(target), module="example.com/shop",
                    go_version="go1.26.8", epoch=315532800, dest=Path("/m/dist/payments-arm64.zip"))


def info(text: str = PAYMENTS, go: str = "go1.26.8") -> BuildInfo:
    return parse_modinfo(text, go_version=go)


def test_the_binary_this_target_builds_matches() -> None:
    assert mismatches(info(), expected()) == []


def test_another_functions_binary_is_named() -> None:
    assert mismatches(info(), expected(package="./cmd/inventory-lambda")) == [
        "is the main package example.com/shop/cmd/payments-lambda, this target is example.com/shop/cmd/inventory-lambda"]


@pytest.mark.parametrize(("text", "go", "problem"), [
    (PAYMENTS, "go1.25.0", "was built with go1.25.0, this build uses go1.26.8"),
    (PAYMENTS.replace("mod\texample.com/shop", "mod\texample.com/other"), "go1.26.8",
     "is from module example.com/other, this target's is example.com/shop"),
    (PAYMENTS.replace("GOARCH=arm64", "GOARCH=amd64"), "go1.26.8", "has GOARCH=amd64, this build gives arm64"),
    (PAYMENTS.replace("CGO_ENABLED=0", "CGO_ENABLED=1"), "go1.26.8", "has CGO_ENABLED=1, this build gives 0"),
    (PAYMENTS.replace("build\t-tags=lambda.norpc\n", ""), "go1.26.8",
     "has -tags=(unset), this build gives lambda.norpc"),
    (PAYMENTS.replace("build\t-trimpath=true\n", "build\t-ldflags=\"-s -w\"\n"), "go1.26.8",
     "has -trimpath=(unset), this build gives true"),
    (PAYMENTS.replace("GOOS=linux", "GOOS=darwin"), "go1.26.8", "has GOOS=darwin, this build gives linux"),
    (PAYMENTS.replace("GOARM64=v8.0", "GOARM64=v9.0"), "go1.26.8", "has GOARM64=v9.0, this build gives v8.0"),
])
def test_each_difference_is_named(text: str, go: str, problem: str) -> None:
    assert problem in mismatches(info(text, go), expected())


def test_ldflags_count_where_go_records_them() -> None:
    # Without -trimpath, Go records -ldflags (and they must match); with it, it leaves them out.
    untrimmed = PAYMENTS.replace("build\t-trimpath=true\n", 'build\t-ldflags="-s -w"\n')
    assert mismatches(info(untrimmed), expected(trimpath=False)) == []
    assert mismatches(info(untrimmed), expected(trimpath=False, ldflags="-s")) == [
        "has -ldflags=-s -w, this build gives -s"]
    assert mismatches(info(), expected(ldflags="-s -X main.version=2")) == []


def test_a_manifest_level_replaces_the_default() -> None:
    assert mismatches(info(), expected(env=(("GOARM64", "v9.0"),))) == ["has GOARM64=v8.0, this build gives v9.0"]


def test_a_signature_binds_the_bytes_to_the_fingerprint() -> None:
    key = b"secret"
    signature = sign(key, "f" * 64, "a" * 64)
    assert signature == sign(key, "f" * 64, "a" * 64)
    assert len({signature, sign(key, "e" * 64, "a" * 64), sign(key, "f" * 64, "b" * 64),
                sign(b"other", "f" * 64, "a" * 64)}) == 4


def test_the_key_comes_only_from_the_environment_given() -> None:
    assert signing_key({}) is None
    assert signing_key({"GOBUILD_CACHE_KEY": ""}) is None
    assert signing_key({"GOBUILD_CACHE_KEY": "s3cr3t"}) == b"s3cr3t"


@pytest.mark.parametrize(("url", "parsed"), [
    ("s3://b", ("b", "")), ("s3://b/", ("b", "")), ("s3://b/c", ("b", "c/")), ("s3://b/c/d/", ("b", "c/d/")),
])
def test_cache_urls(url: str, parsed: tuple[str, str]) -> None:
    assert parse_url(url) == parsed


def test_a_cgo_target_wants_cgo_enabled_and_a_static_one_refuses_it() -> None:
    from gobuild.cgo import Cgo

    cgo_info = info(PAYMENTS.replace("CGO_ENABLED=0", "CGO_ENABLED=1"))
    assert mismatches(cgo_info, expected(cgo=Cgo())) == []
    assert mismatches(info(), expected(cgo=Cgo())) == ["has CGO_ENABLED=0, this build gives 1"]
    assert mismatches(cgo_info, expected()) == ["has CGO_ENABLED=1, this build gives 0"]
