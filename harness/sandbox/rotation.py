"""Who is on call: a schedule's rotation at a moment, and the on-calls escalation policies give.

The model behind `/oncalls` and behind an incident's first assignees.  A layer's users take turns
of `rotation_turn_length_seconds` from `rotation_virtual_start` on, between the layer's `start`
and `end`; where several layers have someone, the last one listed wins, as PagerDuty's final
schedule does.  Restrictions are kept but not applied: every turn is whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from harness.sandbox.records import Schedule, ScheduleLayer
from harness.sandbox.state import Account

# How many turns `next_shift` looks through: a rotation of one-second turns must not hold the lock.
MAX_TURNS = 10_000


@dataclass(frozen=True)
class Shift:
    """One user's turn on call."""

    user_id: str
    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class OnCall:
    """A user on call for a policy's level, through one of its schedules."""

    user_id: str
    schedule_id: str
    escalation_policy_id: str
    escalation_level: int
    start: datetime
    end: datetime | None


def layer_shift(layer: ScheduleLayer, moment: datetime) -> Shift | None:
    """The turn a layer has at `moment`, if the layer runs then."""
    if not layer.user_ids or moment < layer.start or (layer.end is not None and moment >= layer.end):
        return None
    turn = timedelta(seconds=layer.rotation_turn_length_seconds)
    turns = (moment - layer.rotation_virtual_start) // turn  # floored: a virtual start may be later
    start = layer.rotation_virtual_start + turns * turn
    end = start + turn
    return Shift(
        user_id=layer.user_ids[turns % len(layer.user_ids)],
        start=max(start, layer.start),
        end=end if layer.end is None else min(end, layer.end),
    )


def on_call(schedule: Schedule, moment: datetime) -> Shift | None:
    """Who the schedule has on call at `moment`: the last layer that has someone."""
    for layer in reversed(schedule.layers):
        shift = layer_shift(layer, moment)
        if shift is not None:
            return shift
    return None


def next_shift(schedule: Schedule, user_id: str, moment: datetime) -> Shift | None:
    """The user's current or next turn on the schedule, within PagerDuty's 90 days ahead."""
    horizon = moment + timedelta(days=90)
    for _ in range(MAX_TURNS):
        shift = on_call(schedule, moment)
        if shift is None:
            later = [layer.start for layer in schedule.layers if layer.start > moment]
            if not later:
                return None
            moment = min(later)
        elif shift.user_id == user_id:
            return shift
        elif shift.end is None:
            return None
        else:
            moment = shift.end
        if moment >= horizon:
            return None
    return None


def oncalls(account: Account, moment: datetime) -> list[OnCall]:
    """Every on-call at `moment` that a policy's schedule gives, by policy and level; the caller locks."""
    found = []
    for policy in account.escalation_policies.values():
        for level, rule in enumerate(policy.rules, start=1):
            for schedule_id in rule.schedule_ids:
                schedule = account.schedules.get(schedule_id)
                shift = None if schedule is None else on_call(schedule, moment)
                if shift is not None and shift.user_id in account.users:
                    found.append(OnCall(shift.user_id, schedule_id, policy.id, level, shift.start, shift.end))
    return found


def rule_users(
    account: Account, user_ids: tuple[str, ...], schedule_ids: tuple[str, ...], moment: datetime
) -> tuple[str, ...]:
    """The users a rule reaches at `moment`: its user targets, then its schedules' on-call users."""
    reached = [u for u in user_ids if u in account.users]
    for schedule_id in schedule_ids:
        schedule = account.schedules.get(schedule_id)
        shift = None if schedule is None else on_call(schedule, moment)
        if shift is not None and shift.user_id in account.users and shift.user_id not in reached:
            reached.append(shift.user_id)
    return tuple(reached)


def policies_using(account: Account, schedule_id: str) -> list[str]:
    """The ids of the escalation policies that target the schedule; the caller locks."""
    return [
        p.id
        for p in account.escalation_policies.values()
        if any(schedule_id in r.schedule_ids for r in p.rules)
    ]
