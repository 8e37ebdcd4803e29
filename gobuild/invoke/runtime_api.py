"""The Lambda Runtime API on 127.0.0.1, served for one local execution environment.

A `bootstrap` talks to it exactly as it talks to Lambda (API version 2018-06-01):

    GET  /2018-06-01/runtime/invocation/next            blocks until an event is queued
    POST /2018-06-01/runtime/invocation/{id}/response   202; 400 InvalidRequestID; 413 over 6 MB
    POST /2018-06-01/runtime/invocation/{id}/error      202; 400 InvalidRequestID
    POST /2018-06-01/runtime/init/error                 202; 403 once init is over

The server decides nothing: each call the runtime makes becomes a `RuntimeEvent` handed to
the owner's callback (stamped with the monotonic time it arrived, so the owner can tell
a response that came after the deadline). The owner queues work with `submit`.
"""

from __future__ import annotations

import base64
import json
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from gobuild.invoke.chunked import DISCARD_LIMIT, BodyError, read_chunked

API_VERSION = "2018-06-01"
# What Lambda accepts from a runtime for one response: 6 MiB + 100 bytes (its error says so).
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
ERROR_BODY_TRAILER = "Lambda-Runtime-Function-Error-Body"
RESPONSE_TOO_LARGE = "Function.ResponseSizeTooLarge"
_JOIN_TIMEOUT = 2.0  # seconds; a connection's thread ends as soon as its socket is shut


