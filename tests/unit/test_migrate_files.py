"""Reading, refusing and writing files: bad input names file and line (exit 2) and loses
nothing; writes are atomic and keep the mode; gobuild.toml gets tables appended only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gobuild.errors import EXIT_BAD_INPUT, MigrateError, UsageError
from gobuild.manifest import load_manifest
from gobuild.migrate import MigrateOptions, find_files, migrate, write_report
from gobuild.migrate.functions import append_functions
from gobuild.migrate.model import ManifestFunction, TemplateSyntaxError
from tests.unit.test_migrate_golden import case_args, copy_case, options_from

SAM = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Runtime: go1.x
      Handler: fn
"""
MAIN_GO = "package main\n\nfunc main() {}\n"


@pytest.mark.parametrize(
    ("name", "text", "where", "problem"),
    [
        (
            "template.yaml",
            SAM.replace("      Handler: fn", "    Handler: [fn"),
            ":10:1: invalid YAML",
            "YAML",
        ),
        ("template.yaml", SAM + "  Bad: !Ref [\n", ":11:1: invalid YAML", "YAML"),
        (
            "stack.json",
            '{\n  "Resources": {\n    "Fn": {"Type": "AWS::Lambda::Function",}\n  }\n}\n',
            ":3:44: invalid JSON",
            "JSON",
        ),
    ],
)
def test_unparseable_templates_name_file_and_line_and_change_nothing(
    name: str, text: str, where: str, problem: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(TemplateSyntaxError) as raised:
        migrate([tmp_path], MigrateOptions())
    assert raised.value.message.startswith(f"{path}{where}")
    assert raised.value.exit_code == EXIT_BAD_INPUT
    assert path.read_text() == text


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as raised:
        migrate([tmp_path / "nope.yaml"], MigrateOptions())
    assert raised.value.message == f"{tmp_path / 'nope.yaml'}: no such file or directory"
    assert raised.value.exit_code == EXIT_BAD_INPUT


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (MigrateOptions(runtime="provided.al2"), "--to 'provided.al2' is not supported"),
        (MigrateOptions(arch="amd64"), "--arch 'amd64' is not one of arm64, x86_64"),
        (MigrateOptions(build="docker"), "--build 'docker' is not one of sam, gobuild, makefile"),
    ],
)
def test_unknown_option_values_are_refused(
    options: MigrateOptions, message: str, tmp_path: Path
) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        migrate([tmp_path], options)


def test_a_named_file_must_be_utf8_but_a_walk_skips_binaries(tmp_path: Path) -> None:
    blob = tmp_path / "logo.yaml"
    blob.write_bytes(b"AWS::Lambda::Function\n\xff\xfe")
    assert not migrate([tmp_path], MigrateOptions()).changed
    with pytest.raises(TemplateSyntaxError, match=r"logo.yaml:2: not UTF-8 text"):
        migrate([blob], MigrateOptions())


def test_the_walk_skips_dependency_and_build_folders(tmp_path: Path) -> None:
    for folder in ("node_modules/pkg", ".aws-sam/build", "cdk.out", "src"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "template.yaml").write_text(SAM)
    assert find_files([tmp_path]) == [tmp_path / "src" / "template.yaml"]


def test_write_keeps_mode_and_follows_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "real" / "template.yaml"
    real.parent.mkdir()
    real.write_text(SAM)
    real.chmod(0o640)
    link = tmp_path / "template.yaml"
    link.symlink_to(real)

    written = write_report(migrate([link], MigrateOptions()))

    assert written == [link]
    assert link.is_symlink()
    assert "Runtime: provided.al2023" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(os.listdir(real.parent)) == ["template.yaml"]  # no temp file left


def test_write_refuses_a_file_changed_since_it_was_read(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(SAM)
    report = migrate([path], MigrateOptions())
    path.write_text(SAM + "# edited meanwhile\n")

    with pytest.raises(MigrateError, match="changed since it was read"):
        write_report(report)
    assert path.read_text() == SAM + "# edited meanwhile\n"


def test_a_failed_rename_leaves_the_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(SAM)
    report = migrate([path], MigrateOptions())

    def disk_full(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(MigrateError, match="cannot write: No space left on device"):
        write_report(report)
    assert path.read_text() == SAM
    assert os.listdir(tmp_path) == ["template.yaml"]


def _function(root: Path, name: str, arch: str) -> ManifestFunction:
    return ManifestFunction(
        root=root,
        name=name,
        package=f"./cmd/{name}",
        architectures=(arch,),
        source=root / "template.yaml",
        line=1,
    )


def test_append_keeps_the_manifest_text_and_adds_only_new_names(tmp_path: Path) -> None:
    existing = '# hand-written\nout_dir = "build"\n\n[[function]]\nname = "orders"   # kept as is\npackage = "./cmd/orders"\narchitectures = ["arm64"]\n'
    functions = [
        _function(tmp_path, "orders", "amd64"),
        _function(tmp_path, "refunds", "amd64"),
        _function(tmp_path, "refunds", "arm64"),
    ]

    text, added, notices = append_functions(tmp_path / "gobuild.toml", existing, functions)

    assert text is not None and text.startswith(existing)
    assert (
        text[len(existing) :]
        == '\n[[function]]\nname = "refunds"\npackage = "./cmd/refunds"\narchitectures = ["amd64", "arm64"]\n'
    )
    assert [f.name for f in added] == ["refunds"]
    assert [(n.message, n.replacement) for n in notices] == [
        (
            "gobuild.toml already declares 'orders' without amd64; left as is",
            'architectures = ["amd64", "arm64"]',
        )
    ]
    for name in ("orders", "refunds"):
        (tmp_path / "cmd" / name).mkdir(parents=True)
        (tmp_path / "cmd" / name / "main.go").write_text(MAIN_GO)
    (tmp_path / "go.mod").write_text("module example.com/shop\n\ngo 1.22\n")
    (tmp_path / "gobuild.toml").write_text(text)
    manifest = load_manifest(tmp_path / "gobuild.toml")
    assert [(f.name, f.architectures) for f in manifest.functions] == [
        ("orders", ("arm64",)),
        ("refunds", ("amd64", "arm64")),
    ]


def test_nothing_to_add_leaves_the_manifest_alone(tmp_path: Path) -> None:
    existing = (
        '[[function]]\nname = "orders"\npackage = "./cmd/orders"\narchitectures = ["amd64"]\n'
    )
    assert append_functions(
        tmp_path / "gobuild.toml", existing, [_function(tmp_path, "orders", "amd64")]
    ) == (None, [], [])


def test_a_broken_manifest_is_reported_not_overwritten(tmp_path: Path) -> None:
    with pytest.raises(TemplateSyntaxError, match=r"gobuild.toml:\d+: invalid TOML"):
        append_functions(
            tmp_path / "gobuild.toml", "[[function]\n", [_function(tmp_path, "x", "amd64")]
        )


@pytest.mark.parametrize("case", ["sam-shared-codeuri", "sam-makefile", "serverless"])
def test_written_manifests_load_with_the_manifest_reader(case: str, tmp_path: Path) -> None:
    folder = copy_case(case, tmp_path)
    write_report(migrate([folder / "input"], options_from(case_args(case))))

    manifest = load_manifest(folder / "input" / "gobuild.toml")

    assert manifest.functions
    for function in manifest.functions:
        assert (folder / "input" / function.package).is_dir()


