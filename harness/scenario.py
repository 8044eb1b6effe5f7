"""The notebook "Incidents, log entries, alerts and reports", one step per cell, in its order.

It is written on the public API, as any scenario of one's own is, and found the same way: by its
reference, `harness.scenario:scenario` (`NOTEBOOK`), the default of `--scenario`.

Each docstring is the cell's sentence.  The calls are REST API v2 and Events API v2; the v1 call
each cell made and its v2 mapping are in PagerDuty's notes that came with the notebook.
"""

from __future__ import annotations

from typing import Any

from harness import Client, Needed, Run, Scenario, StepFailed, dig, expect_success, poll
from harness.lookups import delete_named, incident_in, named, report_window, triggered_incident

SERVICE_NAME = "Notenook Incident Testing Service"  # sic: the notebook's own spelling
USER_NAME = "Notebook Test User 5"
POLICY_NAME = "Notebook Incident Test Escalation Policy"
INTEGRATION_NAME = "Events V2"
NOTE = "New Note"
INCIDENT_TITLES = ("Notebook test incident 1", "Notebook test incident 2")
PUBLIC_NAMES = (SERVICE_NAME, USER_NAME, POLICY_NAME, INTEGRATION_NAME)


class NotebookRun(Run):
    """The notebook's values, typed names over `run.state`."""

    user_id = Needed[str]()
    escalation_policy_id = Needed[str]()
    service_id = Needed[str]()
    integration_id = Needed[str]()
    routing_key = Needed[str]()
    incident = Needed[dict[str, Any]]()
    first_incident = Needed[dict[str, Any]]()
    log_entry_id = Needed[str]()
    report_window = Needed[tuple[str, str]]()
    note_id = Needed[str]()

    def owned(self) -> dict[str, list[str]]:
        """Also the integration and the note, which no ledger holds (PagerDuty cannot delete them)."""
        owned = super().owned()
        for kind in ("integration", "note"):
            if f"{kind}_id" in self.state:
                owned[kind] = [self.state[f"{kind}_id"]]
        return owned


scenario = Scenario(run_type=NotebookRun, public_names=PUBLIC_NAMES)


@scenario.step()
def sweep_leftover_service(pd: Client, run: NotebookRun) -> None:
    """Let's delete the service if it has been created during earlier notebook runs."""
    delete_named(pd, run, "/services", "services", SERVICE_NAME)


@scenario.step()
def find_or_create_test_user(pd: Client, run: NotebookRun) -> None:
    """Let's pick the test user if he already exists or create him in the opposite case."""
    users = named(pd, "/users", "users", USER_NAME)
    if users:
        run.user_id = dig(users, 0, "id", what="GET /users")
        run.swept.append(f"user {run.user_id} (reused, deleted at the end)")
    else:

        def recover() -> None:
            for user in expect_success(
                pd.get("/users", params={"query": run.test_user_email}), "GET /users"
            ).get("users", []):
                if user.get("email") == run.test_user_email:
                    user_id = dig(user, "id", what="GET /users")
                    expect_success(pd.delete(f"/users/{user_id}"), "delete half-created user")

        body = {"user": {"type": "user", "name": USER_NAME, "email": run.test_user_email, "role": "user"}}
        created = expect_success(pd.post("/users", body, recover=recover), "create the test user")
        run.user_id = dig(created, "user", "id", what="create the test user")
    # A found user is a leftover of an earlier run: this run deletes it at the end either way.
    run.ledger.add("user", run.user_id)


@scenario.step()
def sweep_leftover_escalation_policy(pd: Client, run: NotebookRun) -> None:
    """Let's delete the policy if it has been created during earlier notebook runs."""
    delete_named(pd, run, "/escalation_policies", "escalation_policies", POLICY_NAME)


