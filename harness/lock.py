"""One harness writer at a time per folder: an flock on `.<name>.lock` beside it, naming the holder.

The lock file holds `pid N: harness record` while held and is removed on release; a run that was
killed leaves a file but no lock (the kernel drops an flock with its process), so it never blocks.
A second writer is refused at once, never made to wait, with the holder's pid and command.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from harness.errors import ConfigError
from harness.fsutil import sidecar, write_error


@contextlib.contextmanager
def reading(path: Path, *, command: str) -> Iterator[None]:
    """Keep other harness writers out of `path` while it is read (accept reading a recording).

    A recording being re-recorded is refused; where no lock can be made (a read-only source),
    the read goes ahead without one.
    """
    try:
        descriptor = _acquire(path.parent / sidecar(path.name, ".lock"), path, command)
    except Busy:
        raise
    except ConfigError:
        yield
        return
    try:
        yield
    finally:
        _release(path.parent / sidecar(path.name, ".lock"), descriptor)


class Busy(ConfigError):
    """Another harness holds the lock."""


@contextlib.contextmanager
def locked(path: Path, *, command: str) -> Iterator[None]:
    """One writer at a time: an flock on `.<name>.lock` beside `path`, naming its holder."""
    lock = path.parent / sidecar(path.name, ".lock")
    descriptor = _acquire(lock, path, command)
    try:
        yield
    finally:
        _release(lock, descriptor)


def _release(lock: Path, descriptor: int) -> None:
    # Unlink before unlocking: a writer that opened this file meanwhile finds it gone, retries.
    with contextlib.suppress(OSError):
        if os.stat(lock).st_ino == os.fstat(descriptor).st_ino:
            os.unlink(lock)
    os.close(descriptor)


def _acquire(lock: Path, path: Path, command: str) -> int:
    for _attempt in range(100):
        try:
            descriptor = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise write_error(path, exc, kept="nothing was written") from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.read(descriptor, 200).decode("utf-8", "replace").strip() or "pid unknown"
            os.close(descriptor)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise write_error(path, exc, kept="nothing was written") from None
            raise Busy(
                f"{path} is being written by another harness ({holder})",
                hint="wait for it to finish, then run this again",
            ) from None
        try:
            if os.stat(lock).st_ino == os.fstat(descriptor).st_ino:
                os.ftruncate(descriptor, 0)
                os.write(descriptor, f"pid {os.getpid()}: {command}\n".encode())
                return descriptor
        except FileNotFoundError:
            pass  # the holder released it between our open and our lock: take the new file
        except OSError as exc:
            os.close(descriptor)
            raise write_error(path, exc, kept="nothing was written") from None
        os.close(descriptor)
    raise ConfigError(
        f"{path}: its lock {lock} keeps changing hands",
        hint="wait for the other harness to finish, then run this again",
    )
