"""How incidents begin: an event opens one, the escalation policy assigns it, assignees are notified.

Every function expects the caller to hold the account lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.sandbox.journal import log, log_on, store
from harness.sandbox.records import (
    Actor,
    Alert,
    Assignment,
    ContactMethod,
    Incident,
    Integration,
    Notification,
    User,
)
from harness.sandbox.rotation import rule_users
from harness.sandbox.state import Account

# With its period, as the live API words it since 2022.
TRIGGER_SUMMARY = "Triggered through the API."
API_CHANNEL: Mapping[str, object] = {"type": "api"}

# contact method type -> (notification type, word in the log entry's summary)
NOTIFICATION_KINDS = {
    "email_contact_method": ("email_notification", "email"),
    "sms_contact_method": ("sms_notification", "SMS"),
    "phone_contact_method": ("phone_notification", "phone"),
    "push_notification_contact_method": ("push_notification", "push notification"),
}


def find_open_alert(account: Account, *, service_id: str, alert_key: str) -> Alert | None:
    """Return the service's triggered alert with this dedup key, if any."""
    return next(
        (
            a
            for a in account.alerts.values()
            if a.service_id == service_id and a.alert_key == alert_key and a.status == "triggered"
        ),
        None,
    )


def open_incident(
    account: Account,
    *,
    integration: Integration,
    alert_key: str,
    payload: Mapping[str, Any],
    channel_details: Mapping[str, object],
) -> Incident:
    """Open an incident with one alert, assign it through the escalation policy and notify."""
    service = account.services[integration.service_id]
    now = account.now()
    title = str(payload["summary"])
    incident_id = account.new_incident_id()
    number = account.next_incident_number()
    alert = Alert(
        id=account.new_id(prefix="Q", length=14),
        incident_id=incident_id,
        service_id=service.id,
        integration_id=integration.id,
        alert_key=alert_key,
        status="triggered",
        summary=title,
        severity=str(payload["severity"]),
        source=str(payload["source"]),
        created_at=now,
        details=dict(payload.get("custom_details") or {}),
    )
    account.alerts[alert.id] = alert
    account.names[incident_id] = f"[#{number}] {title}"
    trigger = log(
        account,
        incident_id=incident_id,
        service_id=service.id,
        type_="trigger_log_entry",
        summary=TRIGGER_SUMMARY,
        agent=Actor("service", service.id),
        channel={"type": "api", "summary": title},
        channel_details=channel_details,
        event_details={"description": title},
        at=now,
    )
    incident = Incident(
        id=incident_id,
        number=number,
        title=title,
        service_id=service.id,
        escalation_policy_id=service.escalation_policy_id,
        status="triggered",
        urgency="high",
        incident_key=alert_key,
        created_at=now,
        updated_at=now,
        last_status_change_at=now,
        last_status_change_by=Actor("service", service.id),
        resolved_at=None,
        assignments=(),
        acknowledgements=(),
        assigned_via="escalation_policy",
        first_trigger_log_entry_id=trigger.id,
        alert_ids=(alert.id,),
        team_ids=_policy_teams(account, service.escalation_policy_id),
    )
    account.incidents[incident_id] = incident
    return assign(account, incident, policy_targets(account, incident), agent=Actor("service", service.id))


def _policy_teams(account: Account, policy_id: str) -> tuple[str, ...]:
    """An incident belongs to the teams of the escalation policy it was opened on."""
    policy = account.escalation_policies.get(policy_id)
    return () if policy is None else policy.team_ids


def policy_targets(account: Account, incident: Incident) -> tuple[str, ...]:
    """Return the existing users the first rule of the incident's policy reaches.

    A schedule it targets reaches whoever the schedule has on call.
    """
    policy = account.escalation_policies.get(incident.escalation_policy_id or "")
    if policy is None or not policy.rules:
        return ()
    rule = policy.rules[0]
    return rule_users(account, rule.user_ids, rule.schedule_ids, account.now())


def assign(account: Account, incident: Incident, user_ids: Sequence[str], *, agent: Actor) -> Incident:
    """Assign the incident to these users, log it and notify each of them."""
    if not user_ids:
        return incident
    now = account.now()
    by_user = agent.kind == "user"
    incident = store(
        account,
        incident,
        assignments=tuple(Assignment(u, now) for u in user_ids),
        assigned_via="direct_assignment" if by_user else "escalation_policy",
        updated_at=now,
    )
    names = ", ".join(account.names[u] for u in user_ids)
    log_on(
        account,
        incident,
        type_="assign_log_entry",
        summary=f"Assigned to {names} by {account.names[agent.id]}" if by_user else f"Assigned to {names}",
        agent=agent,
        channel=API_CHANNEL if by_user else {"type": "auto"},
        assignee_ids=tuple(user_ids),
        at=now,
    )
    for user_id in user_ids:
        notify(account, incident, account.users[user_id])
    return incident


def notification_address(method: ContactMethod) -> str | None:
    """Where a notification went: the email, +<country><digits>, or nothing for a push."""
    if method.device_type is not None:
        return None
    return method.address if method.country_code is None else f"+{method.country_code}{method.address}"


def notify(account: Account, incident: Incident, user: User) -> None:
    """Send the user's immediate notifications for the incident's urgency, one per rule."""
    methods = {m.id: m for m in user.contact_methods}
    for rule in user.notification_rules:
        method = methods.get(rule.contact_method_id)
        if (
            rule.urgency != incident.urgency
            or rule.start_delay_in_minutes
            or method is None
            or method.type not in NOTIFICATION_KINDS
        ):
            continue
        kind, summary_word = NOTIFICATION_KINDS[method.type]
        address = notification_address(method)
        now = account.now()
        notification = Notification(account.new_id(), kind, now, address, user.id, incident.id)
        account.notifications[notification.id] = notification
        log_on(
            account,
            incident,
            type_="notify_log_entry",
            summary=f"Notified {user.name} by {summary_word}",
            agent=None,
            channel={
                "type": "auto",
                "notification": {"type": kind, "status": "success"}
                | ({} if address is None else {"address": address}),
            },
            user_id=user.id,
            at=now,
        )
