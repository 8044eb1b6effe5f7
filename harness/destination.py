"""Where a recording may be written, and one writer at a time there.

`harness record --out DIR` and `harness accept` (into `cassettes/`) replace files only in a folder
that is absent, empty, or a harness recording: its `manifest.json` in the harness format and only
the files that format writes (the manifest and the cassettes it lists).  Accept's `cassettes/` may
also hold a team's own files, which stay.  Whatever else a path is, it is refused before any work:
a file, a device, a FIFO, a symbolic link, `/`, the home folder, the working folder or a folder
holding either, a project folder (one holding `.git` or `pyproject.toml`), a folder with foreign
files.  There is no override: a user who means it empties the folder or picks another.

`claimed` takes the destination for one writer (see `harness.lock`), checks it again, sweeps
staging folders a killed run left, and probes that the folder can be written, so that a read-only
disk or a bad name stops the run before it starts.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.cassettes import FORMAT_NAME, MANIFEST_NAME
from harness.errors import ConfigError, InputError
from harness.fsutil import STAGING_MARK, sidecar, write_error
from harness.inputs import file_kind, parse_json, read_bytes
from harness.lock import locked
from harness.signals import signals_held

# A recording is a few hundred kilobytes; less free space than this will not hold one.
MIN_FREE_BYTES = 4 * 1024 * 1024
_NAME_MAX = 255
_MANIFEST_LIMIT = 16 * 1024 * 1024
_PROJECT_MARKERS = (".git", "pyproject.toml")


@dataclass(frozen=True)
class Purpose:
    """Who writes a destination: the command the lock names, and what the folder may hold."""

    command: str
    keeps_others: bool
    hint: str


RECORD = Purpose(
    command="harness record",
    keeps_others=False,
    hint="choose an empty or new folder for --out, e.g. --out recordings/latest",
)
ACCEPT = Purpose(
    command="harness accept",
    keeps_others=True,
    hint="run harness accept where cassettes/ is a plain folder of yours, or absent",
)


@dataclass(frozen=True)
class Destination:
    """A folder checked fit to take a recording, and which of its files are the recording's."""

    path: Path
    purpose: Purpose
    exists: bool
    owned: frozenset[str]
    others: frozenset[str]

    def refuse_clashes(self, names: list[str]) -> None:
        """Refuse to write a file over one of the team's that the current recording does not list."""
        clash = sorted(set(names) & self.others)
        if clash:
            raise ConfigError(
                f"{self.path / clash[0]} is not part of the recording there "
                f"(its {MANIFEST_NAME} does not list it), and the new recording would replace it",
                hint="move that file aside, then run this again",
            )

    def require_space(self, needed: int) -> None:
        """Refuse to start when the disk holding the destination has less than `needed` bytes free."""
        folder = self.path if self.exists else _existing_ancestor(self.path)
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            return  # a file system that cannot say; the write reports it if space runs out
        if free < needed:
            raise ConfigError(
                f"no space left on the disk to write {self.path} "
                f"({free // 1024} kB free, {needed // 1024} kB needed)",
                hint="free some space, or choose a folder on another disk",
            )


def check_destination(path: Path, *, purpose: Purpose) -> Destination:
    """`path` as a destination for `purpose`, or a `ConfigError` saying why it cannot be one."""
    _check_names(path, purpose)
    _refuse_precious(path, purpose)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        _check_parent(path, purpose)
        return Destination(path=path, purpose=purpose, exists=False, owned=frozenset(), others=frozenset())
    except OSError as exc:
        raise ConfigError(f"{path} cannot be used ({exc.strerror})", hint=purpose.hint) from None
    if not stat.S_ISDIR(mode):
        what = file_kind(mode)
        tail = "; harness writes only into a real folder" if stat.S_ISLNK(mode) else ", not a folder"
        raise ConfigError(f"{path} is {what or 'a file'}{tail}", hint=purpose.hint)
    try:
        entries = {name for name in os.listdir(path) if not name.startswith(STAGING_MARK)}
        owned = _recording_files(path, entries, purpose)
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read ({exc.strerror})", hint=purpose.hint) from None
    others = frozenset(entries - owned)
    if others and not purpose.keeps_others:
        # Name a visible file first: that is the one the user will recognise.
        example = min(others, key=lambda name: (name.startswith("."), name))
        raise ConfigError(
            f"{path} holds files that are not part of a harness recording (e.g. {example})",
            hint=f"{purpose.hint}; harness never replaces a folder holding other files",
        )
    return Destination(path=path, purpose=purpose, exists=True, owned=owned, others=others)


@contextlib.contextmanager
def claimed(path: Path, *, purpose: Purpose) -> Iterator[Destination]:
    """`path` checked, locked for this writer and probed writable, signals held until checkpoints.

    Inside, SIGINT, SIGTERM and SIGHUP are only noted (see `harness.signals.signals_held`); the
    lock file and any probe are gone again before a noted signal is raised at the end.
    """
    with signals_held():
        check_destination(path, purpose=purpose)
        made = _make_parents(path)
        try:
            with locked(path, command=purpose.command):
                destination = check_destination(path, purpose=purpose)
                _sweep_staging(destination)
                _probe(destination)
                destination.require_space(MIN_FREE_BYTES)
                yield destination
        finally:
            # Folders made only to hold the lock go again if nothing was written into them.
            for folder in reversed(made):
                with contextlib.suppress(OSError):
                    os.rmdir(folder)


