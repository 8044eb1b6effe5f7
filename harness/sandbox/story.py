"""One past incident's life, told as log entries, notes and notifications one step after another.

A `Book` collects what the stories write; `flush` puts it into the account in time order, because
listings read the account's dicts in insertion order. Callers hold the account lock.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from harness.sandbox.chatter import Chatter
from harness.sandbox.lifecycle import NOTIFICATION_KINDS, TRIGGER_SUMMARY, notification_address
from harness.sandbox.records import (
    Acknowledgement,
    Actor,
    Assignment,
    EscalationRule,
    Incident,
    LogEntry,
    Note,
    Notification,
    User,
)
from harness.sandbox.render import stamp
from harness.sandbox.state import Account

USER_CHANNELS = ("website", "sms", "email", "api", "mobile")
TRIGGER_CHANNELS = {"generic_email_inbound_integration": "email", "nagios_inbound_integration": "nagios"}


@dataclass
class Book:
    """Entries, notifications and notes collected before they are written in time order."""

    account: Account
    now: datetime
    entries: list[LogEntry] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)

    def log(
        self,
        incident: Incident,
        at: datetime,
        type_: str,
        summary: str,
        agent: Actor | None,
        channel: Mapping[str, object],
        **extra: Any,
    ) -> None:
        """Write down one log entry of the incident (the fields a LogEntry takes beyond these)."""
        self.entries.append(
            LogEntry(
                id=self.account.new_log_entry_id(),
                type=type_,
                summary=summary,
                created_at=at,
                incident_id=incident.id,
                service_id=incident.service_id,
                agent=agent,
                channel=channel,
                **extra,
            )
        )

    def flush(self) -> None:
        """Put everything written into the account, oldest first."""
        for entry in sorted(self.entries, key=lambda e: e.created_at):
            self.account.log_entries[entry.id] = entry
            self.account.names[entry.id] = entry.summary
        for notification in sorted(self.notifications, key=lambda n: n.started_at):
            self.account.notifications[notification.id] = notification


class Story:
    """One incident's life, told as log entries one step after the other."""

    def __init__(
        self, book: Book, rng: random.Random, chatter: Chatter, incident: Incident, *, moment: datetime
    ) -> None:
        self.book, self.rng, self.chatter, self.incident = book, rng, chatter, incident
        self.moment = moment
        self.assignees: tuple[str, ...] = ()

    def step(self) -> datetime:
        """Move the clock on by a few minutes, never past now."""
        self.moment = min(
            self.moment + timedelta(seconds=self.rng.randint(30, 600)), self.book.now - timedelta(seconds=1)
        )
        return self.moment

    def _user(self) -> str:
        users = self.book.account.users
        return self.rng.choice(self.assignees) if self.assignees else self.rng.choice(list(users))

    def _name(self, user_id: str) -> str:
        return self.book.account.names[user_id]

    def trigger(self, kind: str, details: Mapping[str, object]) -> None:
        incident = self.incident
        channel_type = TRIGGER_CHANNELS.get(kind, "api")
        self.book.log(
            incident,
            self.moment,
            "trigger_log_entry",
            TRIGGER_SUMMARY,
            Actor("service", incident.service_id),
            {"type": channel_type, "summary": incident.title},
            channel_details={
                "description": incident.title,
                "incident_key": incident.incident_key,
                "details": dict(details),
            },
            event_details={"description": incident.title},
        )
        self.incident = _with(incident, first_trigger_log_entry_id=self.book.entries[-1].id)

    def assign(self, user_ids: Sequence[str], *, by: str | None, type_: str) -> None:
        if not user_ids:
            return
        at = self.moment
        names = ", ".join(self._name(u) for u in user_ids)
        words = {
            "assign_log_entry": "Assigned to",
            "escalate_log_entry": "Escalated to",
            "delegate_log_entry": "Reassigned to",
        }[type_]
        summary = f"{words} {names}" + ("" if by is None else f" by {self._name(by)}")
        agent = Actor("service", self.incident.service_id) if by is None else Actor("user", by)
        channel = {"type": "auto" if by is None else "website"}
        self.book.log(self.incident, at, type_, summary, agent, channel, assignee_ids=tuple(user_ids))
        self.assignees = tuple(user_ids)
        self.incident = _with(
            self.incident,
            assignments=tuple(Assignment(u, at) for u in user_ids),
            assigned_via="escalation_policy" if by is None else "direct_assignment",
        )
        for user_id in user_ids:
            self._notify(self.book.account.users[user_id], at)

    def _notify(self, user: User, at: datetime) -> None:
        methods = {m.id: m for m in user.contact_methods}
        for rule in user.notification_rules:
            method = methods.get(rule.contact_method_id)
            if rule.urgency != self.incident.urgency or method is None:
                continue
            kind, word = NOTIFICATION_KINDS[method.type]
            sent = at + timedelta(minutes=rule.start_delay_in_minutes)
            if sent >= self.book.now:
                continue
            address = notification_address(method)
            self.book.notifications.append(
                Notification(self.book.account.new_id(), kind, sent, address, user.id, self.incident.id)
            )
            notification = {"type": kind, "status": "success"} | (
                {} if address is None else {"address": address}
            )
            self.book.log(
                self.incident,
                sent,
                "notify_log_entry",
                f"Notified {user.name} by {word}",
                None,
                {"type": "auto", "notification": notification},
                user_id=user.id,
            )

    def _by(self, type_: str, verb: str, user_id: str, **extra: Any) -> None:
        self.book.log(
            self.incident,
            self.step(),
            type_,
            f"{verb} by {self._name(user_id)}",
            Actor("user", user_id),
            {"type": self.rng.choice(USER_CHANNELS)},
            **extra,
        )

    def _auto(self, type_: str, summary: str) -> None:
        self.book.log(
            self.incident,
            self.step(),
            type_,
            summary,
            Actor("service", self.incident.service_id),
            {"type": "timeout"},
        )

    def play(
        self, features: set[str], *, status: str, urgency: str, policy_rules: Sequence[EscalationRule]
    ) -> None:
        """Tell the rest of the story: escalations, people acting, notes, and the ending."""
        account = self.book.account
        users = [u for u in account.users if u != account.owner_id]
        if "reach_trigger_limit" in features:
            self._auto("reach_trigger_limit_log_entry", "Reached the trigger limit of the service")
        if "escalate" in features or self.rng.random() < 0.15:
            self.step()
            rules = [r for r in policy_rules if r.user_ids]
            level = rules[-1].user_ids if rules else (self.rng.choice(users),)
            self.assign(level, by=None, type_="escalate_log_entry")
        for feature, summary in (
            ("repeat_escalation_path", "Repeated the escalation path"),
            ("exhaust_escalation_path", "Escalation path exhausted"),
        ):
            if feature in features:
                self._auto(f"{feature}_log_entry", summary)
        if "delegate" in features:
            self.step()
            self.assign((self.rng.choice(users),), by=self._user(), type_="delegate_log_entry")
        if "urgency_change" in features:
            self._by("urgency_change_log_entry", "Urgency changed from low to high", self._user())
            self.incident = _with(self.incident, urgency="high")
        acknowledges = status == "acknowledged" or (status == "resolved" and self.rng.random() < 0.7)
        if acknowledges or features & {"snooze", "unacknowledge", "reach_ack_limit"}:
            self._acknowledge(features)
        for feature, verb, change in (
            ("field_value_change", "Field values updated", "Updated impacted_region to eu-west-1"),
            (
                "custom_field_value_change",
                "Custom field values updated",
                'Updated affected_room to ["Queen West"]',
            ),
        ):
            if feature in features:
                self._by(f"{feature}_log_entry", verb, self._user(), extra={"changeset": [change]})
        if "link" in features:
            self._by(
                "link_log_entry", f"Linked to incident #{max(1, self.incident.number - 1)}", self._user()
            )
        notes = self.rng.choice((0, 0, 0, 1, 1, 2, 3)) + ("annotate" in features)
        for _ in range(notes):
            self._note()
        if status == "resolved":
            self._resolve()
        elif status == "triggered" and self.incident.status == "acknowledged":
            self._auto("unacknowledge_log_entry", "Unacknowledged due to timeout")
            self.incident = _with(
                self.incident,
                status="triggered",
                acknowledgements=(),
                last_status_change_at=self.moment,
                last_status_change_by=Actor("service", self.incident.service_id),
            )
        self.incident = _with(self.incident, updated_at=self.moment)

    def _acknowledge(self, features: set[str]) -> None:
        user_id = self._user()
        service = self.book.account.services[self.incident.service_id]
        self._by(
            "acknowledge_log_entry",
            "Acknowledged",
            user_id,
            acknowledgement_timeout=service.acknowledgement_timeout,
        )
        self.incident = _with(
            self.incident,
            status="acknowledged",
            last_status_change_at=self.moment,
            last_status_change_by=Actor("user", user_id),
            acknowledgements=(Acknowledgement(Actor("user", user_id), self.moment),),
        )
        if "snooze" in features:
            until = self.moment + timedelta(hours=1)
            self._by(
                "snooze_log_entry",
                "Snoozed for 1 hour",
                user_id,
                extra={"changed_actions": [{"type": "unacknowledge", "at": stamp(until)}]},
            )
        if "reach_ack_limit" in features:
            self._auto("reach_ack_limit_log_entry", "Reached the acknowledgement limit")
        if "unacknowledge" in features:
            self._auto("unacknowledge_log_entry", "Unacknowledged due to timeout")
            self._by(
                "acknowledge_log_entry",
                "Acknowledged",
                user_id,
                acknowledgement_timeout=service.acknowledgement_timeout,
            )

    def _note(self) -> None:
        user_id = self._user()
        content = self.chatter.note()
        at = self.step()
        note = Note(self.book.account.new_id(), self.incident.id, user_id, content, at)
        self.book.account.notes[note.id] = note
        self.book.log(
            self.incident,
            at,
            "annotate_log_entry",
            f"Note added by {self._name(user_id)}",
            Actor("user", user_id),
            {"type": "note", "summary": content},
        )

    def _resolve(self) -> None:
        incident = self.incident
        at = self.step()
        if self.rng.random() < 0.25:
            actor, summary, channel = (
                Actor("service", incident.service_id),
                "Resolved through the API",
                {"type": "api"},
            )
            note = None
        else:
            user_id = self._user()
            actor, summary = Actor("user", user_id), f"Resolved by {self._name(user_id)}"
            channel = {"type": self.rng.choice(USER_CHANNELS)}
            note = self.chatter.resolution() if self.rng.random() < 0.4 else None
        self.book.log(incident, at, "resolve_log_entry", summary, actor, channel, note=note)
        self.incident = _with(
            incident,
            status="resolved",
            resolved_at=at,
            assignments=(),
            last_status_change_at=at,
            last_status_change_by=actor,
        )


def _with(incident: Incident, **changes: Any) -> Incident:
    return replace(incident, **changes)
