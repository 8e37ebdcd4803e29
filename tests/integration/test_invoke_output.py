"""A function's output is streamed to stderr as it comes, and gobuild's memory stays bounded.

A bootstrap prints 1 GiB in 1 KiB lines inside its handler. gobuild must pass every byte on to
stderr while it runs, keep only the documented tail in its --json result, and never hold more
than a bounded amount: its peak resident memory over its whole life stays under 200 MB.
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from gobuild.invoke.inputs import InvokeTarget, host_arch
from gobuild.invoke.logtail import MAX_LINE_BYTES, TAIL_LINES
from gobuild.invoke.results import InvokeSettings
from gobuild.invoke.session import InvokeSession
from tests.integration.test_invoke_session import run, script_zip

MEMORY_BOUND_KB = 200 * 1024
PRINTER = """
LINE = b"x" * 1023 + b"\\n"
BLOCK = LINE * 1024  # 1 MiB
while True:
    _, headers, event = call("invocation/next")
    request = json.loads(event)
    out = sys.stdout.buffer
    for _ in range(request.get("megabytes", 0)):
        out.write(BLOCK)
    out.write(b"y" * request.get("long_line", 0) + b"\\n")
    out.write(b"last line of the output\\n")
    out.flush()
    call("invocation/" + headers["Lambda-Runtime-Aws-Request-Id"] + "/response", b'"printed"')
"""


# Runs a command as its child and writes the child's peak RSS (ru_maxrss, KB) to a file. Measured
# from pytest itself, wait4 would count pytest's own peak: the kernel carries a parent's high-water
# mark into a child it spawns, and this small process is the parent gobuild inherits it from.
PEAK_OF_CHILD = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
"""


def test_a_gigabyte_of_output_streams_through_bounded_memory(tmp_path: Path) -> None:
    zip_path = script_zip(tmp_path, PRINTER)
    peak_file = tmp_path / "peak-kb"
    proc = subprocess.Popen(
        [sys.executable, "-c", PEAK_OF_CHILD, str(peak_file),
         sys.executable, "-m", "gobuild", "invoke", str(zip_path), "--json", "--timeout", "900",
         "-e", json.dumps({"megabytes": 1024})],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    out: list[bytes] = []
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read() if proc.stdout else b""))
    reader.start()
    total = lines = 0
    tail = b""
    while chunk := proc.stderr.read1(1 << 20):
        total += len(chunk)
        lines += chunk.count(b"\n")
        tail = (tail + chunk)[-8192:]
    proc.wait()
    reader.join()
    assert proc.returncode == 0, tail.decode(errors="replace")
    # Every byte reached the sink: 1 GiB of function output, then the platform lines.
    assert total > 1024**3 and lines > 1024 * 1024
    assert b"\nlast line of the output\nEND RequestId: " in tail
    # The result keeps only the tail, and says so.
    (invocation,) = json.loads(out[0])["invocations"]
    assert invocation["response"] == "printed"
    logs = invocation["logs"]
    assert len(logs) == TAIL_LINES + 1
    assert re.fullmatch(r"\[gobuild\] \d+ earlier log lines \(\d+ characters\) not kept here: .*", logs[0])
    assert logs[-3] == "last line of the output" and logs[-1].startswith("REPORT RequestId: ")
    # Bounded memory over gobuild's whole life (the largest of it, its reaper and the bootstrap).
    assert 0 < int(peak_file.read_text()) < MEMORY_BOUND_KB


def test_a_line_longer_than_the_limit_arrives_in_pieces(tmp_path: Path) -> None:
    zip_path = script_zip(tmp_path, PRINTER)
    length = MAX_LINE_BYTES * 2 + 10
    (result,), lines = run(zip_path, [json.dumps({"long_line": length}).encode()])
    assert result.ok, result.payload
    pieces = [line for line in lines if line.startswith("y")]
    assert [len(piece) for piece in pieces] == [MAX_LINE_BYTES, MAX_LINE_BYTES, 10]
    assert "last line of the output" in result.logs


def test_a_slow_log_sink_still_gets_each_line_in_its_own_invocation(tmp_path: Path) -> None:
    zip_path = script_zip(tmp_path, PRINTER)
    seen: list[str] = []

    def slow_sink(line: str) -> None:  # a terminal or a pipe that takes each line slowly
        time.sleep(0.003)
        seen.append(line)

    settings = InvokeSettings(host_arch=host_arch(platform.machine()), timeout=60)
    target = InvokeTarget(zip_path=zip_path, function_name="fn")
    with InvokeSession(target=target, settings=settings, log_sink=slow_sink) as session:
        # 1,024 lines at 3 ms each: longer than the pump may sit idle, but it never is.
        first, second = session.invoke(b'{"megabytes": 1}'), session.invoke(b"{}")
    assert first.ok and second.ok and not second.cold_start
    end = seen.index(f"END RequestId: {first.request_id}")
    assert seen[end - 1] == "last line of the output"  # before END, not after it
    assert seen.count("x" * 1023) == 1024
    assert "last line of the output" in first.logs and first.logs.index("last line of the output") == len(first.logs) - 3
