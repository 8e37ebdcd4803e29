"""The benchmark's own arithmetic: the correctness score, the go-shim log, interval unions and
per-phase timing in the probe, the limit, and the report's extra tables."""

from __future__ import annotations

import threading
from pathlib import Path

from bench.correctness import score, started_builds
from bench.limit import Limit, breakdown_table
from bench.probe import Recorder, union
from bench.report import Section, Table, markdown, text


def digests(**values: str) -> dict[tuple[str, str], str]:
    return {tuple(k.split("_")): v for k, v in values.items()}  # type: ignore[misc]


def test_score_counts_rebuilt_changed_and_needless() -> None:
    clean_before = digests(fn001_amd64="a", fn001_arm64="b", fn002_arm64="c")
    clean_after = digests(fn001_amd64="A", fn001_arm64="B", fn002_arm64="c")
    before = dict(clean_before)
    after = dict(clean_after)
    result = score(before, after, clean_before, clean_after, started={("fn001", "amd64"), ("fn001", "arm64"),
                                                                      ("fn002", "arm64")})
    assert (result.expected, result.rebuilt_changed, result.needless, result.wrong) == (2, 2, 1, ())
    assert result.text() == "rebuilt 2/2 that changed, 1 needlessly"
    assert not result.perfect


def test_score_sees_a_stale_output_that_the_tool_did_not_rebuild() -> None:
    clean_before = digests(fn001_amd64="a", fn002_amd64="b")
    clean_after = digests(fn001_amd64="A", fn002_amd64="B")
    before = dict(clean_before)
    after = {**clean_before, ("fn001", "amd64"): "A"}  # fn002 kept its old bytes
    result = score(before, after, clean_before, clean_after, started={("fn001", "amd64")})
    assert (result.expected, result.rebuilt_changed, result.needless) == (2, 1, 0)
    assert result.wrong == ("fn002/amd64",)
    assert result.text() == ("rebuilt 1/2 that changed, 0 needlessly; 1 binary differs from a clean build "
                             "(stale since this or an earlier edit): fn002/amd64")


def test_score_rebuilt_with_wrong_bytes_does_not_count_as_rebuilt() -> None:
    clean_before, clean_after = digests(fn001_amd64="a"), digests(fn001_amd64="A")
    result = score(clean_before, digests(fn001_amd64="X"), clean_before, clean_after, started=set())
    assert (result.rebuilt_changed, result.wrong) == (0, ("fn001/amd64",))


def test_score_perfect_when_exactly_the_changed_targets_were_rebuilt() -> None:
    clean_before = digests(fn001_amd64="a", fn002_amd64="b")
    clean_after = digests(fn001_amd64="A", fn002_amd64="b")
    result = score(clean_before, dict(clean_after), clean_before, clean_after, started={("fn001", "amd64")})
    assert result.perfect and result.text() == "rebuilt 1/1 that changed, 0 needlessly"


def test_started_builds_reads_every_tool_layout(tmp_path: Path) -> None:
    log = tmp_path / "go.log"
    log.write_text(
        "arm64\t/w/fleet\tbuild -trimpath -o /tmp/g0/ ./cmd/fn001 ./cmd/fn002\n"  # gobuild: grouped
        "amd64\t/w/sam/cmd/fn003\tbuild -trimpath -o /w/.aws-sam/build/Fn003Amd64/bootstrap .\n"  # sam: in place
        "arm64\t/w/gr\tbuild -o gr-dist/fn004_linux_arm64/bootstrap ./cmd/fn004\n"  # goreleaser
        "arm64\t/w/gr\tbuild ./cmd/fn999\n"  # not a target of this fleet
    )
    found = started_builds(log, {"fn001", "fn002", "fn003", "fn004"})
    assert found == {("fn001", "arm64"), ("fn002", "arm64"), ("fn003", "amd64"), ("fn004", "arm64")}
    assert not log.exists()  # emptied for the next build
    assert started_builds(log, {"fn001"}) == set()


def test_union_merges_overlaps_and_gaps() -> None:
    assert union([]) == 0
    assert union([(0, 1), (0.5, 2), (3, 4), (3.2, 3.5)]) == 3.0


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_recorder_gives_a_nested_call_of_another_phase_its_own_time() -> None:
    clock = FakeClock()
    recorder = Recorder(clock=clock, cpu_clock=clock)

    def inner() -> None:
        clock.now += 5.0

    wrapped_inner = recorder.wrap(inner, "compression")

    def outer() -> None:
        clock.now += 2.0
        wrapped_inner()
        clock.now += 3.0

    recorder.wrap(outer, "zip-write")()
    assert recorder.calls == {"compression": 1, "zip-write": 1}
    assert recorder.intervals["compression"] == [(2.0, 7.0)]
    # zip-write's own segments and CPU leave out the nested compression call
    assert recorder.intervals["zip-write"] == [(0.0, 2.0), (7.0, 10.0)]
    assert recorder.cpu == {"compression": 5.0, "zip-write": 5.0}


def test_recorder_counts_same_phase_nesting_once_and_threads_apart() -> None:
    recorder = Recorder()
    leaf = recorder.wrap(lambda: None, "hashing")
    top = recorder.wrap(lambda: leaf(), "hashing")
    threads = [threading.Thread(target=top) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert recorder.calls == {"hashing": 3}


def test_limit_is_cpu_over_cores() -> None:
    limit = Limit(compile_cpu=60.0, compress_cpu=20.0, cores=2, binaries=36)
    assert limit.seconds == 40.0
    assert limit.describe() == ("limit 40.00 s = (compile CPU 60.0 s + compression CPU 20.0 s for 36 binaries) "
                                "/ 2 cores")


def test_breakdown_table_lists_phases_and_what_is_left() -> None:
    summary = {
        "wall": 10.0, "startup": 0.5, "cpu": 18.0, "idle": 1.0, "before_compile": 1.5, "compile_span": 7.0,
        "after_compile": 1.5, "missing": ["gobuild.build.record.record_noop"],
        "phases": {"go:list": {"calls": 2, "union": 1.0, "cpu": 0.8}, "go:build": {"calls": 2, "union": 7.0, "cpu": 12.0},
                   "compression": {"calls": 300, "union": 6.0, "cpu": 4.0}},
    }
    table = breakdown_table("cold", summary)
    labels = [row[0] for row in table.rows]
    assert labels == ["start-up", "go list", "compile (go build)", "compression", "scheduling (estimated)", "total"]
    assert table.rows[1] == ("go list", "2", "1.00", "0.80", "10%", table.rows[1][5])
    assert any("record_noop" in note for note in table.notes)


def test_extra_tables_render_and_survive_json() -> None:
    table = Table(title="incremental correctness", header=("edit", "should change", "tool", "seconds", "result"),
                  rows=(("one handler body", "2", "gobuild build", "0.51", "rebuilt 2/2 that changed, 0 needlessly"),),
                  notes=("a note",))
    section = Section(name="correctness", title="correctness", rows=(), floor="", tables=(table,))
    again = Section.from_json(section.as_json())
    assert again == section
    plain = text([again], [], [])
    assert "rebuilt 2/2 that changed, 0 needlessly" in plain and "-- incremental correctness" in plain
    assert "| one handler body | 2 | gobuild build | 0.51 | rebuilt 2/2 that changed, 0 needlessly |" in markdown(
        [again], [], [])
