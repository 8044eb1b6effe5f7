"""PagerDuty's official Python client (`pagerduty` 7.x) runs an incident lifecycle on the https sandbox.

The client refuses any base URL that is not https://, so this is what `--tls` is for; its httpx2
client verifies the sandbox against the written ca.pem (`verify=`), and nothing leaves loopback.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from typing import Any

import pagerduty
import pytest

from harness.sandbox import Sandbox


@pytest.fixture
def sandbox(tmp_path: Any) -> Iterator[Sandbox]:
    """An https sandbox whose ca.pem is written into the test's folder."""
    with Sandbox(tls=True, cert_dir=tmp_path, incident_delay=0) as running:
        yield running


def _wait_for_incident(rest: pagerduty.RestApiV2Client, service_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while not (found := rest.list_all("incidents", params={"service_ids[]": [service_id]})):
        assert time.monotonic() < deadline, "the triggered incident never appeared"
        time.sleep(0.02)
    [incident] = found
    return dict(incident)


def test_official_client_refuses_plain_http() -> None:
    """The reason for --tls: the client will not even be built for an http:// base URL."""
    with pytest.raises(pagerduty.UrlError):
        pagerduty.RestApiV2Client("token", base_url="http://127.0.0.1:1")


def test_official_client_completes_an_incident_lifecycle(sandbox: Sandbox) -> None:
    """Create user, policy, service and integration; trigger, list, acknowledge, note, resolve, read."""
    # httpx2 takes an SSL context trusting only the sandbox's authority (a path is deprecated).
    verify = ssl.create_default_context(cafile=sandbox.ca_path)
    rest = pagerduty.RestApiV2Client(
        sandbox.token, default_from=sandbox.owner_email, base_url=sandbox.api_url, verify=verify
    )
    owner = rest.find("users", sandbox.owner_email, attribute="email")
    assert owner is not None
    user = rest.rpost(
        "users", json={"type": "user", "name": "Official Client", "email": "official.client@example.com"}
    )
    policy = rest.rpost(
        "escalation_policies",
        json={
            "type": "escalation_policy",
            "name": "Official client policy",
            "escalation_rules": [
                {"escalation_delay_in_minutes": 10, "targets": [{"id": user["id"], "type": "user_reference"}]}
            ],
        },
    )
    service = rest.rpost(
        "services",
        json={
            "type": "service",
            "name": "Official client service",
            "escalation_policy": {"id": policy["id"], "type": "escalation_policy_reference"},
        },
    )
    integration = rest.rpost(
        f"services/{service['id']}/integrations", json={"type": "events_api_v2_inbound_integration"}
    )

    events = pagerduty.EventsApiV2Client(
        integration["integration_key"], base_url=sandbox.events_url, verify=verify
    )
    assert events.trigger("Disk full on db-1", "db-1", dedup_key="official-1") == "official-1"
    incident = _wait_for_incident(rest, service["id"])
    assert (incident["title"], incident["status"]) == ("Disk full on db-1", "triggered")
    assert [a["assignee"]["id"] for a in incident["assignments"]] == [user["id"]]
    assert rest.get_total("incidents", params={"service_ids[]": [service["id"]]}) == 1

    acknowledged = rest.rput(incident, json={"type": "incident_reference", "status": "acknowledged"})
    assert acknowledged["status"] == "acknowledged"
    note = rest.rpost(f"incidents/{incident['id']}/notes", json={"content": "Cleaning up logs."})
    assert note["content"] == "Cleaning up logs."
    resolved = rest.rput(incident, json={"type": "incident_reference", "status": "resolved"})
    assert resolved["status"] == "resolved"

    entries = rest.list_all(f"incidents/{incident['id']}/log_entries")
    assert {"trigger_log_entry", "acknowledge_log_entry", "annotate_log_entry", "resolve_log_entry"} <= {
        e["type"] for e in entries
    }
    assert rest.rget(f"log_entries/{entries[0]['id']}")["id"] == entries[0]["id"]

    rest.rdelete(service)
    rest.rdelete(policy)
    rest.rdelete(user)
    assert rest.find("users", "official.client@example.com", attribute="email") is None
