"""Damaged recordings, bad options, refusing APIs: exit 2 (1 for a failed step), one line, no traceback."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from _reliability import ACCEPTED, COUNTS, FUZZ_EXAMPLES, accepted_copy, ours, tree
from click.testing import CliRunner, Result
from hypothesis import event, given, settings
from hypothesis import strategies as st

from harness.cassettes import MAX_FILE_BYTES, Recording, load_cassette, load_manifest, load_recording
from harness.cli import cli
from harness.drift import compute_drift
from harness.errors import InputError
from harness.sandbox import Fault, Sandbox

DRIFT_BASELINE = Path(__file__).parent / "data" / "drift" / "baseline"
CASSETTE = "13-acknowledge-incident.yaml"
INTERNAL = "(2000: An internal error has occurred. PagerDuty team has been notified.)"
NO_PAGERDUTY_ENV = {"PAGERDUTY_API_TOKEN": None, "PAGERDUTY_FROM_EMAIL": None, "PAGERDUTY_SUBDOMAIN": None}
FUZZ = settings(max_examples=FUZZ_EXAMPLES, derandomize=True, deadline=None, database=None)


def _one_line_error(result: Result, code: int) -> str:
    """Check the run ended with `code`, one `error:` line and at most a `next:` line; return the error."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 2 and lines[0].startswith("error: "), result.stderr
    assert len(lines) == 1 or lines[1].startswith("next: ")
    return lines[0]


# -- damaged recordings -----------------------------------------------------------------------------


