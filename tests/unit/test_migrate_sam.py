"""SAM/CloudFormation rewrites: the policies the golden cases do not pin down on their own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gobuild.migrate.model import FileResult, MigrateOptions
from gobuild.migrate.sam import migrate_template

HEADER = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"


def run(text: str, tmp_path: Path, **options: str) -> FileResult:
    return migrate_template(
        path=tmp_path / "template.yaml", text=text, options=MigrateOptions(**options)
    )


def test_globals_handler_stays_when_a_non_go_function_inherits_it(tmp_path: Path) -> None:
    text = (
        HEADER
        + """Globals:
  Function:
    Runtime: go1.x
    Handler: main
    CodeUri: .
Resources:
  GoFunction:
    Type: AWS::Serverless::Function
    Properties:
      MemorySize: 128
  ScriptFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
"""
    )
    result = run(text, tmp_path)

    assert "    Handler: main\n" in result.new_text  # the Python function still reads it
    assert "      MemorySize: 128\n      Handler: bootstrap\n" in result.new_text
    assert "    Runtime: provided.al2023\n" in result.new_text
    assert "      Runtime: python3.12\n" in result.new_text


def test_globals_handler_changes_once_when_every_inheritor_migrates(tmp_path: Path) -> None:
    text = (
        HEADER
        + """Globals:
  Function:
    Runtime: go1.x
    Handler: main
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: a/
  B:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: b/
"""
    )
    result = run(text, tmp_path)

    assert result.new_text.count("Handler: bootstrap") == 1
    assert [(c.line, c.old, c.new) for c in result.changes[:2]] == [
        (5, "Runtime: go1.x", "Runtime: provided.al2023"),
        (6, "Handler: main", "Handler: bootstrap"),
    ]


@pytest.mark.parametrize(
    ("runtime", "shown"),
    [
        ("!If [IsArm, provided.al2, go1.x]", "!If [IsArm, provided.al2, go1.x]"),
        ("!FindInMap [Runtimes, !Ref Stage, go]", "!FindInMap [Runtimes, !Ref Stage, go]"),
        ("{Ref: GoRuntime}", "{Ref: GoRuntime}"),
    ],
)
def test_a_runtime_it_cannot_decide_is_reported_and_left_alone(
    runtime: str, shown: str, tmp_path: Path
) -> None:
    text = (
        HEADER
        + f"""Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: fn
      Runtime: {runtime}
"""
    )
    result = run(text, tmp_path)

    assert result.new_text == text
    assert [(n.line, n.message.split(";")[0]) for n in result.notices] == [
        (9, f"Fn: Runtime is {shown}")
    ]


def test_a_parameter_default_is_named_in_the_notice(tmp_path: Path) -> None:
    text = (
        HEADER
        + """Parameters:
  GoRuntime:
    Type: String
    Default: go1.x
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: !Ref GoRuntime
      Handler: fn
      Role: arn:aws:iam::123456789012:role/fn
      Code: {S3Bucket: b, S3Key: k}
"""
    )
    result = run(text, tmp_path)

    assert result.new_text == text
    assert "(parameter GoRuntime defaults to go1.x at line 6)" in result.notices[0].message
    assert result.notices[0].line == 11


def test_flow_style_properties_get_inline_additions(tmp_path: Path) -> None:
    text = (
        HEADER
        + """Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: fn/, Runtime: go1.x, Handler: fn}
"""
    )
    result = run(text, tmp_path, arch="arm64")

    assert (
        "    Properties: {CodeUri: fn/, Runtime: provided.al2023, Handler: bootstrap, Architectures: [arm64]}\n"
        in result.new_text
    )


def test_quotes_and_trailing_comment_columns_are_kept(tmp_path: Path) -> None:
    text = (
        HEADER
        + """Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Runtime: 'go1.x'        # old
      Handler: "fn"           # the binary
"""
    )
    result = run(text, tmp_path)

    assert "      Runtime: 'provided.al2023' # old\n" in result.new_text
    assert '      Handler: "bootstrap"    # the binary\n' in result.new_text


def test_crlf_line_endings_are_kept(tmp_path: Path) -> None:
    text = (
        HEADER
        + """Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Runtime: go1.x
      Handler: fn
