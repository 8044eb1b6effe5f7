"""Drift between a hand-made baseline recording and edited copies of it."""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _drift_edits import (
    BASELINE,
    BREAKING,
    BY_ID,
    BY_NUMBER,
    DELETE,
    INFO,
    LIST,
    LOG,
    NOTE,
    WARNING,
    Interactions,
    cassette,
    copy_baseline,
    drift,
    each,
    edit_body,
    edit_files,
    edit_step,
    headers,
    other_teams,
)

from harness.drift import KINDS, Change, DriftReport, Severity
from harness.drift.normalise import request_label
from harness.errors import ConfigError


@pytest.fixture
def candidate(tmp_path: Path) -> Path:
    """A copy of the baseline recording that a test edits."""
    return copy_baseline(tmp_path / "candidate")


def test_a_recording_has_no_drift_from_itself() -> None:
    """Comparing the baseline with itself reports nothing, for every step it holds."""
    report = drift(BASELINE)
    assert report.changes == ()
    assert report.steps == (
        "trigger-incidents",
        "wait-for-incidents",
        "list-incidents",
        "get-incident",
        "create-note",
        "list-log-entries",
        "delete-service",
    )
    assert report.summary == {"breaking": 0, "warning": 0, "info": 0}


SINGLE_CHANGES = {
    "field removed from every item": (
        lambda d: edit_body(d, "list-incidents", 0, each("incidents", lambda i: i.pop("urgency"))),
        Change(
            "list-incidents",
            LIST,
            "response.body.incidents[].urgency",
            "field-removed",
            BREAKING,
            "string",
            None,
            "field removed (was string)",
        ),
    ),
    "object field removed with its sub-fields": (
        lambda d: edit_body(d, "get-incident", 1, lambda b: b["incident"].pop("service")),
        Change(
            "get-incident",
            BY_ID,
            "response.body.incident.service",
            "field-removed",
            BREAKING,
            "object",
            None,
            "field removed (was object)",
        ),
    ),
    "object field added with its sub-fields": (
        lambda d: edit_body(
            d,
            "create-note",
            0,
            lambda b: b["note"].update(incident={"id": "PINC0A1", "type": "incident_reference"}),
        ),
        Change(
            "create-note",
            NOTE,
            "response.body.note.incident",
            "field-added",
            INFO,
            None,
            "object",
            "field added (object)",
        ),
    ),
    "type changed": (
        lambda d: edit_body(d, "get-incident", 1, lambda b: b["incident"].update(incident_number="14")),
        Change(
            "get-incident",
            BY_ID,
            "response.body.incident.incident_number",
            "type-changed",
            BREAKING,
            "number",
            "string",
            "type changed from number to string",
        ),
    ),
    "type changed deep in a list": (
        lambda d: edit_body(
            d, "list-incidents", 0, each("incidents", lambda i: i["assignments"][0]["assignee"].update(id=5))
        ),
        Change(
            "list-incidents",
            LIST,
            "response.body.incidents[].assignments[].assignee.id",
            "type-changed",
            BREAKING,
            "string",
            "number",
            "type changed from string to number",
        ),
    ),
    "became null": (
        lambda d: edit_body(d, "get-incident", 0, lambda b: b["incident"].update(urgency=None)),
        Change(
            "get-incident",
            BY_NUMBER,
            "response.body.incident.urgency",
            "type-changed",
            BREAKING,
            "string",
            "null",
            "became null (was string)",
        ),
    ),
    "object became null": (
        lambda d: edit_body(d, "get-incident", 0, lambda b: b["incident"].update(service=None)),
        Change(
            "get-incident",
            BY_NUMBER,
            "response.body.incident.service",
            "type-changed",
            BREAKING,
            "object",
            "null",
            "became null (was object)",
        ),
    ),
    "can now be null": (
        lambda d: edit_body(d, "list-incidents", 0, lambda b: b["incidents"][1].update(assigned_via=None)),
        Change(
            "list-incidents",
            LIST,
            "response.body.incidents[].assigned_via",
            "type-changed",
            BREAKING,
            "string",
            "null, string",
            "can now be null (was string)",
        ),
    ),
    "enum value added": (
        lambda d: edit_body(d, "list-incidents", 0, lambda b: b["incidents"][2].update(urgency="low")),
        Change(
            "list-incidents",
            LIST,
            "response.body.incidents[].urgency",
            "enum-value-added",
            WARNING,
            "high",
            "high, low",
            "new value 'low' (before: high)",
        ),
    ),
    "enum value added to a single entity, though known elsewhere": (
        lambda d: edit_body(d, "get-incident", 1, lambda b: b["incident"].update(status="acknowledged")),
        Change(
            "get-incident",
            BY_ID,
            "response.body.incident.status",
            "enum-value-added",
            WARNING,
            "triggered",
            "acknowledged",
            "new value 'acknowledged' (before: triggered)",
        ),
    ),
    "status changed": (
        lambda d: edit_step(
            d, "create-note", lambda i: i[0]["response"]["status"].update(code=200, message="OK")
        ),
        Change(
            "create-note",
            NOTE,
            "response.status",
            "status-changed",
            BREAKING,
            "201",
            "200",
            "status changed from 201 to 200",
        ),
    ),
    "content type changed": (
        lambda d: edit_step(
            d, "get-incident", headers(0, lambda h: h.update({"Content-Type": ["text/html; charset=utf-8"]}))
        ),
        Change(
            "get-incident",
            BY_NUMBER,
            "response.content_type",
            "content-type-changed",
            BREAKING,
            "application/json",
            "text/html",
            "content type changed from application/json to text/html",
        ),
    ),
    "header removed": (
        lambda d: edit_step(d, "delete-service", headers(0, lambda h: h.pop("ratelimit-limit"))),
        Change(
            "delete-service",
            DELETE,
            "response.headers.ratelimit-limit",
            "header-removed",
            WARNING,
            "present",
            None,
            "response header no longer sent",
        ),
    ),
    "header added": (
        lambda d: edit_step(
            d,
            "create-note",
            headers(
                0,
                lambda h: h.update(
                    {"Location": ["https://api.pagerduty.com/incidents/PINC0A1/notes/PNOTE11"]}
                ),
            ),
        ),
        Change(
            "create-note",
            NOTE,
            "response.headers.location",
            "header-added",
            INFO,
            None,
            "present",
            "new response header",
        ),
    ),
    "interaction removed": (
        lambda d: edit_step(d, "get-incident", lambda i: i.pop(1)),
        Change(
            "get-incident",
            BY_ID,
            "interaction",
            "interaction-missing",
            BREAKING,
            "GET /incidents/{id}",
            None,
            "interaction missing from the candidate: GET /incidents/{id}",
        ),
    ),
    "interaction added": (
        lambda d: edit_step(d, "delete-service", lambda i: i.append(_not_found(i[0]))),
        Change(
            "delete-service",
            "#2 GET /services/{id}",
            "interaction",
            "interaction-added",
            INFO,
            None,
            "GET /services/{id}",
            "interaction added in the candidate: GET /services/{id}",
        ),
    ),
    "field missing from some items": (
        lambda d: edit_body(d, "list-incidents", 0, lambda b: b["incidents"][1].pop("description")),
        Change(
            "list-incidents",
            LIST,
            "response.body.incidents[].description",
            "field-sometimes-missing",
            WARNING,
            "always",
            "sometimes",
            "field now missing from some items (was in all)",
        ),
    ),
    "field missing from some items of one type": (
        lambda d: edit_body(d, "list-log-entries", 0, lambda b: b["log_entries"][3].pop("event_details")),
        Change(
            "list-log-entries",
            LOG,
            "response.body.log_entries[].event_details",
            "field-sometimes-missing",
            WARNING,
            "always",
            "sometimes",
            "trigger_log_entry items: field now missing from some items (was in all)",
        ),
    ),
    "field removed from the items of one type": (
        lambda d: edit_body(
            d, "list-log-entries", 0, lambda b: b["log_entries"][1].pop("acknowledgement_timeout")
        ),
        Change(
            "list-log-entries",
            LOG,
            "response.body.log_entries[].acknowledgement_timeout",
            "field-removed",
            BREAKING,
            "number",
            None,
            "acknowledge_log_entry items: field removed (was number)",
        ),
    ),
    "optional field removed": (
        lambda d: edit_body(
            d, "list-log-entries", 0, lambda b: b["log_entries"][3]["channel"].pop("details")
        ),
        Change(
            "list-log-entries",
            LOG,
            "response.body.log_entries[].channel.details",
            "optional-field-removed",
            WARNING,
            "object",
            None,
            "trigger_log_entry items: field no longer seen (was object, in some items only)",
        ),
    ),
}


