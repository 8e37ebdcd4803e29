"""gosym on real binaries built with the local Go: the function table agrees with Go's own tools,
and each variant of testdata/diff/variants (one change each) blames the package that changed
first, and nothing else unless the change really reaches it. These tests catch format drift
when Go is upgraded (Go 1.26 wrote textStart 0; Go 1.27 moved moduledata's gofunc).
"""

from __future__ import annotations

import random
import shutil
import struct
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest

from gobuild.check.elf import FileSource
from gobuild.diff.gosym import BinaryDiff, GoBinary, GoSymError, changed_strings, diff
from tests.conftest import TESTDATA
from tests.integration.fixtures_gobinaries import go_env, run_go

VARIANTS_MODULE = TESTDATA / "diff" / "variants"
A, B = "example.com/m/internal/a", "example.com/m/internal/b"

TOTAL = """//go:noinline
func Total(s []Shape) (t float64) {
	for _, x := range s {
		t += x.Area()
	}
	return t
}"""

# name: ((file, old, new) edits, extra -ldflags)
VARIANTS: dict[str, tuple[list[tuple[str, str, str]], str]] = {
    "base": ([], ""),
    "a-immediate": ([("internal/a/a.go", "(i + 1)", "(i + 3)")], ""),
    "a-body": ([("internal/a/a.go", 'w == "" || seen[w]', 'w == "" || seen[w] || len(w) > 40')], ""),
    "b-added": (
        [
            ("internal/b/b.go", "//ADD", TOTAL),
            ("main.go", "fmt.Print(b.Describe(shapes))", "fmt.Print(b.Describe(shapes), b.Total(shapes))"),
        ],
        "",
    ),
    "a-inlined": ([("internal/a/a.go", "n > 100 {\n\t\treturn 100", "n > 1000 {\n\t\treturn 1000")], ""),
    "a-comment": ([("internal/a/a.go", "func Sum(", "// Sum adds up\n// the weighted lengths.\nfunc Sum(")], ""),
    "b-added-unused": ([("internal/b/b.go", "//ADD", "func Unused(x int) int { return x*x + 7 }")], ""),
    "main-string": ([("main.go", "a demo", "A DEMO")], ""),
    "version-X": ([], " -X main.version=1.2.3"),
    "version-X-longer": ([], " -X main.version=1.2.3-rc.1+build.7"),
}

Builds = Callable[[str, str], bytes]


def go_build(src: Path, out: Path, goarch: str, ldflags: str = "-s -w") -> bytes:
    args = ["build", "-trimpath", "-buildvcs=false", f"-ldflags={ldflags}", "-o", str(out), "."]
    run_go(args, cwd=src, env=go_env(GOARCH=goarch))
    return out.read_bytes()


def write_module(root: Path, edits: list[tuple[str, str, str]]) -> Path:
    shutil.copytree(VARIANTS_MODULE, root)
    for name, old, new in edits:
        path = root / name
        text = path.read_text()
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1))
    return root


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    """Builds a variant for a GOARCH on first use: builds("a-body", "arm64") -> bytes."""
    root = tmp_path_factory.mktemp("gosym")
    cache: dict[tuple[str, str], bytes] = {}

    def build(variant: str, goarch: str) -> bytes:
        if (variant, goarch) not in cache:
            edits, ldflags = VARIANTS[variant]
            src = root / "src" / variant
            if not src.exists():
                write_module(src, edits)
            cache[variant, goarch] = go_build(src, root / f"{variant}.{goarch}", goarch, "-s -w" + ldflags)
        return cache[variant, goarch]

    return build


def index(binary: GoBinary) -> dict[str, int]:
    return {f.name: i for i, f in enumerate(binary.functions)}


# --- reading ----------------------------------------------------------------------------


