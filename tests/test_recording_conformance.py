"""The recordings checked against PagerDuty's OpenAPI documents: the accepted one and a fresh one."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from harness import specs
from harness.cassettes import Interaction, Recording, dump_cassette, load_recording
from harness.recorder import record_scenario
from harness.sandbox import Sandbox
from harness.scenario import scenario
from harness.settings import build_settings

pytestmark = pytest.mark.spec

ACCEPTED = Path(__file__).resolve().parent.parent / "cassettes"
SLUGS = [step.slug for step in scenario.steps]


@pytest.fixture(scope="module")
def accepted() -> Recording:
    """The accepted recording in cassettes/."""
    return load_recording(ACCEPTED)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """The whole scenario recorded once, in this test run, on a busy sandbox account at work."""
    out = tmp_path_factory.mktemp("fresh") / "rec"
    with Sandbox(incident_delay=0.02, account="busy", seed=8, activity_interval=0.05) as sb:
        record_scenario(
            settings=build_settings(
                region="us",
                api_url=sb.api_url,
                events_url=sb.events_url,
                out=out,
                poll_timeout=10,
                subdomain=sb.subdomain,
                token=sb.token,
                from_email=sb.owner_email,
            )
        )
    return load_recording(out)


def _base_url(recording: Recording, uri: str) -> str:
    """The manifest's Events URL for calls to its /v2 paths, its API URL for everything else."""
    events = recording.manifest.events_url.rstrip("/")
    return events if uri.startswith(f"{events}/v2/") else recording.manifest.api_url


def _step_problems(recording: Recording, slug: str) -> list[str]:
    """Each problem of one step's interactions, prefixed by the interaction's number in it."""
    return [
        f"#{number} {problem}"
        for number, interaction in enumerate(recording.step(slug).interactions, start=1)
        for problem in specs.validate_interaction(
            interaction, base_url=_base_url(recording, str(interaction["request"]["uri"]))
        )
    ]


@pytest.mark.parametrize("slug", SLUGS)
def test_accepted_recording_conforms(accepted: Recording, slug: str) -> None:
    """Every request and response of the step's accepted cassette passes the check."""
    assert accepted.step(slug).interactions
    assert _step_problems(accepted, slug) == []


@pytest.mark.parametrize("slug", SLUGS)
def test_fresh_sandbox_recording_conforms(fresh: Recording, slug: str) -> None:
    """Every request and response of the step in a recording made now passes the check."""
    assert fresh.step(slug).interactions
    assert _step_problems(fresh, slug) == []


def _open_incident(interaction: Interaction) -> None:
    body = json.loads(interaction["response"]["body"]["string"])
    body["incident"]["status"] = "open"
    interaction["response"]["body"]["string"] = json.dumps(body, indent=2)


def _without_from(interaction: Interaction) -> None:
    del interaction["request"]["headers"]["From"]


def _created_as_ok(interaction: Interaction) -> None:
    interaction["response"]["status"] = {"code": 200, "message": "OK"}


@pytest.mark.parametrize(
    ("slug", "number", "change", "problem"),
    [
        (
            "get-incident",
            2,
            _open_incident,
            "response body /incident/status: 'open' is not one of ['triggered', 'acknowledged', 'resolved']",
        ),
        ("acknowledge-incident", 1, _without_from, "request header From: required but missing"),
        (
            "create-service",
            1,
            _created_as_ok,
            "response status: 200 is not documented (only 201, 400, 401, 402, 403)",
        ),
    ],
    ids=["response-value", "request-header", "response-status"],
)
def test_check_finds_one_changed_interaction_in_a_recording(
    tmp_path: Path,
    slug: str,
    number: int,
    change: Callable[[Interaction], None],
    problem: str,
) -> None:
    """A copy of the accepted recording with one interaction changed fails there, and only there."""
    copy = tmp_path / "rec"
    shutil.copytree(ACCEPTED, copy)
    step = load_recording(copy).step(slug)
    change(step.interactions[number - 1])
    step.path.write_text(dump_cassette(step.interactions), encoding="utf-8")
    changed = load_recording(copy)
    found = {name: problems for name in SLUGS if (problems := _step_problems(changed, name))}
    assert found == {slug: [f"#{number} {problem}"]}


# ---------------------------------------------------------------------------------------------
# Account-wide reads of a busy account: every list the sandbox serves, over the whole history.

