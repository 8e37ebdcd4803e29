"""Resolving code (folders, gobuild's outputs, published.json) and judging a function: which of
verify's findings it keeps, and on which line of the definition each one lands."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest

from gobuild.check.verify import Finding as VerifyFinding
from gobuild.check.verify import Report
from gobuild.deploy import CheckOptions, check_deployment
from gobuild.deploy import folder as folder_module
from gobuild.deploy.folder import FolderTooBig, zip_folder
from gobuild.deploy.judge import Verifier, judge
from gobuild.deploy.model import CodeRef, FunctionDef, ListValue, Place, Value
from gobuild.deploy.resolve import Resolver
from gobuild.deploy.s3code import S3Reader, S3Settings

TODAY = date(2026, 11, 28)
FN_PLACE = Place(file="template.yaml", line=10)
CODE_PLACE = Place(file="template.yaml", line=14)
ARCH_PLACE = Place(file="template.yaml", line=15)


def resolver(tmp_path: Path) -> Resolver:
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    return Resolver(base=tmp_path, scratch=scratch, s3=S3Reader(S3Settings(), scratch))


def function(tmp_path: Path, code: CodeRef, **fields: object) -> FunctionDef:
    values: dict[str, object] = {
        "name": "Orders", "format": "sam", "resource_type": "AWS::Serverless::Function", "place": FN_PLACE,
        "base_dir": tmp_path, "code": code,
        "runtime": Value(text="provided.al2023", written="provided.al2023", place=Place(file="template.yaml", line=5)),
        "handler": Value(text="bootstrap", written="bootstrap", place=FN_PLACE),
        "architectures": ListValue(items=("arm64",), written="[arm64]", place=ARCH_PLACE),
    }
    values.update(fields)
    return FunctionDef(**values)  # type: ignore[arg-type]


def report(*codes: str, go: bool = True) -> Report:
    findings = tuple(VerifyFinding(code=code, severity="error" if code in ("GB207", "GB101") else "warning",
                                   message=f"{code} says so", fix="", entry="bootstrap") for code in codes)
    return Report(archive="x.zip", findings=findings, arch="amd64", go_version="go1.26.8" if go else None)


def test_verify_findings_land_on_the_code_line_and_the_architectures_line(tmp_path: Path) -> None:
    (tmp_path / "orders.zip").write_bytes(b"zip")
    fn = function(tmp_path, CodeRef(kind="path", place=CODE_PLACE, path=tmp_path / "orders.zip"))
    seen: list[tuple[Path, str | None]] = []

    def fake_verify(path: Path, arch: str | None) -> Report:
        seen.append((path, arch))
        return report("GB004", "GB207", "GB301", "GB307")

    result = judge(fn, today=TODAY, resolver=resolver(tmp_path), verifier=Verifier(fake_verify))
    assert seen == [(tmp_path / "orders.zip", "arm64")]
    placed = {f.code: f.place for f in result.findings}
    assert placed["GB207"] == ARCH_PLACE and placed["GB301"] == CODE_PLACE and placed["GB307"] == CODE_PLACE
    assert "GB004" not in placed  # SAM uploads through S3: the direct-upload limit does not apply
    assert result.status == "failed" and result.language == "go" and result.go_version == "go1.26.8"


def test_code_that_is_not_go_keeps_only_the_bootstrap_findings(tmp_path: Path) -> None:
    (tmp_path / "rust.zip").write_bytes(b"zip")
    fn = function(tmp_path, CodeRef(kind="path", place=CODE_PLACE, path=tmp_path / "rust.zip", through_s3=False))
    result = judge(fn, today=TODAY, resolver=resolver(tmp_path),
                   verifier=Verifier(lambda path, arch: report("GB004", "GB211", "GB300", "GB305", go=False)))
    assert [f.code for f in result.findings] == ["GB402", "GB004", "GB211", "GB416"]
    assert result.language == "not go"


def test_an_unresolved_runtime_judges_only_go_code(tmp_path: Path) -> None:
    (tmp_path / "app.zip").write_bytes(b"zip")
    unresolved = Value(text=None, written="!Ref Runtime", place=Place(file="template.yaml", line=6))
    fn = function(tmp_path, CodeRef(kind="path", place=CODE_PLACE, path=tmp_path / "app.zip"), runtime=unresolved)
    not_go = judge(fn, today=TODAY, resolver=resolver(tmp_path),
                   verifier=Verifier(lambda path, arch: report("GB101", go=False)))
    assert [f.code for f in not_go.findings] == ["GB410", "GB416"] and not_go.status == "not resolved"
    go = judge(fn, today=TODAY, resolver=resolver(tmp_path), verifier=Verifier(lambda path, arch: report("GB301")))
    assert [f.code for f in go.findings] == ["GB410", "GB301"]


def test_images_inline_code_and_missing_code(tmp_path: Path) -> None:
    image = judge(function(tmp_path, CodeRef(kind="image", place=CODE_PLACE)), today=TODAY,
                  resolver=resolver(tmp_path), verifier=Verifier())
    assert image.status == "skipped" and "container image" in image.skipped
    inline = judge(function(tmp_path, CodeRef(kind="inline", place=CODE_PLACE)), today=TODAY,
                   resolver=resolver(tmp_path), verifier=Verifier())
    assert [f.code for f in inline.findings] == ["GB402", "GB413"]
    missing = judge(function(tmp_path, CodeRef(kind="missing", place=FN_PLACE, detail="no CodeUri")), today=TODAY,
                    resolver=resolver(tmp_path), verifier=Verifier())
    assert missing.findings[-1].code == "GB411" and "Orders has no CodeUri" in missing.findings[-1].message


def test_a_folder_is_zipped_with_modes_and_symlinks_followed_once(tmp_path: Path) -> None:
    folder = tmp_path / "fn"
    (folder / "conf").mkdir(parents=True)
    (folder / "bootstrap").write_bytes(b"#!/bin/sh\necho hi\n")
    (folder / "bootstrap").chmod(0o755)
    (folder / "conf" / "app.json").write_text("{}")
    (folder / "conf" / "app.json").chmod(0o640)  # kept as it is: verify judges what Lambda gets
    (folder / "conf" / "loop").symlink_to(folder)  # a loop: visited once
    (folder / "dangling").symlink_to(tmp_path / "nowhere")
    assert zip_folder(folder, tmp_path / "out.zip") == 2
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
    assert modes == {"bootstrap": 0o755, "conf/app.json": 0o640}


def test_a_folder_past_lambdas_limit_is_not_zipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(folder_module, "UNZIPPED_LIMIT", 10)
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "data").write_bytes(b"x" * 11)
    with pytest.raises(FolderTooBig):
        zip_folder(tmp_path / "big", tmp_path / "big.zip")
    fn = function(tmp_path, CodeRef(kind="path", place=CODE_PLACE, path=tmp_path / "big"))
    result = judge(fn, today=TODAY, resolver=resolver(tmp_path), verifier=Verifier())
    assert result.findings[-1].code == "GB417" and result.status == "failed"


def write_outputs(project: Path, zip_bytes: bytes, published_sha: str) -> None:
    """A gobuild project as build and publish leave it: gobuild.toml, dist/ zip and indexes."""
    (project / "gobuild.toml").write_text('out_dir = "out"\n')
    out = project / "out"
    out.mkdir()
    (out / "orders-arm64.zip").write_bytes(zip_bytes)
    digest = hashlib.sha256(zip_bytes)
    artifact = {"name": "orders", "arch": "arm64", "package": "./cmd/orders", "path": "orders-arm64.zip",
                "size": len(zip_bytes), "sha256": digest.hexdigest(),
                "code_sha256": base64.b64encode(digest.digest()).decode(), "contents_sha256": "", "inputs": ""}
    (out / "artifacts.json").write_text(json.dumps({"schema_version": 1, "gobuild_version": "0.1.0",
                                                    "go_version": "go1.26.8", "artifacts": [artifact]}))
    entry = {"name": "orders", "arch": "arm64", "bucket": "b", "key": "k.zip", "uri": "s3://b/k.zip",
             "code_sha256": published_sha, "sha256": "", "size": len(zip_bytes), "version_id": None,
             "status": "uploaded"}
    (out / "published.json").write_text(json.dumps({"schema_version": 1, "gobuild_version": "0.1.0",
                                                    "artifacts": [entry]}))


def test_a_published_parameter_resolves_to_gobuilds_zip_and_its_code_sha256(tmp_path: Path) -> None:
    data = b"PK\x05\x06" + b"\0" * 18
    write_outputs(tmp_path, data, base64.b64encode(hashlib.sha256(data).digest()).decode())
    (tmp_path / "infra").mkdir()
    code = CodeRef(kind="unresolved", place=CODE_PLACE, parameter="OrdersArm64S3Key", detail="Key is !Ref ...")
    fn = function(tmp_path / "infra", code)
    resolved = resolver(tmp_path).resolve(fn)
    assert resolved.zip == tmp_path / "out" / "orders-arm64.zip" and not resolved.findings
    assert resolved.label == "out/orders-arm64.zip (published as s3://b/k.zip)"
    (tmp_path / "out" / "published.json").write_text(
        (tmp_path / "out" / "published.json").read_text().replace(
            base64.b64encode(hashlib.sha256(data).digest()).decode(), "c3RhbGU="))
    stale = resolver(tmp_path).resolve(fn)
    assert [f.code for f in stale.findings] == ["GB415"] and stale.findings[0].place == CODE_PLACE


def test_a_parameter_gobuild_did_not_write_stays_unresolved(tmp_path: Path) -> None:
    code = CodeRef(kind="unresolved", place=CODE_PLACE, parameter="ReceiverKey", detail="S3Key is !Ref ReceiverKey")
    resolved = resolver(tmp_path).resolve(function(tmp_path, code))
    assert not resolved.resolved and resolved.findings[0].code == "GB410"
    assert "S3Key is !Ref ReceiverKey" in resolved.findings[0].message


def test_a_whole_check_in_process(tmp_path: Path) -> None:
    """check_deployment end to end on a script bootstrap: not Go, judged as a bootstrap only."""
    with zipfile.ZipFile(tmp_path / "script.zip", "w") as archive:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o100755 << 16
        archive.writestr(info, "#!/bin/sh\nexec ./handler\n")
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Script:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Runtime: provided.al2023\n      Handler: bootstrap\n      CodeUri: script.zip\n")
    result = check_deployment([], CheckOptions(today=TODAY, base=tmp_path, jobs=1))
    (script,) = result.functions
    assert script.language == "not go" and script.status == "ok" and "GB202" in [f.code for f in script.findings]
    assert result.files == ("template.yaml",) and not result.failed()


def test_a_customer_managed_runtime_with_code_that_is_not_go_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "py.zip").write_bytes(b"zip")
    arn = "arn:aws:lambda:eu-west-1:123456789012:runtime/python"
    fn = function(tmp_path, CodeRef(kind="path", place=CODE_PLACE, path=tmp_path / "py.zip"),
                  runtime=Value(text="custom", written="custom", place=FN_PLACE),
                  runtime_config=Value(text=arn, written=arn, place=FN_PLACE))
    skipped = judge(fn, today=TODAY, resolver=resolver(tmp_path),
                    verifier=Verifier(lambda path, arch: report("GB101", go=False)))
    assert skipped.status == "skipped" and "customer-managed runtime" in skipped.skipped
    go = judge(fn, today=TODAY, resolver=resolver(tmp_path), verifier=Verifier(lambda path, arch: report("GB301")))
    assert [f.code for f in go.findings] == ["GB406", "GB301"] and go.status == "ok"
