"""Drift on real sandbox recordings: unchanged API means zero changes; each kind of change shows once."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from harness.cassettes import load_recording
from harness.cli import cli
from harness.drift import compute_drift
from harness.drift.documented import NO_DOCUMENTS
from harness.openapi import openapi_dir
from harness.recorder import record_scenario
from harness.sandbox import Sandbox
from harness.settings import build_settings


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two recordings made one after the other against the same sandbox account."""
    base = tmp_path_factory.mktemp("drift")
    # The empty account: other teams' changing incidents between the runs would be drift until
    # drift can tell the scenario's resources from theirs (its ownership rule, issue 14).
    with Sandbox(account="empty", incident_delay=0.02) as sb:
        for name in ("first", "second"):
            settings = build_settings(
                subdomain=sb.subdomain,
                token=sb.token,
                from_email=sb.owner_email,
                region="us",
                api_url=sb.api_url,
                events_url=sb.events_url,
                out=base / name,
                poll_timeout=10,
            )
            record_scenario(settings=settings)
    return base / "first", base / "second"


def test_two_recordings_of_the_unchanged_sandbox_show_zero_changes(two_runs: tuple[Path, Path]) -> None:
    """The account's history grows between the runs, yet nothing is reported."""
    first, second = two_runs
    report = compute_drift(baseline=load_recording(first), candidate=load_recording(second))
    assert report.changes == ()
    assert report.summary == {"breaking": 0, "warning": 0, "info": 0}


def _edit(step_file: str, edit: Callable[[list[dict[str, Any]]], None]) -> Callable[[Path], None]:
    """A change to one cassette of a recording directory, applied to its interactions list."""

    def apply(directory: Path) -> None:
        path = directory / step_file
        data = yaml.safe_load(path.read_text())
        edit(data["interactions"])
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    return apply


def _response_edit(
    step_file: str,
    index: int,
    edit: Callable[[dict[str, Any]], None],
) -> Callable[[Path], None]:
    return _edit(step_file, lambda interactions: edit(interactions[index]["response"]))


def _body_edit(
    step_file: str,
    index: int,
    edit: Callable[[dict[str, Any]], None],
) -> Callable[[Path], None]:
    def rewrite(response: dict[str, Any]) -> None:
        body = json.loads(response["body"]["string"])
        edit(body)
        response["body"]["string"] = json.dumps(body, indent=2)

    return _response_edit(step_file, index, rewrite)


