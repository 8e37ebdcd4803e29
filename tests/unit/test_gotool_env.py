"""The environment `go build` runs with: the caller's GO* settings cannot change the bytes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gobuild.build.gotool import GoTool, clean_env
from gobuild.plan import BuildSettings

USER = {"PATH": "/usr/local/go/bin:/usr/bin", "HOME": "/home/dev", "LANG": "C.UTF-8"}
WHERE_MODULES_COME_FROM = {
    "GOPROXY": "https://proxy.example.com",
    "GOCACHE": "/home/dev/.cache/go-build",
    "GOMODCACHE": "/home/dev/go/pkg/mod",
    "GOPRIVATE": "example.com/*",
}
# clean_env always sets these, whatever the caller had.
FORCED = {"GOENV": "off", "GOFLAGS": "", "GOWORK": "off"}


def test_keeps_ordinary_and_module_source_variables() -> None:
    env, ignored = clean_env({**USER, **WHERE_MODULES_COME_FROM})
    assert env == {**USER, **WHERE_MODULES_COME_FROM, **FORCED}
    assert ignored == ()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GOFLAGS", "-tags=debug"),
        ("GOAMD64", "v3"),
        ("GOARM64", "v9.0"),
        ("GOEXPERIMENT", "rangefunc"),
        ("CGO_ENABLED", "1"),
        ("CGO_CFLAGS", "-O3"),
        ("GOOS", "darwin"),
        ("GOARCH", "amd64"),
        ("GOENV", "/home/dev/.config/go/env"),
        ("GOWORK", "/src/go.work"),
    ],
)
def test_drops_and_records_variables_that_change_the_output(name: str, value: str) -> None:
    env, ignored = clean_env({**USER, name: value})
    assert ignored == (name,)
    assert env.get(name) == FORCED.get(name)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GOFLAGS", ""),
        ("GOAMD64", "v1"),
        ("GOARM64", "v8.0"),
        ("GOEXPERIMENT", ""),
        ("GOOS", "linux"),
        ("GOENV", ""),
        ("GOBUILD_GO", "/opt/go/bin/go"),
        ("GOBUILD_REQUIRE_QEMU", "1"),
    ],
)
def test_drops_without_recording_variables_at_go_neutral_default(name: str, value: str) -> None:
    env, ignored = clean_env({**USER, name: value})
    assert ignored == ()
    assert env.get(name) == FORCED.get(name)


def test_recorded_names_are_sorted_and_values_never_kept() -> None:
    env, ignored = clean_env(
        {**USER, "GOFLAGS": "-mod=mod", "CGO_LDFLAGS": "-lsecret", "GOAMD64": "v4"}
    )
    assert ignored == ("CGO_LDFLAGS", "GOAMD64", "GOFLAGS")
    assert "-lsecret" not in env.values()
    assert env["GOENV"] == "off"


def test_clean_env_does_not_modify_its_input() -> None:
    environ = {**USER, "GOFLAGS": "-x"}
    clean_env(environ)
    assert environ == {**USER, "GOFLAGS": "-x"}


def settings(arch: str, env: tuple[tuple[str, str], ...]) -> BuildSettings:
    return BuildSettings(
        module_dir=Path("/src/shop"),
        arch=arch,
        tags=("lambda.norpc",),
        ldflags="-s -w",
        env=env,
        trimpath=True,
        buildvcs=False,
    )


def go_tool(environ: dict[str, str]) -> GoTool:
    base, ignored = clean_env(environ)
    return GoTool(
        path="/usr/local/go/bin/go",
        version="go1.26.0",
        base_env=tuple(sorted(base.items())),
        ignored_env=ignored,
    )


def test_env_for_fixes_the_target_and_neutral_code_generation() -> None:
    env = go_tool({**USER, **WHERE_MODULES_COME_FROM}).env_for(settings("arm64", ()))
    assert env == {
        **USER,
        **WHERE_MODULES_COME_FROM,
        **FORCED,
        "GOAMD64": "v1",
        "GOARM64": "v8.0",
        "GOOS": "linux",
        "GOARCH": "arm64",
        "CGO_ENABLED": "0",
    }


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_manifest_env_cannot_override_goos_goarch_or_cgo(arch: str) -> None:
    manifest_env = (
        ("CGO_ENABLED", "1"),
        ("GOARCH", "riscv64"),
        ("GOOS", "windows"),
        ("GOAMD64", "v3"),
    )
    env = go_tool(USER).env_for(settings(arch, manifest_env))
    assert (env["GOOS"], env["GOARCH"], env["CGO_ENABLED"]) == ("linux", arch, "0")
    assert (
        env["GOAMD64"] == "v3"
    )  # other manifest settings do apply: they are recorded in artifacts.json


def test_install_location_passes_through_unrecorded() -> None:
    env, ignored = clean_env({**USER, "GOBIN": "/ci/bin"})
    assert ignored == () and env["GOBIN"] == "/ci/bin"


def test_modcacherw_is_kept_from_goflags_and_the_rest_recorded() -> None:
    env, ignored = clean_env({**USER, "GOFLAGS": "-modcacherw"})
    assert ignored == () and env["GOFLAGS"] == "-modcacherw"
    env, ignored = clean_env({**USER, "GOFLAGS": "-modcacherw -tags=debug"})
    assert ignored == ("GOFLAGS",) and env["GOFLAGS"] == "-modcacherw"


def test_only_the_projects_go_work_is_used() -> None:
    tool = go_tool({**USER, "GOWORK": "/home/dev/go.work"})
    assert tool.env_for(settings("arm64", ()))["GOWORK"] == "off"
    workspace = replace(settings("arm64", ()), workfile=Path("/src/go.work"))
    assert tool.env_for(workspace)["GOWORK"] == "/src/go.work"
    assert workspace.as_record()["gowork"] == "../go.work"
    assert "gowork" not in settings("arm64", ()).as_record()  # records without one keep their value


def test_go_work_folders_go_with_the_builds_scratch_folder() -> None:
    tool = replace(go_tool(USER), tmpdir="/src/shop/dist/.gobuild-scratch-x/gotmp")
    assert tool.env_for(settings("amd64", ()))["GOTMPDIR"] == "/src/shop/dist/.gobuild-scratch-x/gotmp"
