"""The ledger of resources a run created, and the cleanup that deletes them in dependency order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import requests

from harness.errors import HarnessError, StepFailed

if TYPE_CHECKING:
    from harness.client import Client

# Services hold escalation policies, which hold schedules and users; schedules hold users; teams
# hold users, and incidents hold users until resolved.  Cleanup deletes in this order.
ORDER = ("service", "escalation_policy", "schedule", "team", "user")
PATHS = {
    "service": "/services",
    "escalation_policy": "/escalation_policies",
    "schedule": "/schedules",
    "team": "/teams",
    "user": "/users",
}
Undo = Callable[[], object]


@dataclass
class Ledger:
    """Every resource the run holds, written the moment it is created and struck when deleted.

    `add(kind, id)` takes the kinds in `ORDER`; anything else is registered with
    `add_cleanup(what, undo)`, a callable that deletes it (a `requests.Response` it returns must
    be a success or a 404).  Callables run first, the latest registered first, then the kinds in
    `ORDER`.  `added` keeps every id ever added, struck or not: they are the run's own.
    """

    entries: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in ORDER})
    cleanups: dict[str, Undo] = field(default_factory=dict)
    added: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in ORDER})

    def add(self, kind: str, resource_id: str) -> None:
        if kind not in self.entries:
            raise StepFailed(
                f"run.ledger.add: unknown kind {kind!r} (known: {', '.join(ORDER)})",
                hint="register its cleanup as a callable: run.ledger.add_cleanup(what, undo)",
            )
        if resource_id not in self.entries[kind]:
            self.entries[kind].append(resource_id)
        if resource_id not in self.added[kind]:
            self.added[kind].append(resource_id)

    def add_cleanup(self, what: str, undo: Undo) -> None:
        """Register `undo` to run if the run stops before `strike_cleanup(what)` is called."""
        self.cleanups[what] = undo

    def strike(self, kind: str, resource_id: str) -> None:
        if resource_id in self.entries.get(kind, []):
            self.entries[kind].remove(resource_id)

    def strike_cleanup(self, what: str) -> None:
        self.cleanups.pop(what, None)

    def __bool__(self) -> bool:
        return bool(self.cleanups) or any(self.entries.values())

    def describe(self) -> list[str]:
        return [*reversed(self.cleanups), *(f"{kind} {rid}" for kind in ORDER for rid in self.entries[kind])]


def cleanup(pd: Client, ledger: Ledger) -> list[str]:
    """Delete everything in the ledger, service first; return what could not be deleted.

    Creates that never got a clear answer are undone first, by their `recover`: what they made is
    in no ledger, and may hold what the ledger's resources need (a service holds its policy).
    Then the registered callables, latest first, then the kinds in `ORDER`.
    Every failure is caught and reported rather than raised: one stubborn resource must not keep
    the others alive in the account.
    """
    with pd.tape.off_the_record():
        for line, recover in list(pd.tape.unsettled.items()):
            if _quietly(partial(_undo, recover)):
                del pd.tape.unsettled[line]
        for what, undo in reversed(list(ledger.cleanups.items())):
            if _scenario_undo(undo):
                ledger.strike_cleanup(what)
        for service_id in list(ledger.entries["service"]):
            _quietly(partial(_resolve_open, pd, {"service_ids[]": service_id}))
        for kind in ORDER:
            if kind == "user":
                for user_id in list(ledger.entries["user"]):
                    _quietly(partial(_resolve_open, pd, {"user_ids[]": user_id}))
            for resource_id in list(ledger.entries[kind]):
                if _quietly(partial(_delete, pd, kind, resource_id)):
                    ledger.strike(kind, resource_id)
    return ledger.describe()


def _undo(undo: Undo) -> bool:
    outcome = undo()
    if isinstance(outcome, requests.Response):
        return outcome.ok or outcome.status_code == 404
    return True


def _delete(pd: Client, kind: str, resource_id: str) -> bool:
    status = pd.delete(f"{PATHS[kind]}/{resource_id}").status_code
    return status in (204, 404)


def _resolve_open(pd: Client, scope: dict[str, str]) -> bool:
    params = {**scope, "statuses[]": ["triggered", "acknowledged"], "limit": 100, "date_range": "all"}
    incidents = pd.get("/incidents", params=params).json().get("incidents", [])
    if not incidents:
        return True
    body = {
        "incidents": [{"id": i["id"], "type": "incident_reference", "status": "resolved"} for i in incidents]
    }
    return pd.put("/incidents", body).ok


def _scenario_undo(undo: Undo) -> bool:
    """Run a cleanup callable a scenario registered; whatever it raises, the rest still runs."""
    try:
        return _undo(undo)
    except Exception:  # a scenario's own code: any failure only means "not deleted", named after
        return False


def _quietly(action: Callable[[], bool]) -> bool:
    try:
        return action()
    except (requests.RequestException, ValueError, AttributeError, KeyError, HarnessError):
        return False
