"""`gobuild build --check-reproducible`: every target rebuilt in a varied copy of the project
(another path, an empty GOCACHE, TZ, umask, locale, HOME, mtimes, listing order, one CPU) and
compared byte for byte. The example fleet passes; a value stamped from the environment does
not, and the difference is explained as `gobuild diff` explains it.
"""

from __future__ import annotations

import glob
import json
import os
import tempfile
from pathlib import Path

from tests.integration.fixtures_build import copy_example, gobuild

PAYMENTS = "cmd/payments-lambda/main.go"
ALWAYS_VARIED = ("build path", "GOCACHE", "TZ", "locale", "HOME", "umask", "mtimes", "environment")


def leftovers() -> set[str]:
    """The rebuild's scratch folders that exist now, wherever the rebuild may put them."""
    return {p for folder in ("/dev/shm", tempfile.gettempdir()) for p in glob.glob(f"{folder}/gobuild-rebuild-*")}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


def test_the_example_fleet_is_reproducible(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop")
    before = leftovers()
    proc = gobuild("build", "-C", str(project), "--check-reproducible", "--json")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    checked = document["reproducible"]
    assert checked["ok"] and checked["compared"] == 5 and checked["differing"] == 0
    sha256 = {f"{a['name']}/{a['arch']}": a["sha256"] for a in document["artifacts"]}
    assert {t["label"]: (t["status"], t["rebuild_sha256"]) for t in checked["targets"]} == \
        {label: ("reproducible", digest) for label, digest in sha256.items()}
    varied = {v["name"]: v for v in checked["varied"]}
    for name in ALWAYS_VARIED:
        assert varied[name]["varied"], varied[name]
    assert varied["build path"]["first"] == str(project)
    assert not varied["build path"]["rebuild"].startswith(str(project))
    assert varied["GOCACHE"]["rebuild"].startswith("(empty) ")
    if (os.cpu_count() or 1) > 1:
        assert varied["CPUs"]["varied"] and varied["CPUs"]["rebuild"].startswith("go build -p 1")
    # What could not be varied says why.
    assert all(v["note"] for v in checked["varied"] if not v["varied"])
    # The first build's outputs are the check's reference, untouched; the copy is gone.
    recorded = json.loads((project / "dist" / "artifacts.json").read_text())
    assert {f"{a['name']}/{a['arch']}": a["sha256"] for a in recorded["artifacts"]} == sha256
    assert leftovers() <= before


def test_a_time_stamped_through_the_environment_is_caught_and_explained(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop")
    edit(project / PAYMENTS, 'shop.Handle(ctx, "payments", 7, ev)', 'shop.Handle(ctx, "payments built "+built, 7, ev)')
    (project / PAYMENTS).write_text((project / PAYMENTS).read_text() + '\nvar built = "never"\n')
    edit(project / "gobuild.toml", 'package = "./cmd/payments-lambda"\n',
         'package = "./cmd/payments-lambda"\nldflags = "-s -w -X main.built={env:BUILT_AT}"\n')
    env = {**os.environ, "BUILT_AT": "2025-06-01T12:00:00Z"}
    proc = gobuild("build", "-C", str(project), "--only", "payments", "--check-reproducible", env=env)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    at = lines.index("FAIL payments/arm64 (rebuild)     not reproducible")
    assert lines[at + 1:at + 6] == [
        "    build    {env:BUILT_AT} changed (2025-06-01T12:00:00Z → 2025-06-01T12:00:00Z-rebuilt), "
        "which ldflags stamp",
        "             artifacts.json's stamps record the value",
        "    build    -X main.built changed (2025-06-01T12:00:00Z → 2025-06-01T12:00:00Z-rebuilt)",
        "             the binary holds the value; artifacts.json's ldflags name the variable",
        "             stamped from the template -X main.built={env:BUILT_AT}",
    ]
    assert lines[-3].startswith("not reproducible: 1 of 1 zip differs when rebuilt with another build path, GOCACHE")
    assert lines[-2:] == [
        "error: 1 of 1 zip is not reproducible: payments/arm64",
        "hint: each difference is explained above, as `gobuild diff` explains it",
    ]
