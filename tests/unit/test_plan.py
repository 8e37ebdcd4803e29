"""Manifest + --only/--arch → Targets, grouped into `go build` calls. Pure: no files, no Go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gobuild.errors import EXIT_BAD_INPUT, UsageError
from gobuild.manifest import Function, Manifest
from gobuild.plan import Plan, Target, exec_name, make_plan, select_targets

MODULE = Path("/src/shop")
MODULE_PATHS = {MODULE: "example.com/shop"}


def function(name: str, **settings: Any) -> Function:
    values: dict[str, Any] = {
        "package": f"./cmd/{name}",
        "module_dir": MODULE,
        "architectures": ("arm64",),
    }
    return Function(name=name, **{**values, **settings})


def manifest(*functions: Function) -> Manifest:
    return Manifest(path=MODULE / "gobuild.toml", out_dir=MODULE / "dist", functions=functions)


FLEET = manifest(
    function("orders", architectures=("amd64", "arm64")),
    function("payments"),
    function("healthcheck"),
)


def labels(targets: tuple[Target, ...]) -> list[str]:
    return [t.label for t in targets]


def group_labels(plan: Plan) -> list[list[str]]:
    return [labels(g.targets) for g in plan.groups]


def test_every_function_and_architecture_is_selected_in_name_order() -> None:
    assert labels(select_targets(FLEET)) == [
        "healthcheck/arm64",
        "orders/amd64",
        "orders/arm64",
        "payments/arm64",
    ]


def test_target_names_its_zip() -> None:
    orders = select_targets(FLEET, only=["orders"], arch="amd64")
    assert [(t.key, t.zip_name) for t in orders] == [(("orders", "amd64"), "orders-amd64.zip")]


def test_only_selects_the_named_functions() -> None:
    assert labels(select_targets(FLEET, only=["payments", "orders"])) == [
        "orders/amd64",
        "orders/arm64",
        "payments/arm64",
    ]


@pytest.mark.parametrize(
    ("name", "hint"),
    [("order", "did you mean 'orders'?"), ("zzz", "functions: healthcheck, orders, payments")],
    ids=["near match", "no near match"],
)
def test_only_with_unknown_name_is_a_usage_error(name: str, hint: str) -> None:
    with pytest.raises(UsageError) as caught:
        select_targets(FLEET, only=["orders", name])
    assert caught.value.message == f"--only {name}: no such function in gobuild.toml"
    assert caught.value.hint == hint
    assert caught.value.exit_code == EXIT_BAD_INPUT


@pytest.mark.parametrize(
    ("arch", "expected"),
    [
        ("arm64", ["healthcheck/arm64", "orders/arm64", "payments/arm64"]),
        ("amd64", ["orders/amd64"]),
        ("x86_64", ["orders/amd64"]),
    ],
)
def test_arch_filters_targets(arch: str, expected: list[str]) -> None:
    assert labels(select_targets(FLEET, arch=arch)) == expected


def test_unknown_arch_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"^--arch 'x86': not one of amd64 \(x86_64\) or arm64 \(aarch64\)$"):
        select_targets(FLEET, arch="x86")


def test_selection_that_matches_nothing_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"^nothing to build: no function matches --only/--arch$"):
        select_targets(FLEET, only=["payments"], arch="amd64")


def test_targets_with_the_same_settings_share_one_group() -> None:
    plan = make_plan(select_targets(FLEET, arch="arm64"), MODULE_PATHS)
    assert group_labels(plan) == [["healthcheck/arm64", "orders/arm64", "payments/arm64"]]
    assert plan.groups[0].settings.arch == "arm64"
    assert plan.groups[0].settings.as_record() == {
        "goos": "linux",
        "goarch": "arm64",
        "cgo_enabled": "0",
        "tags": ["lambda.norpc"],
        "ldflags": "-s -w",
        "env": {},
        "trimpath": True,
        "buildvcs": False,
    }


@pytest.mark.parametrize(
    "difference",
    [
        {"tags": ("lambda.norpc", "prod")},
        {"ldflags": "-s -w -X main.version=1"},
        {"env": (("GOAMD64", "v3"),)},
        {"architectures": ("amd64",)},
        {"trimpath": False},
        {"buildvcs": True},
        {"module_dir": Path("/src/other")},
        {"workspace": Path("/src/go.work")},
    ],
    ids=["tags", "ldflags", "env", "arch", "trimpath", "buildvcs", "module_dir", "workspace"],
)
def test_a_different_setting_splits_the_group(difference: dict[str, Any]) -> None:
    fleet = manifest(function("orders"), function("payments"), function("inventory", **difference))
    plan = make_plan(
        select_targets(fleet), {**MODULE_PATHS, Path("/src/other"): "example.com/other"}
    )
    inventory_arch = fleet.functions[2].architectures[0]
    assert group_labels(plan) == [
        ["orders/arm64", "payments/arm64"],
        [f"inventory/{inventory_arch}"],
    ]


def test_packages_with_the_same_binary_name_go_to_different_groups() -> None:
    fleet = manifest(
        function("a", package="./cmd/a/lambda"),
        function("b", package="./cmd/b/lambda"),
        function("c", package="./cmd/c"),
    )
    plan = make_plan(select_targets(fleet), MODULE_PATHS)
    assert group_labels(plan) == [["a/arm64", "c/arm64"], ["b/arm64"]]
    assert plan.groups[0].settings == plan.groups[1].settings


@pytest.mark.parametrize(
    ("module_path", "package"),
    [("example.com/lambda", "./cmd/x/lambda"), ("example.com/api/v2", "./cmd/api")],
    ids=["module root", "major version suffix"],
)
def test_module_root_binary_name_collides_with_a_package(module_path: str, package: str) -> None:
    fleet = manifest(function("root", package="."), function("other", package=package))
    plan = make_plan(select_targets(fleet), {MODULE: module_path})
    assert group_labels(plan) == [["other/arm64"], ["root/arm64"]]


def test_groups_are_ordered_largest_first() -> None:
    fleet = manifest(
        function("solo", ldflags="-s"),
        function("orders", architectures=("amd64", "arm64")),
        function("payments", architectures=("amd64", "arm64")),
        function("inventory"),
    )
    plan = make_plan(select_targets(fleet), MODULE_PATHS)
    assert group_labels(plan) == [
        ["inventory/arm64", "orders/arm64", "payments/arm64"],
        ["orders/amd64", "payments/amd64"],
        ["solo/arm64"],
    ]
    assert plan.targets == select_targets(fleet)


@pytest.mark.parametrize(
    ("module_path", "package", "name"),
    [
        ("example.com/shop", ".", "shop"),
        ("example.com/shop", "./cmd/orders-lambda", "orders-lambda"),
        ("example.com/shop/v2", ".", "shop"),
        ("example.com/shop/v2", "./cmd/api", "api"),
        ("example.com/shop/v10", ".", "shop"),
        ("example.com/shop/v37", ".", "shop"),
        ("example.com/shop", "./cmd/v3", "cmd"),
        ("example.com/shop/v1", ".", "v1"),
        ("example.com/shop/v0", ".", "v0"),
        ("example.com/shop/v02", ".", "v02"),
        ("example.com/shop/v2beta", ".", "v2beta"),
        ("shop", ".", "shop"),
        ("v2", ".", "v2"),
    ],
)
def test_exec_name_follows_go_default_exec_name(module_path: str, package: str, name: str) -> None:
    # Go's rule (cmd/go/internal/load.DefaultExecName, isVersionElement): a last element
    # vN with N >= 2 and no leading zero is a major version, so the element before it names the binary.
    assert exec_name(module_path, package) == name
