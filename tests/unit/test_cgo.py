"""`cgo = true` without running anything: the manifest keys, zig's target names, the flags Go is
given (-ldflags merged, CC and CXX quoted as Go splits them), grouping apart from static targets,
the fingerprint, zig's cache place, and qemu's sysroot for a dynamic arm64 bootstrap. The real
builds are in tests/integration/test_cgo.py."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gobuild.build import zig as zig_module
from gobuild.build.fingerprint import HashCache, Inputs, fingerprint
from gobuild.build.gotool import GoTool, build_argv, clean_env
from gobuild.build.zig import Zig, cache_dir, cgo_env, find_zig, version_warning
from gobuild.cgo import Cgo, libc_problem, link_flags, quote_word, split_words
from gobuild.errors import EXIT_ENVIRONMENT, ToolError
from gobuild.invoke.taskroot import runner_command
from gobuild.lambda_facts import Arch
from gobuild.manifest import load_manifest
from gobuild.plan import Target, make_plan, settings_for
from testdata.make_broken_zips import EM_AARCH64, LOADERS, minimal_elf

MAIN_GO = "package main\n\nfunc main() {}\n"
ZIG = Zig(path="/venv/lib/python3.12/site-packages/ziglang/zig", version="0.17.1", cache_dir="/home/dev/.cache/gobuild-zig")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("go.mod", "cmd/sqlite/main.go", "cmd/plain/main.go"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("module example.com/m\n\ngo 1.22\n" if name == "go.mod" else MAIN_GO)
    return tmp_path


def manifest(project: Path, text: str) -> dict[str, Cgo | None]:
    (project / "gobuild.toml").write_text(text)
    return {f.name: f.cgo for f in load_manifest(project / "gobuild.toml").functions}


# ─── The manifest ─────────────────────────────────────────────────────────────────────


def test_cgo_true_gives_glibc_234_and_no_flags_by_default(project: Path) -> None:
    found = manifest(project, '[[function]]\nname = "sqlite"\npackage = "./cmd/sqlite"\ncgo = true\n'
                              '[[function]]\nname = "plain"\npackage = "./cmd/plain"\n')
    assert found == {"sqlite": Cgo(libc="2.34", cflags="", ldflags=""), "plain": None}


def test_defaults_carry_cgo_and_a_function_can_turn_it_off(project: Path) -> None:
    found = manifest(project, '[defaults]\ncgo = true\ncgo_libc = "2.026"\ncgo_cflags = "-DSQLITE_OMIT_WAL"\n'
                              '[[function]]\nname = "sqlite"\npackage = "./cmd/sqlite"\ncgo_ldflags = "-lm"\n'
                              '[[function]]\nname = "plain"\npackage = "./cmd/plain"\ncgo = false\n')
    assert found == {"sqlite": Cgo(libc="2.26", cflags="-DSQLITE_OMIT_WAL", ldflags="-lm"), "plain": None}


def test_musl_is_a_libc_and_nonsense_is_not() -> None:
    assert libc_problem("musl") is None and libc_problem("2.34") is None and libc_problem("2.17") is None
    assert "newer than provided.al2023's 2.34" in (libc_problem("2.35") or "")
    assert "older than zig can target" in (libc_problem("2.16") or "")
    for nonsense in ("", "2", "2.", "3.1", "2.34.1", "glibc", "MUSL", "2.x"):
        assert libc_problem(nonsense) is not None, nonsense


# ─── Targets, flags and quoting ───────────────────────────────────────────────────────


def test_zig_targets_per_arch_and_libc() -> None:
    assert Cgo().target("amd64") == "x86_64-linux-gnu.2.34"
    assert Cgo().target("arm64") == "aarch64-linux-gnu.2.34"
    assert Cgo(libc="2.26").target("arm64") == "aarch64-linux-gnu.2.26"
    assert Cgo(libc="musl").target("amd64") == "x86_64-linux-musl"
    assert Cgo(libc="musl").target("arm64") == "aarch64-linux-musl"


@pytest.mark.parametrize(("text", "words"), [
    ("-s -w", ["-s", "-w"]),
    ("  -X main.v=1\t-s ", ["-X", "main.v=1", "-s"]),
    ("'-extldflags=-static -s' -w", ["-extldflags=-static -s", "-w"]),
    ('"a b" c', ["a b", "c"]),
    ("a'b c", ["a'b", "c"]),  # a quote counts only at the start of a word
    ("", []),
])
def test_words_split_as_go_splits_them(text: str, words: list[str]) -> None:
    assert split_words(text) == words
    assert split_words(" ".join(quote_word(w) for w in words)) == words


def test_a_word_with_both_quotes_and_a_space_cannot_be_passed() -> None:
    assert quote_word("it's") == "it's"
    assert quote_word("it's a") == '"it\'s a"'
    with pytest.raises(ValueError, match="both kinds of quote"):
        quote_word("it's \"a\"")


@pytest.mark.parametrize(("ldflags", "libc", "merged"), [
    ("-s -w", "2.34", "-s -w -buildid= -extldflags=-s"),
    ("", "2.34", "-buildid= -extldflags=-s"),
    ("-s -w -X main.version=1", "2.34", "-s -w -X main.version=1 -buildid= -extldflags=-s"),
    # -extldflags is last-wins: the user's values are kept inside gobuild's, in either spelling.
    ("-s -extldflags=-Wl,-z,now -w", "2.34", "-s -w -buildid= '-extldflags=-Wl,-z,now -s'"),
    ("-s -extldflags '-L/opt/x -lfoo'", "2.34", "-s -buildid= '-extldflags=-L/opt/x -lfoo -s'"),
    ("-s -w -buildid=abc", "2.34", "-s -w -buildid=abc -buildid= -extldflags=-s"),
    ("-s -w", "musl", "-s -w -linkmode=external -buildid= '-extldflags=-static -s'"),
])
def test_link_flags_strip_drop_the_build_id_and_merge_extldflags(ldflags: str, libc: str, merged: str) -> None:
    assert link_flags(ldflags, Cgo(libc=libc)) == merged


def test_cgo_env_sets_zig_for_cc_and_cxx_with_the_target() -> None:
    env = cgo_env(ZIG, Cgo(cflags="-DX=1", ldflags="-lm"), "arm64")
    assert env == {
        "CGO_ENABLED": "1",
        "CC": f"{ZIG.path} cc -target aarch64-linux-gnu.2.34 -fno-sanitize=undefined",
        "CXX": f"{ZIG.path} c++ -target aarch64-linux-gnu.2.34 -fno-sanitize=undefined",
        "CGO_CFLAGS": "-O2 -g -DX=1",
        "CGO_LDFLAGS": "-O2 -g -lm",
        "ZIG_GLOBAL_CACHE_DIR": ZIG.cache_dir,
        "ZIG_LOCAL_CACHE_DIR": ZIG.cache_dir,
    }
    # go list compiles nothing: it needs no zig.
    assert cgo_env(None, Cgo(), "amd64") == {"CGO_ENABLED": "1"}


def test_a_zig_path_with_spaces_is_quoted_for_go() -> None:
    spaced = replace(ZIG, path="/Users/me/My Tools/venv/ziglang/zig")
    cc = spaced.command("cc", "x86_64-linux-gnu.2.34")
    assert cc.startswith("'/Users/me/My Tools/venv/ziglang/zig' cc ")
    assert split_words(cc)[0] == spaced.path
    with pytest.raises(ToolError, match="both kinds of quote"):
        replace(ZIG, path="/a b/it's \"q\"/zig").command("cc", "x86_64-linux-gnu.2.34")


def test_go_runs_with_zig_only_for_cgo_settings(project: Path) -> None:
    (project / "gobuild.toml").write_text('[[function]]\nname = "sqlite"\npackage = "./cmd/sqlite"\ncgo = true\n'
                                          'architectures = ["amd64"]\n'
                                          '[[function]]\nname = "plain"\npackage = "./cmd/plain"\n'
                                          'architectures = ["amd64"]\n')
    functions = load_manifest(project / "gobuild.toml").functions
    cgo, plain = (settings_for(Target(function=f, arch="amd64")) for f in functions)
    go = GoTool(path="/usr/bin/go", version="go1.26.8", base_env=(("PATH", "/usr/bin"),), ignored_env=(), zig=ZIG)
    assert go.env_for(cgo)["CGO_ENABLED"] == "1" and "x86_64-linux-gnu.2.34" in go.env_for(cgo)["CC"]
    assert go.env_for(plain)["CGO_ENABLED"] == "0" and "CC" not in go.env_for(plain)
    assert "-ldflags=-s -w -buildid= -extldflags=-s" in build_argv(go, cgo, ["./cmd/sqlite"], project / "out")
    assert "-ldflags=-s -w" in build_argv(go, plain, ["./cmd/plain"], project / "out")


def test_zig_variables_that_change_the_output_are_ignored() -> None:
    env, ignored = clean_env({"PATH": "/bin", "ZIG_LIB_DIR": "/opt/zig/lib", "ZIG_GLOBAL_CACHE_DIR": "/z"})
    assert ignored == ("ZIG_LIB_DIR",)
    assert env["ZIG_GLOBAL_CACHE_DIR"] == "/z" and "ZIG_LIB_DIR" not in env


def test_zig_cache_lives_beside_go_cache_unless_chosen() -> None:
    assert cache_dir({"GOCACHE": "/home/dev/.cache/go-build"}) == "/home/dev/.cache/gobuild-zig"
    assert cache_dir({"GOCACHE": "/ci/go-build", "ZIG_GLOBAL_CACHE_DIR": "/ci/zig"}) == "/ci/zig"


def test_no_ziglang_is_an_environment_error_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zig_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ToolError) as caught:
        find_zig({}, needed_by="function sqlite")
    assert caught.value.exit_code == EXIT_ENVIRONMENT == 3
    assert str(caught.value) == ("function sqlite has cgo = true, which needs zig as its C compiler, and the ziglang "
                                 "package is not installed")
    assert "its cgo extra: pip install '.[cgo]'" in (caught.value.hint or "")


def test_another_zig_version_is_named_in_a_warning() -> None:
    assert version_warning(ZIG) is None
    assert "zig 0.16.0 is not the 0.17.1" in (version_warning(replace(ZIG, version="0.16.0")) or "")


# ─── Plan and fingerprint ─────────────────────────────────────────────────────────────


def test_cgo_targets_group_apart_from_static_ones(project: Path) -> None:
    (project / "gobuild.toml").write_text('[defaults]\narchitectures = ["amd64", "arm64"]\n'
                                          '[[function]]\nname = "sqlite"\npackage = "./cmd/sqlite"\ncgo = true\n'
                                          '[[function]]\nname = "plain"\npackage = "./cmd/plain"\n')
    functions = load_manifest(project / "gobuild.toml").functions
    targets = [Target(function=f, arch=a) for f in functions for a in f.architectures]
    plan = make_plan(targets, {project.resolve(): "example.com/m"})
    assert sorted((g.settings.arch, g.settings.cgo is not None, [t.function.name for t in g.targets])
                  for g in plan.groups) == [("amd64", False, ["plain"]), ("amd64", True, ["sqlite"]),
                                            ("arm64", False, ["plain"]), ("arm64", True, ["sqlite"])]
    records = {t.function.name: settings_for(t).as_record() for t in targets if t.arch == "amd64"}
    assert "cgo" not in records["plain"] and records["plain"]["cgo_enabled"] == "0"
    assert records["sqlite"]["cgo_enabled"] == "1"
    assert records["sqlite"]["cgo"] == {"libc": "2.34", "cflags": "", "ldflags": ""}


def test_fingerprint_holds_zig_for_cgo_targets_only(project: Path) -> None:
    (project / "gobuild.toml").write_text('[[function]]\nname = "sqlite"\npackage = "./cmd/sqlite"\ncgo = true\n'
                                          '[[function]]\nname = "plain"\npackage = "./cmd/plain"\n')
    cgo_function, plain_function = load_manifest(project / "gobuild.toml").functions
    inputs = Inputs(files=((str(project / "cmd/sqlite/main.go"), "example.com/m/cmd/sqlite/main.go"),), dirs=(),
                    modules=())
    cache = HashCache()

    def print_of(target: Target, zig: str | None, **changes: object) -> str:
        settings = replace(settings_for(target), **changes)  # type: ignore[arg-type]
        return fingerprint(target, settings, inputs, cache, "go1.26.8", 315532800, zig_version=zig)

    plain = Target(function=plain_function, arch="arm64")
    assert print_of(plain, None) == print_of(plain, "0.17.1")  # static fingerprints keep their value
    sqlite = Target(function=cgo_function, arch="arm64")
    assert print_of(sqlite, "0.17.1") != print_of(sqlite, "0.17.0")
    assert print_of(sqlite, "0.17.1") != print_of(sqlite, "0.17.1", cgo=Cgo(libc="2.26"))
    assert print_of(sqlite, "0.17.1") != print_of(plain, "0.17.1")


# ─── invoke: qemu with the target's C library ─────────────────────────────────────────


def test_a_dynamic_arm64_bootstrap_runs_under_qemu_with_the_sysroot(tmp_path: Path) -> None:
    dynamic = tmp_path / "bootstrap"
    dynamic.write_bytes(minimal_elf(machine=EM_AARCH64, interpreter=LOADERS[EM_AARCH64], needed=["libc.so.6"]))
    static = tmp_path / "static"
    static.write_bytes(minimal_elf(machine=EM_AARCH64))
    qemu = {"qemu-aarch64-static": "/usr/bin/qemu-aarch64-static"}.get
    roots = {Arch.ARM64: "/usr/aarch64-linux-gnu"}.get
    assert runner_command(dynamic, arch="arm64", host="amd64", find_program=qemu, find_sysroot=roots) == [
        "/usr/bin/qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu", str(dynamic)]
    assert runner_command(static, arch="arm64", host="amd64", find_program=qemu, find_sysroot=roots) == [
        "/usr/bin/qemu-aarch64-static", str(static)]
    with pytest.raises(ToolError) as caught:
        runner_command(dynamic, arch="arm64", host="amd64", find_program=qemu, find_sysroot=lambda arch: None)
    assert caught.value.exit_code == 3
    assert "dynamically linked arm64 executable (a cgo build: it needs /lib/ld-linux-aarch64.so.1)" in str(caught.value)
    assert "apt-get install libc6-arm64-cross" in (caught.value.hint or "")
