"""The sandbox behaves as PagerDuty does: entities, the incident lifecycle, errors, limits, faults."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from harness.errors import ConfigError, InputError
from harness.sandbox import Fault, FaultPlan, Sandbox, serve
from harness.sandbox.state import split_phone

T = TypeVar("T")
PHONE = "+1 555 867 5309"
OWNER = "sandbox-owner@example.com"
REQUEST_ID = re.compile(r"[0-9a-f]{32}")
MISSING_FROM = {
    "error": {
        "message": 'You must specify a user\'s email address in the "From" header to perform this action',
        "code": 2016,
    }
}


class Pd:
    """A PagerDuty client for one sandbox: REST calls with token, Accept and From, and events."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Token token={sandbox.token}",
                "Accept": "application/vnd.pagerduty+json;version=2",
                "From": OWNER,
            }
        )

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.sandbox.api_url + path, json=body, timeout=10, **kwargs)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.call("GET", path, params=params)

    def enqueue(self, body: Any) -> requests.Response:
        return requests.post(f"{self.sandbox.events_url}/v2/enqueue", json=body, timeout=10)


@dataclass(frozen=True)
class World:
    """The scenario's objects: the owner, a test user, a policy on the owner, a service, a key."""

    owner_id: str
    user_id: str
    policy_id: str
    service_id: str
    routing_key: str


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A running sandbox whose owner has email, phone and SMS contact methods."""
    # These tests assert exact account state (incident #1, every log entry), so they need the
    # empty account; the busy one is tested in test_sandbox_busy.py.
    # Reports count incidents at once (analytics_lag=0); test_analytics_lag.py covers the lag.
    with Sandbox(owner_phone=PHONE, incident_delay=0.01, account="empty", analytics_lag=0) as running:
        yield running


@pytest.fixture
def pd(sandbox: Sandbox) -> Iterator[Pd]:
    """A client for the sandbox."""
    client = Pd(sandbox)
    yield client
    client.session.close()


@pytest.fixture
def world(pd: Pd) -> World:
    """The scenario's user, escalation policy (targeting the owner), service and Events key."""
    owner_id = pd.get("/users", query="owner").json()["users"][0]["id"]
    user = pd.call(
        "POST",
        "/users",
        {
            "user": {
                "type": "user",
                "name": "Notebook Test User 5",
                "email": "test-user-5@example.com",
                "role": "user",
            }
        },
    ).json()["user"]
    policy = pd.call(
        "POST",
        "/escalation_policies",
        {
            "escalation_policy": {
                "type": "escalation_policy",
                "name": "Notebook Incident Test Escalation Policy",
                "num_loops": 2,
                "escalation_rules": [
                    {
                        "escalation_delay_in_minutes": 22,
                        "targets": [{"id": owner_id, "type": "user_reference"}],
                    }
                ],
            }
        },
    ).json()
    service = pd.call(
        "POST",
        "/services",
        {
            "service": {
                "type": "service",
                "name": "Notenook Incident Testing Service",
                "escalation_policy": {
                    "id": policy["escalation_policy"]["id"],
                    "type": "escalation_policy_reference",
                },
            }
        },
    ).json()["service"]
    integration = pd.call(
        "POST",
        f"/services/{service['id']}/integrations",
        {
            "integration": {
                "type": "events_api_v2_inbound_integration",
                "name": "Events V2",
                "service": {"id": service["id"], "type": "service_reference"},
            }
        },
    ).json()["integration"]
    return World(
        owner_id, user["id"], policy["escalation_policy"]["id"], service["id"], integration["integration_key"]
    )


def eventually(check: Callable[[], T | None], timeout: float = 5.0) -> T:
    """Poll until check() returns something truthy, and return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("the condition never held")
        time.sleep(0.01)


def trigger(pd: Pd, world: World, summary: str, dedup_key: str | None = None) -> str:
    """Send a trigger event and return its dedup key."""
    body: dict[str, Any] = {
        "routing_key": world.routing_key,
        "event_action": "trigger",
        "payload": {"summary": summary, "source": "notebook-harness", "severity": "critical"},
    }
    if dedup_key is not None:
        body["dedup_key"] = dedup_key
    response = pd.enqueue(body)
    assert response.status_code == 202
    return str(response.json()["dedup_key"])


def incidents_of(pd: Pd, world: World, count: int, **params: Any) -> list[dict[str, Any]]:
    """Poll the service's incidents until `count` exist, and return them."""

    def found() -> list[dict[str, Any]] | None:
        incidents = pd.get("/incidents", **{"service_ids[]": world.service_id, **params})
        listed: list[dict[str, Any]] = incidents.json()["incidents"]
        return listed if len(listed) >= count else None

    return eventually(found)


@pytest.fixture
def incident(pd: Pd, world: World) -> dict[str, Any]:
    """One triggered incident opened through the Events API."""
    trigger(pd, world, "Notebook test incident 1", "notebook-1")
    return incidents_of(pd, world, 1)[0]


def put_incident(pd: Pd, incident_id: str, **fields: Any) -> requests.Response:
    return pd.call("PUT", f"/incidents/{incident_id}", {"incident": {"type": "incident_reference", **fields}})


def log_types(pd: Pd, incident_id: str) -> list[str]:
    return [e["type"] for e in pd.get(f"/incidents/{incident_id}/log_entries").json()["log_entries"]]


def window() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "since": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "until": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


# The incident lifecycle