"""
    ).replace("\n", "\r\n")
    result = run(text, tmp_path)

    assert "\n" not in result.new_text.replace("\r\n", "")
    assert result.new_text.endswith("    Metadata:\r\n      BuildMethod: go1.x\r\n")


def test_json_additions_follow_the_file_indentation(tmp_path: Path) -> None:
    template: dict[str, Any] = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"CodeUri": "fn/", "Runtime": "go1.x", "Handler": "fn"},
            }
        },
    }
    text = json.dumps(template, indent=4) + "\n"
    result = migrate_template(
        path=tmp_path / "t.json", text=text, options=MigrateOptions(arch="x86_64")
    )

    template["Resources"]["Fn"]["Properties"].update(
        Runtime="provided.al2023", Handler="bootstrap", Architectures=["x86_64"]
    )
    template["Resources"]["Fn"]["Metadata"] = {"BuildMethod": "go1.x"}
    assert json.loads(result.new_text) == template
    assert (
        '                "Handler": "bootstrap",\n                "Architectures": ["x86_64"]\n'
        in result.new_text
    )
    assert (
        '            },\n            "Metadata": {\n                "BuildMethod": "go1.x"\n            }\n'
        in result.new_text
    )


def test_existing_build_method_is_kept_for_sam_and_replaced_for_makefile(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n")
    (tmp_path / "cmd" / "fn").mkdir(parents=True)
    (tmp_path / "cmd" / "fn" / "main.go").write_text("package main\n\nfunc main() {}\n")
    text = (
        HEADER
        + """Resources:
  Fn:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: go1.x
      BuildProperties:
        TrimGoPath: true
    Properties:
      CodeUri: cmd/fn/
      Runtime: provided.al2
      Handler: bootstrap
"""
    )
    assert "BuildMethod: go1.x\n" in run(text, tmp_path).new_text
    as_make = run(text, tmp_path, build="makefile")
    assert "      BuildMethod: makefile\n      BuildProperties:\n" in as_make.new_text
    assert [t.logical_id for t in as_make.make_targets] == ["Fn"]
    assert [(f.name, f.package) for f in as_make.functions] == [("fn", "./cmd/fn")]


def test_image_and_non_go_functions_are_not_touched(tmp_path: Path) -> None:
    text = (
        HEADER
        + """Resources:
  Image:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      ImageUri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/fn:latest
  Node:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/fn
      Code: {ZipFile: "exports.handler = async () => 1"}
"""
    )
    result = run(text, tmp_path)
    assert result.new_text == text and not result.changes and not result.notices


# A function's properties, drawn: which keys it has and how they are written.
_functions = st.lists(
    st.fixed_dictionaries(
        {
            "runtime": st.sampled_from(
                ["go1.x", "provided.al2", "provided.al2023", "python3.12", None]
            ),
            "quote": st.sampled_from(["", "'", '"']),
            "handler": st.sampled_from(["main", "bin/orders", None]),
            "arch": st.sampled_from(["arm64", "x86_64", None]),
            "comment": st.booleans(),
        }
    ),
    min_size=1,
    max_size=4,
)


def _template(functions: list[dict[str, object]], global_runtime: str | None) -> str:
    lines = [HEADER.rstrip("\n")]
    if global_runtime:
        lines += ["Globals:", "  Function:", f"    Runtime: {global_runtime}", "    Timeout: 3"]
    lines.append("Resources:")
    for index, function in enumerate(functions):
        quote = function["quote"]
        lines += [
            f"  Fn{index}:",
            "    Type: AWS::Serverless::Function",
            "    Properties:",
            f"      CodeUri: fn{index}/",
        ]
        if function["runtime"]:
            comment = "  # pinned" if function["comment"] else ""
            lines.append(f"      Runtime: {quote}{function['runtime']}{quote}{comment}")
        if function["handler"]:
            lines.append(f"      Handler: {quote}{function['handler']}{quote}")
        if function["arch"]:
            lines += ["      Architectures:", f"        - {function['arch']}"]
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None)
@given(
    functions=_functions,
    global_runtime=st.sampled_from([None, "go1.x", "python3.12"]),
    arch=st.sampled_from([None, "arm64", "x86_64"]),
)
def test_any_template_migrates_fully_once(
    functions: list[dict[str, object]],
    global_runtime: str | None,
    arch: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from cfnlint.decode import decode_str  # type: ignore[import-untyped]

    folder = tmp_path_factory.mktemp("t")
    text = _template(functions, global_runtime)
    first = migrate_template(path=folder / "t.yaml", text=text, options=MigrateOptions(arch=arch))
    second = migrate_template(
        path=folder / "t.yaml", text=first.new_text, options=MigrateOptions(arch=arch)
    )

    assert second.new_text == first.new_text and not second.changes
    before, _ = decode_str(text)
    after, errors = decode_str(first.new_text)
    assert not errors and after is not None and before is not None
    shared = (after.get("Globals") or {}).get("Function", {})
    for name, resource in after["Resources"].items():
        old = before["Resources"][name]["Properties"]
        new = resource["Properties"]
        old_runtime = old.get(
            "Runtime", ((before.get("Globals") or {}).get("Function") or {}).get("Runtime")
        )
        runtime = new.get("Runtime", shared.get("Runtime"))
        # provided.al2 moves only when its code is shown to be Go: these fn folders hold none.
        if old_runtime == "go1.x":
            assert runtime == "provided.al2023"
            assert new.get("Handler", shared.get("Handler")) == "bootstrap"
            assert resource["Metadata"] == {"BuildMethod": "go1.x"}
            if arch:
                assert new["Architectures"] == [arch]
            elif "Architectures" in old:
                assert new["Architectures"] == old["Architectures"]
        else:
            assert new == old and "Metadata" not in resource
