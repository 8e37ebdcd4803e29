"""`gobuild init` on the layouts of testdata/layouts (see its README.md): every function is
found wherever it lives, names come from folders and clashes are resolved and reported, and
what Go skips is skipped. The manifests it writes for a workspace, a nested module and
modules side by side then build, as Go builds them."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest

from gobuild.manifest import load_manifest
from tests.conftest import TESTDATA
from tests.integration.fixtures_build import gobuild

LAYOUTS = TESTDATA / "layouts"

# layout → {(name, package, module_dir)}, and notes init must print
EXPECTED: dict[str, tuple[set[tuple[str, str, str]], list[str]]] = {
    "handlers": ({("orders", "./handlers/orders", "."), ("payments", "./handlers/payments", ".")}, []),
    "functions": ({("orders", "./functions/orders", "."), ("refunds", "./functions/refunds", ".")}, []),
    "rootdirs": ({("orders", "./orders", "."), ("payments", "./payments", ".")}, []),
    "cron": ({("nightly", "./cron/nightly", "."), ("hourly", "./cron/hourly", "."), ("api", "./api", ".")}, []),
    "rootmain": ({("rootmain", ".", ".")}, []),
    "collisions": (
        {("cmd-api", "./cmd/api", "."), ("handlers-api", "./handlers/api", "."), ("worker", "./worker", ".")},
        ["note: cmd/api is named 'cmd-api' ('api' is taken)",
         "note: handlers/api is named 'handlers-api' ('api' is taken)"],
    ),
    "skipped": (
        {("direct", "./cmd/direct", "."), ("indirect", "./cmd/indirect", ".")},
        ["note: scripts: 2 files each declare func main()",
         "note: skipped 1 main package that does not import aws-lambda-go: tools/gen (--all-mains includes it)"],
    ),
    "nested": (
        {("api", "./cmd/api", ".")},
        ['note: services/billing has its own go.mod (a nested module): skipped; to build its functions, '
         'add them with module_dir = "services/billing"'],
    ),
    "workspace": (
        {("create", "./cmd/create", "orders"), ("orders-cancel", "./cmd/cancel", "orders"),
         ("billing", ".", "billing"), ("billing-cancel", "./cmd/cancel", "billing")},
        ["note: orders/cmd/cancel is named 'orders-cancel' ('cancel' is taken)"],
    ),
    "multimodule": (
        {("create", "./cmd/create", "orders"), ("invoice", "./cmd/invoice", "billing")},
        ["note: no go.mod here: 2 modules below (billing, orders); each function gets its module_dir"],
    ),
}


def layout(tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(LAYOUTS / name, tmp_path / name))


def functions(project: Path) -> set[tuple[str, str, str]]:
    manifest = load_manifest(project / "gobuild.toml")
    return {(f.name, f.package, Path(os.path.relpath(f.module_dir, project)).as_posix()) for f in manifest.functions}


@pytest.mark.parametrize("name", EXPECTED)
def test_init_finds_every_function_of_the_layout(tmp_path: Path, name: str) -> None:
    project = layout(tmp_path, name)
    proc = gobuild("init", "-C", str(project))
    assert proc.returncode == 0, proc.stderr
    found, notes = EXPECTED[name]
    assert functions(project) == found
    for note in notes:
        assert note in proc.stderr
    assert f"with {len(found)} function" in proc.stderr


def test_all_mains_takes_mains_that_do_not_use_lambda_too(tmp_path: Path) -> None:
    project = layout(tmp_path, "skipped")
    proc = gobuild("init", "-C", str(project), "--all-mains")
    assert proc.returncode == 0, proc.stderr
    assert {f[0] for f in functions(project)} == {"direct", "indirect", "gen"}


def test_editor_lock_files_and_dangling_symlinks_are_ignored(tmp_path: Path) -> None:
    project = layout(tmp_path, "handlers")
    os.symlink("nobody@host.12345:1700000000", project / "handlers/orders/.#main.go")  # what Emacs leaves
    os.symlink("gone.go", project / "handlers/payments/dangling.go")
    os.symlink("nowhere", project / ".#go.mod")
    proc = gobuild("init", "-C", str(project))
    assert proc.returncode == 0, proc.stderr
    assert {f[0] for f in functions(project)} == {"orders", "payments"}


def test_nothing_found_says_how_to_write_the_manifest(tmp_path: Path) -> None:
    project = tmp_path / "library"
    (project / "shop").mkdir(parents=True)
    (project / "go.mod").write_text("module example.com/library\n\ngo 1.26\n")
    (project / "shop/shop.go").write_text("package shop\n")
    proc = gobuild("init", "-C", str(project))
    assert proc.returncode == 2, proc.stderr
    assert "no main package that imports github.com/aws/aws-lambda-go found" in proc.stderr
    assert "by hand" in proc.stderr and "gobuild migrate TEMPLATE --build gobuild" in proc.stderr
    assert not (project / "gobuild.toml").exists() and "Traceback" not in proc.stderr


def bootstrap(project: Path, name: str) -> bytes:
    with zipfile.ZipFile(project / "dist" / f"{name}-arm64.zip") as archive:
        return archive.read("bootstrap")


def test_a_workspace_builds_as_go_builds_it(tmp_path: Path) -> None:
    project = layout(tmp_path, "workspace")
    # A go.work above the project is not the project's: it must not change anything.
    (tmp_path / "go.work").write_text("go 1.26\n\nuse ./does-not-exist\n")
    assert gobuild("init", "-C", str(project)).returncode == 0
    proc = gobuild("build", "-C", str(project))
    assert proc.returncode == 0, proc.stderr
    assert "4 zips" in proc.stderr
    # create imports billing's invoice package, which only the workspace provides.
    assert b"INV-1" in bootstrap(project, "create")
    first = {p.name: p.read_bytes() for p in (project / "dist").glob("*.zip")}
    invoice = project / "billing/invoice/invoice.go"
    invoice.write_text(invoice.read_text().replace("INV-1", "INV-2"))
    proc = gobuild("build", "-C", str(project))
    assert proc.returncode == 0, proc.stderr
    changed = {p.name for p in (project / "dist").glob("*.zip") if p.read_bytes() != first[p.name]}
    assert changed == {"create-arm64.zip"} and b"INV-2" in bootstrap(project, "create")
    # Without the workspace, Go itself cannot build create: gobuild says so for that function only.
    (project / "go.work").unlink()
    proc = gobuild("build", "-C", str(project))
    assert proc.returncode == 1
    assert "FAIL create/arm64" in proc.stderr and "example.com/layouts/billing/invoice" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", ["multimodule", "nested"])
def test_one_manifest_at_the_root_builds_several_modules(tmp_path: Path, name: str) -> None:
    project = layout(tmp_path, name)
    assert gobuild("init", "-C", str(project)).returncode == 0
    if name == "nested":  # init reports the nested module; its function is added by hand
        with open(project / "gobuild.toml", "a") as manifest:
            manifest.write('\n[[function]]\nname = "invoice"\nmodule_dir = "services/billing"\n'
                           'package = "./cmd/invoice"\n')
    proc = gobuild("build", "-C", str(project))
    assert proc.returncode == 0, proc.stderr
    assert b"invoice" in bootstrap(project, "invoice")
    assert "2 zips" in proc.stderr
