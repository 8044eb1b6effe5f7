"""File writes that are all or nothing: a recording staged beside its place, then moved in whole.

A recording is written by `Staging`: every new file is written and fsynced beside its final place
(in a hidden staging folder on the same file system), then moved in by renames, `manifest.json`
last.  The caller holds signals (`harness.signals.signals_held`) while it writes: `Staging` takes a
pending signal only between files, never while it moves files into place, so a signal leaves the
destination holding the old recording or the new one, whole, and no staging folder behind.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Collection, Iterable
from pathlib import Path

from harness.cassettes import MANIFEST_NAME
from harness.errors import ConfigError, InputError
from harness.inputs import chunks, opened_regular
from harness.signals import raise_pending

# Hidden names harness gives its own short-lived entries; a later writer holding the lock may
# remove any it finds (they belong to a run that was killed).
STAGING_MARK = ".harness-staging-"
_NAME_MAX = 255


def sidecar(name: str, mark: str) -> str:
    """A hidden name for an entry beside `name`, within the file system's 255-byte limit."""
    full = f".{name}{mark}"
    if len(os.fsencode(full)) + 8 <= _NAME_MAX:  # room for mkdtemp's random suffix
        return full
    return f".{hashlib.sha256(os.fsencode(name)).hexdigest()[:16]}{mark}"


def write_error(path: Path, exc: OSError, *, kept: str) -> ConfigError:
    """What a failed write means for the user, with what was kept; disk full, read-only and so on."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ConfigError(
            f"no space left on the disk to write {path}; {kept}",
            hint="free some space, or choose a folder on another disk",
        )
    if exc.errno == errno.EROFS:
        return ConfigError(
            f"cannot write {path}: the file system is read-only; {kept}",
            hint="choose a folder on a writable disk",
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ConfigError(
            f"cannot write {path}: permission denied; {kept}", hint="choose a folder you may write to"
        )
    if exc.errno == errno.ENAMETOOLONG:
        return ConfigError(
            f"cannot write {path}: a name is too long; {kept}",
            hint="use names of at most 255 bytes, in a shorter path",
        )
    return ConfigError(
        f"cannot write {path} ({exc.strerror}); {kept}", hint="check the folder and the disk, then run again"
    )


class Staging:
    """New files for `target`, written aside and then moved into place together.

    `replaced` are the files of the recording at `target` now (manifest.json and its cassettes):
    all of them make way for the new files; anything else in `target` stays.  An absent `target`
    is staged as a sibling folder and renamed into place in one step.
    """

    def __init__(self, target: Path, *, exists: bool, replaced: Collection[str]) -> None:
        self.target = target
        self.exists = exists
        self.replaced = sorted(replaced)
        self.names: list[str] = []
        self.committed = False
        self.folder: Path | None = None

    def __enter__(self) -> Staging:
        where, prefix = (
            (self.target, STAGING_MARK)
            if self.exists
            else (self.target.parent, sidecar(self.target.name, STAGING_MARK))
        )
        try:
            self.folder = Path(tempfile.mkdtemp(prefix=prefix, dir=where))
        except OSError as exc:
            raise self._error(exc) from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _error(self, exc: OSError) -> ConfigError:
        kept = "the previous recording was left untouched" if self.replaced else "nothing was written"
        return write_error(self.target, exc, kept=kept)

    def _open(self, name: str) -> int:
        assert self.folder is not None, "Staging is used as a context manager"
        if Path(name).name != name or name.startswith(STAGING_MARK):
            raise InputError(f"{name!r} is not a plain file name")
        descriptor = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        self.names.append(name)
        return descriptor

    def write(self, name: str, data: str | bytes) -> None:
        """Stage file `name` holding `data` (text as UTF-8), on disk before anything moves."""
        self._stage(name, [data.encode("utf-8") if isinstance(data, str) else data])

    def copy(self, name: str, source: Path, *, limit: int, hint: str) -> None:
        """Stage file `name` as an exact copy of the regular file `source`, at most `limit` bytes."""
        with opened_regular(source, hint=hint, follow=False) as reading:
            self._stage(name, chunks(reading, source, limit=limit, hint=hint))

    def _stage(self, name: str, parts: Iterable[bytes]) -> None:
        """Write `parts` to the staged file `name` and fsync it, taking a pending signal between parts."""
        raise_pending()
        try:
            descriptor = self._open(name)
            try:
                for part in parts:
                    raise_pending()
                    view = memoryview(part)
                    while view:
                        view = view[os.write(descriptor, view) :]
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except OSError as exc:
            raise self._error(exc) from None

    def commit(self) -> None:
        """Move the staged files into place, manifest.json last; no signal is taken in between.

        If a rename fails (a disk error), the files already moved go back, so `target` keeps the
        old recording.
        """
        raise_pending()
        assert self.folder is not None, "Staging is used as a context manager"
        try:
            _fsync_folder(self.folder)
            if not self.exists:
                os.rename(self.folder, self.target)
                self.folder = None
                _fsync_folder(self.target.parent)
            else:
                self._swap_files(self.folder)
                _fsync_folder(self.target)
        except OSError as exc:
            raise self._error(exc) from None
        self.committed = True

    def _swap_files(self, folder: Path) -> None:
        retired = folder / ".old"
        os.mkdir(retired)
        moves: list[tuple[Path, Path]] = []
        new = sorted(self.names, key=lambda name: name == MANIFEST_NAME)
        try:
            for name in self.replaced:
                _move(self.target / name, retired / name, moves)
            for name in new:
                _move(folder / name, self.target / name, moves)
        except OSError:
            for origin, moved in reversed(moves):
                os.rename(moved, origin)
            raise


def _move(origin: Path, destination: Path, moves: list[tuple[Path, Path]]) -> None:
    os.rename(origin, destination)
    moves.append((origin, destination))


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_file(target: Path, text: str) -> None:
    """Write `target` whole or not at all: a temporary file beside it, then an atomic rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=sidecar(target.name, "."), dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
