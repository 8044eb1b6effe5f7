"""Where `harness record --out` and `harness accept` may write, what accept copies, one writer at a time.

Every test runs in `tmp_path` with HOME pointed into it, and snapshots the whole tree before and
after: a refused destination changes nothing at all.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _reliability import ACCEPTED, PROJECT, RequestLog, accepted_copy, settings_for
from click.testing import CliRunner, Result

import harness.acceptance
import harness.cli
import harness.commands
import harness.recorder
import harness.replay
import harness.sandbox
from harness.acceptance import accept_recording
from harness.cassettes import load_manifest
from harness.cli import cli
from harness.destination import ACCEPT, RECORD, claimed
from harness.errors import ConfigError, InputError
from harness.inputs import read_bytes
from harness.recorder import record_scenario
from harness.sandbox import Sandbox

RECORD_NEXT = "next: choose an empty or new folder for --out, e.g. --out recordings/latest"
ACCEPT_NEXT = "next: run harness accept where cassettes/ is a plain folder of yours, or absent"
NEVER = "; harness never writes a recording there"


@dataclass
class Work:
    """A temporary HOME and working folder; cwd is `work`, which holds a recording in rec/."""

    root: Path
    home: Path
    work: Path

    def folder(self, name: str, *files: str) -> str:
        (self.work / name).mkdir()
        for file in files:
            (self.work / name / file).write_text("mine\n")
        return name


@pytest.fixture
def w(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Work:
    home, work, tmp = tmp_path / "home", tmp_path / "work", tmp_path / "tmp"
    for folder in (home, work, tmp):
        folder.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.chdir(work)
    accepted_copy(work / "rec")
    return Work(root=tmp_path, home=home, work=work)


def snapshot(root: Path) -> dict[str, object]:
    """Every entry under `root`: a file's bytes, a link's target, anything else's type and mode."""
    found: dict[str, object] = {}
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            path = Path(folder) / name
            info = os.lstat(path)
            key = str(path.relative_to(root))
            if stat.S_ISREG(info.st_mode):
                found[key] = path.read_bytes()
            elif stat.S_ISLNK(info.st_mode):
                found[key] = ("link", os.readlink(path))
            else:
                found[key] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode))
    return found