@dataclass(frozen=True, kw_only=True)
class Invocation:
    """One event for the runtime, with what Lambda sends alongside it as headers."""

    request_id: str
    payload: bytes
    deadline_ms: int  # Unix time in milliseconds, as Lambda-Runtime-Deadline-Ms
    function_arn: str
    trace_id: str

    def headers(self) -> dict[str, str]:
        """The headers of the /next response that delivers this invocation."""
        return {
            "Lambda-Runtime-Aws-Request-Id": self.request_id,
            "Lambda-Runtime-Deadline-Ms": str(self.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": self.function_arn,
            "Lambda-Runtime-Trace-Id": self.trace_id,
            "Content-Type": "application/json",
        }


@dataclass(frozen=True, kw_only=True)
class NextRequested:
    """The runtime asked for work: init is over, or the previous invocation is complete."""

    at: float


@dataclass(frozen=True, kw_only=True)
class Responded:
    """The runtime posted a response for an invocation."""

    request_id: str
    payload: bytes
    content_type: str
    at: float


@dataclass(frozen=True, kw_only=True)
class InvocationFailed:
    """The runtime posted an error for an invocation (or its response was unacceptable)."""

    request_id: str
    error_type: str  # the Lambda-Runtime-Function-Error-Type header, "" when absent
    payload: bytes
    at: float


@dataclass(frozen=True, kw_only=True)
class InitFailed:
    """The runtime reported that it could not initialise."""

    error_type: str
    payload: bytes
    at: float


RuntimeEvent = NextRequested | Responded | InvocationFailed | InitFailed


def error_document(error_type: str, message: str) -> bytes:
    """The JSON error body Lambda returns: {"errorMessage": ..., "errorType": ...}."""
    return json.dumps({"errorMessage": message, "errorType": error_type}, separators=(",", ":")).encode()


class RuntimeAPI:
    """A Runtime API server for one execution environment, on 127.0.0.1 and a free port.

    Use as a context manager; `address` is what AWS_LAMBDA_RUNTIME_API must hold.
    `on_event` is called from server threads, once per call the runtime makes.
    """

    def __init__(self, on_event: Callable[[RuntimeEvent], None]) -> None:
        self._on_event = on_event
        self._pending: queue.Queue[Invocation | None] = queue.Queue()
        self._open: dict[str, Invocation] = {}
        self._lock = threading.Lock()
        self._initialized = False
        self._closed = False
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = self
        self._thread = threading.Thread(
            # A short poll interval keeps close() (which waits for the loop) quick.
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="runtime-api", daemon=True
        )

    @property
    def address(self) -> str:
        """host:port of the listening socket."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def __enter__(self) -> RuntimeAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, invocation: Invocation) -> None:
        """Queues an event; the runtime's pending or next GET /next receives it."""
        self._pending.put(invocation)

    def close(self) -> None:
        """Stops serving, releases any /next call still waiting, closes every connection and
        waits for the threads that served them: nothing of the server is left once it returns."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._pending.put(None)
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.close_connections()
        self._server.server_close()

    # Called by the handler threads.

    def _next(self) -> Invocation | None:
        with self._lock:
            self._initialized = True
        self._on_event(NextRequested(at=time.monotonic()))
        invocation = self._pending.get()
        if invocation is None:
            self._pending.put(None)  # wake every other waiter too
            return None
        with self._lock:
            self._open[invocation.request_id] = invocation
        return invocation

    def _claim(self, request_id: str) -> bool:
        # An id is answered once: Lambda refuses a second answer as an invalid request id.
        with self._lock:
            return self._open.pop(request_id, None) is not None

    def _init_allowed(self) -> bool:
        with self._lock:
            return not self._initialized

    def _emit(self, event: RuntimeEvent) -> None:
        self._on_event(event)


class _Server(ThreadingHTTPServer):
    """Serves each connection on a thread, and knows them all: close_connections() ends them."""

    # Daemon threads, so that a bug can never keep gobuild from exiting; they are joined on close.
    daemon_threads = True
    api: RuntimeAPI

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self.process_request_thread, args=(request, client_address),
                                  name="runtime-api-connection", daemon=True)
        with self._connections_lock:
            self._connections[request] = thread
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Ends every open connection and waits for the threads serving them to finish.

        Reading ends first, so a thread waiting for a request or a body sees the end at once,
        while one that is answering (a released /next gets its 503) can still finish writing.
        """
        with self._connections_lock:
            open_now = list(self._connections.items())
        for how in (socket.SHUT_RD, socket.SHUT_RDWR):
            for connection, thread in open_now:
                if thread.is_alive():
                    try:
                        connection.shutdown(how)
                    except OSError:
                        pass  # already closed
            deadline = time.monotonic() + _JOIN_TIMEOUT
            for _, thread in open_now:
                thread.join(timeout=max(deadline - time.monotonic(), 0))

    def handle_error(self, request: object, client_address: object) -> None:
        # A runtime killed mid-request leaves a broken connection: expected, and never printed.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # the Go client keeps its connection alive between calls
    # Headers and body go out as separate writes; with Nagle on, the body would wait for the
    # client's delayed ACK (40 ms) on every warm invocation.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        # The core never prints; what matters reaches the owner as events.
        pass

    def do_GET(self) -> None:
        route = self._route()
        if route == ["invocation", "next"]:
            self._discard_body()
            invocation = self.server.api._next()
            if invocation is None:
                self._send_json(503, {"errorType": "ServiceUnavailable", "errorMessage": "shutting down"},
                                close=True)
                return
            self._send(200, invocation.payload, invocation.headers())
            return
        self._discard_body()
        self._send_error(404, "NotFound", f"no route for GET {self.path}")

    def do_POST(self) -> None:
        route = self._route()
        api = self.server.api
        try:
            body, trailers = self._read_body(MAX_RESPONSE_BYTES)
        except BodyError as error:
            # Unless the body was read to its end, the stream is out of step: close it after replying.
            self.close_connection = not error.drained
            if error.too_large and len(route) == 3 and route[0] == "invocation" and route[2] == "response":
                self._response_too_large(route[1])
                return
            self._send_error(413 if error.too_large else 400, "InvalidRequest", str(error),
                             close=self.close_connection)
            return
        now = time.monotonic()
        if len(route) == 3 and route[0] == "invocation" and route[2] in ("response", "error"):
            request_id = route[1]
            if not api._claim(request_id):
                self._send_error(400, "InvalidRequestID", "Invalid request ID")
                return
            event: RuntimeEvent
            if route[2] == "response":
                event = _response_event(request_id, body, self.headers.get("Content-Type", ""), trailers, now)
            else:
                error_type = self.headers.get(ERROR_TYPE_HEADER, "")
                event = InvocationFailed(request_id=request_id, error_type=error_type, payload=body, at=now)
            # Acknowledge first: the owner may stop the runtime as soon as it hears of the event.
            self._acknowledge()
            api._emit(event)
            return
        if route == ["init", "error"]:
            if not api._init_allowed():
                self._send_error(403, "InvalidStateTransition", "init is over: report errors for an invocation")
                return
            self._acknowledge()
            api._emit(InitFailed(error_type=self.headers.get(ERROR_TYPE_HEADER, ""), payload=body, at=now))
            return
        self._send_error(404, "NotFound", f"no route for POST {self.path}")

    def _response_too_large(self, request_id: str) -> None:
        api = self.server.api
        now = time.monotonic()
        claimed = api._claim(request_id)
        try:
            self._send_error(413, "RequestEntityTooLarge",
                             f"Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
                             close=self.close_connection)
        except OSError:
            pass  # the runtime may still be sending, or gone; the invocation's outcome stands
        if claimed:
            message = f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
            api._emit(InvocationFailed(request_id=request_id, error_type=RESPONSE_TOO_LARGE,
                                       payload=error_document(RESPONSE_TOO_LARGE, message), at=now))

    def _acknowledge(self) -> None:
        try:
            self._send_json(202, {"status": "OK"})
        except OSError:
            self.close_connection = True  # the runtime is gone; what it sent still counts

    def _route(self) -> list[str]:
        path = urlsplit(self.path).path
        prefix = f"/{API_VERSION}/runtime/"
        if not path.startswith(prefix):
            return []
        return path[len(prefix):].split("/")

    def _read_body(self, limit: int) -> tuple[bytes, dict[str, str]]:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return read_chunked(self.rfile, limit)
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise BodyError("bad Content-Length") from None
        if length < 0:
            raise BodyError("bad Content-Length")
        if length > limit:
            drained = length <= DISCARD_LIMIT
            for offset in range(0, length if drained else 0, 1 << 20):
                self.rfile.read(min(1 << 20, length - offset))
            raise BodyError(f"body exceeds {limit} bytes", too_large=True, drained=drained)
        body = self.rfile.read(length)
        if len(body) != length:
            raise BodyError("truncated body")
        return body, {}

    def _discard_body(self) -> None:
        try:
            self._read_body(MAX_RESPONSE_BYTES)
        except BodyError:
            self.close_connection = True

    def _send(self, status: int, body: bytes, headers: dict[str, str], *, close: bool = False) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, document: dict[str, str], *, close: bool = False) -> None:
        self._send(status, json.dumps(document).encode(), {"Content-Type": "application/json"}, close=close)

    def _send_error(self, status: int, error_type: str, message: str, *, close: bool = False) -> None:
        self._send_json(status, {"errorType": error_type, "errorMessage": message}, close=close)


def _response_event(
    request_id: str, body: bytes, content_type: str, trailers: dict[str, str], at: float
) -> RuntimeEvent:
    # A runtime whose response stream failed half way says so in trailers: Lambda then
    # reports the error the trailers carry, not the partial body.
    error_type = trailers.get(ERROR_TYPE_HEADER.lower(), "")
    if not error_type:
        return Responded(request_id=request_id, payload=body, content_type=content_type, at=at)
    try:
        payload = base64.b64decode(trailers.get(ERROR_BODY_TRAILER.lower(), ""), validate=True)
    except ValueError:
        payload = b""
    return InvocationFailed(
        request_id=request_id,
        error_type=error_type,
        payload=payload or error_document(error_type, "the response stream failed"),
        at=at,
    )