def test_event_opens_an_incident_assigned_through_the_policy(
    pd: Pd,
    world: World,
    incident: dict[str, Any],
) -> None:
    """A trigger event opens incident #1 on the service, assigned to the policy's first target."""
    assert incident["incident_number"] == 1
    assert incident["summary"] == "[#1] Notebook test incident 1"
    assert incident["title"] == "Notebook test incident 1"
    assert incident["status"] == "triggered"
    assert incident["incident_key"] == "notebook-1"
    assert incident["assigned_via"] == "escalation_policy"
    assert [a["assignee"]["id"] for a in incident["assignments"]] == [world.owner_id]
    assert incident["alert_counts"] == {"all": 1, "triggered": 1, "resolved": 0}
    assert incident["service"]["id"] == world.service_id
    assert incident["escalation_policy"]["id"] == world.policy_id
    assert incident["self"] == f"{pd.sandbox.api_url}/incidents/{incident['id']}"
    assert incident["html_url"] == f"https://sandbox.pagerduty.com/incidents/{incident['id']}"
    assert re.fullmatch(r"Q[A-Z0-9]{13}", incident["id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", incident["created_at"])


def test_events_are_applied_after_the_delay_not_during_the_request() -> None:
    """The 202 comes back before the incident exists; the worker opens it later."""
    with Sandbox(incident_delay=30, account="empty") as sandbox:  # no other incidents, no activity
        pd = Pd(sandbox)
        owner = pd.get("/users").json()["users"][0]["id"]
        policy = pd.call(
            "POST",
            "/escalation_policies",
            {
                "escalation_policy": {
                    "type": "escalation_policy",
                    "name": "P",
                    "escalation_rules": [
                        {
                            "escalation_delay_in_minutes": 5,
                            "targets": [{"id": owner, "type": "user_reference"}],
                        }
                    ],
                }
            },
        ).json()
        service = pd.call(
            "POST",
            "/services",
            {
                "service": {
                    "type": "service",
                    "name": "S",
                    "escalation_policy": {
                        "id": policy["escalation_policy"]["id"],
                        "type": "escalation_policy_reference",
                    },
                }
            },
        ).json()["service"]
        key = pd.call(
            "POST",
            f"/services/{service['id']}/integrations",
            {"integration": {"type": "events_api_v2_inbound_integration"}},
        ).json()["integration"]["integration_key"]
        answer = pd.enqueue(
            {
                "routing_key": key,
                "event_action": "trigger",
                "payload": {"summary": "s", "source": "x", "severity": "info"},
            }
        )
        assert answer.status_code == 202
        assert sandbox.account.snapshot().incidents == {}
        assert pd.get("/incidents").json()["incidents"] == []


def test_trigger_writes_trigger_assign_and_notify_log_entries(
    pd: Pd,
    incident: dict[str, Any],
) -> None:
    """PagerDuty logs the trigger, the assignment and one notification per contact method."""
    assert log_types(pd, incident["id"]) == [
        "notify_log_entry",
        "notify_log_entry",
        "notify_log_entry",
        "assign_log_entry",
        "trigger_log_entry",
    ]
    entries = pd.get(f"/incidents/{incident['id']}/log_entries").json()["log_entries"]
    trigger_entry = entries[-1]
    assert trigger_entry["summary"] == "Triggered through the API."
    assert trigger_entry["channel"] == {"type": "api", "summary": "Notebook test incident 1"}
    assert trigger_entry["event_details"] == {"description": "Notebook test incident 1"}
    assert trigger_entry["agent"]["type"] == "service_reference"
    assert trigger_entry["id"] == incident["first_trigger_log_entry"]["id"]
    assert [e["channel"]["notification"] for e in entries[:3]] == [
        {"type": "sms_notification", "address": "+15558675309", "status": "success"},
        {"type": "phone_notification", "address": "+15558675309", "status": "success"},
        {"type": "email_notification", "address": OWNER, "status": "success"},
    ]
    assert entries[3]["summary"] == "Assigned to Sandbox Owner"


def test_notifications_go_to_each_contact_method_of_the_assignee(
    pd: Pd,
    world: World,
    incident: dict[str, Any],
) -> None:
    """The owner is notified by email, phone and SMS at the addresses of their contact methods."""
    listed = pd.get("/notifications", **window()).json()
    assert [(n["type"], n["address"], n["user"]["id"]) for n in listed["notifications"]] == [
        ("email_notification", OWNER, world.owner_id),
        ("phone_notification", "+15558675309", world.owner_id),
        ("sms_notification", "+15558675309", world.owner_id),
    ]
    only_sms = pd.get("/notifications", filter="sms_notification", **window()).json()
    assert [n["type"] for n in only_sms["notifications"]] == ["sms_notification"]
    with_users = pd.get("/notifications", **{"include[]": "users"}, **window()).json()
    assert with_users["notifications"][0]["user"]["email"] == OWNER


def test_acknowledge_then_reassign_returns_the_incident_to_triggered(
    pd: Pd,
    world: World,
    incident: dict[str, Any],
) -> None:
    """Acknowledging records the acknowledger; reassigning clears it and notifies the new user."""
    acked = put_incident(pd, incident["id"], status="acknowledged").json()["incident"]
    assert acked["status"] == "acknowledged"
    assert [a["acknowledger"]["id"] for a in acked["acknowledgements"]] == [world.owner_id]
    assert [p["type"] for p in acked["pending_actions"]] == ["unacknowledge", "resolve"]
    moved = put_incident(
        pd, incident["id"], assignments=[{"assignee": {"id": world.user_id, "type": "user_reference"}}]
    ).json()["incident"]
    assert moved["status"] == "triggered"
    assert moved["acknowledgements"] == []
    assert moved["assigned_via"] == "direct_assignment"
    assert [a["assignee"]["id"] for a in moved["assignments"]] == [world.user_id]
    assert log_types(pd, incident["id"])[:3] == [
        "notify_log_entry",
        "assign_log_entry",
        "acknowledge_log_entry",
    ]
    latest = pd.get("/notifications", **window()).json()["notifications"][-1]
    assert (latest["address"], latest["user"]["id"]) == ("test-user-5@example.com", world.user_id)


def test_note_is_created_with_201_and_logged_as_an_annotation(
    pd: Pd,
    incident: dict[str, Any],
) -> None:
    """POST notes answers 201 as the live API does, lists the note and logs an annotation."""
    created = pd.call(
        "POST", f"/incidents/{incident['id']}/notes", {"note": {"content": "Firefighters are on the scene."}}
    )
    assert created.status_code == 201
    note = created.json()["note"]
    assert note["content"] == "Firefighters are on the scene."
    assert note["user"]["summary"] == "Sandbox Owner"
    assert note["channel"] == {"summary": "The PagerDuty website or APIs"}
    assert pd.get(f"/incidents/{incident['id']}/notes").json() == {"notes": [note]}
    annotation = pd.get(f"/incidents/{incident['id']}/log_entries").json()["log_entries"][0]
    assert (annotation["type"], annotation["summary"]) == (
        "annotate_log_entry",
        "Note added by Sandbox Owner",
    )
    assert annotation["channel"] == {"type": "note", "summary": "Firefighters are on the scene."}


def test_resolve_with_a_resolution_notes_it_on_the_resolve_log_entry(
    pd: Pd,
    incident: dict[str, Any],
) -> None:
    """Resolving clears assignments, resolves the alert and puts the resolution in the log."""
    resolved = put_incident(pd, incident["id"], status="resolved", resolution="Fixed by the test.").json()[
        "incident"
    ]
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] is not None
    assert resolved["assignments"] == []
    assert resolved["pending_actions"] == []
    assert resolved["alert_counts"] == {"all": 1, "triggered": 0, "resolved": 1}
    entry = pd.get(f"/incidents/{incident['id']}/log_entries").json()["log_entries"][0]
    assert (entry["type"], entry["summary"], entry["note"]) == (
        "resolve_log_entry",
        "Resolved by Sandbox Owner",
        "Fixed by the test.",
    )
    again = put_incident(pd, incident["id"], status="resolved")
    assert (again.status_code, again.json()) == (
        400,
        {"error": {"message": "Incident Already Resolved", "code": 1001}},
    )


