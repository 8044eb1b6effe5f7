"""Months of past incidents for a generated account, with their log entries, notes and notifications.

Every status, urgency, log-entry type and notification type appears: the rarer log-entry types
are dealt to chosen incidents, not left to chance. Each incident's life is told by `story`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from harness.sandbox.chatter import Chatter
from harness.sandbox.records import Actor, Alert, Incident, Service, User
from harness.sandbox.state import Account
from harness.sandbox.story import Book, Story

HISTORY = timedelta(days=180)
RECENT = timedelta(days=30)
# Log-entry types most incidents never see; each is dealt to at least one resolved incident.
RARE = (
    "escalate",
    "delegate",
    "snooze",
    "unacknowledge",
    "urgency_change",
    "field_value_change",
    "custom_field_value_change",
    "reach_ack_limit",
    "reach_trigger_limit",
    "repeat_escalation_path",
    "exhaust_escalation_path",
    "link",
    "annotate",
    "every_channel",
)


def write(
    account: Account,
    rng: random.Random,
    chatter: Chatter,
    *,
    services: Sequence[Service],
    users: Sequence[User],
    now: datetime,
) -> None:
    """Write a few hundred past incidents; the last few are still open, in every status and urgency."""
    count = rng.randint(200, 400)
    open_count = rng.randint(8, 16)
    past = sorted(
        now - timedelta(seconds=rng.randint(7 * 3600, int(HISTORY.total_seconds())))
        for _ in range(count - open_count)
    )
    recent = sorted(now - timedelta(seconds=rng.randint(600, 6 * 3600)) for _ in range(open_count))
    times = past + recent
    statuses = ["resolved"] * len(past) + [rng.choice(("triggered", "acknowledged")) for _ in recent]
    urgencies = [rng.choice(("high", "high", "low")) for _ in times]
    # The first four open incidents cover both open statuses at both urgencies.
    for offset, (status, urgency) in enumerate(
        (("triggered", "high"), ("acknowledged", "low"), ("triggered", "low"), ("acknowledged", "high"))
    ):
        statuses[len(past) + offset], urgencies[len(past) + offset] = status, urgency
    for lingering in rng.sample(range(len(past)), 2):  # old incidents nobody closed
        statuses[lingering] = rng.choice(("triggered", "acknowledged"))
    resolved = [i for i, s in enumerate(statuses) if s == "resolved"]
    in_window = [i for i in resolved if now - times[i] < RECENT]
    pool = in_window if len(in_window) >= len(RARE) else resolved
    dealt = dict(zip(rng.sample(pool, len(RARE)), RARE, strict=True))
    book = Book(account, now)
    for index, created in enumerate(times):
        features = {feature for feature in RARE if rng.random() < 0.04}
        if index in dealt:
            features.add(dealt[index])
        _incident(
            book,
            rng,
            chatter,
            service=rng.choice(services),
            created=created,
            status=statuses[index],
            urgency=urgencies[index],
            features=features,
            everyone=users[0],
        )
    book.flush()


def _incident(
    book: Book,
    rng: random.Random,
    chatter: Chatter,
    *,
    service: Service,
    created: datetime,
    status: str,
    urgency: str,
    features: set[str],
    everyone: User,
) -> None:
    account = book.account
    policy = account.escalation_policies[service.escalation_policy_id]
    integration = account.integrations[rng.choice(service.integration_ids)]
    title = chatter.title(service.name)
    incident_id = account.new_incident_id()
    number = account.next_incident_number()
    key = chatter.hexid(32) if rng.random() < 0.6 else f"{service.name}/{chatter.hexid(12)}"
    details = chatter.details(service.name)
    alert = Alert(
        id=account.new_id(prefix="Q", length=14),
        incident_id=incident_id,
        service_id=service.id,
        integration_id=integration.id,
        alert_key=key,
        status="resolved" if status == "resolved" else "triggered",
        summary=title,
        severity=rng.choice(("critical", "error", "warning", "info")),
        source=str(details["host"]),
        created_at=created,
        details=details,
    )
    account.alerts[alert.id] = alert
    account.names[incident_id] = f"[#{number}] {title}"
    first_urgency = "low" if "urgency_change" in features else urgency
    priority = rng.choice((None, None, *account.priorities)) if rng.random() < 0.8 else None
    bridge = chatter.bridge() if priority is not None and rng.random() < 0.5 else None
    targets = policy.rules[0].user_ids if policy.rules else ()
    if "every_channel" in features:
        targets, first_urgency, urgency = (everyone.id,), "high", "high"
    incident = Incident(
        id=incident_id,
        number=number,
        title=title,
        service_id=service.id,
        escalation_policy_id=policy.id,
        status="triggered",
        urgency=first_urgency,
        incident_key=key,
        created_at=created,
        updated_at=created,
        last_status_change_at=created,
        last_status_change_by=Actor("service", service.id),
        resolved_at=None,
        assignments=(),
        acknowledgements=(),
        assigned_via="escalation_policy",
        first_trigger_log_entry_id="",
        alert_ids=(alert.id,),
        priority_id=priority,
        conference_bridge=bridge,
        team_ids=policy.team_ids,
    )
    story = Story(book, rng, chatter, incident, moment=created)
    story.trigger(integration.type, details)
    story.assign(targets, by=None, type_="assign_log_entry")
    story.play(features, status=status, urgency=urgency, policy_rules=policy.rules)
    account.incidents[incident_id] = story.incident
