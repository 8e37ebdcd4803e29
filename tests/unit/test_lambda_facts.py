"""The one home of Lambda facts: architecture spellings, artifact names, aws-lambda-go's age."""

from __future__ import annotations

import pytest

from gobuild.errors import UsageError
from gobuild.lambda_facts import (
    Arch,
    arch_name,
    artifact_name,
    function_of_artifact,
    predates_runtime_api,
    require_arch,
)


@pytest.mark.parametrize("spelling, goarch", [
    ("amd64", "amd64"), ("x86_64", "amd64"), ("X86-64", "amd64"), (" x64 ", "amd64"),
    ("arm64", "arm64"), ("aarch64", "arm64"), ("ARM64", "arm64"),
])
def test_every_spelling_lambda_go_and_uname_use_is_one_architecture(spelling: str, goarch: str) -> None:
    assert arch_name(spelling) == goarch == require_arch(spelling)


def test_each_architecture_knows_its_names_elsewhere() -> None:
    assert (Arch.AMD64.lambda_name, Arch.AMD64.qemu_name, Arch.AMD64.elf_machine) == ("x86_64", "x86_64", 62)
    assert (Arch.ARM64.lambda_name, Arch.ARM64.qemu_name, Arch.ARM64.elf_machine) == ("arm64", "aarch64", 183)


def test_an_unknown_architecture_names_the_option_and_the_spellings() -> None:
    with pytest.raises(UsageError, match=r"^--arch 'x86': not one of amd64 \(x86_64\) or arm64 \(aarch64\)$"):
        require_arch("x86")


def test_artifact_names_round_trip() -> None:
    assert artifact_name("orders", "arm64") == "orders-arm64.zip"
    assert function_of_artifact("orders-arm64.zip") == "orders"
    assert function_of_artifact("my-func-x86_64.zip") == "my-func"
    assert function_of_artifact("plain.zip") == "plain"
    assert function_of_artifact("-amd64.zip") == "-amd64"


@pytest.mark.parametrize("version, old", [
    ("v1.6.0", True), ("v1.17.0", True), ("v1.18.0-rc1", True), ("v1.18.0", False), ("v1.47.0", False),
    ("v2.0.0+incompatible", False), ("v1.6.0+incompatible", True), ("devel", False), ("", False),
])
def test_aws_lambda_go_before_v1_18_cannot_use_the_runtime_api(version: str, old: bool) -> None:
    assert predates_runtime_api(version) is old