def test_resolved_incident_reopens_and_acknowledged_one_unacknowledges(
    pd: Pd,
    world: World,
    incident: dict[str, Any],
) -> None:
    """As the spec says, acknowledging a resolved incident reopens it for the acting user."""
    put_incident(pd, incident["id"], status="resolved")
    reopened = put_incident(pd, incident["id"], status="acknowledged").json()["incident"]
    assert (reopened["status"], reopened["resolved_at"]) == ("acknowledged", None)
    assert [a["assignee"]["id"] for a in reopened["assignments"]] == [world.owner_id]
    back = put_incident(pd, incident["id"], status="triggered").json()["incident"]
    assert (back["status"], back["acknowledgements"]) == ("triggered", [])
    assert log_types(pd, incident["id"])[0] == "unacknowledge_log_entry"


def test_bulk_update_answers_incidents_without_pagination_keys(pd: Pd, world: World) -> None:
    """PUT /incidents resolves several incidents and answers only {incidents}, like the live API."""
    trigger(pd, world, "one")
    trigger(pd, world, "two")
    ids = [i["id"] for i in incidents_of(pd, world, 2)]
    answer = pd.call(
        "PUT",
        "/incidents",
        {"incidents": [{"id": i, "type": "incident_reference", "status": "resolved"} for i in ids]},
    )
    assert answer.status_code == 200
    assert list(answer.json()) == ["incidents"]
    assert [i["status"] for i in answer.json()["incidents"]] == ["resolved", "resolved"]


def test_incident_is_found_by_number_and_filtered_by_user_and_key(
    pd: Pd,
    world: World,
    incident: dict[str, Any],
) -> None:
    """GET by number works; user_ids[] returns only open incidents; incident_key matches alerts."""
    assert pd.get("/incidents/1").json()["incident"]["id"] == incident["id"]
    mine = pd.get("/incidents", **{"user_ids[]": world.owner_id}).json()["incidents"]
    assert [i["id"] for i in mine] == [incident["id"]]
    assert pd.get("/incidents", incident_key="notebook-1").json()["incidents"][0]["id"] == (incident["id"])
    assert pd.get("/incidents", incident_key="other").json()["incidents"] == []
    put_incident(pd, incident["id"], status="resolved")
    assert pd.get("/incidents", **{"user_ids[]": world.owner_id}).json()["incidents"] == []
    resolved = pd.get("/incidents", **{"statuses[]": "resolved"}).json()["incidents"]
    assert [i["id"] for i in resolved] == [incident["id"]]


def test_incidents_outside_the_date_window_are_left_out(
    pd: Pd,
    incident: dict[str, Any],
) -> None:
    """since/until bound the listing; date_range=all ignores them."""
    past = {"since": "2020-01-01T00:00:00Z", "until": "2020-02-01T00:00:00Z"}
    assert pd.get("/incidents", **past).json()["incidents"] == []
    everything = pd.get("/incidents", date_range="all", **past).json()["incidents"]
    assert [i["id"] for i in everything] == [incident["id"]]


def test_incidents_sort_by_number_descending(pd: Pd, world: World) -> None:
    """sort_by=incident_number:desc lists the newest first."""
    trigger(pd, world, "one")
    trigger(pd, world, "two")
    incidents_of(pd, world, 2)
    numbers = [
        i["incident_number"] for i in pd.get("/incidents", sort_by="incident_number:desc").json()["incidents"]
    ]
    assert numbers == [2, 1]


# Events API v2


def test_trigger_with_an_open_dedup_key_adds_to_the_same_incident(pd: Pd, world: World) -> None:
    """A second trigger with the same dedup_key opens nothing; ack and resolve act on it."""
    trigger(pd, world, "first", "same-key")
    trigger(pd, world, "again", "same-key")
    assert (
        pd.enqueue(
            {"routing_key": world.routing_key, "event_action": "acknowledge", "dedup_key": "same-key"}
        ).status_code
        == 202
    )
    acked = eventually(
        lambda: [i for i in pd.get("/incidents").json()["incidents"] if i["status"] == "acknowledged"]
    )
    assert [(i["incident_number"], i["alert_counts"]["all"]) for i in acked] == [(1, 1)]
    assert acked[0]["acknowledgements"][0]["acknowledger"]["id"] == world.service_id
    pd.enqueue({"routing_key": world.routing_key, "event_action": "resolve", "dedup_key": "same-key"})
    resolved = eventually(
        lambda: [i for i in pd.get("/incidents").json()["incidents"] if i["status"] == "resolved"]
    )
    assert resolved[0]["last_status_change_by"]["type"] == "service_reference"
    trigger(pd, world, "after resolve", "same-key")
    reopened = incidents_of(pd, world, 2)
    assert [i["incident_number"] for i in reopened] == [1, 2]


