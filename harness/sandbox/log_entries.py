"""Log entries: `/log_entries`, `/log_entries/{id}` and `/incidents/{id}/log_entries`, newest first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from harness.sandbox.api import (
    Call,
    Reply,
    Route,
    includes,
    invalid,
    lookup,
    page_of,
    paginated,
    query_flag,
    query_list,
    query_time,
)
from harness.sandbox.incidents import find_incident, render_incident
from harness.sandbox.records import LogEntry
from harness.sandbox.render import Json, log_entry_self, present, stamp
from harness.sandbox.services import render_service

DEFAULT_WINDOW = timedelta(days=30)
# is_overview=true keeps "the most important changes": everything but the notifications.
DETAIL_TYPES = frozenset({"notify_log_entry"})
# The entry types that name the users an incident went to.
ASSIGNING_TYPES = frozenset({"assign_log_entry", "escalate_log_entry", "delegate_log_entry"})


def list_log_entries(call: Call) -> Reply:
    """List the account's log entries within the date window (by default the last month)."""
    until = query_time(call, "until")
    since = query_time(call, "since") or (until or call.account.now()) - DEFAULT_WINDOW
    if until is not None and until < since:
        raise invalid("until must be after since.")
    team_ids = set(query_list(call, "team_ids"))
    with call.account.lock:
        incidents = call.account.incidents
        entries = [
            e
            for e in call.account.log_entries.values()
            if since <= e.created_at
            and (until is None or e.created_at <= until)
            # A log entry belongs to the teams of its incident.
            and (
                not team_ids
                or (e.incident_id in incidents and not team_ids.isdisjoint(incidents[e.incident_id].team_ids))
            )
        ]
        return _listing(call, entries)


def incident_log_entries(call: Call) -> Reply:
    """List one incident's log entries; since/until narrow them when given."""
    since, until = query_time(call, "since"), query_time(call, "until")
    with call.account.lock:
        incident = find_incident(call, call.args["id"])
        entries = [
            e
            for e in call.account.log_entries.values()
            if e.incident_id == incident.id
            and (since is None or since <= e.created_at)
            and (until is None or e.created_at <= until)
        ]
        return _listing(call, entries)


def _listing(call: Call, entries: Iterable[LogEntry]) -> Reply:
    page = page_of(call)
    include = includes(call)
    overview = query_flag(call, "is_overview")
    kept = [e for e in entries if not (overview and e.type in DETAIL_TYPES)]
    kept.reverse()  # stored oldest first; PagerDuty lists newest first
    return Reply(200, paginated("log_entries", kept, page, lambda e: render_entry(call, e, include)))


def get_log_entry(call: Call) -> Reply:
    """Show one log entry; include[]=channels adds the raw event details to its channel."""
    with call.account.lock:
        entry = lookup(call.account.log_entries, call.args["id"], "Log Entry Not Found", 5001)
        return Reply(200, {"log_entry": render_entry(call, entry, includes(call))})


def render_entry(call: Call, entry: LogEntry, include: frozenset[str]) -> Json:
    """Render a log entry; include[] expands channels, incidents and services."""
    refs = call.refs
    account = call.account
    body: Json = {
        "id": entry.id,
        "type": entry.type,
        "summary": entry.summary,
        "self": log_entry_self(refs.urls, entry.id),
        "html_url": refs.log_entry_html_url(entry),
        "created_at": stamp(entry.created_at),
    }
    if entry.agent is not None:
        body["agent"] = refs.actor(entry.agent)
    channel = dict(entry.channel)
    if "channels" in include:
        channel.update(entry.channel_details)
    body["channel"] = channel
    service = account.services.get(entry.service_id)
    body["service"] = (
        render_service(call, service, frozenset())
        if "services" in include and service is not None
        else refs.service(entry.service_id)
    )
    incident = account.incidents.get(entry.incident_id)
    body["incident"] = (
        render_incident(call, incident)
        if "incidents" in include and incident is not None
        else refs.incident(entry.incident_id)
    )
    body["teams"] = refs.teams(incident.team_ids) if incident is not None else []
    body["contexts"] = []
    if entry.event_details is not None:
        body["event_details"] = dict(entry.event_details)
    if entry.type in ASSIGNING_TYPES:
        body["assignees"] = [refs.user(u) for u in entry.assignee_ids]
    if entry.user_id is not None:
        body["user"] = refs.user(entry.user_id)
    if entry.type == "acknowledge_log_entry":
        body["acknowledgement_timeout"] = entry.acknowledgement_timeout
    body.update(present(note=entry.note))
    body.update(entry.extra)
    return body


ROUTES = (
    Route("/log_entries", "GET", list_log_entries),
    Route("/log_entries/<id>", "GET", get_log_entry),
    Route("/incidents/<id>/log_entries", "GET", incident_log_entries),
)
