"""Who is on call, and page them: a scenario of one's own, written on harness's public API.

A team's code asks PagerDuty who is on call for its rota, then opens an incident that pages that
person.  The scenario makes what it needs (a responder, a team, a weekly schedule, an escalation
policy that uses it, a service with an Events API v2 integration), asks, pages, resolves, and
deletes everything it made.  Record it against the sandbox and replay it offline:

    harness record --sandbox --scenario examples.oncall:scenario --out recordings/oncall
    harness replay recordings/oncall
"""

from __future__ import annotations

from typing import Any

from harness import Client, Run, Scenario, StepFailed, dig, expect_success, poll

RESPONDER = "On-call Example Responder"
TEAM = "On-call Example Team"
ROTA = "On-call Example Rota"
POLICY = "On-call Example Policy"
SERVICE = "On-call Example Service"
SUMMARY = "Checkout is failing for every customer"

# Scrubbing keeps these as they are: they are ours, not anybody's personal data.
scenario = Scenario(public_names=(RESPONDER, TEAM, ROTA, POLICY, SERVICE))


def _ref(kind: str, resource_id: str) -> dict[str, str]:
    return {"id": resource_id, "type": f"{kind}_reference"}


def _exactly_named(pd: Client, path: str, key: str, name: str) -> list[str]:
    """The ids of the objects named exactly `name` (`query` also matches parts of names)."""
    found = expect_success(pd.get(path, params={"query": name}), f"GET {path}").get(key, [])
    return [dig(item, "id", what=f"GET {path}") for item in found if item.get("name") == name]


@scenario.step()
def sweep_leftovers(pd: Client, run: Run) -> None:
    """Delete what a run that was killed outright may have left, found by exact name."""
    for path, key, name in (
        ("/services", "services", SERVICE),
        ("/escalation_policies", "escalation_policies", POLICY),
        ("/schedules", "schedules", ROTA),
        ("/teams", "teams", TEAM),
    ):
        for leftover in _exactly_named(pd, path, key, name):
            expect_success(pd.delete(f"{path}/{leftover}"), f"delete leftover {leftover}")
    for user in expect_success(pd.get("/users", params={"query": run.test_user_email}), "GET /users").get(
        "users", []
    ):
        if user.get("email") == run.test_user_email:
            expect_success(pd.delete(f"/users/{dig(user, 'id', what='GET /users')}"), "delete leftover")


@scenario.step()
def create_responder(pd: Client, run: Run) -> None:
    """Create the person who will be on call."""
    body = {"user": {"type": "user", "name": RESPONDER, "email": run.test_user_email, "role": "user"}}
    created = expect_success(pd.post("/users", body), "create the responder")
    run.state["user_id"] = dig(created, "user", "id", what="create the responder")
    run.ledger.add("user", run.state["user_id"])


@scenario.step()
def create_team(pd: Client, run: Run) -> None:
    """Create the team that owns the rota."""
    body = {"team": {"type": "team", "name": TEAM, "description": "Owns checkout."}}
    created = expect_success(pd.post("/teams", body), "create the team")
    run.state["team_id"] = dig(created, "team", "id", what="create the team")
    run.ledger.add("team", run.state["team_id"])


@scenario.step()
def create_schedule(pd: Client, run: Run) -> None:
    """Create a weekly rota with the responder on it."""
    start = "2024-01-01T09:00:00-05:00"
    body = {
        "schedule": {
            "type": "schedule",
            "name": ROTA,
            "time_zone": "America/New_York",
            "description": "Weekly, Monday 9:00.",
            "schedule_layers": [
                {
                    "name": "Weekly",
                    "start": start,
                    "rotation_virtual_start": start,
                    "rotation_turn_length_seconds": 7 * 24 * 3600,
                    "users": [{"user": _ref("user", run.state["user_id"])}],
                }
            ],
        }
    }
    created = expect_success(pd.post("/schedules", body), "create the schedule")
    run.state["schedule_id"] = dig(created, "schedule", "id", what="create the schedule")
    run.ledger.add("schedule", run.state["schedule_id"])


