"""`gobuild build` end to end: the real CLI, real go build, real zip readers."""

from __future__ import annotations

import json
import os
import random
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.integration.fixtures_build import copy_example, gobuild

EXPECTED = {"orders-amd64.zip", "orders-arm64.zip", "payments-arm64.zip", "inventory-arm64.zip",
            "healthcheck-arm64.zip"}
GOZIPCHECK = Path(__file__).parent / "gozipcheck" / "main.go"


def zips(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((project / "dist").glob("*.zip"))}


def test_two_clones_give_byte_identical_zips(tmp_path: Path) -> None:
    first = copy_example(tmp_path / "a" / "shop")
    second = copy_example(tmp_path / "b" / "somewhere" / "else" / "shop-clone")
    rng = random.Random(7)
    for path in second.rglob("*"):
        when = rng.randint(400_000_000, 1_900_000_000)
        os.utime(path, (when, when))
    for project, tz, umask, cache in ((first, "UTC", "022", "c1"), (second, "Asia/Kolkata", "077", "c2")):
        env = {**os.environ, "TZ": tz, "GOCACHE": str(tmp_path / cache)}
        command = f"umask {umask}; exec {sys.executable} -m gobuild build -C {project} -q"
        proc = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr
    assert set(zips(first)) == EXPECTED
    assert zips(first) == zips(second)
    assert (first / "dist/artifacts.json").read_bytes() == (second / "dist/artifacts.json").read_bytes()


def test_zips_open_in_every_reader(built_example: Path, tmp_path: Path) -> None:
    paths = sorted((built_example / "dist").glob("*.zip"))
    assert {p.name for p in paths} == EXPECTED
    for path in paths:
        tested = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True)
        assert tested.returncode == 0 and "No errors detected" in tested.stdout, tested.stdout
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
            info = archive.getinfo("bootstrap")
            assert info.create_system == 3
            assert stat.S_IMODE(info.external_attr >> 16) == 0o755
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.extra == b""
    go = subprocess.run(["go", "run", str(GOZIPCHECK), *map(str, paths)], capture_output=True, text=True,
                        cwd=GOZIPCHECK.parent)
    assert go.returncode == 0, go.stderr
    by_path = {Path(line["path"]).name: line["entries"] for line in map(json.loads, go.stdout.splitlines())}
    assert set(by_path) == EXPECTED
    for entries in by_path.values():
        boot = next(e for e in entries if e["name"] == "bootstrap")
        assert boot["mode"] == "0755" and boot["regular"] and boot["size"] > 1_000_000
    health = {e["name"]: e for e in by_path["healthcheck-arm64.zip"]}
    assert health["healthcheck.json"]["mode"] == "0644"


def test_bootstrap_unpacks_0755_and_amd64_binary_runs(built_example: Path, tmp_path: Path) -> None:
    subprocess.run(["unzip", "-q", str(built_example / "dist/orders-amd64.zip"), "-d", str(tmp_path)], check=True)
    bootstrap = tmp_path / "bootstrap"
    assert stat.S_IMODE(bootstrap.stat().st_mode) == 0o755
    # Outside Lambda, aws-lambda-go says which variables it misses: proof the binary ran.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_LAMBDA", "_LAMBDA"))}
    ran = subprocess.run([str(bootstrap)], capture_output=True, text=True, env=env, timeout=30)
    assert ran.returncode != 0
    assert "AWS_LAMBDA_RUNTIME_API" in ran.stdout + ran.stderr


def test_artifacts_json_records_digests_and_settings(built_example: Path) -> None:
    import base64
    import hashlib

    document = json.loads((built_example / "dist/artifacts.json").read_text())
    assert document["schema_version"] == 1
    assert document["go_version"].startswith("go1.")
    assert {f"{a['name']}-{a['arch']}.zip" for a in document["artifacts"]} == EXPECTED
    for artifact in document["artifacts"]:
        data = (built_example / "dist" / artifact["path"]).read_bytes()
        digest = hashlib.sha256(data).digest()
        assert artifact["sha256"] == digest.hex()
        assert artifact["code_sha256"] == base64.b64encode(digest).decode()
        assert artifact["size"] == len(data)
        settings = artifact["settings"]
        assert settings["cgo_enabled"] == "0" and settings["goos"] == "linux"
        assert settings["goarch"] == artifact["arch"] and settings["trimpath"] is True
        assert settings["tags"] == ["lambda.norpc"] and settings["ldflags"] == "-s -w"
    log = (built_example / "dist/gobuild.log").read_text()
    assert "orders/amd64" in log and "payments/arm64" in log


