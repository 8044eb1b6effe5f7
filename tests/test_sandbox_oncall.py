"""Teams, schedules and on-calls in the sandbox: rotations, who gets paged, and refusals."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from harness.sandbox import Sandbox
from harness.sandbox.records import Schedule, ScheduleLayer
from harness.sandbox.rotation import next_shift, on_call

OWNER = "sandbox-owner@example.com"
DAY = 86400
START = datetime(2024, 1, 1, tzinfo=UTC)


class Pd:
    """REST calls to one sandbox with token, Accept and From."""

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

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        return self.session.request(method, self.sandbox.api_url + path, json=body, params=params, timeout=10)

    def user(self, name: str) -> str:
        email = f"{name.lower()}@example.com"
        answer = self.call("POST", "/users", {"user": {"type": "user", "name": name, "email": email}})
        return str(answer.json()["user"]["id"])

    def schedule(self, *layers: dict[str, Any], name: str = "Rota") -> requests.Response:
        return self.call(
            "POST",
            "/schedules",
            {
                "schedule": {
                    "type": "schedule",
                    "name": name,
                    "time_zone": "Etc/UTC",
                    "schedule_layers": list(layers),
                }
            },
        )

    def policy(self, schedule_id: str) -> str:
        answer = self.call(
            "POST",
            "/escalation_policies",
            {
                "escalation_policy": {
                    "type": "escalation_policy",
                    "name": f"Policy {schedule_id}",
                    "escalation_rules": [
                        {
                            "escalation_delay_in_minutes": 5,
                            "targets": [{"id": schedule_id, "type": "schedule_reference"}],
                        }
                    ],
                }
            },
        )
        return str(answer.json()["escalation_policy"]["id"])


def layer(*user_ids: str, turn: int = DAY, start: str = "2024-01-01T00:00:00Z") -> dict[str, Any]:
    return {
        "start": start,
        "rotation_virtual_start": start,
        "rotation_turn_length_seconds": turn,
        "users": [{"user": {"id": u, "type": "user_reference"}} for u in user_ids],
    }


@pytest.fixture
def pd() -> Iterator[Pd]:
    with Sandbox(account="empty", incident_delay=0) as sandbox:
        client = Pd(sandbox)
        yield client
        client.session.close()


def _layer(
    user_ids: tuple[str, ...], *, start: datetime = START, end: datetime | None = None, turn: int = DAY
) -> ScheduleLayer:
    return ScheduleLayer("L", "Layer", start, end, start, turn, user_ids)


def test_users_take_turns_in_order() -> None:
    """Two users alternate daily from the virtual start; each turn is one whole day."""
    schedule = Schedule("S", "Rota", "Etc/UTC", None, (_layer(("A", "B")),), START)
    turns = [on_call(schedule, START + timedelta(days=d, hours=12)) for d in range(3)]
    assert [(s.user_id, s.start, s.end) for s in turns if s] == [
        ("A", START, START + timedelta(days=1)),
        ("B", START + timedelta(days=1), START + timedelta(days=2)),
        ("A", START + timedelta(days=2), START + timedelta(days=3)),
    ]


def test_a_later_layer_wins_where_it_has_someone() -> None:
    """A second layer running for one day overrides the first that day only, and nobody before start."""
    cover = _layer(("C",), start=START + timedelta(days=1), end=START + timedelta(days=2))
    schedule = Schedule("S", "Rota", "Etc/UTC", None, (_layer(("A",)), cover), START)
    shift = on_call(schedule, START + timedelta(days=1, hours=1))
    assert shift is not None and shift.user_id == "C"
    assert [
        on_call(schedule, START + timedelta(days=d)).user_id  # type: ignore[union-attr]
        for d in (0, 2)
    ] == ["A", "A"]
    assert on_call(schedule, START - timedelta(seconds=1)) is None


def test_next_shift_finds_a_users_coming_turn() -> None:
    """B's next turn, seen during A's, is the following day; a user not on it has none."""
    schedule = Schedule("S", "Rota", "Etc/UTC", None, (_layer(("A", "B")),), START)
    shift = next_shift(schedule, "B", START + timedelta(hours=3))
    assert shift is not None and (shift.start, shift.end) == (
        START + timedelta(days=1),
        START + timedelta(days=2),
    )
    assert next_shift(schedule, "Z", START) is None


def test_oncalls_follow_filters_and_a_policy_level(pd: Pd) -> None:
    """GET /oncalls lists each policy's schedule on-call, filtered by schedule and user ids."""
    ada, bob = pd.user("Ada"), pd.user("Bob")
    first = pd.schedule(layer(ada), name="First").json()["schedule"]["id"]
    second = pd.schedule(layer(bob), name="Second").json()["schedule"]["id"]
    policies = {pd.policy(first): ada, pd.policy(second): bob}
    listed = pd.call("GET", "/oncalls").json()["oncalls"]
    assert {(o["escalation_policy"]["id"], o["user"]["id"], o["escalation_level"]) for o in listed} == {
        (p, u, 1) for p, u in policies.items()
    }
    only = pd.call("GET", "/oncalls", **{"schedule_ids[]": second}).json()["oncalls"]
    assert [o["user"]["id"] for o in only] == [bob]
    assert pd.call("GET", "/oncalls", **{"user_ids[]": ada}).json()["oncalls"][0]["schedule"]["id"] == first
    included = pd.call("GET", "/oncalls", **{"schedule_ids[]": first, "include[]": "users"}).json()
    assert included["oncalls"][0]["user"]["email"] == "ada@example.com"


