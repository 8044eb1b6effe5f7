"""`GET /incidents` and `GET /incidents/{id}`: filters, the default date window, sorting, rendering."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from harness.sandbox.api import (
    Call,
    Reply,
    Route,
    includes,
    invalid,
    not_found,
    page_of,
    paginated,
    query_list,
    query_time,
)
from harness.sandbox.records import Incident
from harness.sandbox.render import Json, iso, stamp
from harness.sandbox.state import Account

STATUSES = ("triggered", "acknowledged", "resolved")
URGENCIES = ("high", "low")
DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=183)
SORT_FIELDS: dict[str, Callable[[Incident], Any]] = {
    "incident_number": lambda i: i.number,
    "created_at": lambda i: i.created_at,
    "resolved_at": lambda i: (i.resolved_at is not None, i.resolved_at or i.created_at),
    "urgency": lambda i: URGENCIES.index(i.urgency),
}


def list_incidents(call: Call) -> Reply:
    """List incidents matching every filter given, within the date window."""
    page = page_of(call)
    keep = _filter(call)
    order = _sort_order(call)
    with call.account.lock:
        incidents = [i for i in call.account.incidents.values() if keep(i)]
        for field, descending in reversed(order):
            incidents.sort(key=SORT_FIELDS[field], reverse=descending)
        body = paginated("incidents", incidents, page, lambda i: render_incident(call, i))
    return Reply(200, body)


def _filter(call: Call) -> Callable[[Incident], bool]:
    statuses = set(query_list(call, "statuses"))
    if not statuses <= set(STATUSES):
        raise invalid("Status must be a list of triggered, acknowledged, or resolved.")
    urgencies = set(query_list(call, "urgencies"))
    if not urgencies <= set(URGENCIES):
        raise invalid("Urgencies must be a list of high or low.")
    service_ids = set(query_list(call, "service_ids"))
    user_ids = set(query_list(call, "user_ids"))
    team_ids = set(query_list(call, "team_ids"))
    key = call.request.args.get("incident_key")
    since, until = _window(call)
    account = call.account

    def keep(incident: Incident) -> bool:
        return (
            (not statuses or incident.status in statuses)
            and (not urgencies or incident.urgency in urgencies)
            and (not service_ids or incident.service_id in service_ids)
            and (not team_ids or not team_ids.isdisjoint(incident.team_ids))
            # Only open incidents are assigned to anyone, so user_ids[] never returns resolved.
            and (not user_ids or any(a.user_id in user_ids for a in incident.assignments))
            and (key is None or _has_key(account, incident, key))
            and (since is None or since <= incident.created_at)
            and (until is None or incident.created_at <= until)
        )

    return keep


def _has_key(account: Account, incident: Incident, key: str) -> bool:
    """Match the incident key or, as PagerDuty does for alert-backed incidents, any alert key."""
    return incident.incident_key == key or any(account.alerts[a].alert_key == key for a in incident.alert_ids)


def _window(call: Call) -> tuple[datetime | None, datetime | None]:
    """Return since/until; by default the last month, and nothing with date_range=all."""
    if call.request.args.get("date_range") == "all":
        return None, None
    since, until = query_time(call, "since"), query_time(call, "until")
    if since is None:
        since = (until or call.account.now()) - DEFAULT_WINDOW
    if until is not None and until < since:
        raise invalid("until must be after since.")
    if until is not None and until - since > MAX_WINDOW:
        raise invalid("The date range must not be longer than 6 months.")
    return since, until


def _sort_order(call: Call) -> list[tuple[str, bool]]:
    raw = query_list(call, "sort_by")
    fields = [f for value in raw for f in value.split(",") if f] or ["incident_number"]
    if len(fields) > 2:
        raise invalid("sort_by takes at most two fields.")
    order = []
    for item in fields:
        name, _, direction = item.partition(":")
        if name not in SORT_FIELDS or direction not in ("", "asc", "desc"):
            raise invalid(f"sort_by must name one of {', '.join(SORT_FIELDS)} with asc or desc.")
        order.append((name, direction == "desc"))
    return order


def get_incident(call: Call) -> Reply:
    """Show one incident, found by id or by incident number."""
    with call.account.lock:
        return Reply(200, {"incident": render_incident(call, find_incident(call, call.args["id"]))})


def find_incident(call: Call, key: str) -> Incident:
    """Return the incident with this id or number, or answer 404."""
    incidents = call.account.incidents
    incident = incidents.get(key)
    if incident is None and key.isdigit():
        incident = next((i for i in incidents.values() if i.number == int(key)), None)
    if incident is None:
        raise not_found("Incident Not Found", 5001)
    return incident


def render_incident(call: Call, incident: Incident) -> Json:
    """Render an incident with the keys of PagerDuty's own examples."""
    refs = call.refs
    alerts = [call.account.alerts[a] for a in incident.alert_ids]
    triggered = sum(a.status == "triggered" for a in alerts)
    body: Json = {
        "id": incident.id,
        "type": "incident",
        "summary": f"[#{incident.number}] {incident.title}",
        "self": f"{call.api_url}/incidents/{incident.id}",
        "html_url": f"{call.web_url}/incidents/{incident.id}",
        "incident_number": incident.number,
        "title": incident.title,
        # The live API always sends the description, equal to the title (2022-2025 recordings).
        "description": incident.title,
        "created_at": stamp(incident.created_at),
        "updated_at": stamp(incident.updated_at),
        "status": incident.status,
        "incident_key": incident.incident_key,
        "service": refs.service(incident.service_id),
        "assignments": [{"at": stamp(a.at), "assignee": refs.user(a.user_id)} for a in incident.assignments],
        "assigned_via": incident.assigned_via,
        "last_status_change_at": stamp(incident.last_status_change_at),
        "resolved_at": iso(incident.resolved_at),
        "first_trigger_log_entry": refs.trigger_log_entry(
            incident.first_trigger_log_entry_id, incident_id=incident.id
        ),
        "alert_counts": {"all": len(alerts), "triggered": triggered, "resolved": len(alerts) - triggered},
        "is_mergeable": True,
        "incident_type": {"name": "incident_default"},
        "escalation_policy": None
        if incident.escalation_policy_id is None
        else refs.escalation_policy(incident.escalation_policy_id),
        "teams": refs.teams(incident.team_ids),
        "pending_actions": _pending_actions(call.account, incident),
        "acknowledgements": [
            {"at": stamp(a.at), "acknowledger": refs.actor(a.actor)} for a in incident.acknowledgements
        ],
        # Null for incidents a service does not group, as the live API answers; it always sends
        # basic_alert_grouping (null) and subscriber_requests too, which the spec does not list.
        "alert_grouping": None,
        "basic_alert_grouping": None,
        "last_status_change_by": refs.actor(incident.last_status_change_by),
        # Null without a priority, as the live API answers.
        "priority": None if incident.priority_id is None else refs.priority(incident.priority_id),
        "incidents_responders": [],
        "responder_requests": [],
        "subscriber_requests": [],
        "urgency": incident.urgency,
    }
    if incident.status == "resolved":
        # The live API sends resolve_reason (null unless merged) only once the incident is resolved.
        body["resolve_reason"] = None
    if incident.conference_bridge is not None and "conference_bridge" in includes(call):
        body["conference_bridge"] = dict(incident.conference_bridge)
    return body


def _pending_actions(account: Account, incident: Incident) -> list[Json]:
    """Return what PagerDuty would do next: escalate or unacknowledge, then auto-resolve."""
    if incident.status == "resolved":
        return []
    service = account.services.get(incident.service_id)
    policy = account.escalation_policies.get(incident.escalation_policy_id or "")
    actions = []
    if incident.status == "acknowledged":
        timeout = None if service is None else service.acknowledgement_timeout
        if timeout:
            at = incident.last_status_change_at + timedelta(seconds=timeout)
            actions.append({"type": "unacknowledge", "at": stamp(at)})
    elif policy is not None and policy.rules and (len(policy.rules) > 1 or policy.num_loops):
        since = incident.assignments[0].at if incident.assignments else incident.created_at
        at = since + timedelta(minutes=policy.rules[0].escalation_delay_in_minutes)
        actions.append({"type": "escalate", "at": stamp(at)})
    if service is not None and service.auto_resolve_timeout:
        at = incident.last_status_change_at + timedelta(seconds=service.auto_resolve_timeout)
        actions.append({"type": "resolve", "at": stamp(at)})
    return actions


ROUTES = (
    Route("/incidents", "GET", list_incidents),
    Route("/incidents/<id>", "GET", get_incident),
)