def test_event_without_dedup_key_gets_a_generated_one(pd: Pd, world: World) -> None:
    """The 202 body carries a fresh 32-hex dedup_key, which becomes the incident key."""
    answer = pd.enqueue(
        {
            "routing_key": world.routing_key,
            "event_action": "trigger",
            "payload": {"summary": "s", "source": "x", "severity": "error"},
        }
    )
    body = answer.json()
    assert (answer.status_code, body["status"], body["message"]) == (202, "success", "Event processed")
    assert re.fullmatch(r"[0-9a-f]{32}", body["dedup_key"])
    assert incidents_of(pd, world, 1)[0]["incident_key"] == body["dedup_key"]


@pytest.mark.parametrize(
    ("event", "errors"),
    [
        (
            {
                "routing_key": "short",
                "event_action": "trigger",
                "payload": {"summary": "s", "source": "x", "severity": "info"},
            },
            ["Length of 'routing_key' is incorrect (should be 32 characters)"],
        ),
        (
            {
                "routing_key": "a-" * 16,
                "event_action": "trigger",
                "payload": {"summary": "s", "source": "x", "severity": "info"},
            },
            ["'routing_key' cannot contain non-alphanumeric characters."],
        ),
        (
            {
                "routing_key": "0" * 32,
                "event_action": "trigger",
                "payload": {"summary": "s", "source": "x", "severity": "info"},
            },
            ["Invalid routing key"],
        ),
        (
            {"routing_key": "0" * 32, "event_action": "trigger", "payload": {"severity": "fatal"}},
            [
                "'payload.summary' is missing or blank",
                "'payload.source' is missing or blank",
                "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', "
                "'error' or 'info')",
            ],
        ),
        (
            {"routing_key": "0" * 32, "event_action": "explode"},
            [
                "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or "
                "'resolve')"
            ],
        ),
        ({"routing_key": "0" * 32, "event_action": "resolve"}, ["'dedup_key' is missing or blank"]),
    ],
)
def test_invalid_events_are_refused_with_the_events_api_error_body(
    pd: Pd,
    event: dict[str, Any],
    errors: list[str],
) -> None:
    """A bad routing key or payload gets 400 {status, message, errors} and opens nothing."""
    answer = pd.enqueue(event)
    assert answer.status_code == 400
    assert answer.json() == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": errors,
    }


def test_event_that_is_not_json_is_unrecognized(sandbox: Sandbox) -> None:
    """A body that is not JSON gets the Events API's "Unrecognized object" answer."""
    answer = requests.post(f"{sandbox.events_url}/v2/enqueue", data=b"{nope", timeout=10)
    assert (answer.status_code, answer.json()) == (
        400,
        {
            "status": "Unrecognized object",
            "message": "Event object format is unrecognized",
            "errors": ["JSON parse error"],
        },
    )


# Users, escalation policies, services


def test_new_user_gets_an_email_contact_method_and_the_owner_gets_phone_and_sms(
    pd: Pd,
    world: World,
) -> None:
    """Every user has an email contact method; owner_phone adds phone and SMS to the owner."""
    user = pd.get(f"/users/{world.user_id}", **{"include[]": "contact_methods"}).json()["user"]
    assert [(m["type"], m["address"]) for m in user["contact_methods"]] == [
        ("email_contact_method", "test-user-5@example.com")
    ]
    owner = pd.get(f"/users/{world.owner_id}", **{"include[]": "contact_methods"}).json()["user"]
    assert [(m["type"], m["address"], m.get("country_code")) for m in owner["contact_methods"]] == [
        ("email_contact_method", OWNER, None),
        ("phone_contact_method", "5558675309", 1),
        ("sms_contact_method", "5558675309", 1),
    ]
    assert owner["role"] == "owner"
    assert [r["type"] for r in user["notification_rules"]] == ["assignment_notification_rule_reference"]


def test_user_includes_calendar_urls_and_subdomains_only_on_request(pd: Pd, world: World) -> None:
    """Calendar feed URLs are bearer secrets, sent only with include[]=calendar_urls."""
    plain = pd.get(f"/users/{world.user_id}").json()["user"]
    assert "http_cal_url" not in plain
    full = pd.get(f"/users/{world.user_id}", **{"include[]": ["calendar_urls", "subdomains"]}).json()["user"]
    assert re.fullmatch(r"https://webcal\.pagerduty\.com/private/[A-Z0-9]{16}/feed", full["http_cal_url"])
    assert full["web_cal_url"] == full["http_cal_url"].replace("https://", "webcal://")
    assert full["subdomains"] == ["sandbox"]


def test_user_query_matches_name_or_email_ignoring_case(pd: Pd, world: World) -> None:
    """query= is a case-insensitive substring of the name or the email."""
    by_name = pd.get("/users", query="NOTEBOOK test").json()["users"]
    by_email = pd.get("/users", query="SANDBOX-OWNER@").json()["users"]
    assert [u["id"] for u in by_name] == [world.user_id]
    assert [u["id"] for u in by_email] == [world.owner_id]


