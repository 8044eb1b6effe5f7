"""What people and integrations do to an open incident: acknowledge, reassign, resolve, note.

Every function expects the caller to hold the account lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from harness.sandbox.journal import by_whom, log, store
from harness.sandbox.lifecycle import API_CHANNEL, assign
from harness.sandbox.records import Acknowledgement, Actor, Incident, Note, User
from harness.sandbox.state import Account


def acknowledge(account: Account, incident: Incident, *, actor: Actor) -> Incident:
    """Acknowledge the incident; acknowledging again renews the acknowledgement."""
    now = account.now()
    others = tuple(a for a in incident.acknowledgements if a.actor != actor)
    incident = store(
        account,
        incident,
        status="acknowledged",
        acknowledgements=(*others, Acknowledgement(actor, now)),
        updated_at=now,
        last_status_change_at=now,
        last_status_change_by=actor,
    )
    service = account.services.get(incident.service_id)
    log(
        account,
        incident_id=incident.id,
        service_id=incident.service_id,
        type_="acknowledge_log_entry",
        summary=by_whom("Acknowledged", account, actor),
        agent=actor,
        channel=API_CHANNEL,
        event_details={},
        acknowledgement_timeout=None if service is None else service.acknowledgement_timeout,
        at=now,
    )
    return incident


def unacknowledge(account: Account, incident: Incident, *, actor: Actor) -> Incident:
    """Return an acknowledged incident to triggered."""
    now = account.now()
    incident = store(
        account,
        incident,
        status="triggered",
        acknowledgements=(),
        updated_at=now,
        last_status_change_at=now,
        last_status_change_by=actor,
    )
    log(
        account,
        incident_id=incident.id,
        service_id=incident.service_id,
        type_="unacknowledge_log_entry",
        summary=by_whom("Unacknowledged", account, actor),
        agent=actor,
        channel=API_CHANNEL,
        at=now,
    )
    return incident


def reassign(account: Account, incident: Incident, user_ids: Sequence[str], *, by: User) -> Incident:
    """Reassign to users; an acknowledged incident goes back to triggered, as PagerDuty does."""
    if incident.status == "acknowledged":
        now = account.now()
        incident = store(
            account,
            incident,
            status="triggered",
            acknowledgements=(),
            last_status_change_at=now,
            last_status_change_by=Actor("user", by.id),
        )
    return assign(account, incident, user_ids, agent=Actor("user", by.id))


def resolve(
    account: Account, incident: Incident, *, actor: Actor, resolution: str | None = None
) -> Incident:
    """Resolve the incident and its alerts; a resolution becomes the log entry's note."""
    now = account.now()
    for alert_id in incident.alert_ids:
        account.alerts[alert_id] = replace(account.alerts[alert_id], status="resolved")
    incident = store(
        account,
        incident,
        status="resolved",
        resolved_at=now,
        assignments=(),
        updated_at=now,
        last_status_change_at=now,
        last_status_change_by=actor,
    )
    log(
        account,
        incident_id=incident.id,
        service_id=incident.service_id,
        type_="resolve_log_entry",
        summary=by_whom("Resolved", account, actor),
        agent=actor,
        channel=API_CHANNEL,
        event_details={},
        note=resolution,
        at=now,
    )
    return incident


def reopen(
    account: Account, incident: Incident, user_ids: Sequence[str], *, by: User
) -> Incident:
    """Reopen a resolved incident as triggered, assigned to these users."""
    now = account.now()
    incident = store(
        account,
        incident,
        status="triggered",
        resolved_at=None,
        acknowledgements=(),
        updated_at=now,
        last_status_change_at=now,
        last_status_change_by=Actor("user", by.id),
    )
    return assign(account, incident, user_ids, agent=Actor("user", by.id))


def retitle(
    account: Account, incident: Incident, *, title: str | None, urgency: str | None
) -> Incident:
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
    log(
        account,
        incident_id=incident.id,
        service_id=incident.service_id,
        type_="annotate_log_entry",
        summary=f"Note added by {user.name}",
        agent=Actor("user", user.id),
        channel={"type": "note", "summary": content},
        at=now,
    )
    return note
