"""What `gobuild diff` arguments name, how the two sides are matched, and the results' shape;
zips made in memory, no Go, no S3."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from gobuild.build.artifacts import Artifact, ArtifactsFile, save
from gobuild.build.package import ZipEntry, write_zip
from gobuild.cli.diff import fleet_line, render, summary_line
from gobuild.diff import Difference, DiffInputError, compare
from gobuild.diff.inputs import label_of_zip, resolve
from gobuild.diff.model import ordered


def script(text: str) -> bytes:
    return f"#!/bin/sh\necho {text}\n".encode()


def write(path: Path, text: str, mode: int = 0o755) -> Artifact:
    result = write_zip(path, [ZipEntry(name="bootstrap", data=script(text), mode=mode)])
    name, _, arch = path.stem.rpartition("-")
    return Artifact(name=name, arch=arch, package=f"./cmd/{name}", path=path.name, size=result.size,
                    sha256=result.sha256, code_sha256=result.code_sha256, contents_sha256="", inputs="",
                    settings={"ldflags": "-s -w"})


def dist(folder: Path, functions: dict[str, str], *, index: bool = True) -> Path:
    folder.mkdir(parents=True)
    artifacts = tuple(write(folder / f"{name}.zip", text) for name, text in functions.items())
    if index:
        save(folder / "artifacts.json", ArtifactsFile(artifacts=artifacts, go_version="go1.26.8"))
    return folder


@pytest.mark.parametrize(
    ("name", "label"),
    [("orders-arm64.zip", "orders/arm64"), ("orders-lambda-x86_64.zip", "orders-lambda/amd64"),
     ("bootstrap.zip", "bootstrap.zip"), ("function.zip", "function.zip")],
)
def test_label_of_zip(name: str, label: str) -> None:
    assert label_of_zip(name) == label


def test_s3_arguments() -> None:
    side = resolve("s3://bucket/lambda/orders-arm64.zip")
    assert (side.kind, side.fleet) == ("s3", False)
    assert (side.candidates[0].bucket, side.candidates[0].key, side.candidates[0].label) == (
        "bucket", "lambda/orders-arm64.zip", "orders/arm64")
    for bad in ("s3://bucket", "s3://bucket/", "s3:///key", "s3://bucket/prefix/"):
        with pytest.raises(DiffInputError, match="not an s3://BUCKET/KEY"):
            resolve(bad)


def test_missing_and_unreadable_inputs_are_bad_input(tmp_path: Path) -> None:
    with pytest.raises(DiffInputError, match="no such file or folder") as caught:
        resolve(str(tmp_path / "missing.zip"))
    assert caught.value.exit_code == 2
    (tmp_path / "empty").mkdir()
    with pytest.raises(DiffInputError, match=r"no artifacts\.json and no zips"):
        resolve(str(tmp_path / "empty"))
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(DiffInputError, match="not valid JSON"):
        resolve(str(tmp_path / "broken.json"))
    (tmp_path / "other.json").write_text('{"name": "x"}')
    with pytest.raises(DiffInputError, match=r"neither an artifacts\.json nor a published\.json"):
        resolve(str(tmp_path / "other.json"))
    (tmp_path / "old.json").write_text('{"schema_version": 9, "artifacts": []}')
    with pytest.raises(DiffInputError, match="schema_version 9"):
        resolve(str(tmp_path / "old.json"))


def test_published_json_entries(tmp_path: Path) -> None:
    entry = {"name": "orders", "arch": "arm64", "bucket": "b", "key": "k.zip", "uri": "s3://b/k.zip",
             "sha256": "ab", "code_sha256": "qw==", "size": 1, "version_id": None, "status": "uploaded"}
    path = tmp_path / "published.json"
    path.write_text(json.dumps({"schema_version": 1, "artifacts": [entry]}))
    (candidate,) = resolve(str(path)).candidates
    assert (candidate.label, candidate.source, candidate.sha256) == ("orders/arm64", "s3://b/k.zip", "ab")
    path.write_text(json.dumps({"schema_version": 1, "artifacts": [{**entry, "sha256": None}]}))
    with pytest.raises(DiffInputError, match=r"artifacts\[1\]: missing or not text: sha256"):
        resolve(str(path))


def test_a_folder_without_an_index_is_read_by_zip_names(tmp_path: Path) -> None:
    folder = dist(tmp_path / "dist", {"orders-arm64": "a", "payments-arm64": "b"}, index=False)
    side = resolve(str(folder))
    assert side.kind == "dist" and [c.label for c in side.candidates] == ["orders/arm64", "payments/arm64"]


def test_two_fleets(tmp_path: Path) -> None:
    a = dist(tmp_path / "a", {"orders-arm64": "same", "payments-arm64": "one", "gone-arm64": "x"})
    b = dist(tmp_path / "b", {"orders-arm64": "same", "payments-arm64": "two", "new-amd64": "y"})
    result = compare(str(a), str(b))
    assert result.fleet and not result.identical
    statuses = {x.label: x.status for x in result.artifacts}
    assert statuses == {"gone/arm64": "only-in-a", "new/amd64": "only-in-b", "orders/arm64": "identical",
                        "payments/arm64": "different"}
    payments = next(x for x in result.artifacts if x.label == "payments/arm64")
    assert payments.headline == "bootstrap: contents differ (19 → 19 bytes)"
    document = result.to_dict()
    assert (document["compared"], document["differing"], document["identical"]) == (4, 3, False)
    by_index = compare(str(a / "artifacts.json"), str(b / "artifacts.json"))
    assert [x.status for x in by_index.artifacts] == [x.status for x in result.artifacts]


def test_one_zip_against_a_fleet_takes_the_same_label(tmp_path: Path) -> None:
    a = dist(tmp_path / "a", {"orders-arm64": "one", "payments-arm64": "same"})
    other = tmp_path / "payments-arm64.zip"
    write(other, "same")
    result = compare(str(other), str(a))
    assert [(x.label, x.status) for x in result.artifacts] == [("payments/arm64", "identical")]
    assert result.identical
    lonely = tmp_path / "inventory-arm64.zip"
    write(lonely, "x")
    with pytest.raises(DiffInputError, match="has no inventory/arm64 to compare"):
        compare(str(a), str(lonely))


def test_a_zip_listed_in_artifacts_json_but_missing(tmp_path: Path) -> None:
    a = dist(tmp_path / "a", {"orders-arm64": "one"})
    b = dist(tmp_path / "b", {"orders-arm64": "two"})
    (b / "orders-arm64.zip").unlink()
    with pytest.raises(DiffInputError, match="no such file"):
        compare(str(a), str(b))


def test_ordering_is_archive_then_build_then_code() -> None:
    found = [
        Difference(level="code", kind="package", subject="p", message="code"),
        Difference(level="build", kind="dependency", subject="d", message="dep"),
        Difference(level="build", kind="ldflags-x", subject="main.v", message="x"),
        Difference(level="build", kind="setting", subject="-tags", message="tags"),
        Difference(level="archive", kind="mode", subject="bootstrap", message="mode"),
        Difference(level="build", kind="go-version", subject="go", message="go"),
    ]
    assert [d.message for d in ordered(found)] == ["mode", "go", "x", "tags", "dep", "code"]


def test_rendering(tmp_path: Path) -> None:
    a = dist(tmp_path / "a", {"orders-arm64": "same", "payments-arm64": "one"})
    b = dist(tmp_path / "b", {"orders-arm64": "same", "payments-arm64": "two"})
    result = compare(str(a), str(b))
    payments = result.differing[0]
    assert fleet_line(payments) == "[bold red]payments/arm64[/]: bootstrap: contents differ (19 → 19 bytes)"
    assert summary_line(result) == "1 of 2 zips differs; 1 identical"
    out = io.StringIO()
    render(result, Console(file=out, width=200, color_system=None), verbose=True)
    assert out.getvalue().splitlines() == [
        "payments/arm64: 1 difference",
        "  archive  bootstrap: contents differ (19 → 19 bytes)",
        "           @@ -2 +2 @@",
        "           -echo one",
        "           +echo two",
        "1 of 2 zips differs; 1 identical",
    ]