def test_user_with_open_incidents_cannot_be_deleted(pd: Pd, world: World) -> None:
    """Deleting an assignee of an open incident is refused; once resolved it works."""
    trigger(pd, world, "blocker")
    opened = incidents_of(pd, world, 1)[0]
    put_incident(
        pd, opened["id"], assignments=[{"assignee": {"id": world.user_id, "type": "user_reference"}}]
    )
    refused = pd.call("DELETE", f"/users/{world.user_id}")
    assert (refused.status_code, refused.json()) == (
        400,
        {
            "error": {
                "message": "Invalid Input Provided",
                "code": 2001,
                "errors": ["User cannot be deleted as they have assigned incidents."],
            }
        },
    )
    put_incident(pd, opened["id"], status="resolved")
    deleted = pd.call("DELETE", f"/users/{world.user_id}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert "Content-Type" not in deleted.headers
    assert pd.get(f"/users/{world.user_id}").status_code == 404


def test_policy_in_use_cannot_be_deleted_until_its_service_is(pd: Pd, world: World) -> None:
    """PagerDuty refuses to delete an escalation policy a service uses."""
    refused = pd.call("DELETE", f"/escalation_policies/{world.policy_id}")
    assert (refused.status_code, refused.json()) == (
        400,
        {
            "error": {
                "message": "Invalid Input Provided",
                "code": 2001,
                "errors": ["Escalation policy cannot be deleted while services use it."],
            }
        },
    )
    assert pd.call("DELETE", f"/services/{world.service_id}").status_code == 204
    assert pd.call("DELETE", f"/escalation_policies/{world.policy_id}").status_code == 204
    gone = pd.get(f"/escalation_policies/{world.policy_id}")
    assert (gone.status_code, gone.json()) == (
        404,
        {"error": {"message": "Escalation Policy Not Found", "code": 5001}},
    )


def test_duplicate_policy_and_service_names_are_refused(pd: Pd, world: World) -> None:
    """Escalation policy and service names are unique per account."""
    policy = pd.call(
        "POST",
        "/escalation_policies",
        {
            "escalation_policy": {
                "type": "escalation_policy",
                "name": "Notebook Incident Test Escalation Policy",
                "escalation_rules": [
                    {
                        "escalation_delay_in_minutes": 5,
                        "targets": [{"id": world.user_id, "type": "user_reference"}],
                    }
                ],
            }
        },
    )
    assert policy.json() == {
        "error": {
            "message": "Invalid Input Provided",
            "code": 2001,
            "errors": ["Escalation Policy has already been taken"],
        }
    }
    service = pd.call(
        "POST",
        "/services",
        {
            "service": {
                "type": "service",
                "name": "notenook incident testing service",
                "escalation_policy": {"id": world.policy_id, "type": "escalation_policy_reference"},
            }
        },
    )
    assert (service.status_code, service.json()["error"]["errors"]) == (400, ["Name has already been taken"])


def test_service_lists_its_integration_and_the_policy_its_service(pd: Pd, world: World) -> None:
    """References run both ways: service -> integration and policy -> service."""
    service = pd.get(f"/services/{world.service_id}").json()["service"]
    assert [i["type"] for i in service["integrations"]] == ["events_api_v2_inbound_integration_reference"]
    assert service["html_url"] == (f"https://sandbox.pagerduty.com/service-directory/{world.service_id}")
    integration = pd.get(
        f"/services/{world.service_id}/integrations/{service['integrations'][0]['id']}"
    ).json()["integration"]
    assert integration["integration_key"] == world.routing_key
    assert re.fullmatch(r"[0-9a-f]{32}", world.routing_key)
    policy = pd.get(f"/escalation_policies/{world.policy_id}").json()["escalation_policy"]
    assert [s["id"] for s in policy["services"]] == [world.service_id]
    assert policy["num_loops"] == 2
    named = pd.get("/services", name="Notenook Incident Testing Service").json()["services"]
    assert [s["id"] for s in named] == [world.service_id]


# Log entries and analytics


def test_log_entry_shows_raw_event_details_with_include_channels(
    pd: Pd,
    incident: dict[str, Any],
) -> None:
    """include[]=channels adds the event's description, key and details to the channel."""
    entry_id = incident["first_trigger_log_entry"]["id"]
    plain = pd.get(f"/log_entries/{entry_id}").json()["log_entry"]
    detailed = pd.get(f"/log_entries/{entry_id}", **{"include[]": "channels"}).json()["log_entry"]
    assert plain["channel"] == {"type": "api", "summary": "Notebook test incident 1"}
    assert detailed["channel"] == {
        "type": "api",
        "summary": "Notebook test incident 1",
        "description": "Notebook test incident 1",
        "incident_key": "notebook-1",
        "details": {},
    }
    assert plain["html_url"] == (
        f"https://sandbox.pagerduty.com/incidents/{incident['id']}/log_entries/{entry_id}"
    )


def test_overview_leaves_out_notifications(pd: Pd, incident: dict[str, Any]) -> None:
    """is_overview=true keeps the important entries only."""
    overview = pd.get("/log_entries", is_overview="true").json()["log_entries"]
    assert [e["type"] for e in overview] == ["assign_log_entry", "trigger_log_entry"]


def test_analytics_aggregate_the_sandbox_incidents(pd: Pd, world: World) -> None:
    """The metrics count the service's incidents and notifications, with the spec's keys."""
    trigger(pd, world, "one")
    opened = incidents_of(pd, world, 1)[0]
    put_incident(pd, opened["id"], status="acknowledged")
    put_incident(pd, opened["id"], status="resolved")
    now = datetime.now(UTC)
    body = {
        "filters": {
            "created_at_start": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "created_at_end": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "service_ids": [world.service_id],
        },
        "aggregate_unit": "day",
        "time_zone": "Etc/UTC",
    }
    report = pd.call("POST", "/analytics/metrics/incidents/all", body).json()
    assert list(report) == ["aggregate_unit", "data", "filters", "time_zone"]
    day = report["data"][-1]
    assert sorted(day) == sorted(
        [
            "mean_assignment_count",
            "mean_engaged_seconds",
            "mean_engaged_user_count",
            "mean_seconds_to_engage",
            "mean_seconds_to_first_ack",
            "mean_seconds_to_mobilize",
            "mean_seconds_to_resolve",
            "mean_user_defined_engaged_seconds",
            "range_start",
            "total_business_hour_interruptions",
            "total_engaged_seconds",
            "total_escalation_count",
            "total_incident_count",
            "total_incidents_acknowledged",
            "total_incidents_auto_resolved",
            "total_incidents_manual_escalated",
            "total_incidents_reassigned",
            "total_incidents_timeout_escalated",
            "total_interruptions",
            "total_notifications",
            "total_off_hour_interruptions",
            "total_sleep_hour_interruptions",
            "total_snoozed_seconds",
            "total_user_defined_engaged_seconds",
        ]
    )
    counts = {
        k: day[k]
        for k in (
            "total_incident_count",
            "total_notifications",
            "total_interruptions",
            "total_incidents_acknowledged",
            "mean_assignment_count",
            "mean_seconds_to_engage",
        )
    }
    assert counts == {
        "total_incident_count": 1,
        "total_notifications": 3,
        "total_interruptions": 2,
        "total_incidents_acknowledged": 1,
        "mean_assignment_count": 1,
        "mean_seconds_to_engage": None,
    }
    assert report["filters"]["service_ids"] == [world.service_id]
    refused = pd.call("POST", "/analytics/metrics/incidents/all", {"filters": {}})
    assert refused.status_code == 400


# Errors


def test_rest_without_a_valid_token_is_refused_like_the_live_api(pd: Pd) -> None:
    """401 comes as text/html with a one-space body; the quoted token form is accepted."""
    for headers in ({"Authorization": "Token token=wrong"}, {"Authorization": ""}):
        refused = pd.session.get(pd.sandbox.api_url + "/users", headers=headers, timeout=10)
        assert (refused.status_code, refused.content) == (401, b" ")
        assert refused.headers["Content-Type"] == "text/html; charset=utf-8"
    quoted = {"Authorization": f'Token token="{pd.sandbox.token}"'}
    assert pd.session.get(pd.sandbox.api_url + "/users", headers=quoted, timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/users", {"user": {"type": "user", "name": "N", "email": "n@example.com"}}),
        ("PUT", "/incidents", {"incidents": [{"id": "PNOPE00", "type": "incident_reference"}]}),
        ("PUT", "/incidents/PNOPE00", {"incident": {"type": "incident_reference"}}),
        ("POST", "/incidents/PNOPE00/notes", {"note": {"content": "c"}}),
    ],
)
def test_writes_that_require_from_refuse_without_it(
    pd: Pd,
    method: str,
    path: str,
    body: Any,
) -> None:
    """The operations the spec marks with From answer 400 code 2016 without it."""
    del pd.session.headers["From"]
    answer = pd.call(method, path, body)
    assert (answer.status_code, answer.json()) == (400, MISSING_FROM)