def error_lines(result: Result, code: int) -> tuple[str, str]:
    """The run's exit code is `code` and its stderr exactly an `error:` and a `next:` line."""
    assert result.exit_code == code, (result.output, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("next: "), lines
    return lines[0], lines[1]


@pytest.fixture
def no_sandbox(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The sandboxes `record --sandbox` starts; a refused destination must start none."""
    started: list[object] = []

    class Never:
        def __init__(self, **kwargs: object) -> None:
            started.append(kwargs)
            raise AssertionError("the sandbox started")

    monkeypatch.setattr(harness.sandbox, "Sandbox", Never)
    return started


# `harness record` against an API that is never reached (see `_recorded`, which skips the scenario).
UNREACHED = [
    "--subdomain",
    "acme-co",
    "--token",
    "u+abcdefghijklmnopqrst",
    "--from-email",
    "owner@example.com",
    "--api-url",
    "http://127.0.0.1:9",
    "--events-url",
    "http://127.0.0.1:9",
]


def run(command: str, destination: str, monkeypatch: pytest.MonkeyPatch, *, stubbed: bool = False) -> Result:
    """`harness record --sandbox --out DESTINATION`, or `harness accept rec` into DESTINATION.

    `stubbed`: record with the scenario skipped (see `_recorded`), against no sandbox.
    """
    if command == "record":
        where = UNREACHED if stubbed else ["--sandbox"]
        return CliRunner().invoke(cli, ["record", *where, "-q", "--out", destination])
    monkeypatch.setattr(harness.cli, "ACCEPTED_DIR", Path(destination))
    return CliRunner().invoke(cli, ["accept", "rec"])


# -- hostile destinations ---------------------------------------------------------------------------

Setup = Callable[[Work], str]


def _fifo(w: Work) -> str:
    os.mkfifo(w.work / "pipe")
    return "pipe"


def _link(target: str) -> Setup:
    def make(w: Work) -> str:
        (w.work / "link").symlink_to(target)
        return "link"

    return make


def _loop(w: Work) -> str:
    (w.work / "loop").symlink_to("loop")
    return "loop"


def _file(w: Work) -> str:
    (w.work / "thesis.txt").write_text("three years of work\n")
    return "thesis.txt"


def _project(w: Work) -> str:
    return w.folder("other-project", "pyproject.toml")


def _foreign_manifest(w: Work) -> str:
    name = w.folder("theirs")
    (w.work / name / "manifest.json").write_text('{"name": "not ours"}\n')
    return name


def _recording_and_notes(w: Work) -> str:
    accepted_copy(w.work / "old")
    (w.work / "old" / "notes.txt").write_text("mine\n")
    return "old"


BOTH = ("record", "accept")
LINK = "is a symbolic link; harness writes only into a real folder"
# id: (commands, make the destination, the error after "error: <destination> ")
HOSTILE: dict[str, tuple[tuple[str, ...], Setup, str]] = {
    "dot": (BOTH, lambda w: ".", "is the working folder" + NEVER),
    "dot-dot": (BOTH, lambda w: "..", "holds the working folder" + NEVER),
    "home": (BOTH, lambda w: str(w.home), "is your home folder" + NEVER),
    "parent-of-home": (BOTH, lambda w: str(w.root), "holds the working folder" + NEVER),
    "root": (BOTH, lambda w: "/", "is the root folder" + NEVER),
    "this-checkout": (BOTH, lambda w: str(PROJECT), "is a project folder (it holds .git)" + NEVER),
    "a-project": (("record",), _project, "is a project folder (it holds pyproject.toml)" + NEVER),
    "a-file": (BOTH, _file, "is a file, not a folder"),
    "a-fifo": (BOTH, _fifo, "is a FIFO (named pipe), not a folder"),
    "dev-null": (BOTH, lambda w: "/dev/null", "is a device, not a folder"),
    "link-to-dev-null": (BOTH, _link("/dev/null"), LINK),
    "link-to-a-folder": (BOTH, lambda w: _link(w.folder("elsewhere"))(w), LINK),
    "link-loop": (BOTH, _loop, "is a symbolic link loop"),
    "link-loop-inside": (BOTH, lambda w: _loop(w) + "/out", "is a symbolic link loop"),
    "foreign-files": (
        ("record",),
        lambda w: w.folder("thesis", "thesis.txt", ".DS_Store"),
        "holds files that are not part of a harness recording (e.g. thesis.txt)",
    ),
    "recording-and-notes": (
        ("record",),
        _recording_and_notes,
        "holds files that are not part of a harness recording (e.g. notes.txt)",
    ),
    "foreign-manifest": (BOTH, _foreign_manifest, "holds a manifest.json that is not a harness recording's"),
    "name-over-255-bytes": (
        BOTH,
        lambda w: "r" * 256,
        "the name rrrrrrrrrrrrrrrrrrrr... is 256 bytes long, more than the 255 a file system allows",
    ),
    "non-ascii-name-over-255-bytes": (
        BOTH,
        lambda w: "é" * 128,
        "the name éééééééééééééééééééé... is 256 bytes long, more than the 255 a file system allows",
    ),
}
CASES = [
    pytest.param(command, setup, expected, id=f"{command}-{name}")
    for name, (commands, setup, expected) in HOSTILE.items()
    for command in commands
]


@pytest.mark.parametrize(("command", "setup", "expected"), CASES)
def test_a_hostile_destination_is_refused_and_nothing_changes(
    command: str,
    setup: Setup,
    expected: str,
    w: Work,
    no_sandbox: list[object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Exit 2 with error/next naming the destination, no sandbox started, no file anywhere changed."""
    destination = setup(w)
    before = snapshot(w.root)
    null = os.stat("/dev/null")
    result = run(command, destination, monkeypatch)
    error, hint = error_lines(result, 2)
    separator = ": " if expected.startswith("the name") else " "
    assert error == f"error: {destination}{separator}{expected}"
    assert hint.startswith(RECORD_NEXT if command == "record" else ACCEPT_NEXT)
    assert snapshot(w.root) == before
    assert no_sandbox == []
    after = os.stat("/dev/null")
    assert (stat.S_ISCHR(after.st_mode), after.st_ino, after.st_rdev) == (True, null.st_ino, null.st_rdev)


def test_accept_keeps_a_folder_of_the_teams_files(w: Work, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cassettes/ holding only a team's files (no recording yet) takes the recording beside them."""
    w.folder("cassettes", "thesis.txt", "README.md")
    result = CliRunner().invoke(cli, ["accept", "rec"])
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir("cassettes")) == sorted([*os.listdir(ACCEPTED), "thesis.txt", "README.md"])


@pytest.mark.parametrize("name", ["my recordings/latest run", "récits/dernière ✓"])
def test_names_with_spaces_and_non_ascii_work(name: str, w: Work, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spaces and non-ASCII letters are ordinary names: record writes there, accept promotes it."""
    result = CliRunner().invoke(cli, ["record", "--sandbox", "-q", "--out", name])
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(name)) == sorted(os.listdir(ACCEPTED))
    monkeypatch.setattr(harness.cli, "ACCEPTED_DIR", Path(name + " accepted"))
    result = CliRunner().invoke(cli, ["accept", name])
    assert result.exit_code == 0, result.output
    assert snapshot(w.work / name) == snapshot(w.work / (name + " accepted"))


@pytest.mark.parametrize("command", BOTH)
@pytest.mark.parametrize("name", ["empty", "r" * 255, "é" * 127])
def test_an_empty_folder_and_a_255_byte_name_are_fine(
    command: str,
    name: str,
    w: Work,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An empty folder takes the recording; a name of 255 bytes, the most a file system allows, too."""
    _recorded(monkeypatch)
    if name == "empty":
        w.folder(name)
    result = run(command, name, monkeypatch, stubbed=True)
    assert result.exit_code == 0, result.output
    assert snapshot(w.work / name) == snapshot(w.work / "rec")
    assert sorted(os.listdir(w.work)) == sorted(["rec", name])


def test_read_bytes_takes_regular_files_only_and_bounds_what_it_reads(w: Work) -> None:
    """A FIFO, a device, a link: refused at once, never opened for long; a file past the limit: refused."""
    os.mkfifo(w.work / "pipe")
    (w.work / "zero").symlink_to("/dev/zero")
    (w.work / "big").write_bytes(b"x" * 101)
    cases = {
        w.work / "pipe": "is a FIFO (named pipe), not a regular file",
        Path("/dev/zero"): "is a device, not a regular file",
        w.work / "zero": "is a symbolic link; a recording holds regular files only",
        w.work / "big": "101 bytes is larger than a recording file can be",
    }
    for path, expected in cases.items():
        with pytest.raises(InputError) as caught:
            read_bytes(path, limit=100, follow=False)
        assert str(caught.value) == f"{path}: {expected}"
    assert read_bytes(w.work / "big", limit=101, follow=False) == b"x" * 101


# -- unreadable, read-only, full -------------------------------------------------------------------


def _refuse(monkeypatch: pytest.MonkeyPatch, folder: Path, code: int, *, reads: bool) -> None:
    """Make the file system refuse, with `code`, to create anything in `folder` (and to list it)."""
    inside = str(folder.resolve())
    writes = os.O_WRONLY | os.O_RDWR | os.O_CREAT

    def refused(path: Any) -> bool:
        full = os.path.abspath(os.fsdecode(path))
        return full == inside or full.startswith(inside + os.sep)

    real_open, real_mkdir, real_listdir = os.open, os.mkdir, os.listdir

    def fake_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if refused(path) and (flags & writes or reads) and os.path.dirname(os.path.abspath(path)) == inside:
            raise OSError(code, os.strerror(code), path)
        return real_open(path, flags, *args, **kwargs)

    def fake_mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        if refused(path) and os.path.abspath(path) != inside:
            raise OSError(code, os.strerror(code), path)
        real_mkdir(path, *args, **kwargs)

    def fake_listdir(path: Any = ".") -> list[str]:
        if reads and refused(path):
            raise OSError(code, os.strerror(code), path)
        return real_listdir(path)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)
    monkeypatch.setattr(os, "listdir", fake_listdir)


# id: (folder refused: the destination or its parent, errno, reads refused too, error, next)
DENIALS = {
    "unreadable-folder": (
        "destination",
        errno.EACCES,
        True,
        "error: {d} cannot be read (Permission denied)",
        None,
    ),
    "read-only-folder": (
        "destination",
        errno.EACCES,
        False,
        "error: cannot write {d}: permission denied; nothing was written",
        "next: choose a folder you may write to",
    ),
    "read-only-parent": (
        "parent",
        errno.EACCES,
        False,
        "error: cannot write {d}: permission denied; nothing was written",
        "next: choose a folder you may write to",
    ),
    "read-only-file-system": (
        "parent",
        errno.EROFS,
        False,
        "error: cannot write {d}: the file system is read-only; nothing was written",
        "next: choose a folder on a writable disk",
    ),
}


@pytest.mark.parametrize("command", BOTH)
@pytest.mark.parametrize("denial", list(DENIALS))
def test_an_unwritable_destination_is_refused_before_the_run(
    command: str,
    denial: str,
    w: Work,
    no_sandbox: list[object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Permission denied or a read-only disk, as a non-root user meets them: exit 2 before any work."""
    where, code, reads, error, hint = DENIALS[denial]
    parent = w.folder("place")
    destination = f"{parent}/out"
    if where == "destination":
        accepted_copy(w.work / destination)
    before = snapshot(w.root)
    _refuse(monkeypatch, w.work / (destination if where == "destination" else parent), code, reads=reads)
    result = run(command, destination, monkeypatch)
    lines = error_lines(result, 2)
    assert lines[0] == error.format(d=destination)
    assert lines[1] == (hint or (RECORD_NEXT if command == "record" else ACCEPT_NEXT))
    assert snapshot(w.root) == before
    assert no_sandbox == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
@pytest.mark.parametrize("command", BOTH)
def test_a_read_only_folder_is_refused_for_real(
    command: str, w: Work, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With real permissions (not root): a read-only recording folder is exit 2, unchanged."""
    accepted_copy(w.work / "locked")
    (w.work / "locked").chmod(0o555)
    try:
        before = snapshot(w.root)
        result = run(command, "locked", monkeypatch)
        assert error_lines(result, 2)[0] == (
            "error: cannot write locked: permission denied; nothing was written"
        )
        assert snapshot(w.root) == before
    finally:
        (w.work / "locked").chmod(0o755)


def test_a_full_disk_is_refused_before_the_run(
    w: Work, no_sandbox: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Less free space than a recording needs: exit 2 before the sandbox starts or a request goes."""
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9, 1024))
    before = snapshot(w.root)
    error, hint = error_lines(run("record", "new", monkeypatch), 2)
    assert error == "error: no space left on the disk to write new (1 kB free, 4096 kB needed)"
    assert hint == "next: free some space, or choose a folder on another disk"
    assert snapshot(w.root) == before


@pytest.mark.parametrize("command", BOTH)
@pytest.mark.parametrize("destination", ["new", "old"])
def test_a_disk_filling_up_while_writing_leaves_the_old_recording(
    command: str,
    destination: str,
    w: Work,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ENOSPC on the 5th write: exit 2, error/next, the destination as it was, no temporary file."""
    _recorded(monkeypatch)
    accepted_copy(w.work / "old")
    before = snapshot(w.root)
    real_write = os.write
    calls = []

    def full(descriptor: int, data: Any) -> int:
        calls.append(1)
        if len(calls) == 5:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "write", full)
    error, hint = error_lines(run(command, destination, monkeypatch, stubbed=True), 2)
    kept = "the previous recording was left untouched" if destination == "old" else "nothing was written"
    assert error == f"error: no space left on the disk to write {destination}; {kept}"
    assert hint == "next: free some space, or choose a folder on another disk"
    assert snapshot(w.root) == before


# -- record: refused before any request ------------------------------------------------------------


def test_record_refuses_before_any_request(w: Work, sandbox: Sandbox) -> None:
    """The core refuses a folder of foreign files before the account check: the API sees nothing."""
    log = RequestLog(sandbox)
    out = w.work / w.folder("thesis", "thesis.txt")
    with pytest.raises(
        ConfigError,
        match=r"holds files that are not part of a harness recording "
        r"\(e.g. thesis.txt\)",
    ):
        record_scenario(settings=settings_for(sandbox, out))
    assert log.calls == []


# -- accept: exactly the recording, verified --------------------------------------------------------


def test_accept_copies_only_the_manifest_and_its_cassettes(w: Work) -> None:
    """A .env, a big binary and a link to /etc/shadow in the source stay behind; the rest is exact."""
    (w.work / "rec" / ".env").write_text("PAGERDUTY_API_TOKEN=u+secret\n")
    with open(w.work / "rec" / "big.bin", "wb") as big:
        big.truncate(64 * 1024 * 1024)
    (w.work / "rec" / "shadow.txt").symlink_to("/etc/shadow")
    (w.work / "rec" / "zero").symlink_to("/dev/zero")
    result = CliRunner().invoke(cli, ["accept", "rec"])
    assert result.exit_code == 0, result.output
    assert snapshot(w.work / "cassettes") == snapshot(ACCEPTED)


def _shorten(recording: Path, steps: int) -> None:
    """Keep only the first `steps` steps of `recording` (0: none)."""
    manifest = json.loads((recording / "manifest.json").read_text(encoding="utf-8"))
    for step in manifest["steps"][steps:]:
        (recording / step["cassette"]).unlink()
    manifest["steps"] = manifest["steps"][:steps]
    (recording / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


CASSETTE = "12-get-incident.yaml"
REGULAR_ONLY = "is a symbolic link; a recording holds regular files only"


def _link_manifest(recording: Path) -> None:
    (recording / "manifest.json").rename(recording.parent / "elsewhere.json")
    (recording / "manifest.json").symlink_to(recording.parent / "elsewhere.json")


def _swap_cassette(make: Callable[[Path], None]) -> Callable[[Path], None]:
    def damage(recording: Path) -> None:
        (recording / CASSETTE).unlink()
        make(recording / CASSETTE)

    return damage


# id: (damage to rec/, the error line)
REFUSED = {
    "no-steps": (lambda rec: _shorten(rec, 0), "error: rec/manifest.json: the recording has no steps"),
    "cassette-is-a-link": (
        _swap_cassette(lambda p: p.symlink_to(ACCEPTED / CASSETTE)),
        f"error: rec/{CASSETTE}: {REGULAR_ONLY}",
    ),
    "cassette-is-a-link-to-shadow": (
        _swap_cassette(lambda p: p.symlink_to("/etc/shadow")),
        f"error: rec/{CASSETTE}: {REGULAR_ONLY}",
    ),
    "manifest-is-a-link": (lambda rec: _link_manifest(rec), f"error: rec/manifest.json: {REGULAR_ONLY}"),
    "cassette-is-a-fifo": (
        _swap_cassette(lambda p: os.mkfifo(p)),
        f"error: rec/{CASSETTE}: is a FIFO (named pipe), not a regular file",
    ),
    "does-not-replay": (
        lambda rec: (rec / CASSETTE).write_text(
            (rec / CASSETTE).read_text().replace("code: 200", "code: 500")
        ),
        "error: rec does not replay: step 12 get-incident (rec/12-get-incident.yaml): the recorded "
        "answers do not let the step complete",
    ),
}


@pytest.mark.parametrize("damage", list(REFUSED))
def test_accept_refuses_what_is_not_a_whole_replaying_recording(damage: str, w: Work) -> None:
    """Exit 2 naming the file; cassettes/ (the old recording and a team README) unchanged."""
    accepted_copy(w.work / "cassettes")
    (w.work / "cassettes" / "README.md").write_text("ours\n")
    make, expected = REFUSED[damage]
    make(w.work / "rec")
    before = snapshot(w.root)
    error, _hint = error_lines(CliRunner().invoke(cli, ["accept", "rec"]), 2)
    assert error.startswith(expected), error
    assert snapshot(w.root) == before


def test_accept_refuses_to_overwrite_a_team_file_with_a_cassette_name(w: Work) -> None:
    """A file at a cassette's name that the accepted manifest does not list is the team's: exit 2."""
    w.folder("cassettes", "01-sweep-leftover-service.yaml")
    before = snapshot(w.root)
    error, hint = error_lines(CliRunner().invoke(cli, ["accept", "rec"]), 2)
    assert error == (
        "error: cassettes/01-sweep-leftover-service.yaml is not part of the recording there "
        "(its manifest.json does not list it), and the new recording would replace it"
    )
    assert hint == "next: move that file aside, then run this again"
    assert snapshot(w.root) == before


def test_accept_refuses_the_accepted_folder_itself(w: Work) -> None:
    """`harness accept cassettes` has nothing to promote: exit 2."""
    accepted_copy(w.work / "cassettes")
    error, _ = error_lines(CliRunner().invoke(cli, ["accept", "cassettes"]), 2)
    assert error == "error: cassettes is cassettes/ itself; there is nothing to accept"


def test_accept_core_refuses_with_input_error(w: Work) -> None:
    """The core function raises InputError for a source that is not a recording."""
    with pytest.raises(InputError, match="no recording directory there"):
        accept_recording(source=w.work / "nowhere", accepted=w.work / "cassettes")


# -- one writer at a time ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", BOTH)
def test_a_second_writer_is_refused_naming_the_first(
    command: str,
    w: Work,
    no_sandbox: list[object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While another harness holds the destination, exit 2 naming its pid and command; then it is free."""
    accepted_copy(w.work / "dest")
    before = snapshot(w.work / "dest")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, "dest"],
        cwd=w.work,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        error, hint = error_lines(run(command, "dest", monkeypatch), 2)
        assert error == f"error: dest is being written by another harness (pid {holder.pid}: harness record)"
        assert hint == "next: wait for it to finish, then run this again"
    finally:
        holder.communicate("", timeout=60)
    assert snapshot(w.work / "dest") == before
    assert not (w.work / ".dest.lock").exists()
    if command == "accept":
        assert CliRunner().invoke(cli, ["accept", "rec"]).exit_code == 0


def test_accept_refuses_a_recording_being_rerecorded(w: Work) -> None:
    """While `harness record` writes rec/, `harness accept rec` is exit 2 naming it; cassettes/ unchanged."""
    accepted_copy(w.work / "cassettes")
    before = snapshot(w.root)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, "rec"],
        cwd=w.work,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        error, _hint = error_lines(CliRunner().invoke(cli, ["accept", "rec"]), 2)
        assert error == f"error: rec is being written by another harness (pid {holder.pid}: harness record)"
    finally:
        holder.communicate("", timeout=60)
    assert snapshot(w.root) == before


# Another harness holding the destination until its stdin closes.
HOLD_LOCK = """
import sys
from pathlib import Path
from harness.destination import RECORD, claimed
with claimed(Path(sys.argv[1]), purpose=RECORD):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_the_lock_is_released_and_a_stale_lock_file_does_not_block(w: Work) -> None:
    """A lock file left by a killed run holds no lock; the next writer takes it and removes it after."""
    (w.work / ".cassettes.lock").write_text("pid 99999: harness accept\n")
    with claimed(w.work / "cassettes", purpose=ACCEPT):
        assert (w.work / ".cassettes.lock").read_text() == f"pid {os.getpid()}: harness accept\n"
        busy = rf"being written by another harness \(pid {os.getpid()}"
        with pytest.raises(ConfigError, match=busy), claimed(w.work / "cassettes", purpose=RECORD):
            pass
    assert sorted(os.listdir(w.work)) == ["rec"]


def _recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `harness record` skip the scenario and write rec/ as if it had just recorded it."""

    def files(settings: Any, *args: Any) -> tuple[Any, dict[str, str], list[Any], list[str]]:
        source = Path("rec")
        manifest = load_manifest(source)
        names = ["manifest.json", *(step.cassette for step in manifest.steps)]
        return manifest, {name: (source / name).read_text(encoding="utf-8") for name in names}, [], []

    monkeypatch.setattr(harness.recorder, "_run", files)
    monkeypatch.setattr(harness.commands, "_drift_summary", lambda *args: 0)
    monkeypatch.setattr(harness.commands, "summary_line", lambda *args: "recorded")


# -- signals at every step of the write ------------------------------------------------------------

# The calls that create, write, move or remove files, or take the lock: a signal lands before each.
STEP_CALLS = [
    (os, "open"),
    (os, "write"),
    (os, "fsync"),
    (os, "close"),
    (os, "rename"),
    (os, "mkdir"),
    (os, "rmdir"),
    (os, "unlink"),
    (os, "ftruncate"),
    (os, "listdir"),
    (tempfile, "mkdtemp"),
    (shutil, "rmtree"),
    (fcntl, "flock"),
]
SIGNALS = {
    signal.SIGINT: (130, "interrupted"),
    signal.SIGTERM: (143, "terminated"),
    signal.SIGHUP: (129, "terminated"),
}


class SignalAt:
    """Counts the file-system calls harness code makes; just before the `at`-th, sends `signum`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, at: int = 0, signum: int = signal.SIGINT) -> None:
        self.count, self.at, self.signum = 0, at, signum
        self.unguarded: list[str] = []
        for module, name in STEP_CALLS:
            monkeypatch.setattr(module, name, self._counted(getattr(module, name), name))

    def _counted(self, real: Callable[..., Any], name: str) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            if sys._getframe(1).f_globals.get("__name__", "").startswith("harness."):
                self.count += 1
                if self.count == self.at:
                    handler = signal.getsignal(self.signum)
                    if handler in (signal.SIG_DFL, signal.default_int_handler):
                        self.unguarded.append(name)  # the signal would kill the run here: a failure
                    else:
                        os.kill(os.getpid(), self.signum)
            return real(*args, **kwargs)

        return counted


def _variant(recording: Path, steps: int, mark: str) -> None:
    """Cut `recording` to `steps` steps and mark each cassette, so two variants differ in every file."""
    _shorten(recording, steps)
    for cassette in recording.glob("*.yaml"):
        cassette.write_text(cassette.read_text(encoding="utf-8") + f"# {mark}\n", encoding="utf-8")


def _stage_signal_run(w: Work, command: str, state: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """rec/ holds a new 3-step recording; the destination is absent or holds an old 4-step one."""
    _variant(w.work / "rec", 3, "new")
    destination = w.work / ("cassettes" if command == "accept" else "out")
    if state == "old":
        accepted_copy(destination)
        _variant(destination, 4, "old")
        if command == "accept":
            (destination / "README.md").write_text("ours\n")
    _recorded(monkeypatch)
    # The write is what is under test; replay is checked in its own tests above.
    monkeypatch.setattr(
        harness.acceptance,
        "replay_recording",
        lambda **kwargs: harness.replay.ReplayReport(results=(), failure=None),
    )
    monkeypatch.setattr(harness.cli, "ACCEPTED_DIR", Path("cassettes"))
    return destination


def _expected_new(w: Work, destination: Path, old: dict[str, object]) -> dict[str, object]:
    new = {name: data for name, data in snapshot(w.work / "rec").items()}
    if "README.md" in old:
        new["README.md"] = old["README.md"]
    return new


@pytest.mark.parametrize("signum", list(SIGNALS), ids=lambda s: signal.Signals(s).name)
@pytest.mark.parametrize("state", ["absent", "old"])
@pytest.mark.parametrize("command", BOTH)
def test_a_signal_at_any_step_of_the_write_leaves_the_old_or_the_new_recording(
    command: str,
    state: str,
    signum: int,
    w: Work,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before each file call of record's or accept's write: exit 128+N, old or new whole, nothing left."""
    destination = _stage_signal_run(w, command, state, monkeypatch)
    pristine = w.root / "pristine"
    shutil.copytree(w.work, pristine, symlinks=True)
    old = snapshot(destination) if destination.exists() else None
    new = _expected_new(w, destination, old or {})
    with monkeypatch.context() as patch:
        dry = SignalAt(patch)
        assert run(command, destination.name, monkeypatch, stubbed=True).exit_code == 0
    steps = dry.count
    assert steps > 20
    code, word = SIGNALS[signum]
    outcomes = set()
    for at in range(1, steps + 1):
        shutil.rmtree(w.work)
        shutil.copytree(pristine, w.work, symlinks=True)
        os.chdir(w.work)  # the old working folder is gone with the tree
        with monkeypatch.context() as patch:
            hook = SignalAt(patch, at=at, signum=signum)
            result = run(command, destination.name, monkeypatch, stubbed=True)
        assert hook.unguarded == [], f"step {at}: no handler for the signal at {hook.unguarded}"
        assert result.exit_code == code, (at, result.output)
        first = result.stderr.splitlines()[0]
        assert first.startswith(f"error: {word}"), (at, first)
        after = snapshot(destination) if destination.exists() else None
        assert after in (old, new), f"step {at}: {destination.name} is neither the old nor the new recording"
        if "holds the new recording" in first:
            assert after == new, at
        elif "left as it was" in first:
            assert after == old, at
        outcomes.add("new" if after == new else "old")
        # No lock file, no staging folder, nothing else beside the destination.
        assert sorted(os.listdir(w.work)) == sorted(["rec", *([destination.name] if after else [])]), at
    assert outcomes == {"old", "new"}


def test_a_signal_while_accept_replays_leaves_cassettes_alone(
    w: Work, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM while the recording is being replayed: exit 143 with an error line; cassettes/ untouched."""
    accepted_copy(w.work / "cassettes")
    before = snapshot(w.root)
    checkpoint = harness.acceptance._Checkpoints.step_started

    def step_started(self: Any, step: Any) -> None:
        if step.number == 5:
            os.kill(os.getpid(), signal.SIGTERM)
        checkpoint(self, step)

    monkeypatch.setattr(harness.acceptance._Checkpoints, "step_started", step_started)
    result = CliRunner().invoke(cli, ["accept", "rec"])
    assert result.exit_code == 143
    assert result.stderr.splitlines() == [
        "error: terminated during harness accept; cassettes/ was left as it was",
        "next: run harness accept again to promote the recording",
    ]
    assert snapshot(w.root) == before