HEADERS = {"Accept": "application/vnd.pagerduty+json;version=2"}


@pytest.fixture(scope="module")
def busy_account() -> Iterator[tuple[Sandbox, requests.Session]]:
    """A busy account (no background activity, so pages stay put) and a session for it."""
    with Sandbox(seed=8, activity_interval=None) as sb, requests.Session() as session:
        session.headers.update({**HEADERS, "Authorization": f"Token token={sb.token}"})
        yield sb, session


def _pages(
    sb: Sandbox, session: requests.Session, path: str, params: dict[str, str]
) -> list[requests.Response]:
    """Every page (100 items) of an account-wide list."""
    pages: list[requests.Response] = []
    while not pages or pages[-1].json()["more"]:
        pages.append(
            session.get(
                f"{sb.api_url}{path}",
                timeout=10,
                params={**params, "limit": "100", "offset": str(100 * len(pages))},
            )
        )
    return pages


def _problems(path: str, answers: list[requests.Response]) -> list[str]:
    return [
        f"{answer.url}: {problem}"
        for answer in answers
        for problem in specs.validate_response(
            method="GET",
            path=path,
            status=answer.status_code,
            headers=dict(answer.headers),
            body=answer.content,
        )
    ]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


NOW = datetime.now(UTC)
ACCOUNT_WIDE = {
    "users": ("/users", {}),
    "escalation-policies": ("/escalation_policies", {}),
    "services": ("/services", {}),
    "incidents": ("/incidents", {"date_range": "all", "include[]": "conference_bridge"}),
    "incidents-last-month": ("/incidents", {}),
    "notifications-recent": (
        "/notifications",
        {"since": _stamp(NOW - timedelta(days=89)), "until": _stamp(NOW + timedelta(hours=1))},
    ),
    "notifications-older": (
        "/notifications",
        {"since": _stamp(NOW - timedelta(days=178)), "until": _stamp(NOW - timedelta(days=89))},
    ),
    "log-entries-last-month": ("/log_entries", {"include[]": "channels"}),
}


@pytest.mark.parametrize("name", list(ACCOUNT_WIDE))
def test_busy_account_wide_reads_conform(
    busy_account: tuple[Sandbox, requests.Session],
    name: str,
) -> None:
    """Every page of each account-wide list of a busy account passes the check."""
    sb, session = busy_account
    path, params = ACCOUNT_WIDE[name]
    pages = _pages(sb, session, path, params)
    assert pages[0].json()[path.strip("/")]
    assert _problems(path, pages) == []


def test_busy_log_entries_of_every_type_conform(busy_account: tuple[Sandbox, requests.Session]) -> None:
    """Over the whole history, the pages holding each log-entry type pass, listed and one by one."""
    sb, session = busy_account
    params = {"since": _stamp(NOW - timedelta(days=181)), "include[]": "channels"}
    pages = _pages(sb, session, "/log_entries", params)
    first_of_type: dict[str, tuple[int, str]] = {}
    for number, page in enumerate(pages):
        for entry in page.json()["log_entries"]:
            first_of_type.setdefault(entry["type"], (number, entry["id"]))
    assert len(first_of_type) == 18
    holding = sorted({number for number, _ in first_of_type.values()})
    assert _problems("/log_entries", [pages[n] for n in holding]) == []
    singles = {
        entry_id: session.get(
            f"{sb.api_url}/log_entries/{entry_id}", timeout=10, params={"include[]": "channels"}
        )
        for _, entry_id in first_of_type.values()
    }
    assert [
        p for entry_id, answer in singles.items() for p in _problems(f"/log_entries/{entry_id}", [answer])
    ] == []


def test_busy_incident_reads_conform(busy_account: tuple[Sandbox, requests.Session]) -> None:
    """Each open incident, its notes and its log entries, and a few resolved ones, pass the check."""
    sb, session = busy_account
    incidents: list[dict[str, Any]] = [
        i
        for page in _pages(sb, session, "/incidents", {"date_range": "all"})
        for i in page.json()["incidents"]
    ]
    chosen = [i for i in incidents if i["status"] != "resolved"] + incidents[:10]
    problems = []
    for incident in chosen:
        for suffix in ("", "/notes", "/log_entries"):
            path = f"/incidents/{incident['id']}{suffix}"
            problems += _problems(path, [session.get(f"{sb.api_url}{path}", timeout=10)])
    assert problems == []