def _not_found(deleted: dict[str, Any]) -> dict[str, Any]:
    exchange = copy.deepcopy(deleted)
    exchange["request"]["method"] = "GET"
    exchange["response"]["status"] = {"code": 404, "message": "Not Found"}
    exchange["response"]["headers"]["Content-Type"] = ["application/json"]
    exchange["response"]["body"]["string"] = json.dumps({"error": {"message": "Not Found", "code": 2100}})
    return exchange


@pytest.mark.parametrize("name", SINGLE_CHANGES)
def test_each_change_is_reported_once_where_it_happened(candidate: Path, name: str) -> None:
    """Each kind of edit yields exactly one change with its kind, severity and location."""
    edit, expected = SINGLE_CHANGES[name]
    edit(candidate)
    assert drift(candidate).changes == (expected,)


def test_a_change_inside_a_poll_loop_is_reported_once(candidate: Path) -> None:
    """A field gone from every poll of a loop that also polled more often is one change."""

    def drop_urgency(interactions: Interactions) -> None:
        interactions.insert(0, copy.deepcopy(interactions[0]))
        for interaction in interactions:
            body = json.loads(interaction["response"]["body"]["string"])
            for incident in body["incidents"]:
                del incident["urgency"]
            interaction["response"]["body"]["string"] = json.dumps(body)

    edit_step(candidate, "wait-for-incidents", drop_urgency)
    assert drift(candidate).changes == (
        Change(
            "wait-for-incidents",
            "#1 GET /incidents?service_ids[]={id}&statuses[]=triggered",
            "response.body.incidents[].urgency",
            "field-removed",
            BREAKING,
            "string",
            None,
            "field removed (was string)",
        ),
    )


