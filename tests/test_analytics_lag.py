"""The analytics pipeline delay: reports see the account as it was `analytics_lag` ago."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from click.testing import CliRunner

from harness.cli import cli
from harness.errors import ConfigError
from harness.sandbox import Sandbox
from harness.sandbox.state import ANALYTICS_LAG

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class Clock:
    """The sandbox account's clock, moved by the test instead of by time passing."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class Pd:
    """A REST session on the sandbox as its owner."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Token token={sandbox.token}", "From": sandbox.owner_email}
        )

    def __call__(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        answer = self.session.request(
            method, self.sandbox.api_url + path, json=body, params=params, timeout=10
        )
        assert answer.status_code < 300, answer.text
        return answer.json()

    def report(self, service_id: str) -> list[Any]:
        """The incidents report, without buckets, over the day around START for one service."""
        body = self(
            "POST",
            "/analytics/metrics/incidents/all",
            {
                "filters": {
                    "created_at_start": "2026-06-01T00:00:00Z",
                    "created_at_end": "2026-06-02T00:00:00Z",
                    "service_ids": [service_id],
                }
            },
        )
        return [
            {k: row[k] for k in ("total_incident_count", "mean_seconds_to_resolve")} for row in body["data"]
        ]


def _incident_on_new_service(pd: Pd) -> tuple[str, str]:
    """Make a service, trigger one event on it and return the service and incident ids."""
    owner = pd("GET", "/users")["users"][0]["id"]
    policy = pd(
        "POST",
        "/escalation_policies",
        {
            "escalation_policy": {
                "type": "escalation_policy",
                "name": "Lag",
                "escalation_rules": [
                    {"escalation_delay_in_minutes": 5, "targets": [{"id": owner, "type": "user_reference"}]}
                ],
            }
        },
    )
    service = pd(
        "POST",
        "/services",
        {
            "service": {
                "type": "service",
                "name": "Lag",
                "escalation_policy": {
                    "id": policy["escalation_policy"]["id"],
                    "type": "escalation_policy_reference",
                },
            }
        },
    )["service"]
    key = pd(
        "POST",
        f"/services/{service['id']}/integrations",
        {"integration": {"type": "events_api_v2_inbound_integration"}},
    )["integration"]["integration_key"]
    requests.post(
        f"{pd.sandbox.events_url}/v2/enqueue",
        timeout=10,
        json={
            "routing_key": key,
            "event_action": "trigger",
            "payload": {"summary": "Lagging", "source": "test", "severity": "error"},
        },
    )
    deadline = time.monotonic() + 10
    while not (found := pd("GET", "/incidents", **{"service_ids[]": service["id"]})["incidents"]):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return service["id"], found[0]["id"]


@pytest.fixture
def clocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Pd, Clock]]:
    """A sandbox with a ten-minute analytics lag, on a clock the test moves."""
    with Sandbox(analytics_lag=600, incident_delay=0) as sandbox:
        clock = Clock()
        monkeypatch.setattr(sandbox.account, "now", clock)
        yield Pd(sandbox), clock


def test_report_shows_incidents_only_after_the_lag(clocked: tuple[Pd, Clock]) -> None:
    """An incident enters reports once it is older than the lag; its resolution, once that is."""
    pd, clock = clocked
    service_id, incident_id = _incident_on_new_service(pd)
    clock.now = START + timedelta(minutes=5)
    pd("PUT", f"/incidents/{incident_id}", {"incident": {"type": "incident_reference", "status": "resolved"}})
    clock.now = START + timedelta(minutes=10) - timedelta(seconds=1)
    assert pd.report(service_id) == [{"total_incident_count": 0, "mean_seconds_to_resolve": None}]
    clock.now = START + timedelta(minutes=10)
    assert pd.report(service_id) == [{"total_incident_count": 1, "mean_seconds_to_resolve": None}]
    clock.now = START + timedelta(minutes=15)
    assert pd.report(service_id) == [{"total_incident_count": 1, "mean_seconds_to_resolve": 300}]


def test_zero_lag_answers_at_once() -> None:
    """With analytics_lag=0 a report counts an incident created a moment earlier."""
    with Sandbox(analytics_lag=0, incident_delay=0) as sandbox:
        pd = Pd(sandbox)
        service_id, _ = _incident_on_new_service(pd)
        body = pd(
            "POST",
            "/analytics/metrics/incidents/all",
            {
                "filters": {
                    "created_at_start": _stamp(-3600),
                    "created_at_end": _stamp(3600),
                    "service_ids": [service_id],
                }
            },
        )
        assert [row["total_incident_count"] for row in body["data"]] == [1]


def test_default_lag_is_an_hour_and_fresh_incidents_stay_out() -> None:
    """By default reports lag an hour behind, so one over fresh incidents counts none."""
    assert ANALYTICS_LAG.total_seconds() == 3600
    with Sandbox(incident_delay=0) as sandbox:
        assert sandbox.account.analytics_lag == timedelta(hours=1)
        pd = Pd(sandbox)
        service_id, _ = _incident_on_new_service(pd)
        body = pd(
            "POST",
            "/analytics/metrics/incidents/all",
            {
                "filters": {
                    "created_at_start": _stamp(-3600),
                    "created_at_end": _stamp(3600),
                    "service_ids": [service_id],
                },
                "aggregate_unit": "day",
            },
        )
        assert body["data"] == []


@pytest.mark.parametrize("lag", [-1.0, float("nan"), float("inf"), 366 * 24 * 3600 + 1.0])
def test_impossible_lag_is_refused(lag: float) -> None:
    """A negative, endless, NaN or over-a-year lag is refused before anything starts."""
    with pytest.raises(ConfigError) as raised:
        Sandbox(analytics_lag=lag)
    assert str(raised.value) == "The analytics lag must be from 0 seconds to a year."
    assert raised.value.hint == "Use 0 for reports at once, or leave it out for the realistic hour."


def test_sandbox_recording_has_the_empty_report_live_gives(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`harness record --sandbox` uses the realistic lag: the report over its incidents is empty."""
    monkeypatch.chdir(tmp_path)  # no accepted recording here to compare with
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the run's ca.pem goes there
    out = tmp_path / "recording"
    result = CliRunner().invoke(cli, ["record", "--sandbox", "--out", str(out)])
    assert result.exit_code == 0, result.output
    cassette = yaml.safe_load((out / "23-incidents-per-time-report.yaml").read_text())
    [interaction] = cassette["interactions"]
    assert json.loads(interaction["response"]["body"]["string"])["data"] == []


def _stamp(offset_seconds: int) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