@scenario.step()
def create_escalation_policy(pd: Client, run: NotebookRun) -> None:
    """Now we can create an escalation policy."""
    body = {
        "escalation_policy": {
            "type": "escalation_policy",
            "name": POLICY_NAME,
            "num_loops": 2,
            "escalation_rules": [
                {
                    "escalation_delay_in_minutes": 22,
                    "targets": [{"id": run.user_id, "type": "user_reference"}],
                }
            ],
        }
    }
    created = expect_success(
        pd.post(
            "/escalation_policies",
            body,
            recover=lambda: delete_named(
                pd, None, "/escalation_policies", "escalation_policies", POLICY_NAME
            ),
        ),
        "create the escalation policy",
    )
    run.escalation_policy_id = dig(created, "escalation_policy", "id", what="create the escalation policy")
    run.ledger.add("escalation_policy", run.escalation_policy_id)


@scenario.step()
def create_service(pd: Client, run: NotebookRun) -> None:
    """Let's now create a _generic_events_api_ service"""
    body = {
        "service": {
            "type": "service",
            "name": SERVICE_NAME,
            "escalation_policy": {"id": run.escalation_policy_id, "type": "escalation_policy_reference"},
        }
    }
    created = expect_success(
        pd.post(
            "/services", body, recover=lambda: delete_named(pd, None, "/services", "services", SERVICE_NAME)
        ),
        "create the service",
    )
    run.service_id = dig(created, "service", "id", what="create the service")
    run.ledger.add("service", run.service_id)


@scenario.step()
def create_integration(pd: Client, run: NotebookRun) -> None:
    """Here we initialize a PagerDuty Integration API client. We will use it for triggering incidents."""
    service_id = run.service_id

    def recover() -> None:
        service = expect_success(pd.get(f"/services/{service_id}"), "GET the service")
        if dig(service, "service", what="GET the service").get("integrations"):
            # Integrations cannot be deleted through the API, so a retry could only duplicate it.
            raise StepFailed(
                "the integration may have been created by the request that got no "
                "answer; not retrying, to avoid a duplicate",
                hint="run again: the service and its integration are cleaned up",
            )

    body = {
        "integration": {
            "type": "events_api_v2_inbound_integration",
            "name": INTEGRATION_NAME,
            "service": {"id": service_id, "type": "service_reference"},
        }
    }
    created = expect_success(
        pd.post(f"/services/{service_id}/integrations", body, recover=recover), "create the integration"
    )
    run.integration_id = dig(created, "integration", "id", what="create the integration")
    run.routing_key = dig(created, "integration", "integration_key", what="create the integration")


@scenario.step(expect={"POST": 202})
def trigger_incidents(pd: Client, run: NotebookRun) -> None:
    """Let's trigger a couple of incidents right now."""
    for number, title in enumerate(INCIDENT_TITLES, start=1):
        # A dedup key of our own makes a retried trigger land on the same alert, never a new one.
        event = {
            "routing_key": run.routing_key,
            "event_action": "trigger",
            "dedup_key": f"harness-{run.service_id}-{number}",
            "payload": {"summary": title, "source": "harness", "severity": "critical"},
        }
        expect_success(pd.enqueue(event), "trigger an incident")


@scenario.step(polls=True)
def wait_for_incidents(pd: Client, run: NotebookRun) -> None:
    """It may take some time for PagerDuty to process incident triggering. At this point we recommend to wait about 30 seconds."""  # noqa: E501

    def both_triggered() -> list[dict[str, Any]] | None:
        params = {"service_ids[]": run.service_id, "statuses[]": "triggered"}
        found = expect_success(pd.get("/incidents", params=params), "GET /incidents")
        incidents: list[dict[str, Any]] = found.get("incidents", [])
        return incidents if len(incidents) >= len(INCIDENT_TITLES) else None

    poll(pd, run, both_triggered, what="PagerDuty turning both events into incidents")


@scenario.step()
def list_incidents(pd: Client, run: NotebookRun) -> None:
    """List existing incidents"""
    expect_success(pd.get("/incidents", params={"limit": 100}), "list incidents")