def test_a_missing_step_reports_each_of_its_interactions(candidate: Path) -> None:
    """A step the candidate lacks is reported as one missing interaction per logical request."""
    manifest = json.loads((candidate / "manifest.json").read_text(encoding="utf-8"))
    manifest["steps"] = [s for s in manifest["steps"] if s["slug"] != "get-incident"]
    (candidate / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = drift(candidate)
    assert [(c.step, c.interaction, c.kind, c.severity) for c in report.changes] == [
        ("get-incident", BY_NUMBER, "interaction-missing", BREAKING),
        ("get-incident", BY_ID, "interaction-missing", BREAKING),
    ]
    assert "get-incident" in report.steps


def test_a_step_only_the_candidate_has_comes_last(candidate: Path) -> None:
    """A step added in the candidate is compared too, after the baseline's steps."""
    manifest = json.loads((candidate / "manifest.json").read_text(encoding="utf-8"))
    manifest["steps"].append(
        {
            "number": 27,
            "slug": "delete-escalation-policy",
            "title": "t",
            "cassette": "27-delete-escalation-policy.yaml",
        }
    )
    (candidate / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    shutil.copy(cassette(candidate, "delete-service"), candidate / "27-delete-escalation-policy.yaml")
    report = drift(candidate)
    assert report.steps[-1] == "delete-escalation-policy"
    assert [(c.step, c.interaction, c.kind) for c in report.changes] == [
        ("delete-escalation-policy", DELETE, "interaction-added")
    ]


def test_changes_come_in_step_order_then_location(candidate: Path) -> None:
    """Several changes are listed by step order, interaction, then location."""
    edit_step(candidate, "delete-service", headers(0, lambda h: h.pop("x-request-id")))
    edit_body(candidate, "list-incidents", 0, each("incidents", lambda i: i.pop("title")))
    edit_body(candidate, "list-incidents", 0, each("incidents", lambda i: i.pop("description")))
    edit_step(candidate, "get-incident", lambda i: i.pop(1))
    report = drift(candidate)
    assert [(c.step, c.location) for c in report.changes] == [
        ("list-incidents", "response.body.incidents[].description"),
        ("list-incidents", "response.body.incidents[].title"),
        ("get-incident", "interaction"),
        ("delete-service", "response.headers.x-request-id"),
    ]
    assert report.summary == {"breaking": 3, "warning": 1, "info": 0}


# Noise: what differs between two recordings of an unchanged API ----------------------------------


def _new_ids(text: str) -> str:
    return re.sub(r"\b([PQR])([A-Z0-9]{6,})\b", lambda m: m[1] + m[2][::-1], text)


def _later(text: str) -> str:
    return re.sub(r"2026-11-26T13:(\d\d)", r"2026-12-01T09:\1", text).replace("26 Nov", "01 Dec")


def _renumbered(text: str) -> str:
    text = re.sub(r"\[#1(\d)\]", r"[#31\1]", text)
    text = re.sub(r'"incident_number": 1(\d)', r'"incident_number": 31\1', text)
    return text.replace("/incidents/14", "/incidents/314")


def _request_ids(interactions: Interactions) -> None:
    for number, interaction in enumerate(interactions):
        found = interaction["response"]["headers"]
        if "x-request-id" in found:
            found["x-request-id"] = [f"7f3e2a1b-0000-4000-8000-{number:012d}"]
            found["ratelimit-remaining"] = [str(900 - number)]
            found["ratelimit-reset"] = ["12"]


def _more_incidents(body: dict[str, Any]) -> None:
    extra = copy.deepcopy(body["incidents"][0])
    extra.update(id="PNEW999", incident_number=99, summary="[#99] Notebook test incident 99")
    body["incidents"].append(extra)


def _retried(interactions: Interactions) -> None:
    limited = copy.deepcopy(interactions[0])
    limited["response"]["status"] = {"code": 429, "message": "Too Many Requests"}
    limited["response"]["headers"]["Retry-After"] = ["1"]
    limited["response"]["body"]["string"] = json.dumps(
        {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
    )
    interactions.insert(0, limited)


def _every_step(candidate: Path, edit: Callable[[Interactions], None]) -> None:
    for path in candidate.glob("*.yaml"):
        edit_step(candidate, path.stem.split("-", 1)[1], edit)


NOISE: dict[str, Callable[[Path], None]] = {
    "different ids": lambda d: edit_files(d, _new_ids),
    "different timestamps and dates": lambda d: edit_files(d, _later),
    "different incident numbers and summaries": lambda d: edit_files(d, _renumbered),
    "different dedup keys": lambda d: edit_files(
        d, lambda t: t.replace("harness-PSVC1A2-", "harness-PQWE789-")
    ),
    "different port": lambda d: edit_files(d, lambda t: t.replace(":41234/", ":50111/")),
    "different request ids and rate-limit values": lambda d: _every_step(d, _request_ids),
    "more list items": lambda d: edit_body(d, "list-incidents", 0, _more_incidents),
    "reordered list items": lambda d: (
        edit_body(d, "list-incidents", 0, lambda b: b["incidents"].reverse()),
        edit_body(d, "list-log-entries", 0, lambda b: b["log_entries"].reverse()),
    ),
    "more log entries of known types": lambda d: edit_body(
        d, "list-log-entries", 0, lambda b: b["log_entries"].extend(copy.deepcopy(b["log_entries"]))
    ),
    "an empty list": lambda d: edit_body(d, "list-log-entries", 0, lambda b: b["log_entries"].clear()),
    "more poll repeats": lambda d: edit_step(
        d, "wait-for-incidents", lambda i: i.insert(0, copy.deepcopy(i[0]))
    ),
    "fewer poll repeats": lambda d: edit_step(d, "wait-for-incidents", lambda i: i.pop(0)),
    "a field that is null in the baseline now set": lambda d: edit_body(
        d,
        "list-incidents",
        0,
        lambda b: b["incidents"][0].update(
            resolved_at="2026-11-26T13:50:00Z", priority={"id": "PPRI001", "type": "priority"}
        ),
    ),
    "a list item in a state the baseline showed elsewhere": lambda d: edit_body(
        d, "wait-for-incidents", 1, lambda b: b["incidents"][0].update(status="acknowledged")
    ),
    "another team's log entry of a kind the list did not hold before": lambda d: edit_body(
        d,
        "list-log-entries",
        0,
        lambda b: b["log_entries"].append(other_teams(b["log_entries"][0], type="snooze_log_entry")),
    ),
    "another team's incident in a new status and urgency": lambda d: edit_body(
        d,
        "list-incidents",
        0,
        lambda b: b["incidents"].append(
            other_teams(
                b["incidents"][0],
                status="acknowledged",
                urgency="low",
                priority={"id": "PPRI001", "type": "priority", "summary": "P1"},
            )
        ),
    ),
    "fewer list items": lambda d: edit_body(d, "list-incidents", 0, lambda b: b["incidents"].pop(0)),
    # Last, because it puts a 429 in front of the step's other exchanges.
    "a retried rate-limited request": lambda d: edit_step(d, "list-incidents", _retried),
}


@pytest.mark.parametrize("name", NOISE)
def test_noise_is_not_drift(candidate: Path, name: str) -> None:
    """Values that differ between runs of an unchanged API report no change at all."""
    NOISE[name](candidate)
    assert drift(candidate).changes == ()


def test_all_noise_at_once_is_not_drift(candidate: Path) -> None:
    """Every kind of run-to-run noise applied together still reports no change."""
    for name, edit in NOISE.items():
        if name != "an empty list":
            edit(candidate)
    assert drift(candidate).changes == ()


@pytest.mark.parametrize(
    ("method", "uri", "label"),
    [
        ("get", "http://127.0.0.1:41234/incidents/PINC0A1/notes", "GET /incidents/{id}/notes"),
        ("GET", "https://api.pagerduty.com/incidents/314", "GET /incidents/{n}"),
        (
            "GET",
            "https://api.pagerduty.com/log_entries/Q0RIJJZL24RC6W?include%5B%5D=channels",
            "GET /log_entries/{id}?include[]=channels",
        ),
        (
            "GET",
            "http://127.0.0.1:50111/notifications?since=2026-11-26T13%3A40%3A00Z"
            "&until=2026-11-26T13%3A41%3A00Z&limit=100",
            "GET /notifications?since={time}&until={time}&limit=100",
        ),
        (
            "GET",
            "http://127.0.0.1:1/incidents?incident_key=0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "GET /incidents?incident_key={key}",
        ),
        (
            "GET",
            "http://127.0.0.1:1/users?query=Notebook%20Test%20User%205",
            "GET /users?query=Notebook Test User 5",
        ),
        ("POST", "https://events.pagerduty.com/v2/enqueue", "POST /v2/enqueue"),
    ],
)
def test_request_labels_leave_out_host_ids_and_times(method: str, uri: str, label: str) -> None:
    """A request is named by method and path, with ids, numbers, keys and times as placeholders."""
    assert request_label({"request": {"method": method, "uri": uri}}) == label


# The fail-on threshold -----------------------------------------------------------------------------


def _report(*severities: Severity) -> DriftReport:
    changes = tuple(Change("s", "#1 GET /", "response.status", "k", s, None, None, "m") for s in severities)
    return DriftReport(baseline=BASELINE, candidate=BASELINE, steps=("s",), changes=changes)


@pytest.mark.parametrize(
    ("severities", "expected"),
    [
        ((), {"breaking": False, "warning": False, "info": False, "never": False}),
        ((INFO,), {"breaking": False, "warning": False, "info": True, "never": False}),
        ((WARNING, INFO), {"breaking": False, "warning": True, "info": True, "never": False}),
        ((BREAKING,), {"breaking": True, "warning": True, "info": True, "never": False}),
    ],
)
def test_exceeds_compares_the_worst_change_with_the_threshold(
    severities: tuple[Severity, ...], expected: dict[str, bool]
) -> None:
    """A report exceeds --fail-on when a change is at or above it; 'never' is never exceeded."""
    report = _report(*severities)
    assert {name: report.exceeds(name) for name in expected} == expected


def test_an_unknown_threshold_is_a_config_error() -> None:
    """An unknown --fail-on value is refused with the valid values in the hint."""
    with pytest.raises(ConfigError) as caught:
        _report().exceeds("fatal")
    assert str(caught.value) == "unknown severity 'fatal'"
    assert caught.value.hint == "use one of: breaking, warning, info, never"


def test_severities_are_ordered() -> None:
    """Breaking outranks warning, which outranks info."""
    assert sorted([WARNING, BREAKING, INFO]) == [INFO, WARNING, BREAKING]
    assert [s.label for s in Severity] == ["info", "warning", "breaking"]


def test_the_readme_documents_every_kind_of_the_registry() -> None:
    """The README's table of kinds lists exactly the registry's kinds, severities and meanings."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    rows = re.findall(r"^\| `([a-z-]+)` \| (breaking|warning|info) \| (.+) \|$", readme, re.M)
    assert rows == [(k.id, k.severity.label, k.doc) for k in KINDS.values()]
