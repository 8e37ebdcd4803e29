"""Verify's verdicts remembered between runs: reused for an unchanged zip, never for a changed one."""

from __future__ import annotations

import os
import time
from pathlib import Path

from gobuild.check.verify import Finding, Report
from gobuild.deploy.judge import Verifier
from gobuild.deploy.verdicts import VerdictCache, default_path

REPORT = Report(archive="z", findings=(Finding(code="GB301", severity="info", message="go1.26.8", entry="bootstrap"),),
                arch="arm64", go_version="go1.26.8")


def old_zip(path: Path, data: bytes = b"zip bytes") -> Path:
    path.write_bytes(data)
    past = time.time() - 60  # older than the racy window
    os.utime(path, (past, past))
    return path


def counting_verifier(cache: VerdictCache) -> tuple[Verifier, list[Path]]:
    calls: list[Path] = []

    def verify(path: Path, arch: str | None) -> Report:
        calls.append(path)
        return REPORT

    return Verifier(verify, cache=cache), calls


def test_an_unchanged_zip_is_not_verified_twice(tmp_path: Path) -> None:
    store, zipped = tmp_path / "cache" / "verdicts.json", old_zip(tmp_path / "a.zip")
    first, calls = counting_verifier(VerdictCache(store))
    assert first(zipped, "arm64", remember=True) == REPORT and len(calls) == 1
    first.cache.save()  # type: ignore[union-attr]
    second, calls = counting_verifier(VerdictCache(store))
    again = second(zipped, "arm64", remember=True)
    assert calls == [] and again.findings == REPORT.findings and again.go_version == "go1.26.8"
    assert second(zipped, "amd64", remember=True) and len(calls) == 1  # another architecture


def test_a_changed_or_fresh_zip_is_verified_again(tmp_path: Path) -> None:
    store, zipped = tmp_path / "verdicts.json", old_zip(tmp_path / "a.zip")
    first, _ = counting_verifier(VerdictCache(store))
    first(zipped, "arm64", remember=True)
    first.cache.save()  # type: ignore[union-attr]
    old_zip(zipped, b"other bytes")
    second, calls = counting_verifier(VerdictCache(store))
    second(zipped, "arm64", remember=True)
    assert calls == [zipped]
    fresh = tmp_path / "fresh.zip"
    fresh.write_bytes(b"just written")  # inside the racy window: not remembered
    second(fresh, "arm64", remember=True)
    second.cache.save()  # type: ignore[union-attr]
    third, calls = counting_verifier(VerdictCache(store))
    third(fresh, "arm64", remember=True)
    third(tmp_path / "a.zip", "arm64", remember=False)  # scratch files are never looked up
    assert calls == [fresh, tmp_path / "a.zip"]


def test_a_damaged_cache_or_other_rules_count_as_empty(tmp_path: Path) -> None:
    store = tmp_path / "verdicts.json"
    store.write_text("{not json")
    assert VerdictCache(store).get(old_zip(tmp_path / "a.zip"), "arm64") is None
    store.write_text('{"schema": 1, "rules": "older gobuild", "entries": {}}')
    cache = VerdictCache(store)
    assert cache.rules != "older gobuild" and cache.get(tmp_path / "a.zip", "arm64") is None


def test_where_the_cache_lives() -> None:
    assert default_path({"GOBUILD_CHECK_CACHE": "/x/v.json"}) == Path("/x/v.json")
    assert default_path({"XDG_CACHE_HOME": "/c"}) == Path("/c/gobuild/check-verdicts.json")
