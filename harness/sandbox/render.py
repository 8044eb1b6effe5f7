"""Timestamps, URLs and the `*_reference` objects every PagerDuty body is built from."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from harness.sandbox.records import Actor, LogEntry
from harness.sandbox.state import Account

Json = dict[str, Any]


def iso(moment: datetime | None) -> str | None:
    """Format a UTC time as PagerDuty does: ISO 8601, second precision, `Z`."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(moment: datetime) -> str:
    """Format a UTC time that is never missing."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def local_stamp(account: Account, moment: datetime) -> str:
    """Format a time in the account's own offset, as live notes, services and policies are: -04:00."""
    return moment.astimezone(_zone(account.time_zone)).isoformat(timespec="seconds")


def zone_stamp(zone: str, moment: datetime) -> str:
    """Format a time in a named zone's offset, as schedules and on-calls show them: -05:00."""
    return moment.astimezone(_zone(zone)).isoformat(timespec="seconds")


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def present(**fields: Any) -> Json:
    """Return the fields that have a value; PagerDuty leaves unset optional fields out."""
    return {name: value for name, value in fields.items() if value is not None}


@dataclass(frozen=True)
class Urls:
    """The sandbox's API origin (for `self`) and the account's web origin (for `html_url`)."""

    api: str
    web: str

    @classmethod
    def for_sandbox(cls, *, api_url: str, subdomain: str) -> Urls:
        """Build the URLs of a sandbox listening at api_url for the given subdomain."""
        return cls(api=api_url, web=f"https://{subdomain}.pagerduty.com")


@dataclass(frozen=True)
class Refs:
    """Builds references to the account's objects, including ones deleted since."""

    account: Account
    urls: Urls

    def _ref(self, kind: str, id_: str, api_path: str, web_path: str | None) -> Json:
        return {
            "id": id_,
            "type": f"{kind}_reference",
            "summary": self.account.names.get(id_, id_),
            "self": f"{self.urls.api}{api_path}",
            "html_url": None if web_path is None else f"{self.urls.web}{web_path}",
        }

    def user(self, user_id: str) -> Json:
        """Reference a user."""
        return self._ref("user", user_id, f"/users/{user_id}", f"/users/{user_id}")

    def service(self, service_id: str) -> Json:
        """Reference a service; its web page lives in the service directory."""
        return self._ref("service", service_id, f"/services/{service_id}", f"/service-directory/{service_id}")

    def escalation_policy(self, policy_id: str) -> Json:
        """Reference an escalation policy."""
        path = f"/escalation_policies/{policy_id}"
        return self._ref("escalation_policy", policy_id, path, path)

    def incident(self, incident_id: str) -> Json:
        """Reference an incident; its summary is "[#N] title"."""
        path = f"/incidents/{incident_id}"
        return self._ref("incident", incident_id, path, path)

    def integration(self, integration_id: str, *, service_id: str, kind: str) -> Json:
        """Reference an integration by its own type, e.g. events_api_v2_inbound_integration."""
        path = f"/services/{service_id}/integrations/{integration_id}"
        return self._ref(kind, integration_id, path, path)

    def team(self, team_id: str) -> Json:
        """Reference a team."""
        path = f"/teams/{team_id}"
        return self._ref("team", team_id, path, path)

    def schedule(self, schedule_id: str) -> Json:
        """Reference a schedule."""
        path = f"/schedules/{schedule_id}"
        return self._ref("schedule", schedule_id, path, path)

    def teams(self, team_ids: tuple[str, ...]) -> list[Json]:
        """Reference each of these teams, in order."""
        return [self.team(t) for t in team_ids]

    def priority(self, priority_id: str) -> Json:
        """Reference a priority as the spec's incident examples do: no web page of its own."""
        return {
            "id": priority_id,
            "type": "priority_reference",
            "summary": self.account.names.get(priority_id, priority_id),
            "self": f"{self.urls.api}/priorities/{priority_id}",
        }

    def actor(self, actor: Actor) -> Json:
        """Reference whoever acted: a user, or a service through its integration."""
        return self.user(actor.id) if actor.kind == "user" else self.service(actor.id)

    def trigger_log_entry(self, entry_id: str, *, incident_id: str) -> Json:
        """Reference an incident's first trigger log entry."""
        return {
            "id": entry_id,
            "type": "trigger_log_entry_reference",
            "summary": self.account.names.get(entry_id, "Triggered through the API."),
            "self": log_entry_self(self.urls, entry_id),
            "html_url": f"{self.urls.web}/incidents/{incident_id}/log_entries/{entry_id}",
        }

    def log_entry_html_url(self, entry: LogEntry) -> str | None:
        """Only trigger log entries have a web page of their own."""
        if entry.type != "trigger_log_entry":
            return None
        return f"{self.urls.web}/incidents/{entry.incident_id}/log_entries/{entry.id}"


def log_entry_self(urls: Urls, entry_id: str) -> str:
    """Return a log entry's API URL; the live API adds no query (2017-2025 recordings)."""
    return f"{urls.api}/log_entries/{entry_id}"