@scenario.step()
def create_escalation_policy(pd: Client, run: Run) -> None:
    """Create an escalation policy that pages whoever the rota has on call."""
    body = {
        "escalation_policy": {
            "type": "escalation_policy",
            "name": POLICY,
            "num_loops": 1,
            "escalation_rules": [
                {"escalation_delay_in_minutes": 10, "targets": [_ref("schedule", run.state["schedule_id"])]}
            ],
        }
    }
    created = expect_success(pd.post("/escalation_policies", body), "create the escalation policy")
    run.state["policy_id"] = dig(created, "escalation_policy", "id", what="create the policy")
    run.ledger.add("escalation_policy", run.state["policy_id"])


@scenario.step()
def create_service(pd: Client, run: Run) -> None:
    """Create the service incidents are opened on, with an Events API v2 integration."""
    body = {
        "service": {
            "type": "service",
            "name": SERVICE,
            "escalation_policy": _ref("escalation_policy", run.state["policy_id"]),
        }
    }
    created = expect_success(pd.post("/services", body), "create the service")
    service_id = run.state["service_id"] = dig(created, "service", "id", what="create the service")
    run.ledger.add("service", service_id)
    body = {
        "integration": {
            "type": "events_api_v2_inbound_integration",
            "name": "Events V2",
            "service": _ref("service", service_id),
        }
    }
    created = expect_success(pd.post(f"/services/{service_id}/integrations", body), "create the integration")
    run.state["routing_key"] = dig(created, "integration", "integration_key", what="create the integration")


@scenario.step()
def find_who_is_on_call(pd: Client, run: Run) -> None:
    """Ask PagerDuty who the rota has on call right now."""
    params = {"schedule_ids[]": run.state["schedule_id"]}
    oncalls = dig(
        expect_success(pd.get("/oncalls", params=params), "GET /oncalls"), "oncalls", what="GET /oncalls"
    )
    if not oncalls:
        raise StepFailed("nobody is on call for the rota", hint="check the schedule's layers")
    run.state["on_call_user_id"] = dig(oncalls, 0, "user", "id", what="GET /oncalls")


@scenario.step(expect={"POST": 202})
def page_the_person_on_call(pd: Client, run: Run) -> None:
    """Trigger an incident on the service: its policy pages whoever is on call."""
    event = {
        "routing_key": run.state["routing_key"],
        "event_action": "trigger",
        "dedup_key": f"oncall-example-{run.state['service_id']}",
        "payload": {"summary": SUMMARY, "source": "checkout", "severity": "critical"},
    }
    expect_success(pd.enqueue(event), "trigger the incident")


@scenario.step(polls=True)
def wait_for_the_incident(pd: Client, run: Run) -> None:
    """Wait for the incident, and check it went to the person on call."""

    def triggered() -> dict[str, Any] | None:
        params = {"service_ids[]": run.state["service_id"], "statuses[]": "triggered"}
        found = expect_success(pd.get("/incidents", params=params), "GET /incidents")
        incidents: list[dict[str, Any]] = found.get("incidents", [])
        return incidents[0] if incidents else None

    incident = run.state["incident"] = poll(pd, run, triggered, what="the incident")
    assignees = [
        dig(a, "assignee", "id", what="GET /incidents")
        for a in dig(incident, "assignments", what="GET /incidents")
    ]
    if assignees != [run.state["on_call_user_id"]]:
        raise StepFailed(
            f"the incident was assigned to {assignees}, not to the person on call",
            hint="PagerDuty's escalation no longer follows the schedule",
        )


@scenario.step()
def resolve_the_incident(pd: Client, run: Run) -> None:
    """Resolve the incident, so that the responder can be deleted."""
    body = {"incident": {"type": "incident_reference", "status": "resolved"}}
    expect_success(pd.put(f"/incidents/{run.state['incident']['id']}", body), "resolve the incident")


@scenario.step()
def delete_everything(pd: Client, run: Run) -> None:
    """Delete what the run made, each thing before what it depends on."""
    for kind, path in (
        ("service", "/services"),
        ("escalation_policy", "/escalation_policies"),
        ("schedule", "/schedules"),
        ("team", "/teams"),
        ("user", "/users"),
    ):
        resource_id = run.state[f"{'policy' if kind == 'escalation_policy' else kind}_id"]
        expect_success(pd.delete(f"{path}/{resource_id}"), f"delete the {kind.replace('_', ' ')}")
        run.ledger.strike(kind, resource_id)
