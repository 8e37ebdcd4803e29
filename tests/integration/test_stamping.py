"""Stamping that does not redeploy: ldflags placeholders resolved per target by a real build.

The example fleet's functions reply with a `version` their manifest stamps with
`-X main.version={inputs}`. Editing one function changes only its zips, and the version it
reports (through `gobuild invoke`) changes with it; `gobuild diff` names the -X value.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.fixtures_build import copy_example, go_builds, go_shim, gobuild

FUNCTIONS = ("orders", "payments", "inventory")
AMD64_HOST = platform.machine().lower() in ("x86_64", "amd64")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


def with_version(project: Path, ldflags: str) -> Path:
    """The example whose aws-lambda-go functions reply "<name> <version>", stamped by `ldflags`."""
    for name in FUNCTIONS:
        main = project / "cmd" / f"{name}-lambda" / "main.go"
        edit(main, f'shop.Handle(ctx, "{name}", ', f'shop.Handle(ctx, "{name} "+version, ')
        main.write_text(main.read_text() + '\nvar version = "dev"\n')
    edit(project / "gobuild.toml", 'ldflags = "-s -w"', f'ldflags = "{ldflags}"')
    return project


def artifacts(project: Path) -> dict[str, dict[str, Any]]:
    document = json.loads((project / "dist" / "artifacts.json").read_text())
    return {f"{a['name']}/{a['arch']}": a for a in document["artifacts"]}


def bootstrap(project: Path, label: str) -> bytes:
    name, arch = label.split("/")
    done = subprocess.run(["unzip", "-p", str(project / "dist" / f"{name}-{arch}.zip"), "bootstrap"],
                          capture_output=True, check=True)
    return done.stdout


def reply(project: Path, function: str) -> Any:
    proc = gobuild("invoke", function, "-C", str(project), "--event", '{"item": "x", "quantity": 1}')
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.skipif(not AMD64_HOST, reason="invokes orders/amd64 natively")
def test_an_edited_function_alone_changes_and_carries_its_new_version(tmp_path: Path) -> None:
    project = with_version(copy_example(tmp_path / "shop"), "-s -w -X main.version={inputs}")
    env, log = go_shim(tmp_path)
    first = gobuild("build", "-C", str(project), env=env, check=True)
    before = artifacts(project)
    # -X applies to every binary one `go build` links: each stamped target links alone.
    assert len(go_builds(log)) == len(before) == 5, first.stderr
    for artifact in before.values():
        assert artifact["settings"]["ldflags"] == f"-s -w -X main.version={artifact['inputs'][:12]}"
        assert artifact["settings"]["ldflags_template"] == "-s -w -X main.version={inputs}"
    orders_version = before["orders/amd64"]["inputs"][:12]
    assert reply(project, "orders")["function"] == f"orders {orders_version}"
    saved = tmp_path / "before"
    (saved).mkdir()
    for name in os.listdir(project / "dist"):
        if name.endswith((".zip", ".json")):
            (saved / name).write_bytes((project / "dist" / name).read_bytes())

    edit(project / "cmd" / "orders-lambda" / "main.go", '"+version, 5, ev)', '"+version, 6, ev)')
    second = gobuild("build", "-C", str(project), check=True)
    after = artifacts(project)
    changed = sorted(label for label in after if after[label]["sha256"] != before[label]["sha256"])
    assert changed == ["orders/amd64", "orders/arm64"], second.stderr
    assert sorted(line.split()[1] for line in second.stderr.splitlines() if "zipped" in line) == changed
    for label in changed:
        old, new = before[label]["inputs"][:12], after[label]["inputs"][:12]
        assert old != new
        binary = bootstrap(project, label)
        assert new.encode() in binary and old.encode() not in binary
    assert reply(project, "orders") == {"function": f"orders {after['orders/amd64']['inputs'][:12]}",
                                        "message": "1 x x", "total": 6}
    # gobuild diff reads the stamped value back from the binary and names it from artifacts.json.
    diff = gobuild("diff", str(saved), str(project / "dist"))
    assert diff.returncode == 1, diff.stderr
    lines = diff.stdout.splitlines()
    assert lines[-1] == "2 of 5 zips differ; 3 identical"
    # The edit leads; the stamp follows from it.
    assert lines[1].startswith("orders/arm64: the code itself changed in package main"), lines
    document = json.loads(gobuild("diff", "--json", str(saved), str(project / "dist")).stdout)
    orders = next(a for a in document["artifacts"] if a["label"] == "orders/arm64")
    old, new = before["orders/arm64"]["inputs"][:12], after["orders/arm64"]["inputs"][:12]
    stamped = [d for d in orders["differences"] if d["kind"] == "stamped-inputs"]
    assert [(d["subject"], d["message"]) for d in stamped] == [("main.version", f"-X main.version changed ({old} → {new})")]
    assert "stamped from the template -X main.version={inputs}" in stamped[0]["details"]
    assert orders["differences"][-1] == stamped[0]


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   check=True, capture_output=True)


def test_module_version_is_the_newest_tag_of_the_module_and_go_version_the_toolchain(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    project = with_version(copy_example(repo / "shop"), "-s -w -X main.version={module_version}/{go_version}")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    untagged = gobuild("build", "-C", str(project), "--only", "payments", check=True)
    assert "warning: {module_version} is (devel) for" in untagged.stderr
    # A module in the repository's folder shop/ takes tags shop/vX.Y.Z, as Go's module versions do.
    git(repo, "tag", "v9.0.0")
    git(repo, "tag", "shop/v1.2.0")
    tagged = gobuild("build", "-C", str(project), "--only", "payments", check=True)
    assert "{module_version}" not in tagged.stderr
    go_version = artifacts(project)["payments/arm64"]["settings"]["stamps"]["go_version"]
    assert b"v1.2.0/" + go_version.encode() in bootstrap(project, "payments/arm64")
    # A new tag is a new input: the next build notices it (the no-op shortcut is off for it).
    (project / "README").write_text("next\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "second")
    git(repo, "tag", "shop/v1.3.0")
    retagged = gobuild("build", "-C", str(project), "--only", "payments", check=True)
    assert "zipped" in retagged.stderr, retagged.stderr
    assert b"v1.3.0/" in bootstrap(project, "payments/arm64")
    stamps = artifacts(project)["payments/arm64"]["settings"]["stamps"]
    assert stamps == {"go_version": go_version, "module_version": "v1.3.0"}


def test_an_environment_stamp_rebuilds_when_it_changes_and_publish_trusts_the_record(tmp_path: Path) -> None:
    project = with_version(copy_example(tmp_path / "shop"), "-s -w -X main.version={env:RELEASE}")
    unset = gobuild("build", "-C", str(project), "--only", "payments",
                    env={k: v for k, v in os.environ.items() if k != "RELEASE"})
    assert unset.returncode == 2
    assert "error: payments: ldflags read {env:RELEASE}, and RELEASE is not set" in unset.stderr
    spaced = gobuild("build", "-C", str(project), "--only", "payments", env={**os.environ, "RELEASE": "a b"})
    assert spaced.returncode == 2 and "holds a space, quote or backslash" in spaced.stderr
    one = {**os.environ, "RELEASE": "release-0001"}
    gobuild("build", "-C", str(project), "--only", "payments", env=one, check=True)
    again = gobuild("build", "-C", str(project), "--only", "payments", env=one, check=True)
    assert "up to date" in again.stderr
    two = {**os.environ, "RELEASE": "release-0002"}
    assert "zipped" in gobuild("build", "-C", str(project), "--only", "payments", env=two, check=True).stderr
    binary = bootstrap(project, "payments/arm64")
    assert b"release-0002" in binary and b"release-0001" not in binary
    assert "up to date" in gobuild("build", "-C", str(project), "--only", "payments", env=two, check=True).stderr
    # Freshness is about the sources: publish and invoke check them with the recorded stamp values.
    check = ("from pathlib import Path; from gobuild.manifest import load_manifest; "
             "from gobuild.build.artifacts import load_fresh; import sys; "
             "load_fresh(load_manifest(Path(sys.argv[1])), ['payments']); print('fresh')")
    without = {k: v for k, v in os.environ.items() if k != "RELEASE"}
    fresh = subprocess.run([sys.executable, "-c", check, str(project / "gobuild.toml")], env=without,
                           capture_output=True, text=True, check=False)
    assert fresh.stdout == "fresh\n", fresh.stderr
