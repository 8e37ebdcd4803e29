"""Independent oracles for the Terraform and Serverless goldens: another parser reads the input
and the golden output, and only the attributes migrate means to change may differ.

Terraform goes through python-hcl2 (a test-only dependency), Serverless through ruamel.yaml's
safe loader, as data trees; neither shares code with migrate's span editors. Golden update
mode cannot satisfy these: they compare the golden with its input, not with migrate's output.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2  # type: ignore[import-untyped]
import pytest
from ruamel.yaml import YAML

from gobuild.migrate import MigrateOptions, migrate, write_report

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "testdata" / "migrate"
REALWORLD = REPO / "testdata" / "realworld"

# What migrate may change in a .tf file: in an aws_lambda_function or a module call.
TERRAFORM_KEYS = {"runtime", "handler", "architectures", "filename", "source_code_hash"}
SERVERLESS_PATHS = (
    ("provider", "runtime"),
    ("provider", "architecture"),
    ("functions", "*", "runtime"),
    ("functions", "*", "handler"),
    ("functions", "*", "architecture"),
    ("functions", "*", "package"),  # added whole: {artifact: ...}
    ("functions", "*", "package", "artifact"),
)


def golden_pairs(suffix: str) -> list[tuple[Path, Path]]:
    """(input, golden output) for every golden file of that kind."""
    pairs = []
    for expected in sorted(GOLDEN.glob(f"*/expected/files/**/*{suffix}")):
        case = expected.parents[0]
        while case.name != "files":
            case = case.parent
        relative = expected.relative_to(case)
        pairs.append((case.parent.parent / "input" / relative, expected))
    return pairs


def differences(before: Any, after: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The paths at which two data trees differ (a key present on one side only counts)."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in dict.fromkeys([*before, *after]):
            if key not in before or key not in after:
                yield (*path, key)
            else:
                yield from differences(before[key], after[key], (*path, key))
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after)):
            yield from differences(old, new, (*path, index))
    elif before != after:
        yield path


def terraform_changes_are_intended(
    before_text: str, after_text: str, folder: Path | None = None
) -> list[tuple[Any, ...]]:
    """The paths that changed, a module input named by the setting it is (run_time → runtime);
    fails on any other change."""
    before, after = hcl2.loads(before_text), hcl2.loads(after_text)  # the output parses
    changed = []
    for path in differences(before, after):
        assert path[0] in ("resource", "module"), path
        if path[0] == "resource":
            assert path[2] == '"aws_lambda_function"', path
        names = [p for p in path if isinstance(p, str) and not p.startswith('"')]
        setting = names[-1]
        if path[0] == "module" and folder is not None:  # an input: what the module sets from it
            setting = module_inputs(before, path[2], folder).get(setting, setting)
        assert setting in TERRAFORM_KEYS, f"{path} changed"
        changed.append((*path[:-1], setting))
    return changed


def module_inputs(tree: dict[str, Any], label: str, folder: Path) -> dict[str, str]:
    """input variable → the aws_lambda_function setting it is, in the module a call uses
    (`runtime = var.run_time` or `"${var.run_time}"`), read with hcl2."""
    call = next(block[label] for block in tree["module"] if label in block)
    inputs: dict[str, str] = {}
    for path in sorted((folder / str(call["source"]).strip('"')).glob("*.tf")):
        for block in hcl2.loads(path.read_text()).get("resource", []):
            for attributes in block.get('"aws_lambda_function"', {}).values():
                for setting, value in attributes.items():
                    written = str(value).strip('"').removeprefix("${").removesuffix("}")
                    if written.startswith("var."):
                        inputs[written.removeprefix("var.")] = setting
    return inputs


def load_yaml(text: str) -> Any:
    """A plain data tree; CloudFormation tags (!GetAtt X) become the strings they are written as."""
    loader = YAML(typ="safe", pure=True)
    loader.constructor.add_multi_constructor(
        "!", lambda constructor, suffix, node: f"!{suffix} {getattr(node, 'value', '')!s}"
    )
    return loader.load(text)


def serverless_changes_are_intended(before_text: str, after_text: str) -> list[tuple[Any, ...]]:
    before, after = load_yaml(before_text), load_yaml(after_text)
    changed = list(differences(before, after))
    for path in changed:
        assert any(
            len(path) == len(allowed) and all(a in ("*", p) for a, p in zip(allowed, path))
            for allowed in SERVERLESS_PATHS
        ), f"{path} changed"
    return changed


@pytest.mark.parametrize(("source", "golden"), golden_pairs(".tf"), ids=lambda p: p.parts[-4])
def test_terraform_goldens_change_only_lambda_attributes(source: Path, golden: Path) -> None:
    changed = terraform_changes_are_intended(source.read_text(), golden.read_text(), source.parent)
    assert changed, "the golden changes nothing: the oracle would prove nothing"
    runtimes = [p for p in changed if p[-1] == "runtime"]
    assert runtimes


@pytest.mark.parametrize(("source", "golden"), golden_pairs("serverless.yml"), ids=lambda p: p.parts[-4])
def test_serverless_goldens_change_only_runtime_handler_and_artifact(source: Path, golden: Path) -> None:
    assert serverless_changes_are_intended(source.read_text(), golden.read_text())


def test_the_oracles_see_an_unintended_change() -> None:
    text = 'resource "aws_lambda_function" "f" {\n  runtime = "go1.x"\n  memory_size = 128\n}\n'
    with pytest.raises(AssertionError, match="memory_size"):
        terraform_changes_are_intended(text, text.replace("128", "256"))
    service = "provider:\n  runtime: go1.x\n  memorySize: 128\n"
    with pytest.raises(AssertionError, match="memorySize"):
        serverless_changes_are_intended(service, service.replace("128", "256"))


REALWORLD_CASES = sorted(
    p.name for p in REALWORLD.iterdir() if any(p.rglob("*.tf")) or any(p.rglob("serverless.yml"))
) if REALWORLD.is_dir() else []


@pytest.mark.parametrize("case", REALWORLD_CASES)
def test_realworld_terraform_and_serverless_migrations_pass_the_oracles(case: str, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / case
    shutil.copytree(REALWORLD / case, folder)
    sources = {p: p.read_text() for p in [*folder.rglob("*.tf"), *folder.rglob("serverless.yml")]}
    write_report(migrate([folder], MigrateOptions(build="gobuild")))
    changed = 0
    for path, before in sources.items():
        if path.suffix == ".tf":
            changed += len(terraform_changes_are_intended(before, path.read_text(), path.parent))
        else:
            changed += len(serverless_changes_are_intended(before, path.read_text()))
    assert changed
