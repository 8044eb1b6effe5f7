"""`PUT /incidents/{id}` and bulk `PUT /incidents`: acknowledge, reassign, resolve (From required)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.sandbox import lifecycle, transitions
from harness.sandbox.api import ApiError, Call, Reply, Route, invalid
from harness.sandbox.body import json_body, optional_text, wrapped
from harness.sandbox.incidents import STATUSES, URGENCIES, find_incident, render_incident
from harness.sandbox.records import Actor, Incident, User
from harness.sandbox.state import Account

MAX_BULK = 250
INCIDENT_TYPES = ("incident", "incident_reference")


@dataclass(frozen=True)
class Change:
    """What one update asks for; unsupported fields (priority, conference bridge...) are ignored."""

    status: str | None
    assignee_ids: tuple[str, ...]
    resolution: str | None
    title: str | None
    urgency: str | None


def update_incident(call: Call) -> Reply:
    """Apply one change to one incident, acting as the From user."""
    change = parse_change(call.account, wrapped(call, "incident"))
    with call.account.lock:
        incident = find_incident(call, call.args["id"])
        check_change(incident, change)
        incident = apply_change(call.account, incident, change, by=call.acting_user())
        return Reply(200, {"incident": render_incident(call, incident)})


def update_incidents(call: Call) -> Reply:
    """Apply changes to up to 250 incidents; all are checked before any is changed.

    The live API answers with `incidents` only, without the pagination keys the spec lists.
    """
    items = json_body(call).get("incidents")
    if not isinstance(items, list) or not items:
        raise invalid("Incidents must be a non-empty list.")
    if len(items) > MAX_BULK:
        raise ApiError(
            413,
            2001,
            "Request Entity Too Large",
            [f"A maximum of {MAX_BULK} incidents may be updated at a time."],
        )
    with call.account.lock:
        plan = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise invalid("Each incident must be an object with an id.")
            change = parse_change(call.account, item)
            incident = find_incident(call, item["id"])
            check_change(incident, change)
            plan.append((incident.id, change))
        updated = [
            apply_change(call.account, call.account.incidents[incident_id], change, by=call.acting_user())
            for incident_id, change in plan
        ]
        return Reply(200, {"incidents": [render_incident(call, i) for i in updated]})


def parse_change(account: Account, data: dict[str, Any]) -> Change:
    """Validate an incident update body."""
    if data.get("type", "incident_reference") not in INCIDENT_TYPES:
        raise invalid("Type must be incident or incident_reference.")
    status = data.get("status")
    if status is not None and status not in STATUSES:
        raise ApiError(
            400, 1003, "Invalid Status Provided", ["Status must be triggered, acknowledged, or resolved."]
        )
    urgency = data.get("urgency")
    if urgency is not None and urgency not in URGENCIES:
        raise invalid("Urgency must be high or low.")
    title = optional_text(data, "title")
    if title is not None and not title.strip():
        raise invalid("Title can't be blank.")
    return Change(
        status=status,
        assignee_ids=_assignees(account, data.get("assignments")),
        resolution=optional_text(data, "resolution"),
        title=title,
        urgency=urgency,
    )


def _assignees(account: Account, raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise invalid("Assignments must be a non-empty list.")
    user_ids = []
    for item in raw:
        assignee = item.get("assignee") if isinstance(item, dict) else None
        user_id = assignee.get("id") if isinstance(assignee, dict) else None
        if not isinstance(user_id, str):
            raise invalid("Each assignment must name an assignee with an id.")
        with account.lock:
            if user_id not in account.users:
                raise ApiError(400, 1007, "Assigned To User Not Found")
        user_ids.append(user_id)
    return tuple(dict.fromkeys(user_ids))


def check_change(incident: Incident, change: Change) -> None:
    """Refuse what PagerDuty refuses on a resolved incident (reopening is allowed)."""
    if incident.status != "resolved":
        return
    if change.status == "resolved" or (change.status is None and change.assignee_ids):
        raise ApiError(400, 1001, "Incident Already Resolved")


def apply_change(account: Account, incident: Incident, change: Change, *, by: User) -> Incident:
    """Apply a checked change: retitle, reopen or reassign, then the status change."""
    me = Actor("user", by.id)
    incident = transitions.retitle(account, incident, title=change.title, urgency=change.urgency)
    if incident.status == "resolved" and change.status in ("triggered", "acknowledged"):
        # Reopened as acknowledged it goes to the acting user; as triggered, to the policy.
        targets = change.assignee_ids or (
            (by.id,) if change.status == "acknowledged" else lifecycle.policy_targets(account, incident)
        )
        incident = transitions.reopen(account, incident, targets, by=by)
    elif change.assignee_ids:
        incident = transitions.reassign(account, incident, change.assignee_ids, by=by)
    if change.status == "acknowledged":
        incident = transitions.acknowledge(account, incident, actor=me)
    elif change.status == "triggered" and incident.status == "acknowledged":
        incident = transitions.unacknowledge(account, incident, actor=me)
    elif change.status == "resolved":
        incident = transitions.resolve(account, incident, actor=me, resolution=change.resolution)
    return incident


ROUTES = (
    Route("/incidents", "PUT", update_incidents, from_header="required"),
    Route("/incidents/<id>", "PUT", update_incident, from_header="required"),
)
