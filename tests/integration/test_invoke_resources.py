"""A session gives back everything it took, on every path: threads, sockets, pipes, the task
root's lock, child processes, and the task root itself.

Each case runs an InvokeSession in this process and compares what the process holds (its
threads, its open file descriptors in /proc/self/fd, its children) before and after.
"""

from __future__ import annotations

import http.client
import os
import platform
import queue
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import gobuild.invoke.session
from gobuild.build.package import ZipEntry, write_zip
from gobuild.errors import InvokeError
from gobuild.invoke.inputs import InvokeTarget, host_arch
from gobuild.invoke.results import Interrupted, InvokeSettings
from gobuild.invoke.rootdir import PREFIX
from gobuild.invoke.runtime_api import NextRequested, RuntimeAPI
from gobuild.invoke.session import InvokeSession
from tests.integration.test_invoke_session import script_zip

HANDLER = """
while True:
    _, headers, event = call("invocation/next")
    rid = headers["Lambda-Runtime-Aws-Request-Id"]
    what = json.loads(event)
    if what == "crash":
        sys.exit(3)
    if what == "hang":
        log("hanging")
        time.sleep(600)
    call("invocation/" + rid + "/response", b'"ok"')
"""


def held() -> tuple[set[str], set[str], set[int]]:
    """This process's open descriptors (number → what), thread names, and child processes."""
    fds = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds.add(f"{fd} {os.readlink(f'/proc/self/fd/{fd}')}")
        except OSError:
            pass  # the descriptor listdir itself used
    children = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == os.getpid():
                children.add(int(entry))
    return fds, {t.name for t in threading.enumerate()}, children


@pytest.fixture()
def accounting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private TMPDIR; afterwards, the test must have left nothing behind."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    before = held()
    yield temp
    fds, threads, children = held()
    assert fds - before[0] == set()
    assert threads - before[1] == set()
    assert children - before[2] == set()
    assert list(temp.iterdir()) == []


def session_for(zip_path: Path, *, timeout: float = 5.0, sink: Callable[[str], None] | None = None) -> InvokeSession:
    settings = InvokeSettings(host_arch=host_arch(platform.machine()), timeout=timeout)
    target = InvokeTarget(zip_path=zip_path, function_name="fn")
    return InvokeSession(target=target, settings=settings, log_sink=sink or (lambda line: None))


@pytest.mark.parametrize(
    ("events", "outcomes"),
    [
        ([b'"answer"', b'"answer"'], [None, None]),
        ([b'"crash"', b'"answer"'], ["Runtime.ExitError", None]),
        ([b'"hang"'], ["Sandbox.Timedout"]),
    ],
    ids=["warm", "crash-then-cold", "timeout"],
)
def test_every_outcome_gives_everything_back(
    tmp_path: Path, accounting: Path, events: list[bytes], outcomes: list[str | None]
) -> None:
    zip_path = script_zip(tmp_path, HANDLER)
    with session_for(zip_path, timeout=1.0) as session:
        assert [session.invoke(event).error_type for event in events] == outcomes


def test_an_invalid_entrypoint_gives_everything_back(tmp_path: Path, accounting: Path) -> None:
    zip_path = write_zip(tmp_path / "x.zip", [ZipEntry(name="bootstrap", data=b"\0\0\0\0", mode=0o755)]).path
    with session_for(zip_path) as session:
        assert session.invoke(b"{}").error_type == "Runtime.InvalidEntrypoint"


def test_an_interrupt_while_the_function_runs_gives_everything_back(tmp_path: Path, accounting: Path) -> None:
    sessions: list[InvokeSession] = []

    def sink(line: str) -> None:
        if line == "hanging":  # the handler is running: the moment to interrupt
            sessions[0].interrupt()

    zip_path = script_zip(tmp_path, HANDLER)
    with pytest.raises(Interrupted), session_for(zip_path, timeout=600, sink=sink) as session:
        sessions.append(session)
        session.invoke(b'"hang"')


