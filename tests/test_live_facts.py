"""Each live fact of harness.specs.live is the sandbox's behaviour, asserted on its own answers."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from harness.sandbox import Sandbox
from harness.specs import DEPARTURES
from harness.specs.live import LIVE_FACTS

Answers = dict[str, Any]
LOCAL_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


class Api:
    """A requests session speaking to the sandbox's REST API as its owner."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Accept": "application/vnd.pagerduty+json;version=2",
                "Authorization": f"Token token={sandbox.token}",
                "From": sandbox.owner_email,
            }
        )

    def __call__(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        response = self.session.request(
            method, self.sandbox.api_url + path, json=body, params=params, timeout=10
        )
        assert response.status_code < 300, response.text
        return response.json()


@pytest.fixture(scope="module")
def answers() -> Iterator[Answers]:
    """One small lifecycle on a fresh sandbox: every answer the facts are read from."""
    with Sandbox() as sandbox:
        api = Api(sandbox)
        user = api(
            "POST",
            "/users",
            {"user": {"type": "user", "name": "Live Fact", "email": "live.fact@example.com"}},
        )["user"]
        policy = api(
            "POST",
            "/escalation_policies",
            {
                "escalation_policy": {
                    "type": "escalation_policy",
                    "name": "Live facts",
                    "escalation_rules": [
                        {
                            "escalation_delay_in_minutes": 5,
                            "targets": [{"id": user["id"], "type": "user_reference"}],
                        }
                    ],
                }
            },
        )["escalation_policy"]
        service = api(
            "POST",
            "/services",
            {
                "service": {
                    "type": "service",
                    "name": "Live facts",
                    "escalation_policy": {"id": policy["id"], "type": "escalation_policy_reference"},
                }
            },
        )["service"]
        key = api(
            "POST",
            f"/services/{service['id']}/integrations",
            {"integration": {"type": "events_api_v2_inbound_integration"}},
        )["integration"]["integration_key"]
        for number in (1, 2):
            requests.post(
                f"{sandbox.events_url}/v2/enqueue",
                timeout=10,
                json={
                    "routing_key": key,
                    "event_action": "trigger",
                    "dedup_key": f"fact-{number}",
                    "payload": {"summary": f"Fact {number}", "source": "test", "severity": "error"},
                },
            )
        incidents = _wait_for(api, service["id"], 2)
        first, second = (i["id"] for i in incidents)
        note = api("POST", f"/incidents/{first}/notes", {"note": {"content": "Seen."}})["note"]
        resolved = api(
            "PUT", f"/incidents/{second}", {"incident": {"type": "incident_reference", "status": "resolved"}}
        )["incident"]
        entries = api("GET", f"/incidents/{first}/log_entries")["log_entries"]
        yield {
            "zone": ZoneInfo(sandbox.account.time_zone),
            "user": api("GET", f"/users/{user['id']}")["user"],
            "policy": api("GET", f"/escalation_policies/{policy['id']}")["escalation_policy"],
            "created_service": service,
            "service": api("GET", f"/services/{service['id']}")["service"],
            "incident": api("GET", f"/incidents/{first}")["incident"],
            "resolved": resolved,
            "note": note,
            "entries": entries,
            "entry": api("GET", f"/log_entries/{entries[0]['id']}")["log_entry"],
        }


def _wait_for(api: Api, service_id: str, count: int) -> list[Any]:
    deadline = time.monotonic() + 10
    while True:
        incidents: list[Any] = api("GET", "/incidents", **{"service_ids[]": service_id})["incidents"]
        if len(incidents) >= count or time.monotonic() > deadline:
            return sorted(incidents, key=lambda i: i["incident_number"])
        time.sleep(0.05)


def _in_account_offset(stamp: str, answers: Answers) -> bool:
    """The time is written with the account's UTC offset at that moment, not as `Z`."""
    moment = datetime.fromisoformat(stamp)
    return (
        bool(LOCAL_STAMP.fullmatch(stamp))
        and moment.utcoffset() == moment.astimezone(answers["zone"]).utcoffset()
    )


def _trigger(answers: Answers) -> Any:
    return next(e for e in answers["entries"] if e["type"] == "trigger_log_entry")


CHECKS: dict[str, Callable[[Answers], bool]] = {
    "incident-id": lambda a: all(
        re.fullmatch(r"Q[A-Z0-9]{13}", i["id"]) for i in (a["incident"], a["resolved"])
    ),
    "log-entry-id": lambda a: (
        all(re.fullmatch(r"R[A-Z0-9]{25}", e["id"]) for e in a["entries"])
        and re.fullmatch(r"R[A-Z0-9]{25}", a["incident"]["first_trigger_log_entry"]["id"]) is not None
    ),
    "log-entry-self": lambda a: (
        a["entry"]["self"].endswith(f"/log_entries/{a['entry']['id']}")
        and "?" not in a["entry"]["self"]
        and a["incident"]["first_trigger_log_entry"]["self"].endswith(
            f"/log_entries/{a['incident']['first_trigger_log_entry']['id']}"
        )
    ),
    "trigger-summary": lambda a: (
        _trigger(a)["summary"] == "Triggered through the API."
        and a["incident"]["first_trigger_log_entry"]["summary"] == "Triggered through the API."
    ),
    "incident-description": lambda a: a["incident"]["description"] == a["incident"]["title"] == "Fact 1",
    "incident-basic-alert-grouping": lambda a: (
        "basic_alert_grouping" in a["incident"]
        and a["incident"]["basic_alert_grouping"] is None
        and a["resolved"]["basic_alert_grouping"] is None
    ),
    "incident-subscriber-requests": lambda a: (
        a["incident"]["subscriber_requests"] == [] and a["resolved"]["subscriber_requests"] == []
    ),
    "incident-resolve-reason": lambda a: (
        "resolve_reason" not in a["incident"]
        and "resolve_reason" in a["resolved"]
        and a["resolved"]["resolve_reason"] is None
    ),
    "note-fields": lambda a: sorted(a["note"]) == ["channel", "content", "created_at", "id", "user"],
    "note-local-time": lambda a: _in_account_offset(a["note"]["created_at"], a),
    "service-keys": lambda a: (
        {
            k: a["service"][k]
            for k in (
                "addons",
                "last_incident_timestamp",
                "alert_grouping",
                "alert_grouping_timeout",
                "alert_grouping_parameters",
                "response_play",
            )
        }
        == {
            "addons": [],
            "alert_grouping": None,
            "last_incident_timestamp": max(a["incident"]["created_at"], a["resolved"]["created_at"]),
            "alert_grouping_timeout": None,
            "alert_grouping_parameters": {"type": None, "config": None, "is_global_configuration": False},
            "response_play": None,
        }
        and a["service"]["updated_at"] == a["service"]["created_at"]
        and a["created_service"]["last_incident_timestamp"] is None
    ),
    "service-description-null": lambda a: (
        "description" in a["service"] and a["service"]["description"] is None
    ),
    "service-local-time": lambda a: all(
        _in_account_offset(a["service"][k], a) for k in ("created_at", "updated_at")
    ),
    "policy-keys": lambda a: (
        a["policy"]["privilege"] is None and a["policy"]["updated_at"] == a["policy"]["created_at"]
    ),
    "policy-local-time": lambda a: all(
        _in_account_offset(a["policy"][k], a) for k in ("created_at", "updated_at")
    ),
    "user-keys": lambda a: a["user"]["billed"] is True and a["user"]["locale"] == "en-US",
    "user-job-title-null": lambda a: "job_title" in a["user"] and a["user"]["job_title"] is None,
    "contact-method-reference-html-url": lambda a: (
        [(m["type"], m["html_url"]) for m in a["user"]["contact_methods"]]
        == [("email_contact_method_reference", None)]
    ),
}


def test_every_live_fact_has_a_check() -> None:
    """The table of checks covers exactly the listed live facts."""
    assert sorted(CHECKS) == sorted(fact.name for fact in LIVE_FACTS)


@pytest.mark.parametrize("fact", LIVE_FACTS, ids=lambda fact: fact.name)
def test_live_fact_names_live_api_departures(fact: Any) -> None:
    """Each departure a fact relies on exists and is marked as live-API behaviour."""
    kinds = {d.name: d.kind for d in DEPARTURES}
    assert all(kinds.get(name) == "live-api" for name in fact.departures)
    assert fact.evidence


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_sandbox_answers_as_live_does(answers: Answers, name: str) -> None:
    """The sandbox's answer shows the live detail exactly."""
    assert CHECKS[name](answers)
