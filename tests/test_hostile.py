"""Every command that takes a path or an option, fed hostile values: exact exit codes and messages.

Each case runs in a fresh tree (HOME, TMPDIR and the working folder all under `tmp_path`) and
checks the exit code, the `error:`/`next:` lines (or click's `Error:` line for a usage error), that
no secret given on the command line is printed, and that nothing in the tree changed except the
command's own output.  Cases where a regression could hang (FIFOs, devices, a server) run as a
subprocess with a timeout, so a hang fails instead of stalling the suite.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from _reliability import ACCEPTED, accepted_copy
from click.testing import CliRunner

import harness.fsutil
from harness.cli import cli

AS_ROOT = os.geteuid() == 0
SECRET_TOKEN = "y_E8xTz1Q7vS3kLm9pNc"
PASSWORD = "hunter2-Zq9"
REAL_EMAIL = "ops.oncall@acme-corp.io"
SECRETS = (SECRET_TOKEN, PASSWORD, REAL_EMAIL)
NO_PAGERDUTY_ENV = {"PAGERDUTY_API_TOKEN": None, "PAGERDUTY_FROM_EMAIL": None, "PAGERDUTY_SUBDOMAIN": None}
CASSETTE = "13-acknowledge-incident.yaml"
DEEP = "[" * 200_000 + "]" * 200_000
ODD = "my recs/ré cording ✓"
TIMEOUT = 60


@dataclass
class World:
    """A project folder, a home folder and a temporary folder, and the hostile things made in them."""

    root: Path
    home: Path
    tmp: Path
    work: Path
    sockets: list[socket.socket] = field(default_factory=list)

    def fifo(self, name: str = "pipe.json") -> str:
        os.mkfifo(self.work / name)
        return name

    def loop(self) -> str:
        (self.work / "loop").symlink_to("loop")
        return "loop"

    def zero_link(self, name: str = "zero.json") -> str:
        (self.work / name).symlink_to("/dev/zero")
        return name

    def text_file(self, name: str = "notes.txt", text: str = "not a recording\n") -> str:
        path = self.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return name

    def odd_recording(self) -> str:
        accepted_copy(self.work / ODD)
        return ODD

    def damaged(self, damage: Callable[[Path], None]) -> str:
        accepted_copy(self.work / "bad")
        damage(self.work / "bad" / CASSETTE)
        return "bad"

    def locked(self, mode: int) -> str:
        accepted_copy(self.work / "locked")
        (self.work / "locked").chmod(mode)
        return "locked"

    def busy_port(self) -> str:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        self.sockets.append(listener)
        return str(listener.getsockname()[1])


Args = Callable[[World], list[str]]


@dataclass(frozen=True)
class Case:
    """One command line, and what it must do: its exit code and its first error line (a regex)."""

    args: Args
    code: int
    error: str = ""  # `error: …` with a `next: …` line after it
    usage: str = ""  # click's `Error: …` usage line
    output: str = ""  # the one path the command may create or change
    process: bool = False  # run as a subprocess, with a timeout
    env: dict[str, str] = field(default_factory=dict)


def _fifo_cassette(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _zero_cassette(path: Path) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


def _deep_body(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["interactions"][0]["response"]["body"]["string"] = DEEP
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def _record(**changes: str) -> Args:
    """`harness record` with valid options but for `changes`; nothing may reach the network."""
    options = {
        "--subdomain": "acme-co",
        "--token": SECRET_TOKEN,
        "--from-email": REAL_EMAIL,
        "--api-url": "http://127.0.0.1:9",
        "--events-url": "http://127.0.0.1:9",
        "--out": "new-recording",
        **changes,
    }
    return lambda w: ["record", *[x for pair in options.items() for x in pair]]


NO_RECORDING = "no recording directory there"
MISSING_MANIFEST = "manifest\\.json: file is missing"
FIFO = "is a FIFO \\(named pipe\\), not a regular file"
DEVICE = "is a device, not a regular file"
LOOP = "cannot be read \\(Too many levels of symbolic links\\)"
TOKEN_FLAW = "the API token \\(--token or PAGERDUTY_API_TOKEN\\) is not a PagerDuty API key"

CASES: dict[str, Case] = {
    # -- replay DIRECTORY ---------------------------------------------------------------------------
    "replay .": Case(lambda w: ["replay", "."], 2, f"error: {MISSING_MANIFEST}"),
    "replay ..": Case(lambda w: ["replay", ".."], 2, f"error: \\.\\./{MISSING_MANIFEST}"),
    "replay ~ (HOME)": Case(lambda w: ["replay", str(w.home)], 2, f"error: .*/home/{MISSING_MANIFEST}"),
    "replay ~ (literal)": Case(lambda w: ["replay", "~"], 2, f"error: ~: {NO_RECORDING}"),
    "replay /": Case(lambda w: ["replay", "/"], 2, f"error: /{MISSING_MANIFEST}"),
    "replay symlink loop": Case(lambda w: ["replay", w.loop()], 2, f"error: loop: {LOOP}"),
    "replay name over 255 bytes": Case(
        lambda w: ["replay", "r" * 300], 2, f"error: {'r' * 300}: cannot be read \\(File name too long\\)"
    ),
    "replay FIFO": Case(lambda w: ["replay", w.fifo()], 2, f"error: pipe.json: {NO_RECORDING}"),
    "replay /dev/zero": Case(lambda w: ["replay", "/dev/zero"], 2, f"error: /dev/zero: {NO_RECORDING}"),
    "replay a file": Case(lambda w: ["replay", w.text_file()], 2, f"error: notes.txt: {NO_RECORDING}"),
    "replay spaces and non-ASCII": Case(lambda w: ["replay", w.odd_recording()], 0),
    "replay a FIFO cassette": Case(
        lambda w: ["replay", w.damaged(_fifo_cassette)], 2, f"error: bad/{CASSETTE}: {FIFO}", process=True
    ),
    "replay a cassette linked to /dev/zero": Case(
        lambda w: ["replay", w.damaged(_zero_cassette)], 2, f"error: bad/{CASSETTE}: {DEVICE}", process=True
    ),
    "replay a deeply nested body": Case(
        lambda w: ["replay", w.damaged(_deep_body)],
        2,
        f"error: bad/{CASSETTE}: interaction 1 response body: nested deeper than 100 levels",
    ),
    "replay an unreadable folder": Case(
        lambda w: ["replay", w.locked(0)],
        2,
        "error: locked/manifest.json: cannot be read \\(Permission denied\\)",
    ),
    # -- drift BASELINE CANDIDATE --output --------------------------------------------------------------
    "drift baseline .": Case(lambda w: ["drift", ".", "rec"], 2, f"error: {MISSING_MANIFEST}"),
    "drift baseline ..": Case(lambda w: ["drift", "..", "rec"], 2, f"error: \\.\\./{MISSING_MANIFEST}"),
    "drift baseline /": Case(lambda w: ["drift", "/", "rec"], 2, f"error: /{MISSING_MANIFEST}"),
    "drift baseline loop": Case(lambda w: ["drift", w.loop(), "rec"], 2, f"error: loop: {LOOP}"),
    "drift candidate name over 255 bytes": Case(
        lambda w: ["drift", "rec", "r" * 300],
        2,
        f"error: {'r' * 300}: cannot be read \\(File name too long\\)",
    ),
    "drift candidate ~ (HOME)": Case(
        lambda w: ["drift", "rec", str(w.home)], 2, f"error: .*/home/{MISSING_MANIFEST}"
    ),
    "drift candidate FIFO": Case(
        lambda w: ["drift", "rec", w.fifo()], 2, f"error: pipe.json: {NO_RECORDING}"
    ),
    "drift candidate /dev/zero": Case(
        lambda w: ["drift", "rec", "/dev/zero"], 2, f"error: /dev/zero: {NO_RECORDING}"
    ),
    "drift candidate with a FIFO cassette": Case(
        lambda w: ["drift", "rec", w.damaged(_fifo_cassette)],
        2,
        f"error: bad/{CASSETTE}: {FIFO}",
        process=True,
    ),
    "drift spaces and non-ASCII": Case(lambda w: ["drift", w.odd_recording(), "rec"], 0),
    "drift --output .": Case(
        lambda w: ["drift", "rec", "rec", "--output", "."], 2, "error: --output \\. is a folder"
    ),
    "drift --output ..": Case(
        lambda w: ["drift", "rec", "rec", "--output", ".."], 2, "error: --output \\.\\. is a folder"
    ),
    "drift --output ~ (HOME)": Case(
        lambda w: ["drift", "rec", "rec", "--output", str(w.home)], 2, "error: --output .*/home is a folder"
    ),
    "drift --output /": Case(
        lambda w: ["drift", "rec", "rec", "--output", "/"], 2, "error: --output / is a folder"
    ),
    "drift --output /dev/zero": Case(
        lambda w: ["drift", "rec", "rec", "--output", "/dev/zero"],
        2,
        "error: --output /dev/zero is not a regular file",
    ),
    "drift --output /dev/full": Case(
        lambda w: ["drift", "rec", "rec", "--output", "/dev/full"],
        2,
        "error: --output /dev/full is not a regular file",
    ),
    "drift --output FIFO": Case(
        lambda w: ["drift", "rec", "rec", "--output", w.fifo("report.txt")],
        2,
        "error: --output report.txt is not a regular file",
        process=True,
    ),
    "drift --output symlink loop": Case(
        lambda w: ["drift", "rec", "rec", "--output", w.loop()],
        2,
        "error: cannot write loop \\(Too many levels of symbolic links\\)",
    ),
    "drift --output name over 255 bytes": Case(
        lambda w: ["drift", "rec", "rec", "--output", "r" * 300],
        2,
        f"error: cannot write {'r' * 300}: the name is too long",
    ),
    "drift --output into a recording": Case(
        lambda w: ["drift", "rec", "rec", "--output", "cassettes/manifest.json"],
        2,
        "error: --output cassettes/manifest.json is inside the recording cassettes",
    ),
    "drift --output spaces and non-ASCII": Case(
        lambda w: ["drift", "rec", "rec", "--output", "ré port ✓.md"], 0, output="ré port ✓.md"
    ),
    "drift --output in a missing folder": Case(
        lambda w: ["drift", "rec", "rec", "--output", "reports/today/drift.md"], 0, output="reports"
    ),
    "drift --output in a read-only folder": Case(
        lambda w: ["drift", "rec", "rec", "--output", f"{w.locked(0o555)}/drift.md"],
        2,
        "error: cannot write locked/drift.md \\(Permission denied\\)",
    ),
    # -- audit PATHS --allowlist ----------------------------------------------------------------------
    "audit .": Case(lambda w: ["audit", "."], 0),
    "audit ..": Case(lambda w: ["audit", ".."], 0),
    "audit ~ (HOME)": Case(lambda w: ["audit", str(w.home)], 0),
    "audit ~ (literal)": Case(lambda w: ["audit", "~"], 2, "error: ~: no such file or directory"),
    "audit FIFO": Case(lambda w: ["audit", w.fifo()], 2, f"error: pipe.json: {FIFO}", process=True),
    "audit /dev/zero": Case(lambda w: ["audit", "/dev/zero"], 2, f"error: /dev/zero: {DEVICE}", process=True),
    "audit a link to /dev/zero": Case(
        lambda w: ["audit", w.zero_link()], 2, f"error: zero.json: {DEVICE}", process=True
    ),
    "audit a folder holding a FIFO": Case(
        lambda w: ["audit", "rec", w.fifo("rec/extra.yaml")],
        2,
        f"error: rec/extra.yaml: {FIFO}",
        process=True,
    ),
    "audit symlink loop": Case(lambda w: ["audit", w.loop()], 2, f"error: loop: {LOOP}"),
    "audit name over 255 bytes": Case(
        lambda w: ["audit", "r" * 300], 2, f"error: {'r' * 300}: cannot be read \\(File name too long\\)"
    ),
    "audit a missing path": Case(
        lambda w: ["audit", "nowhere"], 2, "error: nowhere: no such file or directory"
    ),
    "audit spaces and non-ASCII": Case(
        lambda w: ["audit", w.text_file("ré port ✓.json", f'{{"email": "{REAL_EMAIL}"}}\n')], 1
    ),
    "audit an unreadable folder": Case(
        lambda w: ["audit", w.locked(0)], 2, "error: locked: cannot be read \\(Permission denied\\)"
    ),
    "audit --allowlist FIFO": Case(
        lambda w: ["audit", "rec", "--allowlist", w.fifo("allow.toml")],
        2,
        f"error: allow.toml: allowlist cannot be read \\({FIFO}\\)",
        process=True,
    ),
    "audit --allowlist /dev/zero": Case(
        lambda w: ["audit", "rec", "--allowlist", "/dev/zero"],
        2,
        f"error: /dev/zero: allowlist cannot be read \\({DEVICE}\\)",
        process=True,
    ),
    "audit --allowlist .": Case(
        lambda w: ["audit", "rec", "--allowlist", "."],
        2,
        usage="Invalid value for '--allowlist': File '.' is a directory.",
    ),
    "audit --allowlist symlink loop": Case(
        lambda w: ["audit", "rec", "--allowlist", w.loop()],
        2,
        usage="Invalid value for '--allowlist': File 'loop' does not exist.",
    ),
    "audit --allowlist nested deep": Case(
        lambda w: ["audit", "rec", "--allowlist", w.text_file("deep.toml", "a = " + DEEP)],
        2,
        "error: deep.toml: allowlist is nested too deeply",
    ),
    # -- sandbox (always a process: a regression would serve forever) ------------------------------
    "sandbox --faults FIFO": Case(
        lambda w: ["sandbox", "--faults", w.fifo()], 2, f"error: pipe.json: {FIFO}", process=True
    ),
    "sandbox --faults /dev/zero": Case(
        lambda w: ["sandbox", "--faults", "/dev/zero"], 2, f"error: /dev/zero: {DEVICE}", process=True
    ),
    "sandbox --faults a link to /dev/zero": Case(
        lambda w: ["sandbox", "--faults", w.zero_link()], 2, f"error: zero.json: {DEVICE}", process=True
    ),
    "sandbox --faults .": Case(
        lambda w: ["sandbox", "--faults", "."],
        2,
        process=True,
        usage="Invalid value for '--faults': File '.' is a directory.",
    ),
    "sandbox --faults symlink loop": Case(
        lambda w: ["sandbox", "--faults", w.loop()],
        2,
        process=True,
        usage="Invalid value for '--faults': File 'loop' does not exist.",
    ),
    "sandbox --faults nested deep": Case(
        lambda w: ["sandbox", "--faults", w.text_file("deep.json", '{"faults": ' + DEEP + "}")],
        2,
        "error: deep.json: nested deeper than 100 levels",
        process=True,
    ),
    "sandbox --port in use": Case(
        lambda w: ["sandbox", "--port", w.busy_port()],
        2,
        "error: port \\d+ on 127.0.0.1 is already in use by another program",
        process=True,
    ),
    "sandbox --token with a newline": Case(
        lambda w: ["sandbox", "--token", SECRET_TOKEN + "\n"],
        2,
        "error: --token is not a PagerDuty API key \\(it holds a line break: a copy-paste\\?\\)",
        process=True,
    ),
    "sandbox --token with a carriage return": Case(
        lambda w: ["sandbox", "--token", SECRET_TOKEN + "\r"],
        2,
        "error: --token is not a PagerDuty API key \\(it holds a line break",
        process=True,
    ),
    "sandbox --incident-delay nan": Case(
        lambda w: ["sandbox", "--incident-delay", "nan"],
        2,
        "error: --incident-delay must be a number of seconds, not infinite or NaN",
        process=True,
    ),
    "sandbox --incident-delay inf": Case(
        lambda w: ["sandbox", "--incident-delay", "inf"],
        2,
        "error: --incident-delay must be a number of seconds",
        process=True,
    ),
    # -- record, its options other than --out (nothing may be sent) ------------------------------------
    "record --api-url with a password": Case(
        _record(**{"--api-url": f"http://ops:{PASSWORD}@127.0.0.1:9"}),
        2,
        usage="Invalid value for '--api-url': URL holds a user name or password \\(not shown\\)",
    ),
    "record --api-url http://[::1": Case(
        _record(**{"--api-url": "http://[::1"}),
        2,
        usage="Invalid value for '--api-url': URL is not a base URL \\(Invalid IPv6 URL\\)",
    ),
    "record --events-url with a line break": Case(
        _record(**{"--events-url": "http://127.0.0.1:9\r"}),
        2,
        usage="Invalid value for '--events-url': URL is not a base URL \\(it holds a line break",
    ),
    "record --token with a newline": Case(
        _record(**{"--token": SECRET_TOKEN + "\n"}),
        2,
        f"error: {TOKEN_FLAW} \\(it holds a line break: a copy-paste\\?\\)",
    ),
    "record --token with a carriage return": Case(
        _record(**{"--token": SECRET_TOKEN + "\r"}), 2, f"error: {TOKEN_FLAW} \\(it holds a line break"
    ),
    "record --token with a space": Case(
        _record(**{"--token": " " + SECRET_TOKEN}), 2, f"error: {TOKEN_FLAW} \\(it holds a space\\)"
    ),
    "record --token not ASCII": Case(
        _record(**{"--token": SECRET_TOKEN + "é"}),
        2,
        f"error: {TOKEN_FLAW} \\(it holds characters a key has not\\)",
    ),
    "record PAGERDUTY_API_TOKEN with a newline": Case(
        lambda w: [a for a in _record()(w) if a not in ("--token", SECRET_TOKEN)],
        2,
        f"error: {TOKEN_FLAW} \\(it holds a line break",
        env={"PAGERDUTY_API_TOKEN": SECRET_TOKEN + "\n"},
    ),
    "record --from-email with a newline": Case(
        _record(**{"--from-email": REAL_EMAIL + "\n"}),
        2,
        usage="Invalid value for '--from-email': email is not an email address \\(it holds a line break",
    ),
    "record --from-email .": Case(
        _record(**{"--from-email": "."}),
        2,
        usage="Invalid value for '--from-email': email is not an email address",
    ),
    **{
        f"record --subdomain {value}": Case(
            _record(**{"--subdomain": value}),
            2,
            usage=f"Invalid value for '--subdomain': {re.escape(repr(value))} is not a PagerDuty subdomain",
        )
        for value in (".", "..", "~", "/", "ré cording", "a\nb")
    },
}
UNPRIVILEGED_ONLY = {
    "replay an unreadable folder",
    "drift --output in a read-only folder",
    "audit an unreadable folder",
}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """HOME, TMPDIR and the working folder (with cassettes/ and rec/) all inside tmp_path."""
    home, tmp, work = tmp_path / "home", tmp_path / "tmp", tmp_path / "work"
    for folder in (home, tmp, work):
        folder.mkdir()
    (home / ".profile").write_text("export EDITOR=vi\n", encoding="utf-8")
    accepted_copy(work / "cassettes")
    accepted_copy(work / "rec")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    for name in NO_PAGERDUTY_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(work)
    made = World(root=tmp_path, home=home, tmp=tmp, work=work)
    yield made
    for listener in made.sockets:
        listener.close()
    for path in tmp_path.rglob("*"):  # let pytest remove what a case locked
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)


def snapshot(root: Path) -> dict[str, tuple[int, ...]]:
    """Every entry under `root`, links not followed: type, and for files size, mtime and mode."""
    entries: dict[str, tuple[int, ...]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            info = path.lstat()
            kind = stat.S_IFMT(info.st_mode)
            # A folder's own times change when a temporary file comes and goes in it.
            entries[str(path.relative_to(root))] = (
                (kind,)
                if stat.S_ISDIR(info.st_mode)
                else (kind, info.st_size, info.st_mtime_ns, info.st_mode)
            )
    return entries


def _run(world: World, case: Case, args: list[str]) -> tuple[int, str, str]:
    if case.process:
        env = {k: v for k, v in os.environ.items() if k not in NO_PAGERDUTY_ENV} | case.env
        done = subprocess.run(
            [sys.executable, "-m", "harness", *args],
            cwd=world.work,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        return done.returncode, done.stdout, done.stderr
    result = CliRunner(env={**NO_PAGERDUTY_ENV, **case.env}).invoke(cli, args)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_value_is_refused_exactly_and_touches_nothing(name: str, world: World) -> None:
    """The exit code and message are exact, no secret is printed, and only the output changes."""
    if name in UNPRIVILEGED_ONLY and AS_ROOT:
        pytest.skip("root reads and writes through permission bits")
    case = CASES[name]
    args = case.args(world)
    before = snapshot(world.root)
    code, stdout, stderr = _run(world, case, args)
    assert code == case.code, f"{args}: {stdout}{stderr}"
    assert "Traceback" not in stdout + stderr
    lines = stderr.splitlines()
    if case.error:
        assert len(lines) == 2, stderr
        assert re.fullmatch(case.error + ".*", lines[0]), lines[0]
        assert lines[1].startswith("next: ") and len(lines[1]) > len("next: ")
    elif case.usage:
        assert re.fullmatch(f"Error: {case.usage}.*", lines[-1]), stderr
    else:
        assert not [line for line in lines if line.lower().startswith("error")], stderr
    for secret in SECRETS:
        assert secret not in stdout + stderr
    after = snapshot(world.root)
    if case.output:
        for entries in (before, after):
            for key in [k for k in entries if k.startswith(f"work/{case.output}")]:
                del entries[key]
    assert after == before


def test_a_full_disk_under_drift_output_is_exit_2(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC while writing the report: exit 2 saying so; no half-written report is left."""

    def full(target: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(harness.fsutil, "write_file", full)
    result = CliRunner().invoke(cli, ["drift", "rec", "rec", "--output", "report.md"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: no space left on the disk to write report.md",
        "next: free some space, or name a file on another disk with --output",
    ]
    assert not (world.work / "report.md").exists()


def test_an_unexpected_exception_is_exit_2_with_a_redacted_traceback_file(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug says `internal error (Type)`, exits 2, and saves a traceback without the secrets."""
    import harness.commands

    def broken(**options: object) -> int:
        raise ValueError(f"header 'Token token={options['token']}' from {options['from_email']}")

    monkeypatch.setattr(harness.commands, "record_command", broken)
    result = CliRunner().invoke(
        cli,
        [
            "record",
            "--subdomain",
            "acme-co",
            "--token",
            SECRET_TOKEN,
            "--from-email",
            REAL_EMAIL,
            "--api-url",
            "http://127.0.0.1:9",
        ],
    )
    assert result.exit_code == 2
    error, hint = result.stderr.splitlines()
    assert error == "error: internal error (ValueError)"
    reported = re.fullmatch(r"next: please report it with the traceback saved in (.+)", hint)
    assert reported is not None, hint
    saved = Path(reported[1])
    assert saved.parent == world.tmp
    text = saved.read_text(encoding="utf-8")
    assert "ValueError: header 'Token token=<redacted>' from <redacted>" in text
    assert SECRET_TOKEN not in text and REAL_EMAIL not in text


def test_a_keyboard_interrupt_is_still_130(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The last-resort handler leaves Ctrl-C alone: exit 130, `error: interrupted`."""
    import harness.commands

    def interrupted(**options: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(harness.commands, "drift_command", interrupted)
    result = CliRunner().invoke(cli, ["drift", "rec", "rec"])
    assert result.exit_code == 130
    assert result.stderr.splitlines() == ["error: interrupted"]


def test_the_odd_names_used_above_are_valid_recordings(world: World) -> None:
    """The space-and-accent recording is a copy of the accepted one, so only its name is odd."""
    name = world.odd_recording()
    assert sorted(p.name for p in (world.work / name).iterdir()) == sorted(p.name for p in ACCEPTED.iterdir())
    shutil.rmtree(world.work / "my recs")


def test_drift_refuses_a_deeply_nested_body(world: World) -> None:
    """A body nested 200,000 deep is exit 2 naming the cassette, as replay says it, not a crash."""
    result = CliRunner().invoke(cli, ["drift", "rec", world.damaged(_deep_body)])
    assert result.exit_code == 2
    error = result.stderr.splitlines()[0]
    assert error.startswith(f"error: bad/{CASSETTE}: ") and "nested deeper than 100 levels" in error


def test_an_error_message_never_repeats_a_secret_the_run_was_given(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A core error quoting the token or the From email is printed with both redacted."""
    import harness.commands
    from harness.errors import StepFailed

    def leaky(**options: object) -> int:
        raise StepFailed(
            f"the API said: bad header Token token={options['token']} for {options['from_email']}",
            hint=f"check {options['token']}",
        )

    monkeypatch.setattr(harness.commands, "record_command", leaky)
    result = CliRunner().invoke(
        cli, ["record", "--subdomain", "acme-co", "--token", SECRET_TOKEN, "--from-email", REAL_EMAIL]
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: the API said: bad header Token token=<redacted> for <redacted>",
        "next: check <redacted>",
    ]


@pytest.mark.parametrize("command", [["drift", "rec", "rec"], ["audit", "rec"], ["steps"]])
def test_stdout_on_a_full_disk_is_exit_2(world: World, command: list[str]) -> None:
    """Output sent to a full device (here /dev/full) is exit 2 saying so, not an internal error."""
    env = {k: v for k, v in os.environ.items() if k not in NO_PAGERDUTY_ENV}
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "harness", *command],
            cwd=world.work,
            env=env,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: cannot write: No space left on device",
        "next: free some space, or send the output to another disk, then run again",
    ]
    assert list(world.tmp.iterdir()) == []
