"""One verdict per archive: verify, repack, invoke's extraction and the cache's judgment refuse
the same hostile zips (every case testdata/make_broken_zips.py makes), in the same words.

Repack reads Deflate64, which Lambda cannot: converting such old zips is its job, and the one
intended difference. Problems of bootstrap itself (no execute bit, wrong architecture, no
bootstrap at all) are not the archive's: verify and the cache refuse them, invoke extracts the
zip and fails the way Lambda fails at run time, and repack fixes what it can.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gobuild.check.verify import judge_zip, verify_zip
from gobuild.errors import GobuildError, InvokeError
from gobuild.invoke.taskroot import unpack_zip
from gobuild.repack import repack
from testdata.make_broken_zips import EM_AARCH64, go_modinfo, make_all, minimal_elf

GO_ELF = minimal_elf(
    machine=EM_AARCH64,
    go_version="go1.26.8",
    modinfo=go_modinfo(
        deps=[("github.com/aws/aws-lambda-go", "v1.55.1")],
        settings=[("-tags", "lambda.norpc"), ("-trimpath", "true"), ("CGO_ENABLED", "0"), ("GOOS", "linux")],
    ),
)

# The archive itself is refused: no one may lay it out as a folder.
REFUSED = {
    "truncated", "random", "corrupt-data", "duplicates", "encrypted", "dotdot", "absolute", "deflate64", "bzip2",
    "lzma", "symlink-dangling", "bomb-declared", "bomb-real", "bomb-lying", "bomb-deflate64", "backslash",
    "nul-name", "dup-normalised", "file-under-file", "file-and-dir", "link-escape", "links-escape-together",
    "through-link", "link-loop", "size-overstated", "size-understated", "crc-mismatch", "deflate64-overstated",
    "name-mismatch", "overlap",
}  # fmt: skip
# Accepted: sound archives, whatever their bootstrap is, and what Lambda extracts with a warning.
ACCEPTED = {
    "good", "good-stored", "empty", "nested", "go1x", "windows", "no-exec", "owner-only", "symlink", "directory",
    "zero-byte", "script", "script-crlf", "windows-exe", "wrong-arch", "elf32", "freebsd", "object-file", "dynamic",
    "dynamic-musl", "truncated-elf", "zip64", "version-45", "descriptor-stored", "descriptor-deflated",
    "unreadable-config", "placeholder",
}  # fmt: skip
REPACK_READS = {"deflate64"}


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_all(tmp_path_factory.mktemp("verdicts"), GO_ELF)


def test_every_case_has_a_verdict(cases: dict[str, Path]) -> None:
    assert not REFUSED & ACCEPTED
    assert set(cases) == REFUSED | ACCEPTED


def refusal(action: object) -> str | None:
    """The message of the GobuildError `action()` raises, or None when it succeeds."""
    try:
        action()  # type: ignore[operator]
    except GobuildError as error:
        return error.message
    return None


@pytest.mark.parametrize("case", sorted(REFUSED | ACCEPTED))
def test_verify_repack_invoke_and_the_cache_agree(cases: dict[str, Path], case: str, tmp_path: Path) -> None:
    path = cases[case]
    report = verify_zip(path)
    cached = judge_zip(path.read_bytes(), name=str(path))
    assert cached.codes() == report.codes() and cached.has_errors == report.has_errors
    said = {f.message for f in report.errors}

    root = tmp_path / "task"
    root.mkdir()
    invoked = refusal(lambda: unpack_zip(path, root))
    repacked = refusal(lambda: repack(path, every=True, output=tmp_path / "out"))
    if case in REFUSED:
        assert report.has_errors and cached.has_errors
        assert invoked is not None and invoked.removeprefix(f"{path.name}: ") in said, invoked
        if case in REPACK_READS:
            assert repacked is None
        else:
            assert repacked is not None and repacked.removeprefix(f"{path}: ") in said, repacked
    else:
        assert invoked is None
        # Repack refuses only what is not a Go binary to convert, or what verify says of bootstrap.
        if repacked is not None:
            reason = repacked.removeprefix(f"{path}: ").partition(": ")[2]
            assert "holds no Linux binary" in repacked or reason in said, repacked
    # Whatever happened, nothing was written beside the task root and the output folder.
    assert {p.name for p in tmp_path.iterdir()} <= {"task", "out"}


def test_refusals_name_the_problem_and_its_fix(cases: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "task").mkdir()
    with pytest.raises(InvokeError) as raised:
        unpack_zip(cases["file-under-file"], tmp_path / "task")
    assert raised.value.message == (
        "file-under-file.zip: bootstrap is a file, and also a folder of bootstrap/config.json: no tool can extract both"
    )
    assert raised.value.hint and "rename the file or the folder" in raised.value.hint
    assert list((tmp_path / "task").iterdir()) == []  # refused before anything is written
