"""The ledger of resources a run created, and the cleanup that deletes them in dependency order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import requests

from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.client import Client

# Services hold escalation policies, which hold users; incidents hold users until resolved.
ORDER = ("service", "escalation_policy", "user")
PATHS = {"service": "/services", "escalation_policy": "/escalation_policies", "user": "/users"}


@dataclass
class Ledger:
    """Every resource the run holds, written the moment it is created and struck when deleted."""

    entries: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in ORDER})

    def add(self, kind: str, resource_id: str) -> None:
        if resource_id not in self.entries[kind]:
            self.entries[kind].append(resource_id)

    def strike(self, kind: str, resource_id: str) -> None:
        if resource_id in self.entries[kind]:
            self.entries[kind].remove(resource_id)

    def __bool__(self) -> bool:
        return any(self.entries.values())

    def describe(self) -> list[str]:
        return [f"{kind} {rid}" for kind in ORDER for rid in self.entries[kind]]


def cleanup(pd: Client, ledger: Ledger) -> list[str]:
    """Delete everything in the ledger, service first; return what could not be deleted.

    Creates that never got a clear answer are undone first, by their `recover`: what they made is
    in no ledger, and may hold what the ledger's resources need (a service holds its policy).
    Every failure is caught and reported rather than raised: one stubborn resource must not keep
    the others alive in the account.
    """
    with pd.tape.off_the_record():
        for line, recover in list(pd.tape.unsettled.items()):
            if _quietly(partial(_undo, recover)):
                del pd.tape.unsettled[line]
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


def _undo(recover: Callable[[], None]) -> bool:
    recover()
    return True


def _delete(pd: Client, kind: str, resource_id: str) -> bool:
    status = pd.delete(f"{PATHS[kind]}/{resource_id}").status_code
    return status in (204, 404)


def _resolve_open(pd: Client, scope: dict[str, str]) -> bool:
    params = {**scope, "statuses[]": ["triggered", "acknowledged"], "limit": 100, "date_range": "all"}
    incidents = pd.get("/incidents", params=params).json().get("incidents", [])
    if not incidents:
        return True
    body = {"incidents": [{"id": i["id"], "type": "incident_reference", "status": "resolved"}
                          for i in incidents]}
    return pd.put("/incidents", body).ok


def _quietly(action: Callable[[], bool]) -> bool:
    try:
        return action()
    except (requests.RequestException, ValueError, AttributeError, KeyError, HarnessError):
        return False