@scenario.step()
def count_incidents(pd: Client, run: NotebookRun) -> None:
    """Count the number of incidents matching certain criteria"""
    # v2 has no count endpoint: `total=true` with `limit=1` is the count, once per status as v1 gave.
    for status in ("triggered", "acknowledged", "resolved"):
        params = {"statuses[]": status, "limit": 1, "total": "true"}
        expect_success(pd.get("/incidents", params=params), "count incidents")


@scenario.step(polls=True)
def find_triggered_incident(pd: Client, run: NotebookRun) -> None:
    """Let's pick a _triggered_ incident."""
    run.incident = poll(pd, run, lambda: triggered_incident(pd, run.service_id), what="a triggered incident")
    run.first_incident = run.incident


@scenario.step()
def get_incident(pd: Client, run: NotebookRun) -> None:
    """Show detailed information about an incident. Accepts either an incident id, or an incident number"""
    incident = run.incident
    expect_success(pd.get(f"/incidents/{incident['incident_number']}"), "GET incident by number")
    expect_success(pd.get(f"/incidents/{incident['id']}"), "GET incident by id")


@scenario.step()
def acknowledge_incident(pd: Client, run: NotebookRun) -> None:
    """Acknowledge an incident"""
    body = {"incident": {"type": "incident_reference", "status": "acknowledged"}}
    expect_success(pd.put(f"/incidents/{run.incident['id']}", body), "acknowledge the incident")


@scenario.step()
def reassign_incident(pd: Client, run: NotebookRun) -> None:
    """Reassign an incident."""
    assignee = {"id": run.user_id, "type": "user_reference"}
    body = {"incident": {"type": "incident_reference", "assignments": [{"assignee": assignee}]}}
    expect_success(pd.put(f"/incidents/{run.incident['id']}", body), "reassign the incident")


@scenario.step()
def list_notes(pd: Client, run: NotebookRun) -> None:
    """List existing notes for the specified incident"""
    expect_success(pd.get(f"/incidents/{run.incident['id']}/notes"), "list notes")


@scenario.step(expect={"POST": 201})
def create_note(pd: Client, run: NotebookRun) -> None:
    """Create a new note for the specified incident"""
    path = f"/incidents/{run.incident['id']}/notes"

    def recover() -> None:
        for note in expect_success(pd.get(path), "list notes").get("notes", []):
            if note.get("content") == NOTE:
                note_id = dig(note, "id", what="list notes")
                expect_success(pd.delete(f"{path}/{note_id}"), "delete half-created note")

    created = expect_success(pd.post(path, {"note": {"content": NOTE}}, recover=recover), "create a note")
    run.note_id = dig(created, "note", "id", what="create a note")
    # Read the notes back, so the recording shows the new note where a client would look for it.
    expect_success(pd.get(path), "list notes")


@scenario.step()
def list_incident_log_entries(pd: Client, run: NotebookRun) -> None:
    """List all incident log entries for a specific incident."""
    expect_success(pd.get(f"/incidents/{run.incident['id']}/log_entries"), "list log entries")


@scenario.step()
def list_log_entries(pd: Client, run: NotebookRun) -> None:
    """List all incident log entries across the entire account"""
    entries = expect_success(pd.get("/log_entries"), "list log entries").get("log_entries", [])
    if not entries:
        raise StepFailed("the account lists no log entries", hint="run the whole scenario again")
    # "Let's pick a log entry": the notebook takes the first one listed.
    run.log_entry_id = dig(entries, 0, "id", what="list log entries")


@scenario.step()
def get_log_entry(pd: Client, run: NotebookRun) -> None:
    """Get details for a specific incident log entry. This method provides additional information you can use to get at raw event data."""  # noqa: E501
    path = f"/log_entries/{run.log_entry_id}"
    expect_success(pd.get(path, params={"include[]": "channels"}), "get a log entry")


@scenario.step()
def bulk_resolve_incidents(pd: Client, run: NotebookRun) -> None:
    """Acknowledge, resolve, escalate or reassign one or more incidents"""
    body = {"incidents": [{"id": run.incident["id"], "type": "incident_reference", "status": "resolved"}]}
    expect_success(pd.put("/incidents", body), "bulk-update incidents")


