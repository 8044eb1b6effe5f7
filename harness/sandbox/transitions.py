"""What people and integrations do to an open incident: acknowledge, reassign, resolve, note.

Every function expects the caller to hold the account lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from harness.sandbox.journal import by_whom, log_on, store
from harness.sandbox.lifecycle import API_CHANNEL, assign
from harness.sandbox.records import Acknowledgement, Actor, Incident, Note, User
from harness.sandbox.state import Account


def acknowledge(account: Account, incident: Incident, *, actor: Actor) -> Incident:
    """Acknowledge the incident; acknowledging again renews the acknowledgement."""
    now = account.now()
    others = tuple(a for a in incident.acknowledgements if a.actor != actor)
    incident = _moved(
        account,
        incident,
        "acknowledged",
        by=actor,
        at=now,
        acknowledgements=(*others, Acknowledgement(actor, now)),
        updated_at=now,
    )
    service = account.services.get(incident.service_id)
    _log_by(
        account,
        incident,
        "acknowledge_log_entry",
        "Acknowledged",
        actor=actor,
        at=now,
        event_details={},
        acknowledgement_timeout=None if service is None else service.acknowledgement_timeout,
    )
    return incident


def unacknowledge(account: Account, incident: Incident, *, actor: Actor) -> Incident:
    """Return an acknowledged incident to triggered."""
    now = account.now()
    incident = _moved(account, incident, "triggered", by=actor, at=now, acknowledgements=(), updated_at=now)
    _log_by(account, incident, "unacknowledge_log_entry", "Unacknowledged", actor=actor, at=now)
    return incident


def reassign(account: Account, incident: Incident, user_ids: Sequence[str], *, by: User) -> Incident:
    """Reassign to users; an acknowledged incident goes back to triggered, as PagerDuty does."""
    agent = Actor("user", by.id)
    if incident.status == "acknowledged":
        incident = _moved(account, incident, "triggered", by=agent, at=account.now(), acknowledgements=())
    return assign(account, incident, user_ids, agent=agent)


def resolve(account: Account, incident: Incident, *, actor: Actor, resolution: str | None = None) -> Incident:
    """Resolve the incident and its alerts; a resolution becomes the log entry's note."""
    now = account.now()
    for alert_id in incident.alert_ids:
        account.alerts[alert_id] = replace(account.alerts[alert_id], status="resolved")
    incident = _moved(
        account,
        incident,
        "resolved",
        by=actor,
        at=now,
        resolved_at=now,
        assignments=(),
        updated_at=now,
    )
    _log_by(
        account,
        incident,
        "resolve_log_entry",
        "Resolved",
        actor=actor,
        at=now,
        event_details={},
        note=resolution,
    )
    return incident


def reopen(account: Account, incident: Incident, user_ids: Sequence[str], *, by: User) -> Incident:
    """Reopen a resolved incident as triggered, assigned to these users."""
    now = account.now()
    agent = Actor("user", by.id)
    incident = _moved(
        account,
        incident,
        "triggered",
        by=agent,
        at=now,
        resolved_at=None,
        acknowledgements=(),
        updated_at=now,
    )
    return assign(account, incident, user_ids, agent=agent)


def _moved(
    account: Account, incident: Incident, status: str, *, by: Actor, at: datetime, **changes: Any
) -> Incident:
    """Store the incident in a new status, changed at this moment by this actor."""
    return store(
        account,
        incident,
        status=status,
        last_status_change_at=at,
        last_status_change_by=by,
        **changes,
    )


def _log_by(
    account: Account,
    incident: Incident,
    type_: str,
    verb: str,
    *,
    actor: Actor,
    at: datetime,
    **extra: Any,
) -> None:
    """Log a status change on the API channel, worded "<verb> by <name>" or "<verb> through the API"."""
    log_on(
        account,
        incident,
        type_=type_,
        summary=by_whom(verb, account, actor),
        agent=actor,
        channel=API_CHANNEL,
        at=at,
        **extra,
    )


def retitle(account: Account, incident: Incident, *, title: str | None, urgency: str | None) -> Incident:
    """Change the title and/or urgency of an incident."""
    if title is None and urgency is None:
        return incident
    return store(
        account,
        incident,
        title=incident.title if title is None else title,
        urgency=incident.urgency if urgency is None else urgency,
        updated_at=account.now(),
    )


def add_note(account: Account, incident: Incident, *, user: User, content: str) -> Note:
    """Add a note to the incident and log it as an annotation."""
    now = account.now()
    note = Note(account.new_id(), incident.id, user.id, content, now)
    account.notes[note.id] = note
    log_on(
        account,
        incident,
        type_="annotate_log_entry",
        summary=f"Note added by {user.name}",
        agent=Actor("user", user.id),
        channel={"type": "note", "summary": content},
        at=now,
    )
    return note
