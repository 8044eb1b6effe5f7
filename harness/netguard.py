"""A guard that makes any outgoing connection fail while replay runs, and counts the attempts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class NetworkBlocked(OSError):
    """Raised instead of connecting: replay must be served entirely from cassettes."""


class _Guard:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.attempts = 0
        self.original: Any = None


GUARD = _Guard()


def _refuse(sock: socket.socket, address: Any, *args: Any) -> Any:
    with GUARD.lock:
        GUARD.attempts += 1
    raise NetworkBlocked(f"replay tried to connect to {address!r}; the network is blocked")


@contextmanager
def network_blocked() -> Iterator[_Guard]:
    """Inside, `socket.connect` raises `NetworkBlocked`; nesting is allowed."""
    with GUARD.lock:
        if GUARD.depth == 0:
            GUARD.original = (socket.socket.connect, socket.socket.connect_ex)
            socket.socket.connect = _refuse  # type: ignore[method-assign,assignment]
            socket.socket.connect_ex = _refuse  # type: ignore[method-assign,assignment]
        GUARD.depth += 1
    try:
        yield GUARD
    finally:
        with GUARD.lock:
            GUARD.depth -= 1
            if GUARD.depth == 0:
                socket.socket.connect, socket.socket.connect_ex = GUARD.original  # type: ignore[method-assign]