def test_from_that_is_not_a_user_is_refused(pd: Pd) -> None:
    """A From email of nobody on the account answers 1008 Requester User Not Found."""
    answer = pd.call(
        "POST",
        "/users",
        {"user": {"name": "N", "email": "n@example.com"}},
        headers={"From": "stranger@example.com"},
    )
    assert (answer.status_code, answer.json()) == (
        400,
        {"error": {"message": "Requester User Not Found", "code": 1008}},
    )


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/users/PNOPE00", {"message": "Not Found", "code": 2100}),
        ("/escalation_policies/PNOPE00", {"message": "Escalation Policy Not Found", "code": 5001}),
        ("/services/PNOPE00", {"message": "Service Not Found", "code": 5002}),
        ("/incidents/PNOPE00", {"message": "Incident Not Found", "code": 5001}),
        ("/incidents/PNOPE00/log_entries", {"message": "Incident Not Found", "code": 5001}),
        ("/log_entries/QNOPE00NOPE00N", {"message": "Log Entry Not Found", "code": 5001}),
        ("/nothing/here", {"message": "Not Found", "code": 2100}),
    ],
)
def test_unknown_ids_and_routes_answer_404_with_the_resource_error(
    pd: Pd,
    path: str,
    error: dict[str, Any],
) -> None:
    """Each resource has its own not-found message and code."""
    answer = pd.get(path)
    assert (answer.status_code, answer.json()) == (404, {"error": error})


def test_invalid_input_is_400_2001_with_details(pd: Pd) -> None:
    """A user with an unknown role is refused with the generic code and a readable detail."""
    answer = pd.call(
        "POST",
        "/users",
        {"user": {"type": "user", "name": "N", "email": "n@example.com", "role": "superhero"}},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 2001
    assert answer.json()["error"]["message"] == "Invalid Input Provided"
    assert answer.json()["error"]["errors"][0].startswith("Role must be one of admin,")
    status = pd.get("/incidents", **{"statuses[]": "closed"})
    assert status.json()["error"]["errors"] == [
        "Status must be a list of triggered, acknowledged, or resolved."
    ]


def test_bulk_update_of_more_than_250_incidents_is_413(pd: Pd) -> None:
    """PUT /incidents takes at most 250 incidents."""
    refs = [{"id": f"P{n:06d}", "type": "incident_reference", "status": "resolved"} for n in range(251)]
    answer = pd.call("PUT", "/incidents", {"incidents": refs})
    assert (answer.status_code, answer.json()["error"]["message"]) == (413, "Request Entity Too Large")


def test_offset_plus_limit_over_10000_is_refused(pd: Pd) -> None:
    """Classic pagination stops at offset+limit 10000."""
    assert pd.get("/users", offset=9975, limit=25).status_code == 200
    answer = pd.get("/users", offset=9976, limit=25)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, 2001)


def test_notifications_need_since_and_until_within_three_months(pd: Pd) -> None:
    """since and until are both required and must span less than 3 months."""
    for params in ({}, {"since": "2026-01-01T00:00:00Z"}):
        answer = pd.get("/notifications", **params)
        assert (answer.status_code, answer.json()["error"]["errors"]) == (
            400,
            ["since and until are both required."],
        )
    wide = pd.get("/notifications", since="2026-01-01", until="2026-04-01")
    assert wide.json()["error"]["errors"] == ["The date range must be less than 3 months."]


# Pagination, headers, rate limit


