"""Tallies (gobuild.report): a terminal shows them as rich progress bars under the live table;
plain output and the log show nothing of them; the core's counters add up."""

from __future__ import annotations

import io

from rich.console import Console

from gobuild.build.cache import _DownloadTally
from gobuild.cli.live import LiveReporter, tally_text
from gobuild.cli.render import PlainReporter
from gobuild.report import RecordingReporter, Tally, TeeReporter

MB = 1024 * 1024


def terminal(buffer: io.StringIO) -> Console:
    return Console(file=buffer, force_terminal=True, width=120, color_system=None, highlight=False)


def test_a_terminal_shows_publish_objects_and_bytes_as_a_bar() -> None:
    buffer = io.StringIO()
    with LiveReporter(terminal(buffer)) as live:
        live.started("orders/arm64", "checking")
        live.tally("publish", done=0, total=3, unit="object", done_bytes=0, total_bytes=6 * MB)
        live.tally("publish", done=2, total=3, unit="object", done_bytes=4 * MB, total_bytes=6 * MB)
        live.finished("orders/arm64", True, "uploaded s3://b/k.zip", size=2 * MB)
        live.tally("publish", done=3, total=3, unit="object", done_bytes=6 * MB, total_bytes=6 * MB)
    shown = buffer.getvalue()
    assert "publish" in shown and "3/3 objects, 6.0 MB/6.0 MB" in shown
    assert "━" in shown  # rich's bar
    assert "orders/arm64" in shown and "uploaded s3://b/k.zip" in shown  # the table is still there


def test_a_tally_without_bytes_counts_and_says_the_unit_in_the_right_number() -> None:
    buffer = io.StringIO()
    with LiveReporter(terminal(buffer)) as live:
        live.tally("check-reproducible", done=0, total=1, unit="zip")
        live.tally("check-reproducible", done=1, total=1, unit="zip")
    assert "━ 1/1 zip\n" in buffer.getvalue()
    assert tally_text(done=2, total=5, unit="zip", done_bytes=0, total_bytes=0) == "2/5 zips"
    assert tally_text(done=1, total=2, unit="object", done_bytes=1536, total_bytes=3 * 1024) == \
        "1/2 objects, 1.5 KB/3.0 KB"


def test_plain_output_is_unchanged_by_tallies() -> None:
    def plain_run(with_tallies: bool) -> str:
        buffer = io.StringIO()
        plain = PlainReporter(Console(file=buffer, force_terminal=False, width=120))
        plain.started("orders/arm64", "checking")
        if with_tallies:
            plain.tally("publish", done=0, total=1, unit="object", done_bytes=0, total_bytes=MB)
            plain.tally("publish", done=1, total=1, unit="object", done_bytes=MB, total_bytes=MB)
        plain.finished("orders/arm64", True, "uploaded s3://b/k.zip", size=MB)
        return buffer.getvalue()

    assert plain_run(True) == plain_run(False) != ""
    assert "object" not in plain_run(True)


def test_tee_passes_tallies_on() -> None:
    recorder = RecordingReporter()
    TeeReporter(recorder).tally("publish", done=1, total=2, unit="object", done_bytes=5, total_bytes=9)
    assert recorder.tallies == [Tally(task="publish", done=1, total=2, unit="object", done_bytes=5, total_bytes=9)]
    assert recorder.events == []  # --json documents are built from events: tallies stay out of them


def test_cache_downloads_are_one_tally_whose_total_grows_and_a_failed_download_ends_it() -> None:
    recorder = RecordingReporter()
    downloads = _DownloadTally()
    with downloads.downloading(100, recorder) as received:
        received(60)
        received(40)
    try:
        with downloads.downloading(50, recorder) as received:
            received(10)
            raise OSError("connection reset")
    except OSError:
        pass
    last = recorder.tallies[-1]
    assert (last.task, last.done, last.total, last.unit) == ("cache downloads", 2, 2, "object")
    assert (last.done_bytes, last.total_bytes) == (150, 150)
    assert [t.done_bytes for t in recorder.tallies] == [0, 60, 100, 100, 100, 110, 150]
    assert [t.total for t in recorder.tallies] == [1, 1, 1, 1, 2, 2, 2]


def test_the_rebuild_counts_its_zips_and_relabels_its_own_tallies() -> None:
    from gobuild.diff.reproducible import _Relabelled

    recorder = RecordingReporter()
    rebuild = _Relabelled(recorder, total=2)
    rebuild.finished("orders/arm64", True, "zipped")
    rebuild.finished("payments/arm64", False, "failed", output="boom")
    rebuild.tally("cache downloads", done=0, total=1, unit="object")
    assert [(t.task, t.done, t.total, t.unit) for t in recorder.tallies] == [
        ("check-reproducible", 0, 2, "zip"), ("check-reproducible", 1, 2, "zip"),
        ("check-reproducible", 2, 2, "zip"), ("cache downloads (rebuild)", 0, 1, "object")]
