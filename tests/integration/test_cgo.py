"""`cgo = true` end to end on testdata/cgo (see its README.md): zig (the ziglang package) compiles
geom.c, which uses libm, for amd64 and arm64 against glibc 2.34. The zips verify clean, need no
GLIBC_ above 2.34 (read from the ELF), answer with what the C code computed (amd64 natively,
arm64 under qemu with Debian's aarch64 glibc), and are byte-identical from a copy at another
path built with zig installed elsewhere and an empty zig cache of its own.

The project is built once per session, from an EMPTY zig cache (what a user has on a first run),
and shared: tests that change it work on a copy. No C++ here: zig's first libc++ build costs
about 150 s of CPU per architecture.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from gobuild.check.elf import parse_elf, read_dynamic
from gobuild.lambda_facts import AL2023_GLIBC, Arch
from tests.conftest import TESTDATA
from tests.integration.fixtures_build import copy_built, go_builds, go_shim, gobuild
from tests.integration.fixtures_gobinaries import go_env, run_go, zip_bootstrap
from tests.integration.fixtures_rie import arm64_runner

ARCHES = ("amd64", "arm64")
LOADERS = {a.goarch: a.loader for a in Arch.all()}
EVENT = {"x": 3.0, "y": 4.0}
ZIG_LEFTOVERS = re.compile(rb"/tmp/|/home/|/root/|ziglang|gobuild-zig|zig-cache|\.cache/|site-packages|go-build")


def cgo_env(zig_cache: Path, **extra: str) -> dict[str, str]:
    """The user's environment with zig's cache in a folder of the test's own (empty at first)."""
    return {**os.environ, "ZIG_GLOBAL_CACHE_DIR": str(zig_cache), **extra}


def copy_cgo(dest: Path) -> Path:
    return Path(shutil.copytree(TESTDATA / "cgo", dest, ignore=shutil.ignore_patterns("dist*")))


@pytest.fixture(scope="session")
def built_cgo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """testdata/cgo after `gobuild build` from an empty zig cache. Shared: copy it to change it."""
    root = tmp_path_factory.mktemp("cgo")
    project = copy_cgo(root / "a" / "deep" / "path" / "geometry")
    zig_cache = root / "zig-cache"
    zig_cache.mkdir()
    done = gobuild("build", "-C", str(project), env=cgo_env(zig_cache), check=True)
    assert "3 zips" in done.stderr and "3 built" in done.stderr
    assert any(zig_cache.iterdir()), "zig's cache should be where ZIG_GLOBAL_CACHE_DIR says"
    return project


def warm_zig_cache(built_cgo: Path) -> Path:
    """The zig cache the session's build filled (zig's first use per target costs ~11 s of CPU)."""
    return built_cgo.parents[3] / "zig-cache"


def bootstrap_of(zip_path: Path) -> bytes:
    with zipfile.ZipFile(zip_path) as archive:
        return archive.read("bootstrap")


def verify_json(*args: str) -> tuple[int, dict[str, Any]]:
    proc = gobuild("verify", "--json", *args)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


# ─── The zips ─────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("arch", ARCHES)
def test_cgo_zips_verify_clean(built_cgo: Path, arch: str) -> None:
    code, document = verify_json("--arch", arch, str(built_cgo / "dist" / f"geometry-{arch}.zip"))
    findings = {f["code"]: f for f in document["archives"][0]["findings"]}
    assert code == 0 and document["archives"][0]["errors"] == 0, findings
    assert set(findings) == {"GB208", "GB211", "GB301", "GB305"}
    assert f"dynamically linked ({LOADERS[arch]})" in findings["GB208"]["message"]
    assert "needs libm.so.6, libc.so.6 (symbol versions up to GLIBC_2.34)" in findings["GB211"]["message"]
    assert findings["GB305"]["severity"] == "info"
    assert "checked by GB211, GB213 and GB214" in findings["GB305"]["message"]


def test_the_static_function_beside_stays_static(built_cgo: Path) -> None:
    code, document = verify_json("--arch", "amd64", "--strict", str(built_cgo / "dist" / "hello-amd64.zip"))
    assert code == 0
    assert [f["code"] for f in document["archives"][0]["findings"]] == ["GB208", "GB301"]
    artifacts = json.loads((built_cgo / "dist" / "artifacts.json").read_text())
    settings = {(a["name"], a["arch"]): a["settings"] for a in artifacts["artifacts"]}
    assert settings[("hello", "amd64")]["cgo_enabled"] == "0" and "cgo" not in settings[("hello", "amd64")]
    assert settings[("geometry", "arm64")]["cgo"] == {"libc": "2.34", "cflags": "", "ldflags": ""}
    assert artifacts["zig_version"] == "0.17.1"