def test_pagination_pages_and_counts_on_request(pd: Pd) -> None:
    """limit/offset page the list; more says whether a next page exists; total needs total=true."""
    for n in range(30):
        pd.call("POST", "/users", {"user": {"name": f"User {n:02d}", "email": f"u{n}@example.com"}})
    first = pd.get("/users").json()
    assert (len(first["users"]), first["limit"], first["offset"], first["more"], first["total"]) == (
        25,
        25,
        0,
        True,
        None,
    )
    last = pd.get("/users", limit=10, offset=25, total="true").json()
    assert ([u["name"] for u in last["users"]], last["more"], last["total"]) == (
        [f"User {n}" for n in range(24, 30)],
        False,
        31,
    )
    assert pd.get("/users", limit=500).json()["limit"] == 100


def test_every_answer_carries_a_request_id_and_json_content_type(pd: Pd, world: World) -> None:
    """REST and Events answers have x-request-id; REST answers the ratelimit-* headers."""
    rest = pd.get("/users")
    events = pd.enqueue(
        {"routing_key": world.routing_key, "event_action": "resolve", "dedup_key": "nothing-open"}
    )
    for answer in (rest, events):
        assert REQUEST_ID.fullmatch(answer.headers["x-request-id"])
        assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert {k: rest.headers[k] for k in ("ratelimit-limit", "ratelimit-remaining")} == {
        "ratelimit-limit": "960",
        "ratelimit-remaining": str(960 - 6),
    }
    assert "ratelimit-limit" not in events.headers


def test_rate_limit_answers_429_once_the_minute_is_used_up() -> None:
    """With a limit of 3 a minute the fourth call gets 429 code 2020 and remaining 0."""
    with Sandbox(rate_limit=3) as sandbox:
        pd = Pd(sandbox)
        answers = [pd.get("/users") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["ratelimit-limit"] for a in answers} == {"3"}
    assert answers[3].json() == {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
    assert 1 <= int(answers[3].headers["ratelimit-reset"]) <= 60


def test_keep_alive_serves_several_requests_on_one_connection(sandbox: Sandbox) -> None:
    """HTTP/1.1 keep-alive works: three answers come back over the same socket."""
    connection = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=10)
    headers = {"Authorization": f"Token token={sandbox.token}"}
    connection.request("GET", "/users", headers=headers)
    first = connection.getresponse()
    first.read()
    sock = connection.sock
    for _ in range(2):
        connection.request("GET", "/users", headers=headers)
        answer = connection.getresponse()
        assert (answer.status, answer.getheader("Connection")) == (200, None)
        answer.read()
    assert connection.sock is sock
    connection.close()


# Faults


def test_status_fault_hits_the_nth_call_for_times_calls(pd: Pd) -> None:
    """nth=2, times=2: the second and third matching calls get 503, the others pass."""
    pd.sandbox.faults.add(Fault(path="/users", nth=2, times=2, status=503))
    codes = [pd.get("/users").status_code for _ in range(4)]
    assert codes == [200, 503, 503, 200]
    assert [(f.status, m, p) for f, m, p in pd.sandbox.faults.fired] == [
        (503, "GET", "/users"),
        (503, "GET", "/users"),
    ]


def test_permanent_fault_matches_method_and_path_glob(pd: Pd, incident: dict[str, Any]) -> None:
    """times=None faults every matching call; other methods and paths are untouched."""
    pd.sandbox.faults.add(Fault(method="put", path="/incidents/*", times=None, status=500))
    answers = [put_incident(pd, incident["id"], status="acknowledged") for _ in range(3)]
    assert [a.status_code for a in answers] == [500, 500, 500]
    assert answers[0].json() == {
        "error": {
            "message": "An internal error has occurred. PagerDuty team has been notified.",
            "code": 2000,
        }
    }
    assert pd.get(f"/incidents/{incident['id']}").json()["incident"]["status"] == "triggered"


def test_429_fault_with_ratelimit_headers(pd: Pd) -> None:
    """headers="ratelimit" answers the JSON body and ratelimit-* with remaining 0."""
    pd.sandbox.faults.add(Fault(status=429, headers="ratelimit", seconds=7))
    answer = pd.get("/users")
    assert (answer.status_code, answer.json()) == (
        429,
        {"error": {"message": "Rate Limit Exceeded", "code": 2020}},
    )
    assert {k: answer.headers[k] for k in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")} == {
        "ratelimit-limit": "960",
        "ratelimit-remaining": "0",
        "ratelimit-reset": "7",
    }


def test_429_fault_with_retry_after(pd: Pd) -> None:
    """headers="retry-after" answers Retry-After, rounded up to whole seconds."""
    pd.sandbox.faults.add(Fault(status=429, headers="retry-after", seconds=1.5))
    answer = pd.get("/users")
    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "2")
    assert "ratelimit-remaining" not in answer.headers


def test_429_fault_without_headers_or_body(pd: Pd) -> None:
    """headers="none" answers a bare 429, as PagerDuty sometimes does."""
    pd.sandbox.faults.add(Fault(status=429, headers="none"))
    answer = pd.get("/users")
    assert (answer.status_code, answer.content) == (429, b"")
    assert not {"Content-Type", "x-request-id", "ratelimit-reset", "Retry-After"} & set(answer.headers)


def test_latency_fault_delays_a_normal_answer(pd: Pd) -> None:
    """A latency fault waits, then answers normally."""
    pd.sandbox.faults.add(Fault(path="/users", action="latency", seconds=0.2))
    started = time.monotonic()
    answer = pd.get("/users")
    assert answer.status_code == 200
    assert time.monotonic() - started >= 0.2


def test_drop_fault_closes_the_connection_and_the_server_keeps_serving(pd: Pd) -> None:
    """The client sees ConnectionError; the next call on the same session is answered."""
    pd.sandbox.faults.add(Fault(path="/users", action="drop"))
    with pytest.raises(requests.ConnectionError):
        pd.get("/users")
    assert pd.get("/users").status_code == 200