def _each_incident(edit: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda body: [edit(incident) for incident in body["incidents"]]


def _set_content_type(response: dict[str, Any]) -> None:
    response["headers"]["Content-Type"] = ["text/html; charset=utf-8"]


def _drop_header(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda response: response["headers"].pop(name)


CHANGES = [
    (
        "field removed",
        _body_edit("09-list-incidents.yaml", 0, _each_incident(lambda i: i.pop("urgency"))),
        ("list-incidents", "response.body.incidents[].urgency", "field-removed", "breaking"),
    ),
    (
        "field added",
        _body_edit("12-get-incident.yaml", 1, lambda b: b["incident"].update(impact="high")),
        ("get-incident", "response.body.incident.impact", "field-added", "info"),
    ),
    (
        "type changed",
        _body_edit("13-acknowledge-incident.yaml", 0, lambda b: b["incident"].update(incident_number="7")),
        ("acknowledge-incident", "response.body.incident.incident_number", "type-changed", "breaking"),
    ),
    (
        "became null",
        _body_edit("12-get-incident.yaml", 1, lambda b: b["incident"].update(title=None)),
        ("get-incident", "response.body.incident.title", "type-changed", "breaking"),
    ),
    (
        "enum value",
        _body_edit("13-acknowledge-incident.yaml", 0, lambda b: b["incident"].update(urgency="urgent")),
        ("acknowledge-incident", "response.body.incident.urgency", "enum-value-added", "warning"),
    ),
    (
        "status",
        _response_edit("16-create-note.yaml", 0, lambda r: r["status"].update(code=200)),
        ("create-note", "response.status", "status-changed", "breaking"),
    ),
    (
        "content type",
        _response_edit("15-list-notes.yaml", 0, _set_content_type),
        ("list-notes", "response.content_type", "content-type-changed", "breaking"),
    ),
    (
        "header removed",
        _response_edit("15-list-notes.yaml", 0, _drop_header("x-request-id")),
        ("list-notes", "response.headers.x-request-id", "header-removed", "warning"),
    ),
    (
        "header added",
        _response_edit("15-list-notes.yaml", 0, lambda r: r["headers"].update({"x-deprecated": ["soon"]})),
        ("list-notes", "response.headers.x-deprecated", "header-added", "info"),
    ),
    (
        "interaction removed",
        _edit("10-count-incidents.yaml", lambda i: i.pop(2)),
        ("count-incidents", "interaction", "interaction-missing", "breaking"),
    ),
    (
        "interaction added",
        _edit(
            "27-delete-escalation-policy.yaml",
            lambda i: i.insert(0, i[0] | {"request": {**i[0]["request"], "method": "GET"}}),
        ),
        ("delete-escalation-policy", "interaction", "interaction-added", "info"),
    ),
]


@pytest.mark.parametrize(("name", "change", "expected"), CHANGES, ids=[c[0] for c in CHANGES])
def test_each_change_is_reported_once_at_its_place(
    two_runs: tuple[Path, Path],
    tmp_path: Path,
    name: str,
    change: Callable[[Path], None],
    expected: tuple[str, str, str, str],
) -> None:
    """One edit to a copy of a sandbox recording gives exactly one change, of the right kind."""
    first, second = two_runs
    candidate = tmp_path / "candidate"
    shutil.copytree(second, candidate)
    change(candidate)
    report = compute_drift(baseline=load_recording(first), candidate=load_recording(candidate))
    assert [(c.step, c.location, c.kind, c.severity.label) for c in report.changes] == [expected]


@pytest.mark.parametrize(
    ("fail_on", "exit_code"), [("breaking", 0), ("warning", 1), ("info", 1), ("never", 0)]
)
def test_fail_on_drives_the_exit_code(
    two_runs: tuple[Path, Path],
    tmp_path: Path,
    fail_on: str,
    exit_code: int,
) -> None:
    """A warning-level change fails `--fail-on warning` and `info`, not `breaking` or `never`."""
    first, second = two_runs
    candidate = tmp_path / "candidate"
    shutil.copytree(second, candidate)
    _response_edit("15-list-notes.yaml", 0, _drop_header("x-request-id"))(candidate)
    result = CliRunner().invoke(
        cli, ["drift", str(first), str(candidate), "--fail-on", fail_on, "--format", "json"]
    )
    assert result.exit_code == exit_code
    assert json.loads(result.output)["summary"] == {"breaking": 0, "warning": 1, "info": 0}


def test_drift_writes_each_format_to_a_file(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    """`--output` writes the report; JUnit has one test case per step."""
    import xml.etree.ElementTree as ET

    first, second = two_runs
    runner = CliRunner()
    for fmt in ("text", "markdown", "json", "junit"):
        target = tmp_path / f"drift.{fmt}"
        result = runner.invoke(
            cli, ["drift", str(first), str(second), "--format", fmt, "--output", str(target)]
        )
        assert result.exit_code == 0
        assert result.output == ""
        assert target.read_text()
    cases = ET.parse(tmp_path / "drift.junit").getroot().iter("testcase")
    assert len(list(cases)) == 29


def test_drift_cannot_compare_a_missing_recording(tmp_path: Path) -> None:
    """A baseline that is not there: exit 2 and the cause."""
    result = CliRunner().invoke(cli, ["drift", str(tmp_path / "none"), str(tmp_path)])
    assert result.exit_code == 2
    assert "no recording directory there" in result.output


# Real changes PagerDuty made, each applied as an edit of a busy-account recording -------------


def _bodies(edit: Callable[[Any], None]) -> Callable[[Path], None]:
    """An edit of every JSON body of every cassette of a recording."""

    def apply(directory: Path) -> None:
        for path in sorted(directory.glob("*.yaml")):
            data = yaml.safe_load(path.read_text())
            for interaction in data["interactions"]:
                text = interaction["response"]["body"]["string"]
                if text.strip().startswith("{"):
                    body = json.loads(text)
                    edit(body)
                    interaction["response"]["body"]["string"] = json.dumps(body, indent=2)
            path.write_text(yaml.safe_dump(data, sort_keys=False))

    return apply


def _owned(directory: Path) -> set[str]:
    owned = json.loads((directory / "manifest.json").read_text())["owned"]
    return {i for ids in owned.values() for i in ids}


def _log_entries(edit: Callable[[list[dict[str, Any]]], None]) -> Callable[[Any], None]:
    def apply(body: Any) -> None:
        if isinstance(body.get("log_entries"), list):
            edit(body["log_entries"])

    return apply


def _retype_notifications(body: Any) -> None:
    for notification in body.get("notifications", []):
        notification["type"] = "carrier_pigeon_notification"


def _whatsapp(body: dict[str, Any]) -> None:
    methods = body["user"]["contact_methods"]
    methods.append(dict(methods[0], id="PWHATS1", type="whatsapp_contact_method_reference"))


def _avatar_on_gravatar(body: dict[str, Any]) -> None:
    body["user"]["avatar_url"] = (
        "https://secure.gravatar.com/avatar/0123456789abcdef0123456789abcdef.png?d=mm&r=PG"
    )


def _incident(edit: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda body: edit(body["incident"])


def _drop_period(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        entry["summary"] = entry["summary"].replace("Triggered through the API.", "Triggered through the API")


NOTIFIED = "response.body.notifications[].type"
REAL_CHANGES = [
    # The count step lists one notification, the scenario's own or not: only the list is sure.
    (
        "every notification's type unknown",
        _bodies(_retype_notifications),
        [
            ("list-notifications", NOTIFIED, "enum-value-added", "warning"),
            ("list-notifications", NOTIFIED, "variant-removed", "warning"),
        ],
    ),
    (
        "a whatsapp contact method",
        _body_edit("02-find-or-create-test-user.yaml", 1, _whatsapp),
        [
            (
                "find-or-create-test-user",
                "response.body.user.contact_methods[].type",
                "enum-value-added",
                "warning",
            )
        ],
    ),
    (
        "avatar_url moved to Gravatar",
        _body_edit("02-find-or-create-test-user.yaml", 1, _avatar_on_gravatar),
        [("find-or-create-test-user", "response.body.user.avatar_url", "format-changed", "warning")],
    ),
    (
        "service html_url back to /services/",
        _body_edit(
            "05-create-service.yaml",
            0,
            lambda b: b["service"].update(
                html_url=b["service"]["html_url"].replace("/service-directory/", "/services/")
            ),
        ),
        [("create-service", "response.body.service.html_url", "format-changed", "warning")],
    ),
    (
        "incident id of 7 characters",
        _body_edit("12-get-incident.yaml", 1, _incident(lambda i: i.update(id="PABC123"))),
        [("get-incident", "response.body.incident.id", "format-changed", "warning")],
    ),
    (
        "'Triggered through the API' without its period",
        _edit(
            "17-list-incident-log-entries.yaml",
            lambda interactions: _bodies_of(interactions, _log_entries(_drop_period)),
        ),
        [("list-incident-log-entries", "response.body.log_entries[].summary", "enum-value-added", "warning")],
    ),
    # This one edits the baseline: the sandbox answers as live does now (14 characters), and
    # the change goes the way PagerDuty's did.
    (
        "incident ids from 7 to 14 characters",
        _body_edit("12-get-incident.yaml", 1, _incident(lambda i: i.update(id="PABC123"))),
        [("get-incident", "response.body.incident.id", "format-changed", "warning")],
    ),
    (
        "a timestamp with a local offset",
        _body_edit(
            "12-get-incident.yaml",
            1,
            _incident(lambda i: i.update(created_at=i["created_at"].replace("Z", "+01:00"))),
        ),
        [("get-incident", "response.body.incident.created_at", "format-changed", "warning")],
    ),
    (
        "a local offset become Z",
        _body_edit(
            "05-create-service.yaml",
            0,
            lambda b: b["service"].update(created_at=b["service"]["created_at"][:19] + "Z"),
        ),
        [("create-service", "response.body.service.created_at", "format-changed", "warning")],
    ),
    (
        "a timestamp with milliseconds",
        _body_edit(
            "12-get-incident.yaml",
            1,
            _incident(lambda i: i.update(updated_at=i["updated_at"].replace("Z", ".123Z"))),
        ),
        [("get-incident", "response.body.incident.updated_at", "format-changed", "warning")],
    ),
]


BASELINE_EDITS = {"incident ids from 7 to 14 characters"}


def _bodies_of(interactions: list[dict[str, Any]], edit: Callable[[Any], None]) -> None:
    for interaction in interactions:
        body = json.loads(interaction["response"]["body"]["string"])
        edit(body)
        interaction["response"]["body"]["string"] = json.dumps(body, indent=2)


@pytest.mark.parametrize(("name", "change", "expected"), REAL_CHANGES, ids=[c[0] for c in REAL_CHANGES])
def test_each_real_change_is_reported_with_its_kind(
    two_runs: tuple[Path, Path],
    tmp_path: Path,
    name: str,
    change: Callable[[Path], None],
    expected: list[tuple[str, str, str, str]],
) -> None:
    """Each change PagerDuty really made, applied to a busy-account recording, is reported as such."""
    first, second = two_runs
    edited = tmp_path / "edited"
    shutil.copytree(first if name in BASELINE_EDITS else second, edited)
    change(edited)
    baseline, candidate = (edited, second) if name in BASELINE_EDITS else (first, edited)
    report = compute_drift(baseline=load_recording(baseline), candidate=load_recording(candidate))
    found = [(c.step, c.location, c.kind, c.severity.label) for c in report.changes]
    assert [f for f in found if f[0] != "alerts-per-time-report"] == expected
    assert {f[1:] for f in found} == {e[1:] for e in expected}


def _without(kind: str) -> Callable[[Path], None]:
    """Every own log entry of `kind` gone from every list of the recording."""

    def apply(directory: Path) -> None:
        own = _owned(directory)
        _bodies(
            _log_entries(
                lambda entries: entries.__setitem__(
                    slice(None),
                    [e for e in entries if not (e["type"] == kind and e["incident"]["id"] in own)],
                )
            )
        )(directory)

    return apply


def _renamed(kind: str, name: str) -> Callable[[Path], None]:
    def apply(directory: Path) -> None:
        own = _owned(directory)

        def rename(entries: list[dict[str, Any]]) -> None:
            for entry in entries:
                if entry["type"] == kind and entry["incident"]["id"] in own:
                    entry["type"] = name

        _bodies(_log_entries(rename))(directory)

    return apply


OWN_LOG = ("list-incident-log-entries", "list-log-entries")


@pytest.mark.parametrize(
    ("change", "kinds"),
    [
        (_without("acknowledge_log_entry"), ["variant-removed"]),
        (_renamed("acknowledge_log_entry", "ack_log_entry"), ["enum-value-added", "variant-removed"]),
    ],
    ids=["removed", "renamed"],
)
def test_a_vanished_variant_of_own_items_is_a_warning(
    two_runs: tuple[Path, Path],
    tmp_path: Path,
    change: Callable[[Path], None],
    kinds: list[str],
) -> None:
    """Own acknowledge log entries gone (or renamed) everywhere: a warning where they were listed."""
    first, second = two_runs
    candidate = tmp_path / "candidate"
    shutil.copytree(second, candidate)
    change(candidate)
    report = compute_drift(baseline=load_recording(first), candidate=load_recording(candidate))
    assert [(c.step, c.location, c.kind, c.severity.label) for c in report.changes] == [
        (step, "response.body.log_entries[].type", kind, "warning") for step in OWN_LOG for kind in kinds
    ]


def _other_teams_news(directory: Path) -> None:
    """Other teams' incidents, log entries and notifications with new documented values."""
    own = _owned(directory)

    def widen(body: Any) -> None:
        for key, changes in (
            (
                "incidents",
                {
                    "status": "acknowledged",
                    "urgency": "low",
                    "priority": {"id": "PPRIO01", "type": "priority", "summary": "P1"},
                    "teams": [{"id": "PTEAM01", "type": "team_reference", "summary": "Ops"}],
                },
            ),
            ("log_entries", {"type": "snooze_log_entry"}),
            ("notifications", {"type": "push_notification", "address": None}),
        ):
            for item in body.get(key, []) if isinstance(body.get(key), list) else []:
                refs = {item.get("id")} | {
                    item.get(r, {}).get("id")
                    for r in ("incident", "service", "user")
                    if isinstance(item.get(r), dict)
                }
                if not refs & own:
                    item.update(changes)

    _bodies(widen)(directory)


def test_other_teams_new_values_are_not_drift(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    """New statuses, urgencies, priorities, teams, log-entry and notification types of other teams."""
    first, second = two_runs
    candidate = tmp_path / "candidate"
    shutil.copytree(second, candidate)
    _other_teams_news(candidate)
    report = compute_drift(baseline=load_recording(first), candidate=load_recording(candidate))
    assert [c for c in report.changes if c.severity.label != "info"] == []


@pytest.fixture(scope="module")
def two_seeds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Recordings of two busy accounts made from different seeds: other people, other history."""
    base = tmp_path_factory.mktemp("seeds")
    for seed in (1, 2):
        with Sandbox(incident_delay=0.02, account="busy", seed=seed) as sb:
            settings = build_settings(
                subdomain=sb.subdomain,
                token=sb.token,
                from_email=sb.owner_email,
                region="us",
                api_url=sb.api_url,
                events_url=sb.events_url,
                out=base / f"seed-{seed}",
                poll_timeout=10,
            )
            record_scenario(settings=settings)
    return base / "seed-1", base / "seed-2"


def test_two_busy_accounts_of_different_seeds_drift_by_nothing(two_seeds: tuple[Path, Path]) -> None:
    """Different people, history and background activity: `--fail-on info` passes."""
    first, second = two_seeds
    result = CliRunner().invoke(
        cli, ["drift", str(first), str(second), "--fail-on", "info", "--format", "json"]
    )
    assert result.exit_code == 0
    assert json.loads(result.output) == {"summary": {"breaking": 0, "warning": 0, "info": 0}, "changes": []}


# Where the spec tests read the documents; conftest skips `spec` tests where they are absent.
SHARED_DOCUMENTS = openapi_dir()


@pytest.mark.spec
def test_undocumented_values_are_marked_when_the_documents_are_given(
    two_runs: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With --spec each change says documented true or false; with no documents at hand, null."""
    first, second = two_runs
    candidate = tmp_path / "candidate"
    shutil.copytree(second, candidate)
    _bodies(_retype_notifications)(candidate)
    _body_edit("12-get-incident.yaml", 1, lambda b: b["incident"].update(impact="high"))(candidate)
    args = ["drift", str(first), str(candidate), "--format", "json", "--fail-on", "never"]
    with_spec = CliRunner().invoke(cli, [*args, "--spec", str(SHARED_DOCUMENTS)])
    assert with_spec.exit_code == 0
    marks = {
        (c["step"], c["location"], c["kind"]): c["documented"]
        for c in json.loads(with_spec.output)["changes"]
    }
    assert marks[("list-notifications", NOTIFIED, "enum-value-added")] is False
    assert marks[("list-notifications", NOTIFIED, "variant-removed")] is None
    assert marks[("get-incident", "response.body.incident.impact", "field-added")] is False
    text = CliRunner().invoke(cli, ["drift", str(first), str(candidate), "--spec", str(SHARED_DOCUMENTS)])
    assert (
        "new value 'carrier_pigeon_notification' (before: email_notification) [UNDOCUMENTED]" in text.output
    )
    monkeypatch.setenv("HARNESS_OPENAPI_DIR", str(tmp_path / "no-documents"))
    without = CliRunner().invoke(cli, args)
    assert {c["documented"] for c in json.loads(without.output)["changes"]} == {None}
    plain = CliRunner().invoke(cli, ["drift", str(first), str(candidate), "--fail-on", "never"])
    assert plain.output.endswith(f"\nnote: {NO_DOCUMENTS}\n")
    assert "[documented]" not in plain.output and "[UNDOCUMENTED]" not in plain.output


def test_the_manifest_lists_the_ids_of_the_scenarios_own_items(two_runs: tuple[Path, Path]) -> None:
    """Each run keeps its own ids, as the cassettes spell them, so drift can tell its items apart."""
    first, second = two_runs
    owned = [load_recording(run).manifest.owned for run in (first, second)]
    assert owned[0] is not None and owned[1] is not None
    assert {kind: len(ids) for kind, ids in owned[0].items()} == {
        "escalation_policy": 1,
        "incident": 2,
        "integration": 1,
        "note": 1,
        "service": 1,
        "user": 1,
    }
    texts = "".join(path.read_text() for path in sorted(first.glob("*.yaml")))
    assert all(f'"id": "{i}"' in texts for ids in owned[0].values() for i in ids)
    assert not {i for ids in owned[0].values() for i in ids} & {i for ids in owned[1].values() for i in ids}


def test_a_single_word_of_an_own_item_is_not_a_fixed_sentence(
    two_runs: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    """A user's colour is assigned anew each run: only sentences of several words are compared."""
    first, second = two_runs
    candidate = tmp_path / "candidate"
    shutil.copytree(second, candidate)
    _body_edit(
        "02-find-or-create-test-user.yaml",
        1,
        lambda b: b["user"].update(color="purple" if b["user"]["color"] != "purple" else "green"),
    )(candidate)
    report = compute_drift(baseline=load_recording(first), candidate=load_recording(candidate))
    assert report.changes == ()