def test_an_incident_pages_whoever_is_on_call(pd: Pd) -> None:
    """An event on a service whose policy targets a schedule is assigned to its on-call user."""
    ada = pd.user("Ada")
    policy = pd.policy(pd.schedule(layer(ada)).json()["schedule"]["id"])
    service = pd.call(
        "POST",
        "/services",
        {
            "service": {
                "type": "service",
                "name": "checkout",
                "escalation_policy": {"id": policy, "type": "escalation_policy_reference"},
            }
        },
    )
    service_id = service.json()["service"]["id"]
    integration = pd.call(
        "POST",
        f"/services/{service_id}/integrations",
        {"integration": {"type": "events_api_v2_inbound_integration"}},
    ).json()["integration"]
    requests.post(
        f"{pd.sandbox.events_url}/v2/enqueue",
        timeout=10,
        json={
            "routing_key": integration["integration_key"],
            "event_action": "trigger",
            "payload": {"summary": "Checkout is down", "source": "test", "severity": "critical"},
        },
    )
    deadline = time.monotonic() + 5
    while (
        not (incidents := pd.call("GET", "/incidents", **{"service_ids[]": service_id}).json()["incidents"])
        and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    assert [a["assignee"]["id"] for a in incidents[0]["assignments"]] == [ada]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"name": "Rota", "time_zone": "Mars/Olympus", "schedule_layers": [layer("PNOUSER")]},
            "Time zone 'Mars/Olympus' is not a known time zone.",
        ),
        (
            {"name": "Rota", "time_zone": "Etc/UTC", "schedule_layers": []},
            "Schedule layers must be a non-empty list.",
        ),
        (
            {"name": "Rota", "time_zone": "Etc/UTC", "schedule_layers": [layer("PNOUSER")]},
            "Schedule layer user PNOUSER was not found.",
        ),
        (
            {
                "name": "Rota",
                "time_zone": "Etc/UTC",
                "schedule_layers": [{**layer("PNOUSER"), "rotation_turn_length_seconds": 0}],
            },
            "Rotation turn length seconds must be a positive integer.",
        ),
    ],
)
def test_a_bad_schedule_is_refused(pd: Pd, body: dict[str, Any], message: str) -> None:
    """Each defect is a 400 naming it, and nothing is created."""
    answer = pd.call("POST", "/schedules", {"schedule": {"type": "schedule", **body}})
    assert answer.status_code == 400
    assert answer.json()["error"]["errors"] == [message]
    assert pd.call("GET", "/schedules").json()["schedules"] == []


def test_a_schedule_in_use_cannot_be_deleted(pd: Pd) -> None:
    """DELETE /schedules/{id} is refused while a policy targets it, and works once the policy is gone."""
    schedule = pd.schedule(layer(pd.user("Ada"))).json()["schedule"]["id"]
    policy = pd.policy(schedule)
    refused = pd.call("DELETE", f"/schedules/{schedule}")
    assert (refused.status_code, refused.json()["error"]["errors"]) == (
        400,
        ["Schedule can't be deleted while escalation policies use it."],
    )
    assert pd.call("DELETE", f"/escalation_policies/{policy}").status_code == 204
    assert pd.call("DELETE", f"/schedules/{schedule}").status_code == 204
    assert pd.call("GET", f"/schedules/{schedule}").status_code == 404


def test_teams_are_unique_by_name_and_deleted_whole(pd: Pd) -> None:
    """A second team of the same name is refused; a deleted team is gone from GET."""
    made = pd.call("POST", "/teams", {"team": {"type": "team", "name": "Checkout"}})
    assert made.status_code == 201 and made.json()["team"]["default_role"] == "manager"
    again = pd.call("POST", "/teams", {"team": {"type": "team", "name": "checkout"}})
    assert (again.status_code, again.json()["error"]["errors"]) == (400, ["Name has already been taken"])
    team_id = made.json()["team"]["id"]
    assert [t["id"] for t in pd.call("GET", "/teams", query="Check").json()["teams"]] == [team_id]
    assert pd.call("DELETE", f"/teams/{team_id}").status_code == 204
    assert pd.call("GET", f"/teams/{team_id}").status_code == 404