def test_stall_then_drop_and_stall_then_process(pd: Pd) -> None:
    """A stall holds the request, then drops it (default) or answers it."""
    pd.sandbox.faults.add(Fault(path="/users", action="stall", seconds=0.1))
    pd.sandbox.faults.add(Fault(path="/users", nth=2, action="stall", seconds=0.1, after="process"))
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        pd.get("/users")
    assert pd.get("/users").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_faults_apply_to_the_events_api(pd: Pd, world: World) -> None:
    """An Events path fault answers in the Events API's shape."""
    pd.sandbox.faults.add(Fault(path="/v2/enqueue", status=503))
    answer = pd.enqueue(
        {
            "routing_key": world.routing_key,
            "event_action": "trigger",
            "payload": {"summary": "s", "source": "x", "severity": "info"},
        }
    )
    assert (answer.status_code, answer.json()) == (503, {"status": "error", "message": "Service Unavailable"})


def test_faults_clear(pd: Pd) -> None:
    """clear() removes every fault and what fired."""
    pd.sandbox.faults.add(Fault(times=None))
    assert pd.get("/users").status_code == 503
    pd.sandbox.faults.clear()
    assert (pd.get("/users").status_code, pd.sandbox.faults.fired) == (200, [])


def test_fault_plan_loads_from_a_json_file(tmp_path: Path) -> None:
    """A --faults file holds {"faults": [...]} with the Fault field names."""
    path = tmp_path / "faults.json"
    path.write_text(
        json.dumps(
            {
                "faults": [
                    {"method": "GET", "path": "/incidents", "nth": 3, "times": None, "status": 500},
                    {"action": "drop", "path": "/v2/enqueue"},
                ]
            }
        )
    )
    assert FaultPlan.load(path).faults == (
        Fault(method="GET", path="/incidents", nth=3, times=None, status=500),
        Fault(action="drop", path="/v2/enqueue"),
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{nope", "is not valid JSON"),
        ('{"faults": {}}', "has no list of fault objects under 'faults'"),
        ('{"faults": [{"paths": "/x"}]}', "has unknown fault fields: paths"),
        ('{"faults": [{"action": "explode"}]}', "action must be one of status, latency, stall, drop"),
        ('{"faults": [{"nth": "2"}]}', "nth must be an integer"),
    ],
)
def test_bad_fault_files_are_refused_with_the_reason(
    tmp_path: Path,
    content: str,
    message: str,
) -> None:
    """A damaged faults file raises InputError naming the problem."""
    path = tmp_path / "faults.json"
    path.write_text(content)
    with pytest.raises(InputError, match=re.escape(message)):
        FaultPlan.load(path)


def test_invalid_fault_is_a_config_error() -> None:
    """Building a Fault with impossible values fails at once."""
    with pytest.raises(ConfigError, match="times must be 1 or more"):
        Fault(times=0)


def test_serve_loads_faults_and_runs_until_stopped(tmp_path: Path) -> None:
    """serve() applies the faults file and calls on_ready with the listening sandbox."""
    path = tmp_path / "faults.json"
    path.write_text(json.dumps({"faults": [{"path": "/users", "status": 502}]}))
    seen: list[int] = []

    def ready(sandbox: Sandbox) -> None:
        seen.append(Pd(sandbox).get("/users").status_code)
        seen.append(Pd(sandbox).get("/users").status_code)
        sandbox.stop()

    serve(
        host="127.0.0.1",
        port=0,
        token="y_NbAkKc66ryYTWUXYEu",
        owner_email=OWNER,
        subdomain="sandbox",
        incident_delay=0.0,
        faults_file=path,
        on_ready=ready,
    )
    assert seen == [502, 200]


# Running and stopping


def test_sandbox_stops_cleanly_and_frees_its_port() -> None:
    """After the with-block the port can be bound again and no sandbox thread is left."""
    before = set(threading.enumerate())
    with Sandbox() as sandbox:
        port = sandbox.port
        Pd(sandbox).get("/users")
        assert sandbox.api_url == sandbox.events_url == f"http://127.0.0.1:{port}"
        assert re.fullmatch(r"[A-Za-z0-9_-]{20}", sandbox.token)
    assert set(threading.enumerate()) <= before
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_stop_ends_a_stalled_request_and_an_idle_keep_alive_connection() -> None:
    """Stopping does not wait for a long stall or for idle clients; both are disconnected."""
    outcome: list[str] = []
    with Sandbox(faults=[Fault(action="stall", seconds=60, after="process")]) as sandbox:
        idle = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=10)
        idle.connect()

        def stalled() -> None:
            try:
                Pd(sandbox).get("/users")
            except requests.ConnectionError:
                outcome.append("dropped")

        worker = threading.Thread(target=stalled)
        worker.start()
        eventually(lambda: sandbox.faults.fired)
    worker.join(10)
    assert outcome == ["dropped"]
    with pytest.raises(ConnectionError):
        idle.request("GET", "/users")
        idle.getresponse()


def test_sandbox_refuses_a_non_loopback_host() -> None:
    """The sandbox only listens on loopback."""
    with pytest.raises(ConfigError, match="only listens on loopback"):
        Sandbox(host="0.0.0.0")


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+1 555 867 5309", (1, "5558675309")),
        ("+44 20 7946 0958", (44, "2079460958")),
        ("+15558675309", (1, "5558675309")),
        ("15558675309", (1, "5558675309")),
        ("555-867-5309", (1, "5558675309")),
    ],
)
def test_owner_phone_splits_into_country_code_and_national_digits(
    phone: str,
    expected: tuple[int, str],
) -> None:
    """Phone contact methods hold the country code apart from the national digits."""
    assert split_phone(phone) == expected


def test_a_port_in_use_is_a_config_error_from_python_too() -> None:
    """`Sandbox(port=N)` on a taken port raises ConfigError naming it; werkzeug never exits the process."""
    from harness.errors import ConfigError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as caught, Sandbox(account="empty", port=port):
            pass
    assert str(caught.value) == f"port {port} on 127.0.0.1 is already in use by another program"