def test_caller_go_variables_do_not_change_the_output(built_example: Path, tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop")
    env = {**os.environ, "GOFLAGS": "-ldflags=-X=main.injected=1", "GOAMD64": "v3", "GOEXPERIMENT": "loopvar"}
    proc = gobuild("build", "-C", str(project), env=env)
    assert proc.returncode == 0, proc.stderr
    assert zips(project) == zips(built_example)
    assert "GOFLAGS" in proc.stderr and "ignored" in proc.stderr
    recorded = json.loads((project / "dist/artifacts.json").read_text())["ignored_env"]
    assert recorded == ["GOAMD64", "GOEXPERIMENT", "GOFLAGS"]


def test_a_failing_function_is_reported_and_its_stale_zip_removed(project: Path) -> None:
    before = zips(project)
    main = project / "cmd/payments-lambda/main.go"
    main.write_text(main.read_text().replace("return shop.Handle", "return undefinedThing +"))
    proc = gobuild("build", "-C", str(project))
    assert proc.returncode == 1
    assert "payments/arm64" in proc.stderr
    assert "cmd/payments-lambda/main.go" in proc.stderr  # Go's own compiler output, replayed
    assert not (project / "dist/payments-arm64.zip").exists()
    after = zips(project)
    assert set(after) == EXPECTED - {"payments-arm64.zip"}
    assert all(after[name] == before[name] for name in after)
    recorded = json.loads((project / "dist/artifacts.json").read_text())["artifacts"]
    assert ("payments", "arm64") not in {(a["name"], a["arch"]) for a in recorded}
    assert len(recorded) == 4


def test_json_output_is_one_document(project: Path) -> None:
    proc = gobuild("build", "-C", str(project), "--json", "--only", "orders", "--verify")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["ok"] is True
    assert document["verified"] == 2 and document["verify_errors"] == {}
    # a copy has no local state, so `go list` re-reads the inputs and finds them unchanged
    assert document["counts"] == {"built": 0, "from_cache": 0, "up_to_date": 2}
    assert sorted((a["name"], a["arch"]) for a in document["artifacts"]) == [("orders", "amd64"), ("orders", "arm64")]
    # the other functions stay recorded
    assert len(json.loads((project / "dist/artifacts.json").read_text())["artifacts"]) == 5


def test_missing_go_is_one_clear_line(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop")
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin")}
    proc = gobuild("build", "-C", str(project), env=env)
    assert proc.returncode == 3
    assert "go: command not found" in proc.stderr and "GOBUILD_GO" in proc.stderr
    assert not list(project.rglob("*.zip"))


def test_concurrent_builds_merge_artifacts_json(built_example: Path, project: Path) -> None:
    (project / "dist/artifacts.json").unlink()
    procs = [subprocess.Popen([sys.executable, "-m", "gobuild", "build", "-C", str(project), "-q", "--only", name],
                              stderr=subprocess.PIPE, text=True)
             for name in ("orders", "payments", "inventory", "healthcheck")]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    recorded = json.loads((project / "dist/artifacts.json").read_text())["artifacts"]
    assert {f"{a['name']}-{a['arch']}.zip" for a in recorded} == EXPECTED
    assert zips(project) == zips(built_example)


def test_a_first_build_with_empty_module_and_build_caches_succeeds(built_example: Path, tmp_path: Path) -> None:
    # A fresh CI runner: nothing downloaded yet. go list prints `go: downloading ...` on stderr
    # while its JSON goes to stdout; the two must not mix.
    project = copy_example(tmp_path / "shop")
    modules, cache = tmp_path / "gomodcache", tmp_path / "gocache"
    env = {**os.environ, "GOMODCACHE": str(modules), "GOCACHE": str(cache), "GOFLAGS": "-modcacherw"}
    env.pop("GOPROXY", None)  # Go's default: the public module proxy
    proc = gobuild("build", "-C", str(project), "--only", "payments", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "GOFLAGS" not in proc.stderr  # -modcacherw is kept, not warned about
    assert (modules / "cache/download/github.com/aws/aws-lambda-go").is_dir()  # it really downloaded
    assert zips(project) == {"payments-arm64.zip": zips(built_example)["payments-arm64.zip"]}


def test_dangling_go_symlinks_and_editor_lock_files(project: Path) -> None:
    # What Emacs leaves beside an edited file, in a package folder and at the module root.
    os.symlink("user@host.4242:1700000000", project / "cmd/orders-lambda/.#main.go")
    os.symlink("user@host.4242:1700000000", project / ".#go.mod")
    os.symlink("nowhere.go", project / "internal/shop/.#shop.go")
    before = zips(project)
    proc = gobuild("build", "-C", str(project))
    assert proc.returncode == 0, proc.stderr
    assert zips(project) == before
    # A dangling symlink that Go itself would compile: that function fails with Go's message.
    os.symlink("gone.go", project / "cmd/payments-lambda/extra.go")
    proc = gobuild("build", "-C", str(project))
    assert proc.returncode == 1
    assert "FAIL payments/arm64" in proc.stderr and "extra.go" in proc.stderr
    assert "Traceback" not in proc.stderr and "4 up to date" in proc.stderr
