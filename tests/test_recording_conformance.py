"""The recordings checked against PagerDuty's OpenAPI documents: the accepted one and a fresh one."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

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
    """The whole scenario recorded once, in this test run, against a fresh sandbox."""
    out = tmp_path_factory.mktemp("fresh") / "rec"
    with Sandbox(incident_delay=0.02) as sb:
        record_scenario(settings=build_settings(
            region="us", api_url=sb.api_url, events_url=sb.events_url, out=out, poll_timeout=10,
            subdomain=sb.subdomain, token=sb.token, from_email=sb.owner_email))
    return load_recording(out)


def _base_url(recording: Recording, uri: str) -> str:
    """The manifest's Events URL for calls to its /v2 paths, its API URL for everything else."""
    events = recording.manifest.events_url.rstrip("/")
    return events if uri.startswith(f"{events}/v2/") else recording.manifest.api_url


def _step_problems(recording: Recording, slug: str) -> list[str]:
    """Each problem of one step's interactions, prefixed by the interaction's number in it."""
    return [f"#{number} {problem}"
            for number, interaction in enumerate(recording.step(slug).interactions, start=1)
            for problem in specs.validate_interaction(
                interaction, base_url=_base_url(recording, str(interaction["request"]["uri"])))]


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


@pytest.mark.parametrize(("slug", "number", "change", "problem"), [
    ("get-incident", 2, _open_incident,
     "response body /incident/status: 'open' is not one of ['triggered', 'acknowledged', 'resolved']"),
    ("acknowledge-incident", 1, _without_from, "request header From: required but missing"),
    ("create-service", 1, _created_as_ok,
     "response status: 200 is not documented (only 201, 400, 401, 402, 403)"),
], ids=["response-value", "request-header", "response-status"])
def test_check_finds_one_changed_interaction_in_a_recording(
    tmp_path: Path, slug: str, number: int, change: Callable[[Interaction], None], problem: str,
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