@pytest.mark.parametrize("goarch", ["amd64", "arm64", "386", "arm"])
def test_functions_match_go_tool_nm(tmp_path: Path, goarch: str) -> None:
    """On an unstripped build, names and entries agree with the Go toolchain's symbol table."""
    src = write_module(tmp_path / "src", [])
    out = tmp_path / "full"
    binary = GoBinary(go_build(src, out, goarch, ldflags=""))
    listing = run_go(["tool", "nm", "-size", "-sort", "address", str(out)], cwd=src, env=go_env()).stdout
    nm = {}
    for line in listing.splitlines():
        fields = line.split(None, 3)
        if len(fields) == 4 and fields[2] in "Tt":
            name = fields[3].removesuffix(".abi0").replace("·", ".")
            nm[name, int(fields[0], 16)] = int(fields[1])
    ours = {(f.name.replace("·", "."), f.entry) for f in binary.functions}
    assert len(ours) > 1000
    missing = ours - set(nm)
    assert len(missing) <= 2, sorted(missing)  # linker markers such as go:textfipsend
    assert len(set(nm) - ours) <= 5  # runtime.text, runtime.etext and a few zero-size markers


@pytest.mark.parametrize("goarch", ["amd64", "arm64"])
def test_stripped_binary(builds: Builds, goarch: str) -> None:
    binary = GoBinary(builds("base", goarch))
    assert binary.goarch == goarch
    assert binary.pclntab_version == "go1.20"
    assert ".gopclntab" in binary.sections  # Go keeps the section with -s -w
    text = binary.sections[".text"]
    assert binary.text_start == text.addr
    assert text.addr < binary.text_end <= text.addr + text.size
    functions = binary.functions
    assert functions[0].entry == binary.text_start
    assert all(f.entry <= f.end == g.entry for f, g in pairwise(functions))
    assert functions[-1].end == binary.text_end
    by_name = {f.name: f for f in functions}
    main = by_name["main.main"]
    assert main.file == "example.com/m/main.go" and main.package == "main"
    assert by_name[f"{A}.Words"].file == "example.com/m/internal/a/a.go"
    assert by_name["runtime.main"].file == "runtime/proc.go"
    assert len(binary.code(index(binary)["main.main"])) == main.size > 100
    assert binary.start_line(index(binary)["main.main"]) is not None
    parts = binary.build_id.split("/")
    assert len(parts) == 4 and all(parts)


def test_build_id_matches_go_tool(builds: Builds, tmp_path: Path) -> None:
    path = tmp_path / "bin"
    path.write_bytes(builds("base", "amd64"))
    expected = run_go(["tool", "buildid", str(path)], cwd=tmp_path, env=go_env()).stdout.strip()
    assert GoBinary(path.read_bytes()).build_id == expected


@pytest.mark.parametrize("goarch", ["amd64", "arm64"])
def test_without_section_headers(builds: Builds, goarch: str) -> None:
    """With no section headers the pclntab is found by its magic, the text start in moduledata."""
    data = bytearray(builds("base", goarch))
    struct.pack_into("<Q", data, 0x28, 0)  # e_shoff
    struct.pack_into("<HH", data, 0x3C, 0, 0)  # e_shnum, e_shstrndx
    stripped, reference = GoBinary(bytes(data)), GoBinary(builds("base", goarch))
    assert stripped.sections == {}
    assert stripped.functions == reference.functions
    assert (stripped.text_start, stripped.text_end) == (reference.text_start, reference.text_end)
    assert stripped.build_id == reference.build_id
    assert diff(stripped, reference).functions == ()


def test_reads_through_a_source_without_loading_the_file(builds: Builds, tmp_path: Path) -> None:
    path = tmp_path / "bin"
    path.write_bytes(builds("base", "amd64"))
    with path.open("rb") as file:
        binary = GoBinary(FileSource(file, path.stat().st_size))
        assert binary.functions == GoBinary(path.read_bytes()).functions


# --- malformed input ---------------------------------------------------------------------


def test_not_go() -> None:
    elf = Path("/bin/true").read_bytes() if Path("/bin/true").exists() else b""
    if not elf.startswith(b"\x7fELF"):
        pytest.skip("no non-Go ELF binary at /bin/true on this machine")
    with pytest.raises(GoSymError, match="pclntab"):
        GoBinary(elf)


