"""SIGINT and SIGTERM as exceptions, raised where stopping loses nothing, so cleanup runs on both.

A request already sent is let finish (the request timeout bounds it): abandoned, a create or an
update could still land after the cleanup, where nothing would undo it.  A signal that arrives
during a request is raised when the client next sends or waits to retry, or when the step ends,
whichever comes first; a second signal is raised at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOPPING = (signal.SIGINT, signal.SIGTERM)


class Terminated(BaseException):
    """SIGTERM arrived; a BaseException so that no `except Exception` swallows it."""


class _Deferral:
    """Whether a request is in flight, and the signal that arrived during one."""

    in_request = False
    pending: int | None = None


def _stop(signum: int) -> BaseException:
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _Deferral.in_request and _Deferral.pending is None:
        _Deferral.pending = signum
        return
    raise _stop(signum)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def signals_raise() -> Iterator[None]:
    """Inside, SIGINT raises KeyboardInterrupt and SIGTERM `Terminated`, deferred past a request.

    Signal handlers can only be set from the main thread; elsewhere this does nothing.
    """
    if not _in_main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _on_signal) for sig in STOPPING}
    _Deferral.pending = None
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _Deferral.pending = None


@contextmanager
def request_in_flight() -> Iterator[None]:
    """Inside, a first SIGINT or SIGTERM waits for the block to end (see `raise_pending`)."""
    previous, _Deferral.in_request = _Deferral.in_request, True
    try:
        yield
    finally:
        _Deferral.in_request = previous


def take_pending() -> BaseException | None:
    """The exception for a signal that arrived during a request, once; None if there was none."""
    signum, _Deferral.pending = _Deferral.pending, None
    return None if signum is None else _stop(signum)


def raise_pending() -> None:
    """Raise the exception for a signal that arrived during a request, if one did."""
    stop = take_pending()
    if stop is not None:
        raise stop


@contextmanager
def signals_ignored() -> Iterator[None]:
    """Inside, SIGINT and SIGTERM wait: cleanup must finish, and its requests are time-bounded."""
    if not _in_main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in STOPPING}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
