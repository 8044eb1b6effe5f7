"""`harness accept`: promote a recording to `cassettes/`, exactly its files, once it replays.

Only `manifest.json` and the cassettes it lists are copied, each as a regular file read without
following a link and bounded in size; anything else in the source (a `.env`, a binary, a link to
`/etc/shadow`) stays where it is.  The recording must load and replay before anything moves.  In
`cassettes/`, the files of the previously accepted recording make way; every other file (a team's
README) stays.  The copy is staged beside the old files and swapped in with signals held, so that
an interrupt leaves the old recording or the new one, whole.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from harness.cassettes import MANIFEST_NAME, MAX_FILE_BYTES, Recording, load_manifest, load_recording
from harness.destination import ACCEPT, MIN_FREE_BYTES, claimed
from harness.errors import InputError, Interrupted, ReplayMismatch
from harness.fsutil import Staging
from harness.lock import reading
from harness.progress import Silent
from harness.replay import replay_recording
from harness.signals import Terminated, exit_code_for, raise_pending
from harness.steps import Step

RERECORD = "re-record with `harness record --sandbox` (or against your account), then `harness accept`"


@dataclass(frozen=True)
class Accepted:
    """A recording promoted: from where, to where, how many steps."""

    source: Path
    accepted: Path
    steps: int


class _Checkpoints(Silent):
    """Progress that takes a held signal between replayed steps, where stopping loses nothing."""

    def step_started(self, step: Step) -> None:
        raise_pending()


def accept_recording(*, source: Path, accepted: Path) -> Accepted:
    """Make `accepted` hold the recording in `source`, verified, keeping the folder's other files."""
    if _same_folder(source, accepted):
        raise InputError(
            f"{source} is {accepted}/ itself; there is nothing to accept",
            hint="record a fresh one (harness record --sandbox), then harness accept",
        )
    committed = False
    steps = 0
    try:
        with claimed(accepted, purpose=ACCEPT) as destination, reading(source, command=ACCEPT.command):
            recording = _verified(source)
            steps = len(recording.steps)
            names = [MANIFEST_NAME, *(step.entry.cassette for step in recording.steps)]
            destination.refuse_clashes(names)
            destination.require_space(MIN_FREE_BYTES + sum(os.lstat(source / n).st_size for n in names))
            with Staging(accepted, exists=destination.exists, replaced=destination.owned) as staging:
                for name in names:
                    staging.copy(name, source / name, limit=MAX_FILE_BYTES, hint=RERECORD)
                staging.commit()
                committed = True
    except (KeyboardInterrupt, Terminated) as stop:
        word = "interrupted" if isinstance(stop, KeyboardInterrupt) else "terminated"
        if committed:
            raise Interrupted(
                f"{word} after harness accept finished: {accepted}/ holds the new recording ({steps} steps)",
                signal_exit_code=exit_code_for(stop),
            ) from None
        raise Interrupted(
            f"{word} during harness accept; {accepted}/ was left as it was",
            signal_exit_code=exit_code_for(stop),
            hint="run harness accept again to promote the recording",
        ) from None
    return Accepted(source=source, accepted=accepted, steps=steps)


def _same_folder(source: Path, accepted: Path) -> bool:
    try:
        return source.resolve() == accepted.resolve()
    except (OSError, RuntimeError):  # a link loop: load_recording says so
        return False


def _verified(source: Path) -> Recording:
    """The recording in `source`, its files regular, loaded, with steps, replaying cleanly."""
    _refuse_link(source, MANIFEST_NAME)
    manifest = load_manifest(source)
    if not manifest.steps:
        raise InputError(f"{source / MANIFEST_NAME}: the recording has no steps", hint=RERECORD)
    for entry in manifest.steps:
        _refuse_link(source, entry.cassette)
    recording = load_recording(source)
    raise_pending()
    try:
        report = replay_recording(recording=recording, progress=_Checkpoints())
    except ReplayMismatch as exc:
        raise InputError(f"{source} does not replay: {exc}", hint=exc.hint) from None
    if report.failure is not None:
        raise InputError(f"{source} does not replay: {report.failure}", hint=report.failure.hint)
    return recording


def _refuse_link(source: Path, name: str) -> None:
    # load_recording reads through links; the copy never does, so say so before reading anything.
    try:
        mode = os.lstat(source / name).st_mode
    except OSError:
        return  # missing or unreadable: load_recording names it
    if stat.S_ISLNK(mode):
        raise InputError(
            f"{source / name}: is a symbolic link; a recording holds regular files only",
            hint="copy the file itself into the recording, or " + RERECORD,
        )
