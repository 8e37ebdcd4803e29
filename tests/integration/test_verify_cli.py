"""`gobuild verify` run as a user runs it, on zips of real Go binaries built by the real `go`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gobuild.check.verify import AL2023_LOADERS
from tests.conftest import TESTDATA
from tests.integration.fixtures_gobinaries import (
    ARCHES,
    COMMANDS,
    LAMBDA_FLAGS,
    OLD_LAMBDA_GO,
    go_env,
    run_go,
    run_gobuild,
    zip_bootstrap,
)

Binaries = dict[tuple[str, str], Path]


def verify_json(*args: str) -> tuple[int, dict[str, Any]]:
    """Runs `gobuild verify --json ARGS`; returns the exit code and the parsed document."""
    proc = run_gobuild("verify", "--json", *args)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def codes(document: dict[str, Any], index: int = 0) -> list[str]:
    return [f["code"] for f in document["archives"][index]["findings"]]


def finding(document: dict[str, Any], code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        f for f in document["archives"][0]["findings"] if f["code"] == code
    ]
    assert len(found) == 1, f"expected one {code} in {codes(document)}"
    return found[0]


def unzip_test(path: Path) -> subprocess.CompletedProcess[str]:
    unzip = shutil.which("unzip")
    assert unzip is not None, "unzip is required (apt-get install unzip)"
    return subprocess.run(
        [unzip, "-t", str(path)], check=False, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("command", COMMANDS)
def test_good_lambda_zips_pass(
    tmp_path: Path, go_binaries: Binaries, go_version: str, command: str, arch: str
) -> None:
    path = zip_bootstrap(go_binaries[command, arch], tmp_path / f"{command}-{arch}.zip")
    assert unzip_test(path).returncode == 0
    exit_code, document = verify_json("--arch", arch, "--strict", str(path))
    assert exit_code == 0, document
    archive = document["archives"][0]
    assert (archive["arch"], archive["go_version"], archive["ok"]) == (arch, go_version, True)
    assert codes(document) == ["GB208", "GB301"]
    assert f"example.com/shop/cmd/{command}" in finding(document, "GB301")["message"]
    assert "statically linked" in finding(document, "GB208")["message"]
    assert document["ok"] is True and document["strict"] is True


def test_arch_mismatch_fails(tmp_path: Path, go_binaries: Binaries) -> None:
    path = zip_bootstrap(go_binaries["orders-lambda", "arm64"], tmp_path / "orders.zip")
    exit_code, document = verify_json("--arch", "amd64", str(path))
    assert exit_code == 1 and document["ok"] is False
    assert "built for arm64, but the function is amd64" in finding(document, "GB207")["message"]


def test_old_aws_lambda_go_is_an_error(tmp_path: Path, old_lambda_binary: Path) -> None:
    path = zip_bootstrap(old_lambda_binary, tmp_path / "old.zip")
    exit_code, document = verify_json("--arch", "amd64", str(path))
    assert exit_code == 1
    error = finding(document, "GB303")
    assert error["severity"] == "error"
    assert f"github.com/aws/aws-lambda-go {OLD_LAMBDA_GO}" in error["message"]
    assert "GB304" not in codes(document)  # the tag is beside the point when the runtime can't talk


def test_careless_build_gets_warnings_and_infos(
    tmp_path: Path, sloppy_binary: Path, host_arch: str
) -> None:
    path = zip_bootstrap(sloppy_binary, tmp_path / "sloppy.zip")
    exit_code, document = verify_json("--arch", host_arch, str(path))
    assert exit_code == 0, document  # warnings only
    assert codes(document) == ["GB208", "GB211", "GB301", "GB304", "GB305", "GB306"]
    assert AL2023_LOADERS[host_arch] in finding(document, "GB211")["message"]
    assert finding(document, "GB211")["severity"] == "warning"
    # CGO_ENABLED=1 is a fact: GB211, GB213 and GB214 judge what the C code needs.
    assert finding(document, "GB305")["severity"] == "info"
    strict_exit, strict_document = verify_json("--strict", str(path))
    assert strict_exit == 1 and strict_document["ok"] is False


def test_dynamic_system_binary(tmp_path: Path) -> None:
    true = Path(shutil.which("true") or "/bin/true").resolve()
    path = zip_bootstrap(true, tmp_path / "true.zip")
    exit_code, document = verify_json(str(path))
    assert exit_code == 0
    assert codes(document) == ["GB208", "GB211", "GB300"]
    assert "dynamically linked" in finding(document, "GB208")["message"]


# The findings each broken case gets around the real arm64 orders-lambda, checked with --arch arm64.
BROKEN: dict[str, list[str]] = {
    "good": ["GB208", "GB301"],
    "good-stored": ["GB208", "GB301"],
    "empty": ["GB003"],
    "nested": ["GB101"],
    "go1x": ["GB101"],
    "windows": ["GB103", "GB208", "GB301"],
    "no-exec": ["GB102", "GB208", "GB301"],
    "owner-only": ["GB102", "GB208", "GB301"],
    "symlink": ["GB105", "GB208", "GB301"],
    "symlink-dangling": ["GB104"],
    "directory": ["GB106"],
    "duplicates": ["GB107", "GB208", "GB301"],
    "encrypted": ["GB108", "GB200"],
    "dotdot": ["GB109", "GB208", "GB301"],
    "absolute": ["GB109", "GB208", "GB301"],
    "deflate64": ["GB110", "GB208", "GB301"],
    "bzip2": ["GB110", "GB200"],
    "lzma": ["GB110", "GB200"],
    "zero-byte": ["GB201"],
    "truncated": ["GB001"],
    "corrupt-data": ["GB002"],
    "random": ["GB001"],
    "script": ["GB202"],
    "script-crlf": ["GB203"],
    "windows-exe": ["GB204"],
    "wrong-arch": ["GB208", "GB207", "GB300"],
    "elf32": ["GB208", "GB206", "GB300"],
    "freebsd": ["GB208", "GB209", "GB300"],
    "object-file": ["GB208", "GB210", "GB300"],
    "dynamic": ["GB208", "GB211", "GB300"],
    "dynamic-musl": ["GB208", "GB212", "GB300"],
    "truncated-elf": ["GB205"],
    "bomb-declared": ["GB005", "GB208", "GB301"],
    "bomb-real": ["GB005", "GB208", "GB301"],
    "bomb-lying": ["GB002", "GB208", "GB301"],
    "bomb-deflate64": ["GB110", "GB002", "GB208", "GB301"],
    "backslash": ["GB111", "GB208", "GB301"],
    "nul-name": ["GB112", "GB208", "GB301"],
    "dup-normalised": ["GB107", "GB208", "GB301"],
    "file-under-file": ["GB113", "GB208", "GB301"],
    "file-and-dir": ["GB113", "GB208", "GB301"],
    "link-escape": ["GB114", "GB208", "GB301"],
    "links-escape-together": ["GB114", "GB208", "GB301"],
    "through-link": ["GB113", "GB208", "GB301"],
    "link-loop": ["GB114", "GB114", "GB208", "GB301"],
    "size-overstated": ["GB002"],
    "size-understated": ["GB002", "GB205"],  # the ELF as declared ends before its section headers
    "crc-mismatch": ["GB002"],
    "deflate64-overstated": ["GB110", "GB002"],
    "name-mismatch": ["GB002"],
    "overlap": ["GB002", "GB208", "GB301"],
    "zip64": ["GB006", "GB208", "GB301"],
    "version-45": ["GB115", "GB208", "GB301"],
    "descriptor-stored": ["GB116", "GB208", "GB301"],
    "descriptor-deflated": ["GB208", "GB301"],
    "unreadable-config": ["GB117", "GB208", "GB301"],
    "placeholder": ["GB007"],
}
PASSING = {"good", "good-stored", "symlink", "script", "dynamic", "zip64", "version-45", "descriptor-stored",
           "descriptor-deflated", "unreadable-config"}


def test_every_broken_case_is_checked(real_broken_zips: dict[str, Path]) -> None:
    assert set(real_broken_zips) == set(BROKEN)


def test_all_broken_cases_in_one_run(real_broken_zips: dict[str, Path], go_version: str) -> None:
    names = sorted(BROKEN)
    exit_code, document = verify_json("--arch", "arm64", *(str(real_broken_zips[n]) for n in names))
    assert exit_code == 1 and document["ok"] is False
    for index, name in enumerate(names):
        archive = document["archives"][index]
        assert archive["archive"] == str(real_broken_zips[name])
        assert codes(document, index) == BROKEN[name], name
        assert archive["ok"] is (name in PASSING), name
        if "GB301" in BROKEN[name]:
            assert archive["go_version"] == go_version, name


@pytest.mark.parametrize("name", sorted(PASSING))
def test_passing_cases_exit_zero_alone(real_broken_zips: dict[str, Path], name: str) -> None:
    exit_code, _ = verify_json("--arch", "arm64", str(real_broken_zips[name]))
    assert exit_code == 0


def test_strict_fails_on_a_warning(real_broken_zips: dict[str, Path]) -> None:
    path = str(real_broken_zips["symlink"])
    assert run_gobuild("verify", path).returncode == 0
    assert run_gobuild("verify", "--strict", path).returncode == 1


@pytest.mark.parametrize(
    "name", ["deflate64", "bzip2", "duplicates", "dotdot", "windows", "no-exec"]
)
def test_archives_unzip_accepts_are_still_rejected_for_lambda(
    real_broken_zips: dict[str, Path], name: str
) -> None:
    """`unzip -t` passes these (their data is sound); verify still finds what breaks Lambda."""
    assert unzip_test(real_broken_zips[name]).returncode == 0
    assert run_gobuild("verify", str(real_broken_zips[name])).returncode == 1


@pytest.mark.parametrize("name", ["corrupt-data", "bomb-lying", "truncated", "random"])
def test_archives_unzip_rejects_are_rejected_too(
    real_broken_zips: dict[str, Path], name: str
) -> None:
    assert unzip_test(real_broken_zips[name]).returncode != 0
    assert run_gobuild("verify", str(real_broken_zips[name])).returncode == 1


def test_human_output(real_broken_zips: dict[str, Path], go_version: str) -> None:
    good, bad = real_broken_zips["good"], real_broken_zips["no-exec"]
    proc = run_gobuild("verify", "--arch", "arm64", str(good), str(bad))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == f"ok   {good} (arm64, {go_version}): 0 errors, 0 warnings, 2 info"
    assert f"FAIL {bad} (arm64, {go_version}): 1 error, 0 warnings, 2 info" in lines
    assert (
        "  error   GB102  bootstrap has mode 0644: no execute permission — fix: chmod 755 the "
        "executable before zipping, or run gobuild repack / gobuild build"
    ) in lines
    assert proc.stderr == ""


def test_usage_errors_exit_two(tmp_path: Path, real_broken_zips: dict[str, Path]) -> None:
    assert run_gobuild("verify", str(tmp_path / "missing.zip")).returncode == 2
    assert run_gobuild("verify", "--arch", "x86", str(real_broken_zips["good"])).returncode == 2
    assert run_gobuild("verify").returncode == 2


def test_every_arch_spelling_is_accepted(real_broken_zips: dict[str, Path]) -> None:
    good = str(real_broken_zips["good"])
    assert run_gobuild("verify", "--arch", "aarch64", good).returncode == 0
    exit_code, document = verify_json("--arch", "x86_64", good)
    assert exit_code == 1 and "the function is amd64" in finding(document, "GB207")["message"]


@pytest.mark.parametrize("kind", ["character device", "FIFO", "directory"])
def test_what_is_not_a_regular_file_is_refused_unread(tmp_path: Path, kind: str) -> None:
    """/dev/zero would be read forever and a FIFO waited on: one line, exit 2, nothing read."""
    if kind == "FIFO":
        path = tmp_path / "pipe.zip"
        os.mkfifo(path)
    else:
        path = Path("/dev/zero") if kind == "character device" else tmp_path
    proc = run_gobuild("verify", str(path))
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.splitlines() == [f"error: {path} is a {kind}{' (named pipe)' if kind == 'FIFO' else ''}, "
                                        "not a zip file"]
    missing = run_gobuild("verify", str(tmp_path / "missing.zip"))
    assert (missing.returncode, missing.stderr.splitlines()) == (2, [f"error: {tmp_path / 'missing.zip'}: no such file"])


# ─── CPU levels and dynamic needs, on binaries built here ──────────────────────────────


def build_orders(tmp_path: Path, **env: str) -> Path:
    """orders-lambda built as gobuild builds it, with extra Go environment (GOAMD64, GOARM64)."""
    out = tmp_path / "bootstrap"
    run_go(["build", *LAMBDA_FLAGS, "-o", str(out), "./cmd/orders-lambda"], cwd=TESTDATA, env=go_env(**env))
    return zip_bootstrap(out, tmp_path / "orders.zip")


def test_goamd64_v3_is_a_warning_with_the_fix(tmp_path: Path) -> None:
    path = build_orders(tmp_path, GOARCH="amd64", GOAMD64="v3")
    exit_code, document = verify_json("--arch", "amd64", str(path))
    assert exit_code == 0
    warning = finding(document, "GB307")
    assert warning["severity"] == "warning" and "GOAMD64=v3" in warning["message"]
    assert "AVX2" in warning["message"] and "GOAMD64=v1" in warning["fix"]
    assert verify_json("--arch", "amd64", "--strict", str(path))[0] == 1


@pytest.mark.parametrize("level", ["v8.3", "v9.0"])
def test_goarm64_above_graviton2_is_an_error_with_the_fix(tmp_path: Path, level: str) -> None:
    path = build_orders(tmp_path, GOARCH="arm64", GOARM64=level)
    exit_code, document = verify_json("--arch", "arm64", str(path))
    assert exit_code == 1
    error = finding(document, "GB308")
    assert f"GOARM64={level}" in error["message"] and "Graviton2" in error["message"]
    assert "GOARM64=v8.0" in error["fix"]


def test_goarm64_at_graviton2s_level_passes(tmp_path: Path) -> None:
    path = build_orders(tmp_path, GOARCH="arm64", GOARM64="v8.2,lse,crypto")
    exit_code, document = verify_json("--arch", "arm64", "--strict", str(path))
    assert exit_code == 0 and codes(document) == ["GB208", "GB301"]


ARC4RANDOM_C = '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { printf("%u\\n", arc4random()); return 0; }\n'
ARC4RANDOM_GO = """package main

