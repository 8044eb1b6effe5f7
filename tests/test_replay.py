"""Offline replay of the accepted recording in cassettes/: one test per notebook step, in order.

Each test replays its step (and, first, any earlier step not yet replayed) through the pytest
plugin's `harness_replayer`, then asserts what the notebook asserted and what the step is for.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from harness.replay import Replayer
from harness.steps import Run, Step, StepResult


def _body(result: StepResult, index: int = -1) -> Any:
    return result.responses[index].json()


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _earlier(replayer: Replayer, slug: str) -> StepResult:
    return replayer.results[slug]


def check_find_or_create_test_user(result: StepResult, run: Run, replayer: Replayer) -> None:
    user = _body(result)["user"]
    assert user["name"] == "Notebook Test User 5"
    assert user["email"] == replayer.recording.manifest.placeholders["test_user_email"]
    assert user["id"] == run.user_id


def check_create_escalation_policy(result: StepResult, run: Run, replayer: Replayer) -> None:
    policy = _body(result)["escalation_policy"]
    assert policy["name"] == "Notebook Incident Test Escalation Policy"
    assert policy["num_loops"] == 2
    [rule] = policy["escalation_rules"]
    assert rule["escalation_delay_in_minutes"] == 22
    assert [t["id"] for t in rule["targets"]] == [run.user_id]


def check_create_service(result: StepResult, run: Run, replayer: Replayer) -> None:
    service = _body(result)["service"]
    assert service["name"] == "Notenook Incident Testing Service"
    assert service["escalation_policy"]["id"] == run.escalation_policy_id


def check_create_integration(result: StepResult, run: Run, replayer: Replayer) -> None:
    integration = _body(result)["integration"]
    assert integration["type"] == "events_api_v2_inbound_integration"
    assert len(integration["integration_key"]) == 32
    assert integration["integration_key"] == run.routing_key


def check_trigger_incidents(result: StepResult, run: Run, replayer: Replayer) -> None:
    bodies = [r.json() for r in result.responses]
    assert bodies == [
        {"status": "success", "message": "Event processed", "dedup_key": f"harness-{run.service_id}-{n}"}
        for n in (1, 2)
    ]


def check_wait_for_incidents(result: StepResult, run: Run, replayer: Replayer) -> None:
    incidents = _body(result)["incidents"]
    assert sorted(i["title"] for i in incidents) == ["Notebook test incident 1", "Notebook test incident 2"]
    assert {i["service"]["id"] for i in incidents} == {run.service_id}


def check_list_incidents(result: StepResult, run: Run, replayer: Replayer) -> None:
    listed = _body(result)
    ours = [i for i in listed["incidents"] if i["service"]["id"] == run.service_id]
    assert len(ours) == 2
    assert listed["total"] is None


def check_count_incidents(result: StepResult, run: Run, replayer: Replayer) -> None:
    listed = _body(_earlier(replayer, "list-incidents"))
    assert listed["more"] is False
    totals = [r.json()["total"] for r in result.responses]
    by_status = [
        sum(i["status"] == s for i in listed["incidents"]) for s in ("triggered", "acknowledged", "resolved")
    ]
    assert totals == by_status
    assert sum(totals) == len(listed["incidents"])


def check_find_triggered_incident(result: StepResult, run: Run, replayer: Replayer) -> None:
    assert run.incident["status"] == "triggered"
    assert run.incident["service"]["id"] == run.service_id


def check_get_incident(result: StepResult, run: Run, replayer: Replayer) -> None:
    by_number, by_id = (r.json()["incident"] for r in result.responses)
    assert by_number["id"] == by_id["id"] == run.incident["id"]
    assert by_number["incident_number"] == run.incident["incident_number"]


def check_acknowledge_incident(result: StepResult, run: Run, replayer: Replayer) -> None:
    assert _body(result)["incident"]["status"] == "acknowledged"


def check_reassign_incident(result: StepResult, run: Run, replayer: Replayer) -> None:
    incident = _body(result)["incident"]
    assert [a["assignee"]["id"] for a in incident["assignments"]] == [run.user_id]


def check_list_notes(result: StepResult, run: Run, replayer: Replayer) -> None:
    assert _body(result) == {"notes": []}


def check_create_note(result: StepResult, run: Run, replayer: Replayer) -> None:
    created = _body(result, 0)["note"]
    assert created["content"] == "New Note"
    assert [n["id"] for n in _body(result, 1)["notes"]] == [created["id"]]


def check_list_incident_log_entries(result: StepResult, run: Run, replayer: Replayer) -> None:
    kinds = {e["type"] for e in _body(result)["log_entries"]}
    assert {"trigger_log_entry", "acknowledge_log_entry", "annotate_log_entry"} <= kinds
    assert {e["incident"]["id"] for e in _body(result)["log_entries"]} == {run.incident["id"]}


def check_list_log_entries(result: StepResult, run: Run, replayer: Replayer) -> None:
    assert _body(result)["log_entries"][0]["id"] == run.log_entry_id


def check_get_log_entry(result: StepResult, run: Run, replayer: Replayer) -> None:
    listed = _body(_earlier(replayer, "list-log-entries"))["log_entries"][0]
    fetched = _body(result)["log_entry"]
    assert fetched["id"] == listed["id"]
    assert fetched["type"] == listed["type"]


def check_bulk_resolve_incidents(result: StepResult, run: Run, replayer: Replayer) -> None:
    assert [(i["id"], i["status"]) for i in _body(result)["incidents"]] == [
        (run.first_incident["id"], "resolved")
    ]


def check_find_second_triggered_incident(result: StepResult, run: Run, replayer: Replayer) -> None:
    assert run.incident["status"] == "triggered"
    assert run.incident["id"] != run.first_incident["id"]


def check_resolve_incident(result: StepResult, run: Run, replayer: Replayer) -> None:
    incident = _body(result)["incident"]
    assert (incident["id"], incident["status"]) == (run.incident["id"], "resolved")


def _in_window(run: Run, stamp: str) -> bool:
    since, until = run.report_window
    return _at(since) <= _at(stamp) < _at(until)


def check_incidents_per_time_report(result: StepResult, run: Run, replayer: Replayer) -> None:
    report = _body(result)
    assert report["filters"]["service_ids"] == [run.service_id]
    # As live, analytics lag behind: a report over incidents made seconds ago is empty.
    assert report["data"] == []
    assert _in_window(run, run.first_incident["created_at"])
    assert _in_window(run, run.incident["last_status_change_at"])


def check_alerts_per_time_report(result: StepResult, run: Run, replayer: Replayer) -> None:
    listed = replayer.run_step("list-notifications")
    assert _body(result)["total"] == len(_body(listed)["notifications"]) > 0


def check_list_notifications(result: StepResult, run: Run, replayer: Replayer) -> None:
    notifications = _body(result)["notifications"]
    assert notifications
    assert all(_in_window(run, n["started_at"]) for n in notifications)


def check_resolve_test_user_incidents(result: StepResult, run: Run, replayer: Replayer) -> None:
    assert _body(result)["incidents"] == []


CHECKS: dict[str, Callable[[StepResult, Run, Replayer], None]] = {
    name.removeprefix("check_").replace("_", "-"): check
    for name, check in dict(globals()).items()
    if name.startswith("check_")
}


def test_step_replays(harness_replayer: Replayer, harness_step: Step) -> None:
    """The step replays from its cassette with the notebook's status codes and does what it is for."""
    result = harness_replayer.run_step(harness_step.slug)
    assert result.responses, "every step makes at least one request"
    assert [r.status_code for r in result.responses] == [
        harness_step.expected_status(str(r.request.method)) for r in result.responses
    ]
    check = CHECKS.get(harness_step.slug)
    if check is not None:
        check(result, harness_replayer.run, harness_replayer)


def test_every_check_names_a_real_step() -> None:
    """A check whose name matches no step would silently never run."""
    from harness.scenario import scenario

    assert set(CHECKS) <= {s.slug for s in scenario.steps}
    assert len(CHECKS) == 24


@pytest.mark.parametrize("slug", ["delete-service", "delete-escalation-policy", "delete-test-user"])
def test_deletes_answer_204_with_no_body(harness_replayer: Replayer, slug: str) -> None:
    """Garbage collection: each delete answered 204 and an empty body."""
    result = harness_replayer.run_step(slug)
    assert [(r.status_code, r.content) for r in result.responses] == [(204, b"")]
