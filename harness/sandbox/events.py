"""Events API v2 (`POST /v2/enqueue`): validate now, act `incident_delay` seconds later.

PagerDuty processes events asynchronously, so a client that lists incidents right after a
202 may not see them yet; the worker thread reproduces that delay.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.sandbox import lifecycle, transitions
from harness.sandbox.records import Actor, Integration
from harness.sandbox.render import Json, present
from harness.sandbox.services import EVENTS_INTEGRATIONS
from harness.sandbox.state import Account

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
ROUTING_KEY_LENGTH = 32
MAX_DEDUP_KEY = 255
UNRECOGNIZED: Json = {
    "status": "Unrecognized object",
    "message": "Event object format is unrecognized",
    "errors": ["JSON parse error"],
}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """A valid event, waiting for the worker."""

    routing_key: str
    action: str
    dedup_key: str
    payload: Mapping[str, Any]
    client: str | None
    client_url: str | None


def enqueue(body: bytes, *, account: Account, worker: EventWorker) -> tuple[int, Json]:
    """Validate an event body and queue it; return the status and JSON body to answer with."""
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return 400, UNRECOGNIZED
    if not isinstance(raw, dict):
        return 400, UNRECOGNIZED
    errors = _problems(raw)
    if not errors:
        with account.lock:
            if _integration(account, raw["routing_key"]) is None:
                errors = ["Invalid routing key"]
    if errors:
        return 400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
    event = Event(
        routing_key=raw["routing_key"],
        action=raw["event_action"],
        dedup_key=raw.get("dedup_key") or uuid.uuid4().hex,
        payload=raw.get("payload") or {},
        client=raw.get("client"),
        client_url=raw.get("client_url"),
    )
    worker.submit(event)
    return 202, {"status": "success", "message": "Event processed", "dedup_key": event.dedup_key}


def _problems(raw: dict[str, Any]) -> list[str]:
    """Return every reason the event is invalid, worded as the Events API words them."""
    errors = []
    key = raw.get("routing_key")
    if not isinstance(key, str) or not key:
        errors.append("'routing_key' is missing or blank")
    else:
        if len(key) != ROUTING_KEY_LENGTH:
            errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
        if not key.isascii() or not key.isalnum():
            errors.append("'routing_key' cannot contain non-alphanumeric characters.")
    action = raw.get("event_action")
    if action not in ACTIONS:
        errors.append(
            "'event_action' is missing or blank"
            if not action
            else "'event_action' is invalid (must be one of the following: "
            "'trigger', 'acknowledge' or 'resolve')"
        )
    dedup_key = raw.get("dedup_key")
    if dedup_key is not None and (not isinstance(dedup_key, str) or len(dedup_key) > MAX_DEDUP_KEY):
        errors.append(f"'dedup_key' must be a string of at most {MAX_DEDUP_KEY} characters")
    if action in ("acknowledge", "resolve") and not dedup_key:
        errors.append("'dedup_key' is missing or blank")
    if action == "trigger":
        errors.extend(_payload_problems(raw.get("payload")))
    return errors


def _payload_problems(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["'payload' is missing or blank"]
    errors = [
        f"'payload.{name}' is missing or blank"
        for name in ("summary", "source", "severity")
        if not isinstance(payload.get(name), str) or not payload[name].strip()
    ]
    severity = payload.get("severity")
    if isinstance(severity, str) and severity.strip() and severity not in SEVERITIES:
        errors.append(
            "'payload.severity' is invalid (must be one of the following: "
            "'critical', 'warning', 'error' or 'info')"
        )
    return errors


def _integration(account: Account, routing_key: str) -> Integration | None:
    return next(
        (
            i
            for i in account.integrations.values()
            if i.integration_key == routing_key and i.type in EVENTS_INTEGRATIONS
        ),
        None,
    )


def process(account: Account, event: Event) -> None:
    """Apply an event: open or deduplicate an incident, or acknowledge/resolve by dedup key."""
    with account.lock:
        integration = _integration(account, event.routing_key)
        if integration is None:  # the service was deleted while the event waited
            return
        alert = lifecycle.find_open_alert(
            account, service_id=integration.service_id, alert_key=event.dedup_key
        )
        if event.action == "trigger" and alert is None:
            lifecycle.open_incident(
                account,
                integration=integration,
                alert_key=event.dedup_key,
                payload=event.payload,
                channel_details=_channel_details(event),
            )
        elif event.action != "trigger" and alert is not None:
            incident = account.incidents[alert.incident_id]
            actor = Actor("service", integration.service_id)
            if event.action == "resolve":
                transitions.resolve(account, incident, actor=actor)
            elif incident.status == "triggered":
                transitions.acknowledge(account, incident, actor=actor)


def _channel_details(event: Event) -> Json:
    """Return the raw event details PagerDuty shows on the trigger entry with include[]=channels."""
    return {
        "description": str(event.payload["summary"]),
        "incident_key": event.dedup_key,
        "details": dict(event.payload.get("custom_details") or {}),
        **present(client=event.client, client_url=event.client_url),
    }


class EventWorker:
    """One thread that applies queued events in arrival order, each `delay` seconds after it came."""

    def __init__(self, *, account: Account, delay: float, stopping: threading.Event) -> None:
        self._account = account
        self._delay = delay
        self._stopping = stopping
        self._queue: queue.SimpleQueue[tuple[float, Event] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sandbox-events", daemon=True)

    def start(self) -> None:
        """Start the worker thread."""
        self._thread.start()

    def submit(self, event: Event) -> None:
        """Queue an event to be applied after the delay."""
        self._queue.put((time.monotonic() + self._delay, event))

    def stop(self) -> None:
        """Stop the worker, dropping events not yet due, and wait for it to finish."""
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            due, event = item
            if self._stopping.wait(max(0.0, due - time.monotonic())):
                return
            try:
                process(self._account, event)
            except Exception:  # a bad event must not stop the worker
                log.exception("The sandbox could not apply an event")
