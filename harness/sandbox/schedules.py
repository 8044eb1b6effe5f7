"""`/schedules`: list, create, show and delete on-call schedules (refused while a policy uses one)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from harness.sandbox.api import Call, Reply, Route, invalid, lookup, page_by_name, parse_time
from harness.sandbox.body import int_field, new_resource, optional_text, required_text
from harness.sandbox.records import Schedule, ScheduleLayer
from harness.sandbox.render import Json, present, zone_stamp
from harness.sandbox.rotation import next_shift, policies_using
from harness.sandbox.state import Account

USER_TYPES = ("user", "user_reference")


def list_schedules(call: Call) -> Reply:
    """List schedules whose name contains `query`, ordered by name."""
    needle = call.request.args.get("query", "").lower()
    with call.account.lock:
        schedules = (s for s in call.account.schedules.values() if needle in s.name.lower())
        return page_by_name(call, "schedules", schedules, lambda s: render_schedule(call, s), sortable=False)


def create_schedule(call: Call) -> Reply:
    """Create a schedule from its layers; every user on them must exist."""
    data = new_resource(call, "schedule")
    name = required_text(data, "name")
    time_zone = required_text(data, "time_zone")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(f"Time zone {time_zone[:60]!r} is not a known time zone.") from None
    raw_layers = data.get("schedule_layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        raise invalid("Schedule layers must be a non-empty list.")
    account = call.account
    with account.lock:
        layers = tuple(_layer(account, raw, number) for number, raw in enumerate(raw_layers, 1))
        schedule = Schedule(
            id=account.new_id(),
            name=name,
            time_zone=time_zone,
            description=optional_text(data, "description"),
            layers=layers,
            created_at=account.now(),
        )
        account.schedules[schedule.id] = schedule
        account.names[schedule.id] = name
        body = {"schedule": render_schedule(call, schedule, full=True)}
    return Reply(201, body)


def _layer(account: Account, raw: Any, number: int) -> ScheduleLayer:
    if not isinstance(raw, dict):
        raise invalid("Each schedule layer must be an object.")
    turn = int_field(raw, "rotation_turn_length_seconds", None)
    if turn is None or turn < 1:
        raise invalid("Rotation turn length seconds must be a positive integer.")
    users = raw.get("users")
    if not isinstance(users, list) or not users:
        raise invalid("Schedule layer users must be a non-empty list.")
    user_ids = []
    for entry in users:
        user = entry.get("user") if isinstance(entry, dict) else None
        if (
            not isinstance(user, dict)
            or user.get("type") not in USER_TYPES
            or not isinstance(user.get("id"), str)
        ):
            raise invalid('Schedule layer users must be {"user": user references}.')
        if user["id"] not in account.users:
            raise invalid(f"Schedule layer user {user['id']} was not found.")
        user_ids.append(user["id"])
    restrictions = raw.get("restrictions", [])
    if not isinstance(restrictions, list) or not all(isinstance(r, dict) for r in restrictions):
        raise invalid("Restrictions must be a list of objects.")
    end = optional_text(raw, "end")
    return ScheduleLayer(
        id=account.new_id(),
        name=optional_text(raw, "name") or f"Layer {number}",
        start=parse_time(required_text(raw, "start"), "start"),
        end=None if end is None else parse_time(end, "end"),
        rotation_virtual_start=parse_time(
            required_text(raw, "rotation_virtual_start"), "rotation_virtual_start"
        ),
        rotation_turn_length_seconds=turn,
        user_ids=tuple(user_ids),
        restrictions=tuple(restrictions),
    )


def get_schedule(call: Call) -> Reply:
    """Show one schedule with its layers; `include_next_oncall_for_user` adds that user's next turn."""
    user_id = call.request.args.get("include_next_oncall_for_user")
    with call.account.lock:
        schedule = _find(call)
        body = render_schedule(call, schedule, full=True)
        shift = None if user_id is None else next_shift(schedule, user_id, call.account.now())
        if shift is not None:
            body["next_oncall_for_user"] = {
                "start": zone_stamp(schedule.time_zone, shift.start),
                **present(end=None if shift.end is None else zone_stamp(schedule.time_zone, shift.end)),
                "user": call.refs.user(shift.user_id),
            }
        return Reply(200, {"schedule": body})


def delete_schedule(call: Call) -> Reply:
    """Delete a schedule; PagerDuty refuses while an escalation policy targets it."""
    account = call.account
    with account.lock:
        schedule = _find(call)
        if policies_using(account, schedule.id):
            raise invalid("Schedule can't be deleted while escalation policies use it.")
        del account.schedules[schedule.id]
    return Reply(204, None)


def _find(call: Call) -> Schedule:
    return lookup(call.account.schedules, call.args["id"], "Schedule Not Found", 2100)


def render_schedule(call: Call, schedule: Schedule, *, full: bool = False) -> Json:
    """Render a schedule; shown alone (`full`) it has its layers and sub-schedules too."""
    account, refs = call.account, call.refs
    users = list(dict.fromkeys(u for layer in schedule.layers for u in layer.user_ids))
    body: Json = {
        "id": schedule.id,
        "type": "schedule",
        "summary": schedule.name,
        "self": f"{call.api_url}/schedules/{schedule.id}",
        "html_url": f"{call.web_url}/schedules/{schedule.id}",
        "name": schedule.name,
        "time_zone": schedule.time_zone,
        **present(description=schedule.description),
        "escalation_policies": [refs.escalation_policy(p) for p in policies_using(account, schedule.id)],
        "users": [refs.user(u) for u in users],
    }
    if full:
        body |= {
            "teams": refs.teams(schedule.team_ids),
            "schedule_layers": [_render_layer(call, schedule, layer) for layer in schedule.layers],
            "overrides_subschedule": {"name": "Overrides", "rendered_schedule_entries": []},
            "final_schedule": {"name": "Final Schedule", "rendered_schedule_entries": []},
        }
    return body


def _render_layer(call: Call, schedule: Schedule, layer: ScheduleLayer) -> Json:
    zone = schedule.time_zone
    return {
        "name": layer.name,
        "rendered_schedule_entries": [],
        "id": layer.id,
        "start": zone_stamp(zone, layer.start),
        **present(end=None if layer.end is None else zone_stamp(zone, layer.end)),
        "rotation_virtual_start": zone_stamp(zone, layer.rotation_virtual_start),
        "rotation_turn_length_seconds": layer.rotation_turn_length_seconds,
        "users": [{"user": call.refs.user(u)} for u in layer.user_ids],
        "restrictions": [dict(r) for r in layer.restrictions],
    }


ROUTES = (
    Route("/schedules", "GET", list_schedules),
    Route("/schedules", "POST", create_schedule),
    Route("/schedules/<id>", "GET", get_schedule),
    Route("/schedules/<id>", "DELETE", delete_schedule),
)