// #include <stdlib.h>
import "C"

import "fmt"

func main() { fmt.Println(uint32(C.arc4random())) }
"""


def compile_c(tmp_path: Path, source: str, *, compiler: str = "gcc", suffix: str = "c") -> Path:
    """A program compiled by the host's C compiler (Debian 12: glibc 2.36)."""
    tool = shutil.which(compiler)
    assert tool is not None, f"{compiler} is required (apt-get install {compiler})"
    (tmp_path / f"main.{suffix}").write_text(source)
    subprocess.run([tool, "-O2", "-o", str(tmp_path / "bootstrap"), str(tmp_path / f"main.{suffix}")],
                   check=True, capture_output=True, timeout=120)
    return zip_bootstrap(tmp_path / "bootstrap", tmp_path / "c.zip")


def glibc_refusal(document: dict[str, Any]) -> dict[str, Any]:
    error = finding(document, "GB213")
    assert "needs GLIBC_2.36 (from libc.so.6), but Amazon Linux 2023 has glibc 2.34" in error["message"]
    assert "version `GLIBC_2.36' not found" in error["message"]
    assert "CGO_ENABLED=0" in error["fix"] and "glibc 2.34" in error["fix"]
    return error


def test_a_c_program_needing_glibc_236_is_refused(tmp_path: Path, host_arch: str) -> None:
    path = compile_c(tmp_path, ARC4RANDOM_C)
    exit_code, document = verify_json("--arch", host_arch, str(path))
    assert exit_code == 1
    glibc_refusal(document)
    assert "needs libc.so.6 (symbol versions up to GLIBC_2.36)" in finding(document, "GB211")["message"]


