"""The HTTP side of the server: a keep-alive request handler and the registry of live connections.

werkzeug's own handler sends `Connection: close` on every answer and then drains the socket,
which would swallow a keep-alive client's next request; this handler reads each request body
in full, answers with a Content-Length and keeps HTTP/1.1 connections open.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import socket
import threading
from typing import Any

from werkzeug.serving import WSGIRequestHandler

from harness.sandbox.app import DropConnection

MAX_BODY = 10 * 1024 * 1024
JSON = "application/json; charset=utf-8"
SERVER_ERROR = json.dumps(
    {
        "error": {
            "message": "An internal error has occurred. PagerDuty team has been notified.",
            "code": 2000,
        }
    }
).encode()
JOIN_SECONDS = 5.0

log = logging.getLogger(__name__)


class Connections:
    """The open client connections and the threads serving them."""

    def __init__(self, stopping: threading.Event) -> None:
        self.stopping = stopping
        self._lock = threading.Lock()
        self._open: dict[socket.socket, threading.Thread] = {}

    def add(self, connection: socket.socket) -> None:
        """Register the calling thread's connection; refuse it at once if stopping."""
        with self._lock:
            self._open[connection] = threading.current_thread()
        if self.stopping.is_set():
            _shut(connection)

    def discard(self, connection: socket.socket) -> None:
        """Forget a connection whose handler is done."""
        with self._lock:
            self._open.pop(connection, None)

    def close_all(self) -> None:
        """Shut every open connection down and wait for the threads serving them."""
        with self._lock:
            current = list(self._open.items())
        for connection, _ in current:
            _shut(connection)
        for _, thread in current:
            if thread is not threading.current_thread():
                thread.join(JOIN_SECONDS)


def _shut(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer
        connection.shutdown(socket.SHUT_RDWR)


class KeepAliveHandler(WSGIRequestHandler):
    """Serves one connection, request after request, without werkzeug's request logging."""

    protocol_version = "HTTP/1.1"
    connections: Connections

    def setup(self) -> None:
        """Register the connection so stopping the sandbox can end it."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connections.add(self.connection)

    def finish(self) -> None:
        """Unregister the connection."""
        try:
            super().finish()
        finally:
            self.connections.discard(self.connection)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Do not log each request: the sandbox is silent."""

    def log(self, type: str, message: str, *args: Any) -> None:
        """Send werkzeug's messages (malformed requests and the like) to debug logging."""
        log.debug(message, *args)

    def run_wsgi(self) -> None:
        """Answer one request with a Content-Length, or drop the connection when asked to."""
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.make_environ()
        body = self._read_body(environ)
        if body is None:
            self._answer("413 Request Entity Too Large", [], b"", close=True)
            return
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        started: list[Any] = []
        written: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers]
            return written.append  # WSGI's write(): buffered too, to send one Content-Length

        try:
            chunks = self.server.app(environ, start_response)
            try:
                payload = b"".join([*written, *chunks])
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except (DropConnection, ConnectionError):
            self.close_connection = True
            _shut(self.connection)
            return
        except Exception:  # a failure in the app must neither print nor leave the client hanging
            log.exception("The sandbox failed on %s %s", self.command, self.path)
            self._answer("500 Internal Server Error", [("Content-Type", JSON)], SERVER_ERROR, close=True)
            return
        status, headers = started
        self._answer(status, headers, payload, close=False)

    def _read_body(self, environ: dict[str, Any]) -> bytes | None:
        """Read the whole request body so the next request on the connection starts cleanly."""
        stream = environ["wsgi.input"]
        if environ.get("wsgi.input_terminated"):  # chunked
            data: bytes = stream.read(MAX_BODY + 1)
            return None if len(data) > MAX_BODY else data
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if length > MAX_BODY or length < 0:
            return None
        return stream.read(length) if length else b""

    def _answer(self, status: str, headers: list[tuple[str, str]], payload: bytes, *, close: bool) -> None:
        """Write status line, headers and body in one send, so Nagle never delays the body."""
        code = int(status.split(" ", 1)[0])
        lines = [
            f"{self.protocol_version} {status}",
            f"Server: {self.version_string()}",
            f"Date: {self.date_time_string()}",
            *(f"{name}: {value}" for name, value in headers if name.lower() != "content-length"),
        ]
        if code not in (204, 304):
            lines.append(f"Content-Length: {len(payload)}")
        if close:
            lines.append("Connection: close")
            self.close_connection = True
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head if self.command == "HEAD" else head + payload)


def handler_for(connections: Connections) -> type[KeepAliveHandler]:
    """Return a handler class bound to one sandbox's connection registry."""
    return type("SandboxHandler", (KeepAliveHandler,), {"connections": connections})