@scenario.step(polls=True)
def find_second_triggered_incident(pd: Client, run: NotebookRun) -> None:
    """Now we need another _triggered_ incident."""
    run.incident = poll(
        pd, run, lambda: triggered_incident(pd, run.service_id), what="another triggered incident"
    )


@scenario.step()
def resolve_incident(pd: Client, run: NotebookRun) -> None:
    """Resolve an incident"""
    body = {
        "incident": {
            "type": "incident_reference",
            "status": "resolved",
            "resolution": "Resolved by the harness scenario.",
        }
    }
    resolved = expect_success(pd.put(f"/incidents/{run.incident['id']}", body), "resolve")
    run.incident = incident_in(resolved, "incident", what="resolve")
    run.report_window = report_window(run.first_incident, run.incident)


# The notebook's two report cells carry each other's sentences; each step here takes the sentence
# that describes what it asks for.
@scenario.step(expect={"POST": 200})
def incidents_per_time_report(pd: Client, run: NotebookRun) -> None:
    """Get high level statistics about the number of incidents created for the desired time period, summed daily, weekly or monthly"""  # noqa: E501
    since, until = run.report_window
    body = {
        "filters": {"created_at_start": since, "created_at_end": until, "service_ids": [run.service_id]},
        "aggregate_unit": "day",
        "time_zone": "Etc/UTC",
    }
    # A report only reads: a retry after a 5xx or a timeout cannot create anything twice.
    expect_success(pd.post("/analytics/metrics/incidents/all", body, query=True), "incidents report")


@scenario.step()
def alerts_per_time_report(pd: Client, run: NotebookRun) -> None:
    """Get high level statistics about the number of alerts (SMSes, phone calls and emails) sent for the desired time period, summed daily, weekly or monthly."""  # noqa: E501
    since, until = run.report_window
    params = {"since": since, "until": until, "limit": 1, "total": "true"}
    expect_success(pd.get("/notifications", params=params), "count notifications")


@scenario.step()
def list_notifications(pd: Client, run: NotebookRun) -> None:
    """List existing alerts for a given time range, optionally filtered by type (SMS, Email, Phone, or Push)."""  # noqa: E501
    since, until = run.report_window
    params = {"since": since, "until": until, "limit": 100}
    expect_success(pd.get("/notifications", params=params), "list notifications")


@scenario.step()
def delete_service(pd: Client, run: NotebookRun) -> None:
    """Garbage collection: remove a test service, escalation policy and user"""
    service_id = run.service_id
    expect_success(pd.delete(f"/services/{service_id}"), "delete the service")
    run.ledger.strike("service", service_id)


@scenario.step()
def delete_escalation_policy(pd: Client, run: NotebookRun) -> None:
    """Garbage collection: the escalation policy goes once no service uses it."""
    policy_id = run.escalation_policy_id
    expect_success(pd.delete(f"/escalation_policies/{policy_id}"), "delete the escalation policy")
    run.ledger.strike("escalation_policy", policy_id)


@scenario.step()
def resolve_test_user_incidents(pd: Client, run: NotebookRun) -> None:
    """In order to remove a user, we should resolve all the incidents assigned to him."""
    params = {"user_ids[]": run.user_id, "limit": 100}
    listed = expect_success(pd.get("/incidents", params=params), "GET /incidents")
    ids = [
        dig(listed, "incidents", n, "id", what="GET /incidents")
        for n in range(len(dig(listed, "incidents", what="GET /incidents")))
    ]
    if ids:
        body = {"incidents": [{"id": i, "type": "incident_reference", "status": "resolved"} for i in ids]}
        expect_success(pd.put("/incidents", body), "resolve the test user's incidents")


@scenario.step()
def delete_test_user(pd: Client, run: NotebookRun) -> None:
    """Now we are free to delete the user"""
    user_id = run.user_id
    expect_success(pd.delete(f"/users/{user_id}"), "delete the test user")
    run.ledger.strike("user", user_id)