def _write(text: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(text, encoding="utf-8")


def _write_bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _huge(path: Path) -> None:
    with path.open("wb") as handle:  # sparse: one byte past the limit costs no disk
        handle.truncate(MAX_FILE_BYTES + 1)


def _binary(path: Path) -> None:
    path.write_bytes(bytes(random.Random(7).randrange(128, 256) for _ in range(4096)))


def _manifest_edit(edit: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def apply(path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        edit(data)
        path.write_text(json.dumps(data), encoding="utf-8")

    return apply


def _cassette_edit(edit: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def apply(path: Path) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        edit(data)
        path.write_text(yaml.safe_dump(data), encoding="utf-8")

    return apply


def _set(*path: Any) -> Callable[[dict[str, Any]], None]:
    """Set the value at the end of `path` (keys, then the value)."""
    *keys, last, value = path

    def edit(data: dict[str, Any]) -> None:
        for key in keys:
            data = data[key]
        data[last] = value

    return edit


def _drop(*keys: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        for key in keys[:-1]:
            data = data[key]
        del data[keys[-1]]

    return edit


def _text_edit(old: str, new: str) -> Callable[[Path], None]:
    """Replace the first `old` in the file's text: damage that json or yaml cannot write."""

    def apply(path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _link_to_dev_zero(path: Path) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


DEEP = "[" * 200_000 + "]" * 200_000
UNREADABLE = {
    "missing": (Path.unlink, r"file is missing"),
    "empty": (_write(""), None),
    "truncated": (_truncated, None),
    "binary": (_binary, r"not UTF-8 text"),
    "nul-bytes": (_write_bytes(b"\x00" * 64), None),
    "huge": (_huge, rf"{MAX_FILE_BYTES + 1} bytes is larger than a recording file can be"),
    "fifo": (_fifo, r"is a FIFO \(named pipe\), not a regular file"),
    # accept refuses any link in a recording before reading; replay and drift follow it to a device.
    "link-to-dev-zero": (
        _link_to_dev_zero,
        r"(is a device, not a regular file|is a symbolic link; "
        r"a recording holds regular files only)",
    ),
    "deeply-nested": (_write(DEEP), r"nested deeper than 100 levels"),
}
MANIFEST_DAMAGE = {
    **{
        name: (damage, expected or r"invalid JSON at line \d+")
        for name, (damage, expected) in UNREADABLE.items()
    },
    "wrong-version": (
        _manifest_edit(_set("format_version", 2)),
        r"manifest format version 2 is not supported \(this harness reads version 1\)",
    ),
    "not-a-manifest": (_manifest_edit(_set("format", "har")), r"not a harness manifest"),
    "a-list": (_write("[]"), r"not a harness manifest"),
    "no-steps": (_manifest_edit(_drop("steps")), r"manifest field missing or malformed"),
    "steps-not-a-list": (_manifest_edit(_set("steps", "all")), r"manifest field missing or malformed"),
    "step-number-a-word": (
        _manifest_edit(_set("steps", 0, "number", "one")),
        r"manifest field missing or malformed",
    ),
    "placeholders-a-list": (
        _manifest_edit(_set("placeholders", [1, 2])),
        r"manifest field missing or malformed",
    ),
    "cassette-outside": (
        _manifest_edit(_set("steps", 0, "cassette", "../../etc/passwd")),
        r"cassette name '\.\./\.\./etc/passwd' is not a plain file name",
    ),
    "sandbox-a-string": (
        _manifest_edit(_set("sandbox", "false")),
        r"manifest field missing or "
        r"malformed \('sandbox' must be true or false, not text\)",
    ),
    "version-true": (
        _manifest_edit(_set("format_version", True)),
        r"manifest format version True is not supported",
    ),
    "number-1e400": (_text_edit('"number": 1,', '"number": 1e400,'), r"the number 1e400 is out of range"),
    "number-out-of-range": (
        _manifest_edit(_set("steps", 0, "number", 10**6)),
        r"manifest field missing or malformed \(step 1 'number' is out of range",
    ),
    "number-a-bool": (
        _manifest_edit(_set("steps", 0, "number", True)),
        r"manifest field missing or "
        r"malformed \(step 1 'number' must be a whole number, not true or false\)",
    ),
    "placeholder-with-a-line-break": (
        _manifest_edit(_set("placeholders", "from_email", "person-1@example.com\r")),
        r"manifest field missing or malformed \(placeholder 'from_email' holds a control character\)",
    ),
    "api-url-not-a-url": (
        _manifest_edit(_set("api_url", "http://[::1")),
        r"manifest field missing or malformed \('api_url' is not an http\(s\) URL\)",
    ),
}
CASSETTE_DAMAGE = {
    **{
        name: (damage, expected or r"(invalid YAML|not a vcrpy cassette|interaction \d+ |cassette format)")
        for name, (damage, expected) in UNREADABLE.items()
    },
    "python-tag": (_write("!!python/object/apply:os.system ['true']\n"), r"invalid YAML at line 1"),
    "tab-indented": (_write("interactions:\n\t- request: {}\n"), r"invalid YAML at line 2"),
    "no-interactions": (
        _cassette_edit(_drop("interactions")),
        r"not a vcrpy cassette \(no interactions list\)",
    ),
    "interactions-a-map": (
        _cassette_edit(_set("interactions", {"a": 1})),
        r"not a vcrpy cassette \(no interactions list\)",
    ),
    "no-response": (
        _cassette_edit(_drop("interactions", 0, "response")),
        r"interaction 1 lacks a request or a response",
    ),
    "no-method": (
        _cassette_edit(_drop("interactions", 0, "request", "method")),
        r"interaction 1 has a request without method or uri",
    ),
    "status-a-string": (
        _cassette_edit(_set("interactions", 0, "response", "status", "code", "200")),
        r"interaction 1 has a response without a status code",
    ),
    "headers-a-list": (
        _cassette_edit(_set("interactions", 0, "response", "headers", ["a", "b"])),
        r"interaction 1 has response headers that are not a mapping",
    ),
    "body-a-number": (
        _cassette_edit(_set("interactions", 0, "response", "body", "string", 42)),
        r"interaction 1 has a response body that is not text",
    ),
    "uri-not-a-url": (
        _cassette_edit(_set("interactions", 0, "request", "uri", "http://[::1/x")),
        r"interaction 1 has a request whose uri is not a URL",
    ),
    "wrong-version": (
        _cassette_edit(_set("version", 2)),
        r"cassette format version 2 is not supported \(this harness reads version 1\)",
    ),
    "header-an-int": (
        _text_edit("      - '960'", "      - 960"),
        r"interaction 1 has response header 'ratelimit-limit' with a value that is not "
        r"text \(quote it\)",
    ),
    "unknown-request-key": (
        _cassette_edit(_set("interactions", 0, "request", "recorded_at", "now")),
        r"interaction 1 has a request with unknown fields \('recorded_at'\)",
    ),
    "status-out-of-range": (
        _cassette_edit(_set("interactions", 0, "response", "status", "code", 9999)),
        r"interaction 1 has a response status code out of range \(100-599\)",
    ),
    "request-body-a-list": (
        _cassette_edit(_set("interactions", 0, "request", "body", [1])),
        r"interaction 1 has a request body that is not text",
    ),
}
DAMAGES = [
    pytest.param("manifest.json", name, damage, expected, id=f"manifest-{name}")
    for name, (damage, expected) in MANIFEST_DAMAGE.items()
]
DAMAGES += [
    pytest.param(CASSETTE, name, damage, expected, id=f"cassette-{name}")
    for name, (damage, expected) in CASSETTE_DAMAGE.items()
]
COMMANDS = {
    "replay": lambda rec: ["replay", str(rec)],
    "drift": lambda rec: ["drift", "cassettes", str(rec)],
    "accept": lambda rec: ["accept", str(rec)],
}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory with an accepted recording in cassettes/ and a copy of it in rec/.

    HOME and the temporary folder are inside it too, so nothing a command writes lands elsewhere.
    """
    accepted_copy(tmp_path / "cassettes")
    accepted_copy(tmp_path / "rec")
    for folder in ("home", "tmp"):
        (tmp_path / folder).mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    assert list((tmp_path / "tmp").iterdir()) == []  # no crash report, no temporary file left


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(("file", "name", "damage", "expected"), DAMAGES)
def test_a_damaged_recording_is_refused_with_its_cause(
    command: str,
    file: str,
    name: str,
    damage: Callable[[Path], None],
    expected: str,
    workdir: Path,
) -> None:
    """replay, drift and accept exit 2 naming the file and what is wrong with it; cassettes/ is untouched."""
    damage(workdir / "rec" / file)
    accepted = tree(workdir / "cassettes")
    result = CliRunner().invoke(cli, COMMANDS[command](Path("rec")))
    error = _one_line_error(result, 2)
    assert re.match(rf"error: {re.escape(str(Path('rec') / file))}: {expected}", error), error
    assert tree(workdir / "cassettes") == accepted


NOT_DIRECTORIES = ["nowhere", "a-file"]


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("where", NOT_DIRECTORIES)
def test_a_missing_recording_directory_is_refused(command: str, where: str, workdir: Path) -> None:
    """A recording path that is not a directory: exit 2, saying there is no recording there."""
    if where == "a-file":
        (workdir / where).write_text("not a recording\n")
    result = CliRunner().invoke(cli, COMMANDS[command](Path(where)))
    assert _one_line_error(result, 2) == f"error: {where}: no recording directory there"


# -- invalid options ----------------------------------------------------------------------------------

VALID = {
    "--subdomain": "acme-co",
    "--token": "y_E8xTz1Q7vS3kLm9pNc",
    "--from-email": "ops@example.com",
    "--api-url": "http://127.0.0.1:9",
    "--events-url": "http://127.0.0.1:9",
}
BAD_OPTIONS = [
    ("--subdomain", "acme_co!", "'acme_co!' is not a PagerDuty subdomain (give the first label"),
    ("--subdomain", "-acme", "'-acme' is not a PagerDuty subdomain"),
    ("--subdomain", "acme.co.uk", "'acme.co.uk' is not a PagerDuty subdomain"),
    ("--region", "mars", "'mars' is not one of 'us', 'eu'."),
    ("--api-url", "api.pagerduty.com", "URL 'api.pagerduty.com' is not a base URL (give an absolute"),
    ("--api-url", "ftp://api.example.com", "URL 'ftp://api.example.com' is not a base URL"),
    ("--api-url", "https://api.example.com/?x=1", "URL 'https://api.example.com/?x=1' is not a base URL"),
    ("--events-url", "http://", "URL 'http://' is not a base URL"),
    ("--api-url", "http://[::1", "URL is not a base URL (Invalid IPv6 URL)"),
    ("--api-url", "http://ops:hunter2@127.0.0.1:9", "URL holds a user name or password (not shown)"),
    ("--events-url", "http://127.0.0.1:99999", "URL is not a base URL (Port out of range 0-65535)"),
    ("--from-email", "ops", "email is not an email address (give the email of an existing user"),
    ("--from-email", "ops@localhost", "email is not an email address"),
    ("--from-email", "ops@@example.com", "email is not an email address"),
    ("--from-email", "ops@example.com\n", "email is not an email address (it holds a line break"),
    ("--poll-timeout", "0", "0.0 is not in the range x>0."),
    ("--poll-timeout", "soon", "'soon' is not a valid float range."),
]


@pytest.mark.parametrize(
    ("option", "value", "message"), BAD_OPTIONS, ids=[f"{o}={v}" for o, v, _ in BAD_OPTIONS]
)
def test_an_invalid_record_option_is_a_usage_error(
    option: str,
    value: str,
    message: str,
    tmp_path: Path,
) -> None:
    """Exit 2 with click's one-line `Error:` naming the option and what a valid value is; nothing runs."""
    args = {**VALID, option: value, "--out": str(tmp_path / "rec")}
    result = CliRunner(env=NO_PAGERDUTY_ENV).invoke(cli, ["record", *[x for kv in args.items() for x in kv]])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: Invalid value for '{option}': {message}")
    assert "hunter2" not in result.output and "@example.com\n" not in result.output
    assert not (tmp_path / "rec").exists()


MISSING_OPTIONS = [
    ("--subdomain", "error: --subdomain is required"),
    ("--token", "error: no PagerDuty API token"),
    ("--from-email", "error: no From email"),
]


@pytest.mark.parametrize(("missing", "message"), MISSING_OPTIONS)
def test_a_missing_record_option_is_named(missing: str, message: str, tmp_path: Path) -> None:
    """Without the subdomain, the token or the From email: exit 2 naming what to pass."""
    args = {k: v for k, v in VALID.items() if k != missing} | {"--out": str(tmp_path / "rec")}
    result = CliRunner(env=NO_PAGERDUTY_ENV).invoke(cli, ["record", *[x for kv in args.items() for x in kv]])
    assert _one_line_error(result, 2) == message


OTHER_BAD_OPTIONS = [
    (["drift", "--fail-on", "fatal"], "Invalid value for '--fail-on': 'fatal' is not one of"),
    (["drift", "--format", "pdf"], "Invalid value for '--format': 'pdf' is not one of"),
    (["audit", "--format", "xml"], "Invalid value for '--format': 'xml' is not one of"),
    (["sandbox", "--port", "70000"], "Invalid value for '--port': 70000 is not in the range 0<=x<=65535."),
]


@pytest.mark.parametrize(("args", "message"), OTHER_BAD_OPTIONS)
def test_invalid_options_of_other_commands_are_usage_errors(args: list[str], message: str) -> None:
    """Other commands refuse bad choices the same way: exit 2, one `Error:` line, no traceback."""
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {message}"), result.stderr


# -- an API that refuses ------------------------------------------------------------------------------


def _record(sb: Sandbox, out: Path, api_url: str | None = None) -> Result:
    return CliRunner(env=NO_PAGERDUTY_ENV).invoke(
        cli,
        [
            "record",
            "--subdomain",
            sb.subdomain,
            "--token",
            sb.token,
            "--from-email",
            sb.owner_email,
            "--api-url",
            api_url or sb.api_url,
            "--events-url",
            sb.events_url,
            "--out",
            str(out),
        ],
    )


# Sandboxes here use account="empty": these tests assert exact account state (users, open
# incidents, integrations, identical recordings), which the busy account's other teams change;
# telling the scenario's resources from theirs (drift's ownership rule) is issue 14.
SETUP_REFUSALS = [
    (401, "error: the API token was refused (401)"),
    (402, f"error: the account lacks an ability this scenario needs (402) {INTERNAL}"),
    (403, "error: the API token may not read users (403) (2010: Access Denied)"),
    (404, "error: the API URL answered 404: it does not look like PagerDuty's REST API (2100: Not Found)"),
]


@pytest.mark.parametrize(("status", "message"), SETUP_REFUSALS)
def test_a_refusal_at_setup_is_exit_2_before_anything_is_created(
    status: int,
    message: str,
    tmp_path: Path,
) -> None:
    """401, 402, 403 or 404 to the first request: exit 2 with the cause; the account is untouched."""
    with Sandbox(account="empty", faults=[Fault(method="GET", path="/users", status=status)]) as sb:
        result = _record(sb, tmp_path / "rec")
        assert _one_line_error(result, 2) == message
        assert len(sb.account.snapshot().users) == 1
    assert not (tmp_path / "rec").exists()


def test_an_api_url_that_is_not_pagerduty_is_exit_2(tmp_path: Path) -> None:
    """A base URL one path too deep answers 404 to the check: exit 2, pointing at --api-url."""
    with Sandbox() as sb:
        result = _record(sb, tmp_path / "rec", api_url=f"{sb.api_url}/v2")
        assert _one_line_error(result, 2).startswith(
            "error: the API URL answered 404: it does not look like PagerDuty's REST API"
        )
        assert "next: check --region or --api-url" in result.stderr
    assert not (tmp_path / "rec").exists()


RUN_REFUSALS = [
    (
        400,
        "POST",
        "/incidents/*/notes",
        "create-note",
        "create a note: PagerDuty answered 400 (2001: Invalid Input Provided)",
    ),
    (
        402,
        "POST",
        "/escalation_policies",
        "create-escalation-policy",
        f"create the escalation policy: PagerDuty answered 402 {INTERNAL}",
    ),
    (
        403,
        "POST",
        "/services",
        "create-service",
        "create the service: PagerDuty answered 403 (2010: Access Denied)",
    ),
    (
        404,
        "PUT",
        "/incidents/*",
        "acknowledge-incident",
        "acknowledge the incident: PagerDuty answered 404 (2100: Not Found)",
    ),
]


@pytest.mark.parametrize(("status", "method", "path", "slug", "words"), RUN_REFUSALS)
def test_a_refusal_during_the_run_is_exit_1_after_cleanup(
    status: int,
    method: str,
    path: str,
    slug: str,
    words: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 4xx to a live step: exit 1 naming the step and PagerDuty's words; cleanup leaves nothing."""
    monkeypatch.chdir(tmp_path)
    with Sandbox(
        account="empty", incident_delay=0.02, faults=[Fault(method=method, path=path, status=status)]
    ) as sb:
        result = _record(sb, tmp_path / "rec")
        assert _one_line_error(result, 1) == (
            f"error: step {slug} failed: {words}; cleanup done, nothing left in the account"
            "; the previous recording was left untouched"
        )
        assert ours(sb) == []
    assert not (tmp_path / "rec").exists()


# -- generated junk -------------------------------------------------------------------------------------

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
TEXTS = st.lists(st.text(max_size=30), max_size=2)
HEADERS = st.dictionaries(
    st.sampled_from(["Content-Type", "x-request-id", "ratelimit-limit", "Date"]) | st.text(max_size=12),
    TEXTS | st.text(max_size=30) | JUNK,
    max_size=4,
)
# What a body may hold: any text, any JSON (PagerDuty-like or not), bytes.
BODY_TEXT = (
    st.text(max_size=120)
    | JUNK.map(json.dumps)
    | st.binary(max_size=40)
    | st.dictionaries(st.sampled_from(["incidents", "incident", "error", "more"]), JUNK, max_size=3).map(
        json.dumps
    )
)
RESPONSE = st.fixed_dictionaries(
    {
        "status": st.fixed_dictionaries({"code": st.integers(), "message": st.text(max_size=10)}),
        "headers": HEADERS,
        "body": st.fixed_dictionaries({"string": BODY_TEXT}),
    }
)
REQUEST = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
        "uri": st.sampled_from(["http://127.0.0.1:41234/incidents", "http://127.0.0.1:41234/users?x=1"]),
        "body": st.none() | st.text(max_size=40),
        "headers": HEADERS,
    }
)
INTERACTIONS = st.lists(st.fixed_dictionaries({"request": REQUEST, "response": RESPONSE}), max_size=3)
CASSETTE = st.fixed_dictionaries({"interactions": INTERACTIONS, "version": st.just(1)})


def _places(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in a JSON-like tree, at any depth."""
    keys = list(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else ()
    return [place for key in keys for place in [(node, key), *_places(node[key])]]


@st.composite
def _damaged(draw: st.DrawFn, valid: st.SearchStrategy[Any]) -> Any:
    """A well-formed document with up to two of its values, at any depth, replaced by junk."""
    document = draw(valid)
    for _ in range(draw(st.integers(0, 2))):
        places = _places(document)
        if not places:
            return draw(JUNK)
        node, key = draw(st.sampled_from(places))
        node[key] = draw(JUNK)
    return document


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("junk")


@FUZZ
@given(
    data=st.binary(max_size=600)
    | st.text(max_size=300).map(str.encode)
    | _damaged(CASSETTE).map(_yaml).map(str.encode)
)
def test_load_cassette_accepts_or_raises_input_error(scratch: Path, data: bytes) -> None:
    """Whatever bytes a cassette holds, loading it succeeds or raises InputError, nothing else."""
    path = scratch / "junk.yaml"
    path.write_bytes(data)
    try:
        interactions = load_cassette(path)
    except InputError as error:
        event("refused")
        assert str(error).startswith(f"{path}: ")
    else:
        event("loaded")
        assert isinstance(interactions, list)


CASSETTE_NAMES = ["01-a.yaml", "02-b.yaml"]
STEP = st.fixed_dictionaries(
    {
        "number": st.integers(1, 29),
        "slug": st.text(max_size=10),
        "title": st.text(max_size=10),
        "cassette": st.sampled_from(CASSETTE_NAMES),
    }
)
MANIFEST = st.fixed_dictionaries(
    {
        "format": st.just("harness-recording"),
        "format_version": st.just(1),
        "harness_version": st.just("0.1.0"),
        "vcrpy_version": st.just("9.4.2"),
        "recorded_at": st.just("2026-11-26T13:40:00Z"),
        "sandbox": st.booleans(),
        "region": st.just("us"),
        "api_url": st.just("http://127.0.0.1:41234"),
        "events_url": st.just("http://127.0.0.1:41234"),
        "placeholders": st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=2),
        "steps": st.lists(STEP, max_size=2),
    }
)


@FUZZ
@given(
    manifest=_damaged(MANIFEST).map(json.dumps) | st.text(max_size=200),
    cassettes=st.lists(_damaged(CASSETTE).map(_yaml), min_size=2, max_size=2),
)
def test_load_manifest_and_load_recording_accept_or_raise_input_error(
    scratch: Path,
    manifest: str,
    cassettes: list[str],
) -> None:
    """Any manifest text, with any cassettes beside it, loads or raises InputError, nothing else."""
    directory = scratch / "recording"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()
    (directory / "manifest.json").write_text(manifest, encoding="utf-8")
    for name, text in zip(CASSETTE_NAMES, cassettes, strict=True):
        (directory / name).write_text(text, encoding="utf-8")
    for load in (load_manifest, load_recording):
        try:
            load(directory)
        except InputError as error:
            event(f"{load.__name__} refused")
            assert str(error).startswith(f"{directory}")
        else:
            event(f"{load.__name__} loaded")


@pytest.fixture(scope="module")
def drift_baseline() -> Recording:
    return load_recording(DRIFT_BASELINE)


@FUZZ
@given(
    picks=st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 9), _damaged(RESPONSE)), min_size=1, max_size=4
    ),
    junk_is_baseline=st.booleans(),
)
def test_compute_drift_on_junk_answers_reports_or_raises_input_error(
    scratch: Path,
    drift_baseline: Recording,
    picks: list[tuple[int, int, Any]],
    junk_is_baseline: bool,
) -> None:
    """Recordings whose answers hold junk statuses, headers and bodies: drift reports, never crashes."""
    directory = scratch / "drift"
    shutil.rmtree(directory, ignore_errors=True)
    shutil.copytree(DRIFT_BASELINE, directory)
    files = sorted(directory.glob("*.yaml"))
    for file_index, interaction_index, response in picks:
        path = files[file_index % len(files)]
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        interactions = data["interactions"]
        interactions[interaction_index % len(interactions)]["response"] = response
        path.write_text(_yaml(data), encoding="utf-8")
    try:
        junk = load_recording(directory)
    except InputError:
        event("refused by the loader")
        return
    event("compared")
    baseline, candidate = (junk, drift_baseline) if junk_is_baseline else (drift_baseline, junk)
    report = compute_drift(baseline=baseline, candidate=candidate)
    assert report.steps == tuple(step.entry.slug for step in drift_baseline.steps)


def test_the_bad_inputs_are_as_many_as_the_readme_states() -> None:
    """The damaged recordings, invalid options and refusing answers the README's table counts."""
    assert len(DAMAGES) + len(NOT_DIRECTORIES) == COUNTS["damaged recordings"]
    assert len(BAD_OPTIONS) + len(MISSING_OPTIONS) + len(OTHER_BAD_OPTIONS) == COUNTS["invalid options"]
    assert len(SETUP_REFUSALS) + 1 + len(RUN_REFUSALS) == COUNTS["refusing API answers"]
    properties = [
        name for name, test in globals().items() if name.startswith("test_") and hasattr(test, "hypothesis")
    ]
    assert len(properties) == COUNTS["junk properties"]


def test_the_accepted_recording_loads(workdir: Path) -> None:
    """The recording every damage starts from is itself valid, so each damage is the only defect."""
    assert len(load_recording(ACCEPTED).steps) == 29
    assert load_recording(workdir / "rec").manifest.format_version == 1