def test_an_interrupt_while_unpacking_removes_the_task_root(
    tmp_path: Path, accounting: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions: list[InvokeSession] = []
    unpack = gobuild.invoke.session.unpack_zip

    def unpack_then_interrupt(zip_path: Path, dest: Path) -> None:
        unpack(zip_path, dest)
        assert (dest / "bootstrap").is_file()
        sessions[0].interrupt()

    monkeypatch.setattr(gobuild.invoke.session, "unpack_zip", unpack_then_interrupt)
    session = session_for(script_zip(tmp_path, HANDLER))
    sessions.append(session)
    with pytest.raises(Interrupted), session:
        pass


@pytest.mark.parametrize("failure", [KeyboardInterrupt, InvokeError])
def test_an_exception_while_unpacking_removes_the_task_root(
    tmp_path: Path, accounting: Path, monkeypatch: pytest.MonkeyPatch, failure: type[BaseException]
) -> None:
    unpack = gobuild.invoke.session.unpack_zip

    def unpack_then_fail(zip_path: Path, dest: Path) -> None:
        unpack(zip_path, dest)  # the files are there when it fails
        raise failure("injected while unpacking")

    monkeypatch.setattr(gobuild.invoke.session, "unpack_zip", unpack_then_fail)
    with pytest.raises(failure), session_for(script_zip(tmp_path, HANDLER)):
        pass


def test_a_leftover_task_root_of_a_killed_run_is_removed_and_a_held_one_is_not(
    tmp_path: Path, accounting: Path
) -> None:
    # A leftover as a killed run leaves it: unlocked, with read-only folders the function made.
    leftover = accounting / f"{PREFIX}killed"
    (leftover / "data" / "sealed").mkdir(parents=True)
    (leftover / "data" / "sealed" / "file").write_text("x")
    (leftover / "data").chmod(0o500)
    with session_for(script_zip(tmp_path, HANDLER)) as first:
        assert not leftover.exists()
        # A second session beside a running one leaves the running one's task root alone.
        with session_for(script_zip(tmp_path, HANDLER)) as second:
            assert first.task_root.is_dir() and second.task_root.is_dir()
            assert second.invoke(b'"answer"').ok
        assert first.invoke(b'"answer"').ok


def socket_fds() -> set[int]:
    return {int(number) for number, _, what in (fd.partition(" ") for fd in held()[0]) if what.startswith("socket:")}


def test_the_runtime_api_closes_every_connection_and_thread(accounting: Path) -> None:
    threads_before, sockets_before = {t.name for t in threading.enumerate()}, socket_fds()
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    server = RuntimeAPI(events.put).__enter__()
    host, port = server.address.split(":")
    kept = http.client.HTTPConnection(host, int(port), timeout=10)
    kept.request("GET", "/2018-06-01/runtime/nowhere")
    assert kept.getresponse().read()  # the connection is served; its thread waits for more
    assert kept.sock is not None
    kept.sock.sendall(b"POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nContent-Length: 100\r\n\r\nab")
    polling = socket.create_connection((host, int(port)), timeout=10)
    polling.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
    assert isinstance(events.get(timeout=10), NextRequested)  # the long poll is being held
    server.close()
    # Nothing of the server is left, though neither client hung up: its sockets and threads are gone.
    assert {t.name for t in threading.enumerate()} - threads_before == set()
    assert socket_fds() - sockets_before == {kept.sock.fileno(), polling.fileno()}
    assert polling.recv(4096).startswith(b"HTTP/1.1 503 ")  # the poll was answered: shutting down
    kept.close()
    polling.close()


def test_a_temp_folder_that_cannot_hold_a_task_root_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(not_a_folder))
    with pytest.raises(InvokeError, match=f"^cannot make a task root in {not_a_folder}: Not a directory$"), \
            session_for(script_zip(tmp_path, HANDLER)):
        pass