def _check_names(path: Path, purpose: Purpose) -> None:
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > _NAME_MAX:
            raise ConfigError(
                f"{path}: the name {part[:20]}... is {size} bytes long, "
                f"more than the {_NAME_MAX} a file system allows",
                hint=f"{purpose.hint}; use names of at most {_NAME_MAX} bytes",
            )


def _refuse_precious(path: Path, purpose: Purpose) -> None:
    try:
        real = path.resolve()
        cwd = Path.cwd().resolve()
    except RuntimeError:  # Python 3.11's word for a symbolic link loop
        raise ConfigError(f"{path} is a symbolic link loop", hint=purpose.hint) from None
    except OSError as exc:
        what = "is a symbolic link loop" if exc.errno == errno.ELOOP else f"cannot be used ({exc.strerror})"
        raise ConfigError(f"{path} {what}", hint=purpose.hint) from None
    reason = ""
    home = _home()
    if real == Path(real.anchor):
        reason = "is the root folder"
    elif real == cwd:
        reason = "is the working folder"
    elif real == home:
        reason = "is your home folder"
    elif cwd.is_relative_to(real):
        reason = "holds the working folder"
    elif home is not None and home.is_relative_to(real):
        reason = "holds your home folder"
    else:
        marker = next((m for m in _PROJECT_MARKERS if os.path.lexists(real / m)), "")
        if marker:
            reason = f"is a project folder (it holds {marker})"
    if reason:
        raise ConfigError(f"{path} {reason}; harness never writes a recording there", hint=purpose.hint)


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (OSError, RuntimeError, KeyError):  # no HOME and no password entry
        return None


def _check_parent(path: Path, purpose: Purpose) -> None:
    ancestor = _existing_ancestor(path)
    if not ancestor.is_dir():
        raise ConfigError(f"{path} cannot be made: {ancestor} is not a folder", hint=purpose.hint)


def _existing_ancestor(path: Path) -> Path:
    for ancestor in Path(os.path.abspath(path)).parents:
        if os.path.lexists(ancestor):
            return ancestor
    return Path("/")


def _recording_files(path: Path, entries: set[str], purpose: Purpose) -> frozenset[str]:
    """The entries of `path` that belong to the recording there: its manifest and listed cassettes."""
    if MANIFEST_NAME not in entries:
        return frozenset()
    listed = _listed_cassettes(path / MANIFEST_NAME)
    if listed is None:
        raise ConfigError(
            f"{path} holds a {MANIFEST_NAME} that is not a harness recording's",
            hint=f"{purpose.hint}; harness never replaces a file it did not write",
        )
    owned = {MANIFEST_NAME} | (listed & entries)
    for name in owned:
        if not stat.S_ISREG(os.lstat(path / name).st_mode):
            raise ConfigError(
                f"{path / name} is not a regular file; harness did not write it",
                hint=f"move it aside; {purpose.hint}",
            )
    return frozenset(owned)


def _listed_cassettes(manifest: Path) -> set[str] | None:
    """The cassette names a harness manifest lists, read leniently (any format version); else None."""
    try:
        data = parse_json(read_bytes(manifest, limit=_MANIFEST_LIMIT, follow=False))
    except (InputError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        return None
    steps = data.get("steps")
    if not isinstance(steps, list):
        return None
    names = {step.get("cassette") for step in steps if isinstance(step, dict)}
    if not all(isinstance(n, str) and n and Path(n).name == n for n in names):
        return None
    return {str(n) for n in names}


def _make_parents(path: Path) -> list[Path]:
    """Make the folders that will hold `path`; the ones made, outermost first."""
    missing = [folder for folder in reversed(path.parents) if not os.path.lexists(folder)]
    try:
        for folder in missing:
            os.mkdir(folder)
    except OSError as exc:
        for folder in reversed(missing):
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        raise write_error(path, exc, kept="nothing was written") from None
    return missing


def _sweep_staging(destination: Destination) -> None:
    """Remove staging folders a killed writer left; with the lock held, none can be in use."""
    path = destination.path
    sibling = sidecar(path.name, STAGING_MARK)
    places = [(path.parent, sibling)] + ([(path, STAGING_MARK)] if destination.exists else [])
    for folder, prefix in places:
        with contextlib.suppress(OSError):
            for name in os.listdir(folder):
                if name.startswith(prefix):
                    shutil.rmtree(folder / name, ignore_errors=True)


def _probe(destination: Destination) -> None:
    """Create and remove an entry where the recording will go: a read-only disk or bad name shows now."""
    path = destination.path
    try:
        if destination.exists:
            os.rmdir(tempfile.mkdtemp(prefix=STAGING_MARK, dir=path))
        else:
            os.mkdir(path)
            os.rmdir(path)
    except OSError as exc:
        raise write_error(path, exc, kept="nothing was written") from None
