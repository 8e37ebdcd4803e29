"""Runs the gobuild CLI in this process with its phases timed, then writes a JSON summary.

    python bench/probe.py SUMMARY.json [--s3] -- build -C DIR ...

Nothing in gobuild is changed: before the CLI starts, this wraps the functions that do each
kind of work (hashing, compression, zip writing, index writes, go list parsing, the shared
cache) and records, per thread, when each call ran and its own CPU time (time spent in a
nested wrapped call of another kind is that kind's). Every child process is timed from
Popen to its reaping, with its CPU from wait4. A function that is not found (renamed) is
listed under "missing". --s3 also counts S3 calls in flight at once, per operation (botocore).

BENCH_LAUNCHED (time.time() when the benchmark started this process) lets the summary
include interpreter start-up. The summary: wall, CPU (own + children), peak RSS, and per
phase the calls, the wall covered by at least one call (union) and the CPU seconds.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

# (module, attribute path, phase)
WRAPPED = (
    ("gobuild.build.fingerprint", "fingerprint", "hashing"),
    ("gobuild.build.fingerprint", "load_key", "hashing"),
    ("gobuild.build.fingerprint", "HashCache._entry", "hashing"),
    ("gobuild.build.fingerprint", "HashCache.listing", "hashing"),
    ("gobuild.build.fingerprint", "HashCache.tree", "hashing"),
    ("gobuild.build.package", "contents_digest", "hashing"),
    ("gobuild.build.golist", "list_inputs", "go:list"),
    ("gobuild.build.package", "zip_bytes", "compression"),
    ("gobuild.build.package", "write_zip", "zip-write"),
    ("gobuild.build.runner", "_write_index", "index"),
    ("gobuild.build.fingerprint", "State.save", "index"),
    ("gobuild.build.record", "record_noop", "index"),
)
CACHE_WRAPPED = (
    ("gobuild.build.cache", "S3Cache.get", "cache"),
    ("gobuild.build.cache", "S3Cache.put", "cache"),
)


def union(intervals: Iterable[tuple[float, float]]) -> float:
    """Total length covered by at least one interval."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


