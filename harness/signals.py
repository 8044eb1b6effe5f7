"""SIGINT, SIGTERM and SIGHUP as exceptions, raised where stopping loses nothing, so cleanup runs.

A request already sent is let finish (the request timeout bounds it): abandoned, a create or an
update could still land after the cleanup, where nothing would undo it.  A signal that arrives
during a request is raised when the client next sends or waits to retry, or when the step ends,
whichever comes first; a second signal is raised at once.

Writes to disk hold every signal (`signals_held`) and take it only at checkpoints between files,
so that a recording is never left half-swapped and no temporary file outlives the run.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

# SIGHUP is what closing the terminal sends: it deserves the same cleanup as Ctrl-C.
STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Terminated(BaseException):
    """SIGTERM (or SIGHUP) arrived; a BaseException so that no `except Exception` swallows it."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_code_for(stop: BaseException) -> int:
    """The shell's exit code for a run a signal stopped: 128 plus the signal's number."""
    return 128 + (stop.signum if isinstance(stop, Terminated) else signal.SIGINT)


class _Deferral:
    """Whether a request is in flight, and the signal that arrived during one."""

    in_request = False
    pending: int | None = None


def _stop(signum: int) -> BaseException:
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)


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
    # A signal an enclosing `signals_held` noted is kept: the first check inside raises it.
    previous = {sig: signal.signal(sig, _on_signal) for sig in STOPPING}
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


def _hold(signum: int, frame: FrameType | None) -> None:
    if _Deferral.pending is None:
        _Deferral.pending = signum


@contextmanager
def signals_held() -> Iterator[None]:
    """Inside, a stopping signal is only noted; `raise_pending()` raises it where stopping is safe.

    A signal still noted when the block ends is raised then, after the old handlers are back, in
    place of any exception leaving the block: the run stops the way the user asked.  Nested blocks
    share the note.  Handlers can only be set from the main thread; elsewhere this does nothing.
    """
    if not _in_main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _hold) for sig in STOPPING}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if previous[signal.SIGINT] is not _hold:
            raise_pending()


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