@pytest.mark.parametrize("arch", ARCHES)
def test_no_glibc_symbol_newer_than_234_is_needed(built_cgo: Path, arch: str) -> None:
    data = bootstrap_of(built_cgo / "dist" / f"geometry-{arch}.zip")
    elf = parse_elf(data)
    needs = read_dynamic(data, elf)
    assert elf.goarch == arch and elf.interpreter == LOADERS[arch]
    assert set(needs.libraries) == {"libc.so.6", "libm.so.6"}
    glibc = {tuple(int(p) for p in v.split("_", 1)[1].split(".")) for _, v in needs.versions}
    assert all(v[0] == "GLIBC" for v in (name.split("_", 1) for _, name in needs.versions))
    assert max(glibc) == AL2023_GLIBC  # __libc_start_main@GLIBC_2.34: exactly provided.al2023's


@pytest.mark.parametrize("arch", ARCHES)
def test_invoke_answers_with_what_the_c_code_computed(built_cgo: Path, arch: str) -> None:
    if arch == "arm64":
        arm64_runner()  # skips (or fails in CI) without qemu-aarch64-static
    done = gobuild("invoke", "geometry", "--arch", arch, "--event", json.dumps(EVENT), "--timeout", "60",
                   "-C", str(built_cgo))
    assert done.returncode == 0, done.stderr
    # The zip is current: its fingerprint, recomputed with the zig version artifacts.json records, matches.
    assert "may not match the sources" not in done.stderr
    reply = json.loads(done.stdout)
    assert reply["hypot"] == 5.0 and reply["power"] == 81.0
    assert math.isclose(reply["cube_root"], 3 ** (1 / 3), rel_tol=1e-15)


# ─── Reproducible ─────────────────────────────────────────────────────────────────────


def test_zips_are_byte_identical_from_another_path_zig_install_and_cache(
    built_cgo: Path, tmp_path: Path
) -> None:
    import ziglang  # the test extra installs it

    # zig installed at another place (as in another virtualenv): a copy of the package, found first.
    other_site = tmp_path / "other-venv" / "site-packages"
    installed = Path(ziglang.__file__).parent
    try:
        shutil.copytree(installed, other_site / "ziglang", copy_function=os.link)  # hard links: no 400 MB copy
    except OSError:
        shutil.copytree(installed, other_site / "ziglang")
    other_cache = tmp_path / "other-zig-cache"
    other_cache.mkdir()
    second = copy_cgo(tmp_path / "elsewhere" / "geometry")
    env = cgo_env(other_cache, PYTHONPATH=str(other_site))
    gobuild("build", "-C", str(second), env=env, check=True)
    assert any(other_cache.iterdir())
    for name in ("geometry-amd64.zip", "geometry-arm64.zip", "hello-amd64.zip"):
        first_bytes = (built_cgo / "dist" / name).read_bytes()
        assert first_bytes == (second / "dist" / name).read_bytes(), f"{name} differs between the two builds"
    for arch in ARCHES:
        binary = bootstrap_of(second / "dist" / f"geometry-{arch}.zip")
        # What `strings -a` shows: no path of either checkout, virtualenv, zig install or cache.
        texts = re.findall(rb"[\x20-\x7e]{4,}", binary)
        roots = [str(p).encode() for p in (built_cgo, second, other_site, installed, other_cache, sys.prefix)]
        leaked = [t for t in texts if ZIG_LEFTOVERS.search(t) or any(r in t for r in roots)]
        assert not leaked, leaked[:5]


def test_a_second_clone_takes_cgo_zips_from_the_shared_cache(
    built_cgo: Path, tmp_path: Path, s3_server: Any, bucket: str, s3_env: dict[str, str]
) -> None:
    env = cgo_env(warm_zig_cache(built_cgo), **s3_env, AWS_ENDPOINT_URL=s3_server.endpoint_url)
    cache = f"s3://{bucket}/cgo/"
    first = copy_cgo(tmp_path / "one" / "geometry")
    gobuild("build", "-C", str(first), "--cache", cache, env=env, check=True)
    second = copy_cgo(tmp_path / "two" / "elsewhere" / "geometry")
    shim_env, log = go_shim(tmp_path)
    done = gobuild("build", "-C", str(second), "--cache", cache, "--json", env={**env, "GOBUILD_GO": shim_env["GOBUILD_GO"]})
    assert done.returncode == 0, done.stderr
    # Each cached cgo zip was proven: verify, CGO_ENABLED=1 in its build information, stripped.
    assert json.loads(done.stdout)["counts"] == {"built": 0, "from_cache": 3, "up_to_date": 0}, done.stderr
    assert go_builds(log) == []
    for name in ("geometry-amd64.zip", "geometry-arm64.zip", "hello-amd64.zip"):
        assert (second / "dist" / name).read_bytes() == (built_cgo / "dist" / name).read_bytes()


# ─── Incremental ──────────────────────────────────────────────────────────────────────