class Recorder:
    """Intervals and CPU per phase, from every thread and child process."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter,
                 cpu_clock: Callable[[], float] = time.thread_time) -> None:
        self.clock, self.cpu_clock = clock, cpu_clock
        self.lock = threading.Lock()
        self.local = threading.local()
        self.intervals: dict[str, list[tuple[float, float]]] = {}
        self.cpu: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.children: dict[int, tuple[str, float]] = {}
        self.missing: list[str] = []
        self.s3_inflight: dict[str, int] = {}
        self.s3_peak: dict[str, int] = {}
        self.s3_calls: dict[str, int] = {}

    def add(self, phase: str, start: float, end: float, cpu: float, *, call: bool) -> None:
        with self.lock:
            self.intervals.setdefault(phase, []).append((start, end))
            self.cpu[phase] = self.cpu.get(phase, 0.0) + cpu
            if call:
                self.calls[phase] = self.calls.get(phase, 0) + 1

    def wrap(self, fn: Callable[..., Any], phase: str) -> Callable[..., Any]:
        recorder = self

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            stack: list[list[Any]] = recorder.local.__dict__.setdefault("stack", [])
            parent = stack[-1] if stack else None
            now, cpu = recorder.clock(), recorder.cpu_clock()
            if parent is not None and parent[0] != phase:  # the parent's own segment ends here
                recorder.add(parent[0], parent[1], now, cpu - parent[2], call=False)
            # go list is counted once per child process, not again for the function that parses it.
            frame = [phase, now, cpu, (parent is None or parent[0] != phase) and not phase.startswith("go:")]
            stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                stack.pop()
                end, cpu_end = recorder.clock(), recorder.cpu_clock()
                recorder.add(phase, frame[1], end, cpu_end - frame[2], call=bool(frame[3]))
                if parent is not None and parent[0] != phase:  # the parent's next segment starts now
                    parent[1], parent[2] = end, cpu_end

        return timed

    def install(self, wrapped: Iterable[tuple[str, str, str]]) -> None:
        """Replaces each function where it is defined and wherever a gobuild module imported it."""
        import importlib

        for module_name, attribute, phase in wrapped:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                self.missing.append(f"{module_name}.{attribute}")
                continue
            owner: Any = module
            *parents, name = attribute.split(".")
            for part in parents:
                owner = getattr(owner, part, None)
            original = getattr(owner, name, None) if owner is not None else None
            if original is None:
                self.missing.append(f"{module_name}.{attribute}")
                continue
            replacement = self.wrap(original, phase)
            setattr(owner, name, replacement)
            if not parents:
                for other in list(sys.modules.values()):
                    if getattr(other, "__name__", "").startswith("gobuild") and getattr(other, name, None) is original:
                        setattr(other, name, replacement)

    def watch_children(self) -> None:
        """Times every child process: from Popen to its reaping, CPU from wait4."""
        recorder = self
        popen_init = subprocess.Popen.__init__

        def init(popen: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
            start = time.perf_counter()
            popen_init(popen, args, *rest, **kwargs)
            argv = [str(a) for a in (args if isinstance(args, (list, tuple)) else [args])]
            tool = os.path.basename(argv[0]) if argv else "?"
            phase = f"go:{argv[1]}" if tool == "go" and len(argv) > 1 else f"child:{tool}"
            with recorder.lock:
                recorder.children[popen.pid] = (phase, start)

        def waitpid(pid: int, options: int) -> tuple[int, int]:
            done, status, usage = os.wait4(pid, options)
            if done:
                with recorder.lock:
                    child = recorder.children.pop(done, None)
                if child is not None:
                    recorder.add(child[0], child[1], time.perf_counter(), usage.ru_utime + usage.ru_stime, call=True)
            return done, status

        subprocess.Popen.__init__ = init  # type: ignore[method-assign]
        os.waitpid = waitpid

    def watch_s3(self) -> None:
        """Counts S3 calls in flight at once, per operation (every client goes through botocore)."""
        from botocore.client import BaseClient

        recorder = self
        make_call = BaseClient._make_api_call

        def call(client: Any, operation: str, params: Any) -> Any:
            with recorder.lock:
                recorder.s3_inflight[operation] = recorder.s3_inflight.get(operation, 0) + 1
                recorder.s3_peak[operation] = max(recorder.s3_peak.get(operation, 0), recorder.s3_inflight[operation])
                recorder.s3_calls[operation] = recorder.s3_calls.get(operation, 0) + 1
            try:
                return make_call(client, operation, params)
            finally:
                with recorder.lock:
                    recorder.s3_inflight[operation] -= 1

        BaseClient._make_api_call = call  # type: ignore[method-assign]

    def summary(self, started: float, ended: float, before_start: float) -> dict[str, Any]:
        """Phases (calls, union wall, CPU), start-up, critical path and idle time, all in seconds;
        `before_start` is the wall time between launch and `started` (interpreter start-up)."""
        phases = {p: {"calls": self.calls.get(p, 0), "union": union(i), "cpu": self.cpu.get(p, 0.0)}
                  for p, i in self.intervals.items()}
        every = [iv for ivs in self.intervals.values() for iv in ivs]
        first = min((s for s, _ in every), default=ended)
        builds = self.intervals.get("go:build", [])
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "wall": before_start + (ended - started),
            "startup": before_start + (first - started),
            "phases": phases,
            "cpu": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
            "idle": max(0.0, (ended - first) - union(every)),
            "before_compile": before_start + ((min(s for s, _ in builds) if builds else ended) - started),
            "compile_span": (max(e for _, e in builds) - min(s for s, _ in builds)) if builds else 0.0,
            "after_compile": (ended - max(e for _, e in builds)) if builds else 0.0,
            "peak_kib": peak_kib(), "missing": self.missing,
            "s3": {op: {"calls": self.s3_calls[op], "peak_in_flight": self.s3_peak[op]} for op in self.s3_calls},
        }


def peak_kib() -> int:
    """VmHWM: this process's own peak RSS (see bench/selfrss.py for why not ru_maxrss)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


if __name__ == "__main__":
    started_wall, started = time.time(), time.perf_counter()
    out_path = sys.argv[1]
    rest = sys.argv[2:]
    s3 = "--s3" in rest[: rest.index("--")] if "--" in rest else False
    gobuild_args = rest[rest.index("--") + 1:] if "--" in rest else rest
    launched_text = os.environ.get("BENCH_LAUNCHED")
    recorder = Recorder()
    recorder.watch_children()
    recorder.install(WRAPPED)
    if s3:
        recorder.install(CACHE_WRAPPED)
        recorder.watch_s3()
    sys.argv = ["gobuild", *gobuild_args]
    code: Any = 0
    try:
        from gobuild.main import main

        main()
    except SystemExit as exit_:
        code = exit_.code
    finally:
        ended = time.perf_counter()
        before_start = max(0.0, started_wall - float(launched_text)) if launched_text else 0.0
        summary = recorder.summary(started, ended, before_start)
        with open(out_path, "w") as handle:
            json.dump(summary, handle)
    sys.exit(code)
