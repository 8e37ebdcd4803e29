"""The Runtime API server on its own, spoken to over loopback HTTP as a runtime speaks to it."""

from __future__ import annotations

import http.client
import json
import queue
import socket
import threading
from collections.abc import Iterator

import pytest

from gobuild.invoke.runtime_api import (
    MAX_RESPONSE_BYTES,
    InitFailed,
    Invocation,
    InvocationFailed,
    NextRequested,
    Responded,
    RuntimeAPI,
    RuntimeEvent,
)

PREFIX = "/2018-06-01/runtime"


@pytest.fixture()
def api() -> Iterator[tuple[RuntimeAPI, queue.Queue[RuntimeEvent]]]:
    events: queue.Queue[RuntimeEvent] = queue.Queue()
    with RuntimeAPI(events.put) as server:
        yield server, events


def connect(server: RuntimeAPI) -> http.client.HTTPConnection:
    host, port = server.address.split(":")
    assert host == "127.0.0.1"
    return http.client.HTTPConnection(host, int(port), timeout=10)


def request(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn.request(method, PREFIX + path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def invocation(request_id: str = "req-1", payload: bytes = b'{"k": 1}') -> Invocation:
    return Invocation(
        request_id=request_id,
        payload=payload,
        deadline_ms=1_900_000_000_000,
        function_arn="arn:aws:lambda:us-east-1:012345678912:function:f",
        trace_id="Root=1-x",
    )


def next_in_thread(
    server: RuntimeAPI,
) -> tuple[threading.Thread, list[tuple[int, dict[str, str], bytes]]]:
    answers: list[tuple[int, dict[str, str], bytes]] = []
    thread = threading.Thread(
        target=lambda: answers.append(request(connect(server), "GET", "/invocation/next"))
    )
    thread.start()
    return thread, answers


def test_next_blocks_until_an_event_is_queued(
    api: tuple[RuntimeAPI, queue.Queue[RuntimeEvent]],
) -> None:
    server, events = api
    thread, answers = next_in_thread(server)
    # Reported as soon as it is asked, with nothing queued yet.
    assert isinstance(events.get(timeout=5), NextRequested)
    server.submit(invocation())
    thread.join(timeout=5)
    # The answer is the event queued after the call arrived: the long poll waited for it.
    status, headers, body = answers[0]
    assert (status, body) == (200, b'{"k": 1}')
    assert headers["Lambda-Runtime-Aws-Request-Id"] == "req-1"
    assert headers["Lambda-Runtime-Deadline-Ms"] == "1900000000000"
    assert (
        headers["Lambda-Runtime-Invoked-Function-Arn"]
        == "arn:aws:lambda:us-east-1:012345678912:function:f"
    )
    assert headers["Lambda-Runtime-Trace-Id"] == "Root=1-x"
    assert headers["Content-Type"] == "application/json"


def test_a_queued_event_is_delivered_at_once(
    api: tuple[RuntimeAPI, queue.Queue[RuntimeEvent]],
) -> None:
    server, _ = api
    server.submit(invocation("early"))
    status, headers, _ = request(connect(server), "GET", "/invocation/next")
    assert (status, headers["Lambda-Runtime-Aws-Request-Id"]) == (200, "early")


def test_response_error_and_their_refusals_on_one_kept_alive_connection(
    api: tuple[RuntimeAPI, queue.Queue[RuntimeEvent]],
) -> None:
    server, events = api
    server.submit(invocation("a"))
    server.submit(invocation("b"))
    conn = connect(server)
    assert request(conn, "GET", "/invocation/next")[0] == 200
    status, _, body = request(
        conn, "POST", "/invocation/a/response", b'{"ok": true}', {"Content-Type": "text/x"}
    )
    assert (status, json.loads(body)) == (202, {"status": "OK"})
    status, _, body = request(conn, "POST", "/invocation/a/response", b"again")
    assert (status, json.loads(body)["errorType"]) == (400, "InvalidRequestID")
    status, _, _ = request(conn, "POST", "/invocation/b/response", b"not delivered yet")
    assert status == 400
    assert request(conn, "GET", "/invocation/next")[0] == 200
    status, _, _ = request(
        conn,
        "POST",
        "/invocation/b/error",
        b'{"errorType": "E", "errorMessage": "m"}',
        {"Lambda-Runtime-Function-Error-Type": "Function.E"},
    )
    assert status == 202
    seen = [events.get(timeout=5) for _ in range(4)]
    responded = next(e for e in seen if isinstance(e, Responded))
    failed = next(e for e in seen if isinstance(e, InvocationFailed))
    assert (responded.request_id, responded.payload, responded.content_type) == (
        "a",
        b'{"ok": true}',
        "text/x",
    )
    assert (failed.request_id, failed.error_type, failed.payload) == (
        "b",
        "Function.E",
        b'{"errorType": "E", "errorMessage": "m"}',
    )


def test_init_error_is_accepted_only_during_init(
    api: tuple[RuntimeAPI, queue.Queue[RuntimeEvent]],
) -> None:
    server, events = api
    conn = connect(server)
    status, _, _ = request(
        conn,
        "POST",
        "/init/error",
        b'{"errorType": "Runtime.X", "errorMessage": "m"}',
        {"Lambda-Runtime-Function-Error-Type": "Runtime.X"},
    )
    assert status == 202
    event = events.get(timeout=5)
    assert isinstance(event, InitFailed) and event.error_type == "Runtime.X"
    server.submit(invocation())
    assert request(conn, "GET", "/invocation/next")[0] == 200
    status, _, body = request(conn, "POST", "/init/error", b"{}")
    assert (status, json.loads(body)["errorType"]) == (403, "InvalidStateTransition")


def test_a_chunked_post_with_trailers_as_go_sends_it(
    api: tuple[RuntimeAPI, queue.Queue[RuntimeEvent]],
) -> None:
    server, events = api
    server.submit(invocation("c"))
    conn = connect(server)
    assert request(conn, "GET", "/invocation/next")[0] == 200
    host, port = server.address.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(
            f"POST {PREFIX}/invocation/c/response HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            "Trailer: Lambda-Runtime-Function-Error-Type\r\nContent-Type: application/json\r\n\r\n"
            '4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n'.encode()
        )
        reply = raw.recv(4096)
    assert reply.startswith(b"HTTP/1.1 202 ")
    events.get(timeout=5)  # the /next
    event = events.get(timeout=5)
    assert isinstance(event, Responded) and event.payload == b'{"a":1}'


def test_an_oversized_response_is_refused_and_reported(
    api: tuple[RuntimeAPI, queue.Queue[RuntimeEvent]],
) -> None:
    server, events = api
    server.submit(invocation("big"))
    conn = connect(server)
    assert request(conn, "GET", "/invocation/next")[0] == 200
    status, _, body = request(
        conn, "POST", "/invocation/big/response", b"x" * (MAX_RESPONSE_BYTES + 1)
    )
    assert (status, json.loads(body)["errorType"]) == (413, "RequestEntityTooLarge")
    events.get(timeout=5)
    event = events.get(timeout=5)
    assert (
        isinstance(event, InvocationFailed) and event.error_type == "Function.ResponseSizeTooLarge"
    )
    # The body was read to its end, so the kept-alive connection still works.
    assert request(conn, "POST", "/invocation/big/response", b"late")[0] == 400


def test_exactly_the_limit_is_accepted(api: tuple[RuntimeAPI, queue.Queue[RuntimeEvent]]) -> None:
    server, _ = api
    server.submit(invocation("edge"))
    conn = connect(server)
    assert request(conn, "GET", "/invocation/next")[0] == 200
    assert request(conn, "POST", "/invocation/edge/response", b"x" * MAX_RESPONSE_BYTES)[0] == 202


def test_unknown_routes_are_404(api: tuple[RuntimeAPI, queue.Queue[RuntimeEvent]]) -> None:
    server, _ = api
    conn = connect(server)
    assert request(conn, "GET", "/invocation/abc/response")[0] == 404
    assert request(conn, "POST", "/restore/next", b"")[0] == 404
    conn.request("GET", "/2020-01-01/extension/event/next")
    assert conn.getresponse().status == 404


def test_close_releases_a_waiting_next(api: tuple[RuntimeAPI, queue.Queue[RuntimeEvent]]) -> None:
    server, events = api
    thread, answers = next_in_thread(server)
    events.get(timeout=5)
    server.close()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert answers[0][0] == 503
