"""The in-memory PagerDuty account: every entity by id, behind one lock."""

from __future__ import annotations

import random
import re
import string
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from harness.errors import ConfigError
from harness.sandbox.records import (
    Alert,
    ContactMethod,
    EscalationPolicy,
    Incident,
    Integration,
    LogEntry,
    Note,
    Notification,
    NotificationRule,
    Priority,
    Schedule,
    Service,
    Team,
    User,
)

ID_ALPHABET = string.ascii_uppercase + string.digits
# PagerDuty's analytics are "generally available within 24 hours" and give no lower bound.  An
# hour is longer than any recording (its polls give up after minutes), so a report over a run's
# own incidents is empty as it is live, yet a busy account's older history still shows.
ANALYTICS_LAG = timedelta(hours=1)


@dataclass(frozen=True)
class AccountSnapshot:
    """A consistent read-only copy of the account, for inspection in tests."""

    users: Mapping[str, User]
    escalation_policies: Mapping[str, EscalationPolicy]
    services: Mapping[str, Service]
    integrations: Mapping[str, Integration]
    incidents: Mapping[str, Incident]
    alerts: Mapping[str, Alert]
    log_entries: Mapping[str, LogEntry]
    notifications: Mapping[str, Notification]
    notes: Mapping[str, Note]
    teams: Mapping[str, Team]
    priorities: Mapping[str, Priority]
    schedules: Mapping[str, Schedule]


@dataclass
class Account:
    """Everything the sandbox knows; callers hold `lock` while they read or change it.

    Records are frozen and replaced whole, so a reference taken under the lock stays
    consistent after the lock is released. Dicts keep insertion order, which is creation order.
    """

    subdomain: str
    lock: threading.RLock = field(default_factory=threading.RLock)
    users: dict[str, User] = field(default_factory=dict)
    escalation_policies: dict[str, EscalationPolicy] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    integrations: dict[str, Integration] = field(default_factory=dict)
    incidents: dict[str, Incident] = field(default_factory=dict)
    alerts: dict[str, Alert] = field(default_factory=dict)
    log_entries: dict[str, LogEntry] = field(default_factory=dict)
    notifications: dict[str, Notification] = field(default_factory=dict)
    notes: dict[str, Note] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    priorities: dict[str, Priority] = field(default_factory=dict)
    schedules: dict[str, Schedule] = field(default_factory=dict)
    # Last known summary of every id, so references to deleted objects still render.
    names: dict[str, str] = field(default_factory=dict)
    owner_id: str = ""
    last_incident_number: int = 0
    # The account's own time zone: the live API writes notes', services' and policies' times in
    # its offset (e.g. -04:00), everything else in UTC.
    time_zone: str = "America/New_York"
    # How far behind the account analytics reports are (see analytics.py).
    analytics_lag: timedelta = field(default_factory=lambda: ANALYTICS_LAG)
    # Draws ids and calendar tokens: unpredictable by default, seeded for a generated account
    # so that one seed always gives the same ids.
    ids: random.Random = field(default_factory=random.SystemRandom)
    _issued: set[str] = field(default_factory=set)

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)

    def new_id(self, *, prefix: str = "P", length: int = 7) -> str:
        """Return an unused id in PagerDuty's form: a prefix letter and uppercase alphanumerics."""
        while True:
            candidate = prefix + "".join(self.ids.choices(ID_ALPHABET, k=length - 1))
            if candidate not in self._issued:
                self._issued.add(candidate)
                return candidate

    def new_incident_id(self) -> str:
        """Return an incident id in the live form since 2022: `Q` and 13 more characters."""
        return self.new_id(prefix="Q", length=14)

    def new_log_entry_id(self) -> str:
        """Return a log entry id in the live form: `R` and 25 more characters."""
        return self.new_id(prefix="R", length=26)

    def next_incident_number(self) -> int:
        """Return the next incident number; numbers increase per account and are never reused."""
        self.last_incident_number += 1
        return self.last_incident_number

    def user_by_email(self, email: str) -> User | None:
        """Return the user with this email, compared case-insensitively."""
        wanted = email.strip().lower()
        return next((u for u in self.users.values() if u.email.lower() == wanted), None)

    def add_user(
        self,
        *,
        name: str,
        email: str,
        role: str,
        phone: str | None = None,
        time_zone: str = "Etc/UTC",
        job_title: str = "",
        description: str | None = None,
        invitation_sent: bool = True,
    ) -> User:
        """Create a user with an email contact method (and phone/SMS ones) and default rules."""
        methods = [ContactMethod(self.new_id(), "email_contact_method", "Default", email)]
        if phone is not None:
            country_code, digits = split_phone(phone)
            methods.append(
                ContactMethod(self.new_id(), "phone_contact_method", "Mobile", digits, country_code)
            )
            methods.append(ContactMethod(self.new_id(), "sms_contact_method", "Mobile", digits, country_code))
        rules = tuple(NotificationRule(self.new_id(), m.id, 0, "high") for m in methods)
        user = User(
            id=self.new_id(),
            name=name,
            email=email,
            role=role,
            time_zone=time_zone,
            color=USER_COLORS[len(self.users) % len(USER_COLORS)],
            job_title=job_title,
            description=description,
            invitation_sent=invitation_sent,
            created_at=self.now(),
            contact_methods=tuple(methods),
            notification_rules=rules,
            calendar_token="".join(self.ids.choices(ID_ALPHABET, k=16)),
        )
        self.users[user.id] = user
        self.names[user.id] = name
        return user

    def snapshot(self) -> AccountSnapshot:
        """Return a read-only copy of every collection, taken under the lock."""
        with self.lock:
            return AccountSnapshot(
                users=MappingProxyType(dict(self.users)),
                escalation_policies=MappingProxyType(dict(self.escalation_policies)),
                services=MappingProxyType(dict(self.services)),
                integrations=MappingProxyType(dict(self.integrations)),
                incidents=MappingProxyType(dict(self.incidents)),
                alerts=MappingProxyType(dict(self.alerts)),
                log_entries=MappingProxyType(dict(self.log_entries)),
                notifications=MappingProxyType(dict(self.notifications)),
                notes=MappingProxyType(dict(self.notes)),
                teams=MappingProxyType(dict(self.teams)),
                priorities=MappingProxyType(dict(self.priorities)),
                schedules=MappingProxyType(dict(self.schedules)),
            )


USER_COLORS = ("purple", "green", "red", "teal", "orange", "blue", "brown", "cayenne")


def split_phone(phone: str) -> tuple[int, str]:
    """Split "+44 20 7946 0958" into (44, "2079460958"); bare digits are taken as North American.

    With a leading "+", the first group of digits is the country code when the number is
    written in groups; written solid, "+1" is North American and otherwise two digits are taken.
    """
    groups = re.findall(r"\d+", phone)
    digits = "".join(groups)
    if len(digits) < 7:
        raise ConfigError(
            f"The phone number {phone!r} has too few digits.",
            hint='Give it with its country code, e.g. "+1 555 867 5309".',
        )
    if not phone.strip().startswith("+"):
        national = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
        return 1, national
    if len(groups) > 1 and len(groups[0]) <= 3:
        return int(groups[0]), digits[len(groups[0]) :]
    code_length = 1 if digits.startswith("1") else 2
    return int(digits[:code_length]), digits[code_length:]