def test_a_cgo_binary_needing_glibc_236_is_refused(tmp_path: Path, host_arch: str) -> None:
    (tmp_path / "go.mod").write_text("module example.com/random\n\ngo 1.21\n")
    (tmp_path / "main.go").write_text(ARC4RANDOM_GO)
    run_go(["build", "-trimpath", "-o", "bootstrap", "."], cwd=tmp_path,
           env=go_env(CGO_ENABLED="1", GOARCH=host_arch))
    exit_code, document = verify_json("--arch", host_arch, str(zip_bootstrap(tmp_path / "bootstrap", tmp_path / "g.zip")))
    assert exit_code == 1
    glibc_refusal(document)
    assert finding(document, "GB305")["severity"] == "info"


def test_a_library_provided_al2023_lacks_is_named(tmp_path: Path, host_arch: str) -> None:
    path = compile_c(tmp_path, "#include <iostream>\nint main() { std::cout << 1 << std::endl; }\n",
                     compiler="g++", suffix="cc")
    exit_code, document = verify_json("--arch", host_arch, str(path))
    assert exit_code == 1
    error = finding(document, "GB214")
    assert "needs the shared library libstdc++.so.6, which provided.al2023 does not have" in error["message"]
    assert "lib/" in error["fix"]


def test_a_cgo_binary_within_glibc_234_passes_the_glibc_and_library_checks(
    tmp_path: Path, sloppy_binary: Path, host_arch: str
) -> None:
    exit_code, document = verify_json("--arch", host_arch, str(zip_bootstrap(sloppy_binary, tmp_path / "s.zip")))
    assert exit_code == 0
    assert not {"GB213", "GB214"} & set(codes(document))
    assert "needs libc.so.6 (symbol versions up to GLIBC_2.34)" in finding(document, "GB211")["message"]