def test_c_sources_are_inputs_and_unchanged_builds_compile_nothing(built_cgo: Path, tmp_path: Path) -> None:
    project = copy_built(built_cgo, tmp_path / "geometry")
    zig_cache = warm_zig_cache(built_cgo)
    again = gobuild("build", "-C", str(project), env=cgo_env(zig_cache, GOBUILD_NOOP="0"), check=True)
    assert "3 up to date" in again.stderr
    before = (project / "dist" / "geometry-amd64.zip").read_bytes()
    geom = project / "cmd" / "geometry" / "geom.c"
    geom.write_text(geom.read_text().replace("return hypot(x, y);", "return hypot(x, y) * 2;"))
    changed = gobuild("build", "-C", str(project), env=cgo_env(zig_cache), check=True)
    assert "2 built" in changed.stderr and "1 up to date" in changed.stderr, changed.stderr
    assert (project / "dist" / "geometry-amd64.zip").read_bytes() != before
    done = gobuild("invoke", "geometry", "--arch", "amd64", "--event", json.dumps(EVENT), "-C", str(project))
    assert json.loads(done.stdout)["hypot"] == 10.0


# ─── Refusals ─────────────────────────────────────────────────────────────────────────


def test_a_host_gcc_build_needing_glibc_236_is_refused_and_zig_will_not_compile_it(
    built_cgo: Path, tmp_path: Path
) -> None:
    if shutil.which("gcc") is None:
        pytest.fail("gcc is required (apt-get install gcc)")
    project = copy_cgo(tmp_path / "geometry")
    host = run_go(["env", "GOHOSTARCH"], cwd=project, env=go_env()).stdout.strip()
    # The host's gcc against Debian 12's glibc 2.36: arc4random@GLIBC_2.36.
    run_go(["build", "-trimpath", "-o", str(tmp_path / "bootstrap"), "./cmd/newglibc"], cwd=project,
           env=go_env(CGO_ENABLED="1", CC="gcc", GOARCH=host))
    code, document = verify_json("--arch", host, str(zip_bootstrap(tmp_path / "bootstrap", tmp_path / "gcc.zip")))
    assert code == 1
    (refusal,) = [f for f in document["archives"][0]["findings"] if f["code"] == "GB213"]
    assert refusal["severity"] == "error"
    assert "needs GLIBC_2.36 (from libc.so.6), but Amazon Linux 2023 has glibc 2.34" in refusal["message"]
    assert "`cgo = true` in gobuild.toml" in refusal["fix"]
    # With cgo = true, zig's glibc 2.34 headers do not declare it: a compile error, never such a binary.
    built = gobuild("build", "-C", str(project), "-m", "newglibc.toml", env=cgo_env(warm_zig_cache(built_cgo)))
    assert built.returncode == 1
    assert "FAIL newglibc/amd64" in built.stderr and "arc4random" in built.stderr
    assert "Traceback" not in built.stderr


def test_without_zig_a_cgo_build_is_one_line_naming_the_extra(built_cgo: Path, tmp_path: Path) -> None:
    project = copy_cgo(tmp_path / "geometry")
    # This Python without the ziglang package, as after `pip install gobuild` without [cgo].
    script = ("import runpy, sys; sys.modules['ziglang'] = None; sys.argv[0] = 'gobuild'; "
              "runpy.run_module('gobuild', run_name='__main__')")
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", script, *args], cwd=project, capture_output=True, text=True,
                              timeout=600, check=False)

    done = run("build")
    assert done.returncode == 3, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: function geometry has cgo = true, which needs zig as its C compiler, and the ziglang "
                      "package is not installed"]
    assert "pip install '.[cgo]'" in done.stderr and "Traceback" not in done.stderr
    assert not (project / "dist" / "geometry-amd64.zip").exists()
    # Functions without cgo still build without zig.
    assert run("build", "--only", "hello").returncode == 0


# ─── init and the first-contact hint ──────────────────────────────────────────────────


def test_init_proposes_cgo_true_for_the_functions_that_import_c(tmp_path: Path) -> None:
    project = copy_cgo(tmp_path / "geometry")
    (project / "gobuild.toml").unlink()
    done = gobuild("init", "-C", str(project), check=True)
    text = (project / "gobuild.toml").read_text()
    blocks = {b.split('"')[1]: b for b in text.split("[[function]]\nname = ")[1:]}
    assert "cgo = true" in blocks["geometry"] and "cgo = true" in blocks["newglibc"]
    assert "cgo" not in blocks["hello"]
    assert ('geometry uses cgo (cmd/geometry/main.go imports "C"): set cgo = true, so zig compiles its C code '
            "against provided.al2023's glibc 2.34") in done.stderr + done.stdout


def test_a_static_build_of_cgo_code_proposes_cgo_true(tmp_path: Path) -> None:
    project = copy_cgo(tmp_path / "geometry")
    manifest = project / "gobuild.toml"
    manifest.write_text(manifest.read_text().replace("cgo = true\n", ""))
    done = gobuild("build", "-C", str(project), "--only", "geometry", "--arch", "amd64")
    assert done.returncode == 1
    assert 'this function needs cgo: cmd/geometry/main.go imports "C"' in done.stderr
    assert "set `cgo = true` for it in gobuild.toml" in done.stderr
