"""`GET /oncalls`: who is on call now (or at `since`), for which policy, level and schedule."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from harness.sandbox.api import (
    Call,
    Reply,
    Route,
    includes,
    invalid,
    page_of,
    paginated,
    query_list,
    query_time,
)
from harness.sandbox.escalation_policies import render_policy
from harness.sandbox.render import Json, zone_stamp
from harness.sandbox.rotation import OnCall, oncalls
from harness.sandbox.schedules import render_schedule
from harness.sandbox.users import render_user

INCLUDES = ("escalation_policies", "users", "schedules")


def list_oncalls(call: Call) -> Reply:
    """List the on-calls at `since` (default: now), filtered by user, policy and schedule ids."""
    include = includes(call)
    if not include <= set(INCLUDES):
        raise invalid(f"include[] must be among {', '.join(INCLUDES)}.")
    zone = call.request.args.get("time_zone", call.account.time_zone)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(f"Time zone {zone[:60]!r} is not a known time zone.") from None
    filters = {
        name: set(query_list(call, name)) for name in ("user_ids", "escalation_policy_ids", "schedule_ids")
    }
    page = page_of(call)
    with call.account.lock:
        moment = query_time(call, "since") or call.account.now()
        found = [
            o
            for o in oncalls(call.account, moment)
            if (not filters["user_ids"] or o.user_id in filters["user_ids"])
            and (
                not filters["escalation_policy_ids"]
                or o.escalation_policy_id in filters["escalation_policy_ids"]
            )
            and (not filters["schedule_ids"] or o.schedule_id in filters["schedule_ids"])
        ]
        return Reply(200, paginated("oncalls", found, page, lambda o: _render(call, o, include, zone)))


def _render(call: Call, oncall: OnCall, include: frozenset[str], zone: str) -> Json:
    account, refs = call.account, call.refs
    user = account.users[oncall.user_id]
    policy = account.escalation_policies[oncall.escalation_policy_id]
    schedule = account.schedules[oncall.schedule_id]
    return {
        "escalation_policy": render_policy(call, policy)
        if "escalation_policies" in include
        else refs.escalation_policy(policy.id),
        "escalation_level": oncall.escalation_level,
        "schedule": render_schedule(call, schedule) if "schedules" in include else refs.schedule(schedule.id),
        "user": render_user(call, user, frozenset()) if "users" in include else refs.user(user.id),
        "start": zone_stamp(zone, oncall.start),
        "end": None if oncall.end is None else zone_stamp(zone, oncall.end),
    }


ROUTES = (Route("/oncalls", "GET", list_oncalls),)