def test_truncated(builds: Builds) -> None:
    data = builds("base", "amd64")
    for size in [0, 16, 63, 64, 200, 4096, len(data) // 3, len(data) // 2, len(data) - 1]:
        with pytest.raises(GoSymError):
            GoBinary(data[:size])


@pytest.mark.parametrize("goarch", ["amd64", "arm64"])
def test_corrupted_never_escapes(builds: Builds, goarch: str) -> None:
    """Random damage in the headers and the tables gives GoSymError or a result, never another error."""
    data = builds("base", goarch)
    reference = GoBinary(data)
    table = reference.sections[".gopclntab"]
    rng = random.Random(1)
    regions = [(0, 64), (64, 0x190 + 16 * 64), (table.offset, 128), (table.offset, table.size)]
    for trial in range(300):
        damaged = bytearray(data)
        start, length = regions[trial % len(regions)]
        for _ in range(rng.choice([1, 4, 16])):
            position = start + rng.randrange(length)
            damaged[position] = rng.randrange(256) if rng.random() < 0.8 else 0xFF
        try:
            binary = GoBinary(bytes(damaged))
            result = diff(reference, binary)
            for change in result.functions[:20]:
                assert change.name is not None
        except GoSymError:
            pass


# --- diff --------------------------------------------------------------------------------


def changed_packages(result: BinaryDiff) -> list[str]:
    return [p.package for p in result.packages]


@pytest.mark.parametrize("goarch", ["amd64", "arm64"])
def test_identical_builds(builds: Builds, goarch: str) -> None:
    base = GoBinary(builds("base", goarch))
    result = diff(base, GoBinary(builds("base", goarch)))
    assert result.functions == () and result.packages == () and result.sections == ()
    assert result.same == len(base.functions)


@pytest.mark.parametrize("goarch", ["amd64", "arm64"])
def test_changed_function_body(builds: Builds, goarch: str) -> None:
    result = diff(GoBinary(builds("base", goarch)), GoBinary(builds("a-body", goarch)))
    assert changed_packages(result) == [A]
    (words,) = result.functions
    assert words.name == f"{A}.Words" and words.change == "size" and words.delta > 0
    assert result.main_package_changed is False  # main.a's content ID is unchanged


@pytest.mark.parametrize("goarch", ["amd64", "arm64"])
def test_changed_immediate(builds: Builds, goarch: str) -> None:
    result = diff(GoBinary(builds("base", goarch)), GoBinary(builds("a-immediate", goarch)))
    assert changed_packages(result) == [A]
    assert [f.name for f in result.functions] == [f"{A}.Sum"]


@pytest.mark.parametrize("goarch", ["amd64", "arm64"])
def test_added_function(builds: Builds, goarch: str) -> None:
    result = diff(GoBinary(builds("base", goarch)), GoBinary(builds("b-added", goarch)))
    assert changed_packages(result)[0] == B
    assert set(changed_packages(result)) == {B, "main"}  # main calls the new function
    top = result.packages[0]
    assert top.count("added") >= 1 and any(f.name == f"{B}.Total" for f in top.functions)
    assert result.packages[1].directory == "example.com/m"


@pytest.mark.parametrize("goarch", ["amd64", "arm64"])
def test_unused_function_changes_only_build_ids(builds: Builds, goarch: str) -> None:
    old, new = builds("base", goarch), builds("b-added-unused", goarch)
    assert old != new
    result = diff(GoBinary(old), GoBinary(new))
    assert result.functions == () and result.sections == ()
    assert result.only_build_ids_differ


@pytest.mark.parametrize("goarch", ["amd64", "arm64"])
@pytest.mark.parametrize(
    ("variant", "strings"),
    [
        ("main-string", ("words, a demo", "words, A DEMO")),
        ("version-X", ("dev", "1.2.3")),
        ("version-X-longer", ("dev", "1.2.3-rc.1+build.7")),
    ],
)
def test_data_only_changes(builds: Builds, goarch: str, variant: str, strings: tuple[str, str]) -> None:
    """String and -X changes move data but no code: no function is blamed, the values are found."""
    old, new = GoBinary(builds("base", goarch)), GoBinary(builds(variant, goarch))
    result = diff(old, new)
    assert result.functions == ()
    assert ".rodata" in result.sections
    assert result.main_package_changed is (variant == "main-string")
    found = changed_strings(old, new)
    assert any(strings[0] in a and strings[1] in b for a, b in found), found


@pytest.mark.parametrize("goarch", ["amd64", "arm64"])
def test_inlined_change(builds: Builds, goarch: str) -> None:
    """A change to a function that is only ever inlined shows in its callers' packages;
    the inline trees name it as the one function all the changed ones share."""
    result = diff(GoBinary(builds("base", goarch)), GoBinary(builds("a-inlined", goarch)))
    assert set(changed_packages(result)) == {B, "main"}
    assert result.inlined_elsewhere()[0] == (f"{A}.Clamp", 2)


def test_inline_tree(builds: Builds) -> None:
    binary = GoBinary(builds("base", "amd64"))
    at = index(binary)
    assert f"{A}.Clamp" in binary.inlined(at[f"{B}.Describe"])
    assert f"{A}.Clamp" in binary.inlined(at["main.main"])
    assert binary.inlined(at["runtime.memmove"]) == ()  # assembly


@pytest.mark.parametrize("goarch", ["amd64", "arm64"])
def test_comment_moves_lines_only(builds: Builds, goarch: str) -> None:
    """Lines added above functions change the line tables and start lines, not the code."""
    result = diff(GoBinary(builds("base", goarch)), GoBinary(builds("a-comment", goarch)))
    assert result.functions == ()
    assert result.sections == (".gopclntab",)
    assert result.relined[0][0] == A


def test_architectures_must_match(builds: Builds) -> None:
    with pytest.raises(GoSymError, match="amd64"):
        diff(GoBinary(builds("base", "amd64")), GoBinary(builds("base", "arm64")))


def test_a_longer_x_value_moves_code_but_blames_no_function(builds: Builds) -> None:
    """A longer -X value shifts data, so code that addresses it changes bytes: the relocation
    check forgives every such function (counted as moved) and blames none."""
    old, new = GoBinary(builds("base", "amd64")), GoBinary(builds("version-X-longer", "amd64"))
    result = diff(old, new)
    assert result.functions == ()
    assert result.moved > 0 and result.same + result.moved == len(old.functions)


@pytest.mark.parametrize("goarch", ["amd64", "arm64"])
def test_damaged_bootstraps_are_explained_or_refused_never_crash(builds: Builds, goarch: str) -> None:
    """A zip whose bootstrap is damaged anywhere gobuild diff reads gives differences or a
    DiffInputError (exit 2), never another exception."""
    from gobuild.build.package import ZipEntry, zip_bytes
    from gobuild.diff import DiffInputError, explain_zips

    data = builds("version-X", goarch)
    reference = GoBinary(data)
    old = zip_bytes([ZipEntry(name="bootstrap", data=data, mode=0o755)])
    regions = [(0, 64), (64, 0x400)] + [
        (reference.sections[name].offset, reference.sections[name].size)
        for name in (".gopclntab", ".go.buildinfo", ".data", ".rodata", ".noptrdata")
        if name in reference.sections
    ]
    rng = random.Random(2)
    outcomes = {"explained": 0, "refused": 0}
    for trial in range(60):
        damaged = bytearray(data)
        start, length = regions[trial % len(regions)]
        for _ in range(rng.choice([1, 8, 64])):
            damaged[start + rng.randrange(length)] = rng.randrange(256)
        new = zip_bytes([ZipEntry(name="bootstrap", data=bytes(damaged), mode=0o755)])
        try:
            found = explain_zips(old, new, old_label="a.zip", new_label="b.zip")
        except DiffInputError:
            outcomes["refused"] += 1
        else:
            assert data == bytes(damaged) or found, trial
            outcomes["explained"] += 1
    assert outcomes["explained"] > 0
