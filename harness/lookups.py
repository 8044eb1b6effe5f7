"""What the steps look up and compute between calls, so `scenario.py` holds only the cells."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from harness.client import Client, expect_success
from harness.errors import AnswerLacksField
from harness.steps import Run


def dig(body: Any, *path: str | int, what: str) -> Any:
    """The value at `path` in an answer's JSON, or `AnswerLacksField` naming what is missing.

    Only a missing key, index or container means "the answer lacks it"; any other error in a step
    is a bug in the scenario and stays a traceback.
    """
    value = body
    for depth, key in enumerate(path):
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            lacking = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path[: depth + 1])
            raise AnswerLacksField(
                f"{what}: PagerDuty's answer lacks {lacking.lstrip('.')}",
                hint="the API may have changed: compare with `harness drift`",
            ) from None
    return value


def incident_in(body: Any, *path: str | int, what: str) -> dict[str, Any]:
    """An incident from an answer, with the fields later steps read from it checked once here."""
    incident: dict[str, Any] = dig(body, *path, what=what)
    for name in ("id", "incident_number", "created_at"):
        dig(incident, name, what=what)
    return incident


def named(pd: Client, path: str, key: str, name: str) -> list[dict[str, Any]]:
    """Objects whose name is exactly `name`: PagerDuty's `query` also matches substrings."""
    found = expect_success(pd.get(path, params={"query": name, "limit": 100}), f"GET {path}")
    return [item for item in found.get(key, []) if item.get("name") == name]


def delete_named(pd: Client, run: Run | None, path: str, key: str, name: str) -> None:
    """Delete every object named exactly `name`; a run notes each one as a swept leftover."""
    for item in named(pd, path, key, name):
        item_id = dig(item, "id", what=f"GET {path}")
        expect_success(pd.delete(f"{path}/{item_id}"), f"delete leftover {item_id}")
        if run is not None:
            run.swept.append(f"{item.get('type', key)} {item_id}")


def triggered_incident(pd: Client, service_id: str) -> dict[str, Any] | None:
    """The oldest triggered incident on the service, if PagerDuty has made one yet."""
    params = {"service_ids[]": service_id, "statuses[]": "triggered"}
    found = expect_success(pd.get("/incidents", params=params), "GET /incidents")
    incidents = [
        incident_in(found, "incidents", n, what="GET /incidents")
        for n in range(len(found.get("incidents", [])))
    ]
    return min(incidents, key=lambda i: i["incident_number"]) if incidents else None


def report_window(first: dict[str, Any], last: dict[str, Any]) -> tuple[str, str]:
    """From the minute the first incident was created to the minute after the last was resolved.

    PagerDuty's timestamps have one-second precision and `until` is exclusive, so the notebook's
    exact created..last-change range can be empty; whole minutes keep both incidents inside it.
    """
    since = parse_stamp(first["created_at"]).replace(second=0)
    until = parse_stamp(last.get("last_status_change_at") or last["created_at"]).replace(second=0)
    return format_stamp(since), format_stamp(until + timedelta(minutes=1))


def parse_stamp(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)


def format_stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
