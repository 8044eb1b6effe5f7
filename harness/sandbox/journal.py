"""Writing an incident's history: store a changed incident, append a log entry.

Callers hold the account lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from harness.sandbox.records import Actor, Incident, LogEntry
from harness.sandbox.state import Account


def store(account: Account, incident: Incident, **changes: Any) -> Incident:
    """Replace the incident with a changed copy and keep its summary for references."""
    updated = replace(incident, **changes)
    account.incidents[updated.id] = updated
    account.names[updated.id] = f"[#{updated.number}] {updated.title}"
    return updated


def log(
    account: Account,
    *,
    incident_id: str,
    service_id: str,
    type_: str,
    summary: str,
    agent: Actor | None,
    channel: Mapping[str, object],
    at: datetime,
    **extra: Any,
) -> LogEntry:
    """Append a log entry to the incident's history and keep its summary for references."""
    entry = LogEntry(
        id=account.new_log_entry_id(),
        type=type_,
        summary=summary,
        created_at=at,
        incident_id=incident_id,
        service_id=service_id,
        agent=agent,
        channel=channel,
        **extra,
    )
    account.log_entries[entry.id] = entry
    account.names[entry.id] = summary
    return entry


def log_on(account: Account, incident: Incident, **entry: Any) -> LogEntry:
    """Append a log entry (the fields `log` takes) to this incident's history, on its service."""
    return log(account, incident_id=incident.id, service_id=incident.service_id, **entry)


def by_whom(verb: str, account: Account, actor: Actor) -> str:
    """Word a summary as PagerDuty does: "Resolved by Jane" or "Resolved through the API"."""
    if actor.kind == "user":
        return f"{verb} by {account.names[actor.id]}"
    return f"{verb} through the API"