def test_a_main_that_is_not_a_lambda_function_is_skipped_by_init_and_warned_by_verify(tmp_path: Path) -> None:
    # testdata/realworld/http-server-main: an HTTP server and a CLI next to where Lambdas would be (D22).
    project = Path(shutil.copytree(TESTDATA / "realworld/http-server-main", tmp_path / "storefront"))
    init = run_gobuild("init", "-C", str(project), "--arch", "amd64")
    assert init.returncode == 2, init.stderr
    assert "skipped 2 main packages that do not import aws-lambda-go: cmd/reindex, cmd/server" in init.stderr
    init = run_gobuild("init", "-C", str(project), "--arch", "amd64", "--all-mains")
    assert init.returncode == 0, init.stderr
    build = run_gobuild("build", "-C", str(project))
    assert build.returncode == 0, build.stderr
    status, document = verify_json(str(project / "dist/server-amd64.zip"))
    assert status == 0  # a warning: behind the Lambda Web Adapter layer such a server does run
    warning = finding(document, "GB309")
    assert warning["severity"] == "warning" and "lambda.Start" in warning["fix"]
    assert run_gobuild("verify", "--strict", str(project / "dist/reindex-amd64.zip")).returncode == 1


def test_a_function_speaking_the_runtime_api_with_net_http_is_not_warned(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    shutil.copytree(TESTDATA / "cmd/healthcheck", project / "cmd/healthcheck")
    (project / "go.mod").write_text("module example.com/shop\n\ngo 1.22\n")
    assert run_gobuild("init", "-C", str(project), "--arch", "amd64").returncode == 0
    assert run_gobuild("build", "-C", str(project)).returncode == 0
    status, document = verify_json(str(project / "dist/healthcheck-amd64.zip"))
    assert status == 0 and "GB309" not in codes(document)
