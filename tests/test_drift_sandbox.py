"""Drift on real sandbox recordings: unchanged API means zero changes; each kind of change shows once."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from harness.cassettes import load_recording
from harness.cli import cli
from harness.drift import compute_drift
from harness.recorder import record_scenario
from harness.sandbox import Sandbox
from harness.settings import build_settings


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two recordings made one after the other against the same sandbox account."""
    base = tmp_path_factory.mktemp("drift")
    with Sandbox(incident_delay=0.02) as sb:
        for name in ("first", "second"):
            settings = build_settings(subdomain=sb.subdomain, token=sb.token, from_email=sb.owner_email,
                                      region="us", api_url=sb.api_url, events_url=sb.events_url,
                                      out=base / name, poll_timeout=10)
            record_scenario(settings=settings)
    return base / "first", base / "second"


def test_two_recordings_of_the_unchanged_sandbox_show_zero_changes(two_runs: tuple[Path, Path]) -> None:
    """The account's history grows between the runs, yet nothing is reported."""
    first, second = two_runs
    report = compute_drift(baseline=load_recording(first), candidate=load_recording(second))
    assert report.changes == ()
    assert report.summary == {"breaking": 0, "warning": 0, "info": 0}


def _edit(step_file: str, edit: Callable[[list[dict[str, Any]]], None]) -> Callable[[Path], None]:
    """A change to one cassette of a recording directory, applied to its interactions list."""
    def apply(directory: Path) -> None:
        path = directory / step_file
        data = yaml.safe_load(path.read_text())
        edit(data["interactions"])
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return apply


def _response_edit(
    step_file: str, index: int, edit: Callable[[dict[str, Any]], None],
) -> Callable[[Path], None]:
    return _edit(step_file, lambda interactions: edit(interactions[index]["response"]))


def _body_edit(
    step_file: str, index: int, edit: Callable[[dict[str, Any]], None],
) -> Callable[[Path], None]:
    def rewrite(response: dict[str, Any]) -> None:
        body = json.loads(response["body"]["string"])
        edit(body)
        response["body"]["string"] = json.dumps(body, indent=2)
    return _response_edit(step_file, index, rewrite)


def _each_incident(edit: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda body: [edit(incident) for incident in body["incidents"]]


def _set_content_type(response: dict[str, Any]) -> None:
    response["headers"]["Content-Type"] = ["text/html; charset=utf-8"]


def _drop_header(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda response: response["headers"].pop(name)


CHANGES = [
    ("field removed", _body_edit("09-list-incidents.yaml", 0, _each_incident(lambda i: i.pop("urgency"))),
     ("list-incidents", "response.body.incidents[].urgency", "field-removed", "breaking")),
    ("field added", _body_edit("12-get-incident.yaml", 1, lambda b: b["incident"].update(impact="high")),
     ("get-incident", "response.body.incident.impact", "field-added", "info")),
    ("type changed", _body_edit("13-acknowledge-incident.yaml", 0,
                                lambda b: b["incident"].update(incident_number="7")),
     ("acknowledge-incident", "response.body.incident.incident_number", "type-changed", "breaking")),
    ("became null", _body_edit("12-get-incident.yaml", 1, lambda b: b["incident"].update(title=None)),
     ("get-incident", "response.body.incident.title", "type-changed", "breaking")),
    ("enum value", _body_edit("13-acknowledge-incident.yaml", 0,
                              lambda b: b["incident"].update(urgency="urgent")),
     ("acknowledge-incident", "response.body.incident.urgency", "enum-value-added", "warning")),
    ("status", _response_edit("16-create-note.yaml", 0, lambda r: r["status"].update(code=200)),
     ("create-note", "response.status", "status-changed", "breaking")),
    ("content type", _response_edit("15-list-notes.yaml", 0, _set_content_type),
     ("list-notes", "response.content_type", "content-type-changed", "breaking")),
    ("header removed", _response_edit("15-list-notes.yaml", 0, _drop_header("x-request-id")),
     ("list-notes", "response.headers.x-request-id", "header-removed", "warning")),
    ("header added", _response_edit("15-list-notes.yaml", 0,
                                    lambda r: r["headers"].update({"x-deprecated": ["soon"]})),
     ("list-notes", "response.headers.x-deprecated", "header-added", "info")),
    ("interaction removed", _edit("10-count-incidents.yaml", lambda i: i.pop(2)),
     ("count-incidents", "interaction", "interaction-missing", "breaking")),
    ("interaction added", _edit("27-delete-escalation-policy.yaml",
                                             lambda i: i.insert(0, i[0] | {"request": {
                                                 **i[0]["request"], "method": "GET"}})),
     ("delete-escalation-policy", "interaction", "interaction-added", "info")),
]


@pytest.mark.parametrize(("name", "change", "expected"), CHANGES, ids=[c[0] for c in CHANGES])
def test_each_change_is_reported_once_at_its_place(
    two_runs: tuple[Path, Path], tmp_path: Path, name: str, change: Callable[[Path], None],
    expected: tuple[str, str, str, str],
) -> None:
    """One edit to a copy of a sandbox recording gives exactly one change, of the right kind."""
    first, second = two_runs
    candidate = tmp_path / "candidate"
    shutil.copytree(second, candidate)
    change(candidate)
    report = compute_drift(baseline=load_recording(first), candidate=load_recording(candidate))
    assert [(c.step, c.location, c.kind, c.severity.label) for c in report.changes] == [expected]


@pytest.mark.parametrize(("fail_on", "exit_code"), [
    ("breaking", 0), ("warning", 1), ("info", 1), ("never", 0)])
def test_fail_on_drives_the_exit_code(
    two_runs: tuple[Path, Path], tmp_path: Path, fail_on: str, exit_code: int,
) -> None:
    """A warning-level change fails `--fail-on warning` and `info`, not `breaking` or `never`."""
    first, second = two_runs
    candidate = tmp_path / "candidate"
    shutil.copytree(second, candidate)
    _response_edit("15-list-notes.yaml", 0, _drop_header("x-request-id"))(candidate)
    result = CliRunner().invoke(cli, ["drift", str(first), str(candidate), "--fail-on", fail_on,
                                      "--format", "json"])
    assert result.exit_code == exit_code
    assert json.loads(result.output)["summary"] == {"breaking": 0, "warning": 1, "info": 0}


def test_drift_writes_each_format_to_a_file(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    """`--output` writes the report; JUnit has one test case per step."""
    import xml.etree.ElementTree as ET

    first, second = two_runs
    runner = CliRunner()
    for fmt in ("text", "markdown", "json", "junit"):
        target = tmp_path / f"drift.{fmt}"
        result = runner.invoke(cli, ["drift", str(first), str(second), "--format", fmt,
                                     "--output", str(target)])
        assert result.exit_code == 0
        assert result.output == ""
        assert target.read_text()
    cases = ET.parse(tmp_path / "drift.junit").getroot().iter("testcase")
    assert len(list(cases)) == 29


def test_drift_cannot_compare_a_missing_recording(tmp_path: Path) -> None:
    """A baseline that is not there: exit 2 and the cause."""
    result = CliRunner().invoke(cli, ["drift", str(tmp_path / "none"), str(tmp_path)])
    assert result.exit_code == 2
    assert "no recording directory there" in result.output
