"""The sandbox account's entities, as frozen records replaced whole on every change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: a user, or a service acting through its integration."""

    kind: str  # "user" or "service"
    id: str


@dataclass(frozen=True, slots=True)
class ContactMethod:
    """Where a user can be notified; phone and SMS addresses hold national digits."""

    id: str
    type: str  # email, phone, sms, push_notification or whatsapp _contact_method
    label: str
    address: str
    country_code: int | None = None
    device_type: str | None = None  # push notification methods only: android or ios


@dataclass(frozen=True, slots=True)
class NotificationRule:
    """Notify through one contact method after a delay, for one urgency."""

    id: str
    contact_method_id: str
    start_delay_in_minutes: int
    urgency: str


@dataclass(frozen=True, slots=True)
class User:
    """A member of the account."""

    id: str
    name: str
    email: str
    role: str
    time_zone: str
    color: str
    job_title: str
    description: str | None
    invitation_sent: bool
    created_at: datetime
    contact_methods: tuple[ContactMethod, ...]
    notification_rules: tuple[NotificationRule, ...]
    calendar_token: str
    team_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EscalationRule:
    """One level of an escalation policy: its delay and the users and schedules it targets."""

    id: str
    escalation_delay_in_minutes: int
    user_ids: tuple[str, ...]
    schedule_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """Who is assigned, level after level, when a service opens an incident."""

    id: str
    name: str
    description: str
    num_loops: int
    on_call_handoff_notifications: str
    rules: tuple[EscalationRule, ...]
    created_at: datetime
    team_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Service:
    """Something incidents are opened against, routed through one escalation policy."""

    id: str
    name: str
    description: str | None
    escalation_policy_id: str
    auto_resolve_timeout: int | None
    acknowledgement_timeout: int | None
    status: str
    created_at: datetime
    integration_ids: tuple[str, ...] = ()
    team_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Integration:
    """An inbound integration of a service; Events API ones carry the routing key."""

    id: str
    type: str
    name: str
    service_id: str
    created_at: datetime
    integration_key: str | None
    integration_email: str | None


@dataclass(frozen=True, slots=True)
class Alert:
    """One event grouped into an incident, identified by its dedup key."""

    id: str
    incident_id: str
    service_id: str
    integration_id: str
    alert_key: str
    status: str  # triggered or resolved
    summary: str
    severity: str
    source: str
    created_at: datetime
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Assignment:
    """An incident assigned to a user since a moment."""

    user_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """An incident acknowledged by a user or through a service's integration."""

    actor: Actor
    at: datetime


@dataclass(frozen=True, slots=True)
class Incident:
    """A problem on a service, with its status, assignees and alerts."""

    id: str
    number: int
    title: str
    service_id: str
    escalation_policy_id: str | None
    status: str
    urgency: str
    incident_key: str
    created_at: datetime
    updated_at: datetime
    last_status_change_at: datetime
    last_status_change_by: Actor
    resolved_at: datetime | None
    assignments: tuple[Assignment, ...]
    acknowledgements: tuple[Acknowledgement, ...]
    assigned_via: str
    first_trigger_log_entry_id: str
    alert_ids: tuple[str, ...]
    priority_id: str | None = None
    conference_bridge: Mapping[str, str] | None = None
    team_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of an incident's history.

    `channel` is what every listing shows; `channel_details` is added with include[]=channels.
    """

    id: str
    type: str
    summary: str
    created_at: datetime
    incident_id: str
    service_id: str
    agent: Actor | None
    channel: Mapping[str, object]
    channel_details: Mapping[str, object] = field(default_factory=dict)
    event_details: Mapping[str, object] | None = None
    assignee_ids: tuple[str, ...] = ()
    user_id: str | None = None
    note: str | None = None
    acknowledgement_timeout: int | None = None
    # Fields only some types carry, rendered as they are (changed_actions, changeset...).
    extra: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Notification:
    """A message sent to a user's contact method about an incident."""

    id: str
    type: str
    started_at: datetime
    address: str | None  # None for push notifications, which the API lists without one
    user_id: str
    incident_id: str


@dataclass(frozen=True, slots=True)
class Note:
    """A note a user added to an incident."""

    id: str
    incident_id: str
    user_id: str
    content: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Team:
    """A group of users; policies, services and their incidents belong to teams."""

    id: str
    name: str
    description: str | None
    default_role: str = "manager"  # "none": a private team


@dataclass(frozen=True, slots=True)
class ScheduleLayer:
    """A rotation: its users take turns of a fixed length from `rotation_virtual_start` on.

    `restrictions` are kept as sent and shown back; the sandbox's rotation ignores them.
    """

    id: str
    name: str
    start: datetime
    end: datetime | None
    rotation_virtual_start: datetime
    rotation_turn_length_seconds: int
    user_ids: tuple[str, ...]
    restrictions: tuple[Mapping[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class Schedule:
    """Who is on call when: layers, the later ones taking precedence where they have someone."""

    id: str
    name: str
    time_zone: str
    description: str | None
    layers: tuple[ScheduleLayer, ...]
    created_at: datetime
    team_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Priority:
    """One of the account's incident priorities (P1 most urgent)."""

    id: str
    name: str
    description: str
