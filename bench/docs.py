"""docs/performance.md from one benchmark run: how to read the tables, then the tables.

    python bench/run.py --docs docs/performance.md            # run everything, write the page
    python bench/run.py --load results.json --docs docs/performance.md   # from a saved run
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench import report
from bench.report import Section, Target

INTRO = """# Performance

Every figure on this page comes from one run of the benchmark on the machine named below
(`make bench`, or `python bench/run.py`; `python bench/run.py --docs docs/performance.md` writes
this page). Each table compares runs measured in that same run, so a figure is always read
against a baseline that saw the same machine and the same load.

## How to read the tables

- **floor**: one grouped `go build -o DIR/ ./cmd/...` per architecture, with the same flags
  gobuild uses (`-trimpath -buildvcs=false -tags=lambda.norpc -ldflags="-s -w"`). It is the
  least work Go can do to produce the binaries, and it makes no zips.
- **limit**: (compile CPU + compression CPU) ÷ cores. Compile CPU is the floor's user + system
  time, its compiler and linker processes included; compression CPU is gobuild's own zip
  writer run on the floor's very binaries. A tool that compiles with Go and compresses every
  binary cannot finish sooner on these cores, so `× limit` tells how much of the machine it
  leaves idle or spends on other work. For a change, the limit uses a warm `go build` after
  the same change and the binaries that change made different.
- **CPU s**: user + system seconds of the tool and every process it started.
- **own MB**: the peak resident memory of the tool's own process (`bench/selfrss.py` or
  `bench/probe.py` read it from inside gobuild, so Go's compiler processes do not count);
  **tree MB**: the largest sum over the tool and its children, sampled every 0.25 s.
- **where gobuild's time went**: `bench/probe.py` runs gobuild in-process with its phases timed
  (nothing in gobuild is changed for it). *wall s* is how long at least one call of a phase was
  running; phases overlap, so they do not add up. *scheduling (estimated)* is the wall time
  during which none of the timed phases ran: waiting for a worker or a core, hand-offs between
  threads, and the small steps that are not timed (planning, reporting).
- **correctness**: after each edit, a clean grouped `go build` of the whole fleet says which
  binaries should change (their SHA-256 differs from the previous state's); a `go` shim first
  on each tool's PATH logs every `go build` the tool starts. "rebuilt 27/27 that changed, 0
  needlessly" means every binary that should change was rebuilt and now equals the clean
  build's, and no other target was built.
- Timings on a shared machine move with its load; the load average is shown for every section.

## Results
"""


def page(sections: Sequence[Section], targets: Sequence[Target], preamble: Sequence[str]) -> str:
    """The whole page: the fixed introduction, then the run's tables as Markdown."""
    tables = report.markdown(sections, targets, preamble)
    return INTRO + "\n" + tables.replace("#### ", "### ") + "\n"


def write(path: Path, sections: Sequence[Section], targets: Sequence[Target], preamble: Sequence[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(sections, targets, preamble))
