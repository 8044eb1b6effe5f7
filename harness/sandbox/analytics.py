"""`POST /analytics/metrics/incidents/all`: metrics over the sandbox's own incidents, as late as live.

PagerDuty's analytics "reflect pipeline processing cycles and are generally available within 24
hours".  The sandbox's pipeline has processed the account up to `account.analytics_lag` ago (the
horizon): a report counts the incidents created before the horizon, and of what happened to them
only what happened before it (acknowledgements, resolutions, log entries, notifications).  So a
report over incidents created seconds earlier is empty, as it is live; a lag of 0 answers at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from statistics import mean
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from harness.sandbox.api import Call, Reply, Route, invalid, parse_time
from harness.sandbox.body import json_body
from harness.sandbox.records import Incident, LogEntry
from harness.sandbox.render import Json, stamp
from harness.sandbox.state import Account

UNITS = ("day", "week", "month")
MAX_RANGE = timedelta(days=366)
INTERRUPTING = frozenset({"sms_notification", "phone_notification", "push_notification"})


def incident_metrics(call: Call) -> Reply:
    """Aggregate incidents created in [created_at_start, created_at_end), per unit or overall."""
    body = json_body(call)
    filters = body.get("filters")
    if not isinstance(filters, dict):
        raise invalid("filters is required.")
    start, end = _range(filters)
    unit = body.get("aggregate_unit")
    if unit is not None and unit not in UNITS:
        raise invalid(f"aggregate_unit must be one of {', '.join(UNITS)}.")
    zone_name = body.get("time_zone", "Etc/UTC")
    zone = _zone(zone_name)
    service_ids = filters.get("service_ids")
    urgency = filters.get("urgency")
    with call.account.lock:
        horizon = call.account.now() - call.account.analytics_lag
        incidents = [
            i
            for i in call.account.incidents.values()
            if start <= i.created_at < end
            and i.created_at <= horizon
            and (not service_ids or i.service_id in service_ids)
            and (urgency is None or i.urgency == urgency)
            # Sandbox incidents have no priority, so none of them is major.
            and filters.get("major") is not True
        ]
        if unit is None:
            data = [_metrics(call.account, incidents, zone, horizon)]
        else:
            data = [
                {
                    "range_start": begin.strftime("%Y-%m-%dT%H:%M:%S"),
                    **_metrics(call.account, group, zone, horizon),
                }
                for begin, group in _buckets(incidents, str(unit), zone)
            ]
    echoed = {k: v for k, v in filters.items() if k not in ("created_at_start", "created_at_end")}
    reply: Json = {} if unit is None else {"aggregate_unit": unit}
    reply["data"] = data
    reply["filters"] = {"create_range_start": stamp(start), "create_range_end": stamp(end), **echoed}
    reply["time_zone"] = zone_name
    return Reply(200, reply)


def _range(filters: dict[str, Any]) -> tuple[datetime, datetime]:
    raw_start, raw_end = filters.get("created_at_start"), filters.get("created_at_end")
    if not isinstance(raw_start, str) or not isinstance(raw_end, str):
        raise invalid("filters.created_at_start and filters.created_at_end are required.")
    start = parse_time(raw_start, "created_at_start")
    end = parse_time(raw_end, "created_at_end")
    if end <= start:
        raise invalid("created_at_end must be after created_at_start.")
    if end - start > MAX_RANGE:
        raise invalid("The time range must not be longer than one year.")
    return start, end


def _zone(name: Any) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(f"time_zone {name!r} is not a known time zone.") from None


def _buckets(
    incidents: Sequence[Incident], unit: str, zone: ZoneInfo
) -> list[tuple[datetime, list[Incident]]]:
    """Group incidents by the local start of their day, week (from Monday) or month."""
    groups: dict[datetime, list[Incident]] = {}
    for incident in incidents:
        local = incident.created_at.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        if unit == "week":
            local -= timedelta(days=local.weekday())
        elif unit == "month":
            local = local.replace(day=1)
        groups.setdefault(local, []).append(incident)
    return sorted(groups.items())


def _metrics(account: Account, incidents: Sequence[Incident], zone: ZoneInfo, horizon: datetime) -> Json:
    """The metrics of these incidents as the pipeline saw them at `horizon`."""
    ids = {i.id for i in incidents}
    entries = [e for e in account.log_entries.values() if e.incident_id in ids and e.created_at <= horizon]
    acks = {i.id: [e for e in entries if e.incident_id == i.id and _is_user_ack(e)] for i in incidents}
    notifications = [
        n for n in account.notifications.values() if n.incident_id in ids and n.started_at <= horizon
    ]
    interruptions = [n.started_at.astimezone(zone) for n in notifications if n.type in INTERRUPTING]
    resolved = {i.id: r for i in incidents if (r := i.resolved_at) is not None and r <= horizon}
    to_ack = [(a[0].created_at - i.created_at) for i in incidents if (a := acks[i.id])]
    to_resolve = [resolved[i.id] - i.created_at for i in incidents if i.id in resolved]
    engaged = [(resolved.get(i.id, horizon) - a[0].created_at) for i in incidents if (a := acks[i.id])]
    responders = [len({e.agent for e in a}) for a in acks.values() if a]
    multi = [a for a in acks.values() if len({e.agent for e in a}) > 1]
    assigns = [sum(e.type == "assign_log_entry" and e.incident_id == i for e in entries) for i in ids]
    return {
        "mean_assignment_count": _mean(assigns),
        "mean_engaged_seconds": _mean_seconds(engaged),
        "mean_engaged_user_count": _mean(responders),
        "mean_seconds_to_engage": _mean_seconds([a[-1].created_at - a[0].created_at for a in multi]),
        "mean_seconds_to_first_ack": _mean_seconds(to_ack),
        "mean_seconds_to_mobilize": _mean_seconds(
            [a[-1].created_at - account.incidents[a[0].incident_id].created_at for a in multi]
        ),
        "mean_seconds_to_resolve": _mean_seconds(to_resolve),
        "mean_user_defined_engaged_seconds": _mean_seconds(engaged),
        "total_business_hour_interruptions": sum(_business(t) for t in interruptions),
        "total_engaged_seconds": int(sum(d.total_seconds() for d in engaged)),
        "total_escalation_count": sum(e.type == "escalate_log_entry" for e in entries),
        "total_incident_count": len(incidents),
        "total_incidents_acknowledged": sum(bool(a) for a in acks.values()),
        "total_incidents_auto_resolved": 0,
        "total_incidents_manual_escalated": 0,
        "total_incidents_reassigned": len(
            {
                e.incident_id
                for e in entries
                if e.type == "assign_log_entry" and e.agent is not None and e.agent.kind == "user"
            }
        ),
        "total_incidents_timeout_escalated": 0,
        "total_interruptions": len(interruptions),
        "total_notifications": len(notifications),
        "total_off_hour_interruptions": sum(not _business(t) and not _sleep(t) for t in interruptions),
        "total_sleep_hour_interruptions": sum(_sleep(t) for t in interruptions),
        "total_snoozed_seconds": 0,
        "total_user_defined_engaged_seconds": int(sum(d.total_seconds() for d in engaged)),
    }


def _is_user_ack(entry: LogEntry) -> bool:
    return entry.type == "acknowledge_log_entry" and entry.agent is not None and entry.agent.kind == "user"


def _business(moment: datetime) -> bool:
    return moment.weekday() < 5 and 8 <= moment.hour < 18


def _sleep(moment: datetime) -> bool:
    return moment.hour >= 22 or moment.hour < 8


def _mean(values: Sequence[int]) -> int | None:
    return round(mean(values)) if values else None


def _mean_seconds(values: Sequence[timedelta]) -> int | None:
    return round(mean(v.total_seconds() for v in values)) if values else None


ROUTES = (Route("/analytics/metrics/incidents/all", "POST", incident_metrics),)
