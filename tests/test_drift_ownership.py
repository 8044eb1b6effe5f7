"""Drift's ownership rule: own items held to every rule, other teams' to the rules all obey."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _drift_edits import (
    BASELINE,
    BREAKING,
    WARNING,
    copy_baseline,
    drift,
    each,
    edit_body,
    other_teams,
)

from harness.cassettes import load_recording
from harness.drift import DriftReport, compute_drift
from harness.errors import InputError


@pytest.fixture
def candidate(tmp_path: Path) -> Path:
    """A copy of the baseline recording that a test edits."""
    return copy_baseline(tmp_path / "candidate")


# Ownership: the scenario's own items strictly, other teams' items by the rules all obey -----------

UNOWNED = (
    "the candidate does not list the scenario's own items (recorded by an older harness): "
    "every item was compared as the scenario's own, so other teams' activity may show as "
    "drift; re-record it to compare other teams' items leniently"
)


def _with_other_incidents(
    directory: Path, edit: Callable[[dict[str, Any]], object] = dict, count: int = 5
) -> None:
    """`count` other teams' incidents appended to list-incidents, each passed through `edit`."""

    def append(body: Any) -> None:
        for number in range(count):
            other = other_teams(
                body["incidents"][0],
                incident_number=900 + number,
                summary=f"[#{900 + number}] Disk full on db-{number}",
            )
            other["id"] = f"POTHR{number:02d}"
            edit(other)
            body["incidents"].append(other)

    edit_body(directory, "list-incidents", 0, append)


@pytest.fixture
def busy_baseline(tmp_path: Path) -> Path:
    """The baseline with five other teams' incidents in its account-wide list."""
    target = tmp_path / "busy-baseline"
    shutil.copytree(BASELINE, target)
    _with_other_incidents(target)
    return target


def busy_drift(baseline: Path, candidate: Path) -> DriftReport:
    return compute_drift(baseline=load_recording(baseline), candidate=load_recording(candidate))


OTHER_RULES = {
    "a timestamp with a local offset": (
        lambda i: i.update(created_at="2026-11-26T14:40:11+01:00"),
        ("response.body.incidents[].created_at", "format-changed", WARNING),
    ),
    "an id of another length": (
        lambda i: i.update(id=i["id"] + "ABCDEFG"),
        ("response.body.incidents[].id", "format-changed", WARNING),
    ),
    "a number become text": (
        lambda i: i.update(incident_number=str(i["incident_number"])),
        ("response.body.incidents[].incident_number", "type-changed", BREAKING),
    ),
    "a field all of them had gone": (
        lambda i: i.pop("urgency"),
        ("response.body.incidents[].urgency", "field-removed", BREAKING),
    ),
}


@pytest.mark.parametrize("name", OTHER_RULES)
def test_other_teams_items_still_show_a_broken_rule(busy_baseline: Path, tmp_path: Path, name: str) -> None:
    """Other teams' items breaking a rule all of them obeyed is reported, own items unchanged."""
    edit, expected = OTHER_RULES[name]
    candidate = tmp_path / "candidate"
    shutil.copytree(BASELINE, candidate)
    _with_other_incidents(candidate, edit)
    assert [(c.location, c.kind, c.severity) for c in busy_drift(busy_baseline, candidate).changes] == [
        expected
    ]


def test_other_teams_new_values_fields_and_anecdotes_are_not_drift(
    busy_baseline: Path, tmp_path: Path
) -> None:
    """New statuses, urgencies and optional fields of other teams, and rules from too few items."""
    candidate = tmp_path / "candidate"
    shutil.copytree(BASELINE, candidate)
    _with_other_incidents(
        candidate,
        lambda i: i.update(
            status="resolved",
            urgency="low",
            impact="high",
            resolve_reason=None,
            teams=[{"id": "PTEAM01", "type": "team_reference", "summary": "Ops"}],
        ),
    )
    assert busy_drift(busy_baseline, candidate).changes == ()
    # Four items are an anecdote, not a rule: their formats and types may differ.
    few = tmp_path / "few"
    shutil.copytree(BASELINE, few)
    _with_other_incidents(few, count=4)
    fewer = tmp_path / "fewer"
    shutil.copytree(BASELINE, fewer)
    _with_other_incidents(
        fewer, lambda i: i.update(created_at="2026-11-26T14:40:11+01:00", incident_number="n/a"), count=4
    )
    assert busy_drift(few, fewer).changes == ()


def test_a_variant_of_own_items_renamed_is_new_and_gone(candidate: Path) -> None:
    """An own log entry's type renamed: the new one is a new value, the old one a removed variant."""
    edit_body(
        candidate,
        "list-log-entries",
        0,
        lambda b: [
            e.update(type="note_log_entry") for e in b["log_entries"] if e["type"] == "annotate_log_entry"
        ],
    )
    assert [(c.location, c.kind, c.severity, c.message) for c in drift(candidate).changes] == [
        (
            "response.body.log_entries[].type",
            "enum-value-added",
            WARNING,
            "new value 'note_log_entry' (before: acknowledge_log_entry, annotate_log_entry, "
            "assign_log_entry, trigger_log_entry)",
        ),
        (
            "response.body.log_entries[].type",
            "variant-removed",
            WARNING,
            "no longer seen: 'annotate_log_entry' (now: acknowledge_log_entry, assign_log_entry, "
            "note_log_entry, trigger_log_entry)",
        ),
    ]


def test_a_fixed_sentence_of_own_items_that_changed_is_a_new_value(candidate: Path) -> None:
    """'Triggered through the API.' losing its period is reported; numbers in sentences are not."""
    edit_body(
        candidate,
        "list-log-entries",
        0,
        each(
            "log_entries",
            lambda e: e.update(
                summary=e["summary"].replace("Triggered through the API.", "Triggered through the API")
            ),
        ),
    )
    assert [(c.location, c.kind, c.message) for c in drift(candidate).changes] == [
        (
            "response.body.log_entries[].summary",
            "enum-value-added",
            "trigger_log_entry items: new value 'Triggered through the API' "
            "(before: Triggered through the API.)",
        )
    ]


def test_a_recording_without_owned_ids_is_compared_strictly_and_says_so(candidate: Path) -> None:
    """An older recording: every item is the scenario's own, and the report carries a note."""
    manifest = json.loads((candidate / "manifest.json").read_text(encoding="utf-8"))
    del manifest["owned"]
    (candidate / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert drift(candidate).notes == (UNOWNED,)
    assert drift(candidate).changes == ()
    edit_body(
        candidate,
        "list-log-entries",
        0,
        lambda b: b["log_entries"].append(other_teams(b["log_entries"][0], type="snooze_log_entry")),
    )
    assert [(c.location, c.kind) for c in drift(candidate).changes] == [
        ("response.body.log_entries[].type", "enum-value-added")
    ]


@pytest.mark.parametrize(
    ("owned", "problem"),
    [
        (["PINC0A1"], "'owned' must be an object, not a list"),
        ({"incident": "PINC0A1"}, "'owned' must map kinds to lists of ids"),
        ({"incident": [7]}, "'owned' must map kinds to lists of ids"),
    ],
)
def test_a_malformed_owned_field_is_refused(candidate: Path, owned: object, problem: str) -> None:
    """The manifest's `owned` is type-checked like its other fields."""
    manifest = json.loads((candidate / "manifest.json").read_text(encoding="utf-8"))
    manifest["owned"] = owned
    (candidate / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_recording(candidate)
    assert str(caught.value) == (
        f"{candidate / 'manifest.json'}: manifest field missing or malformed ({problem})"
    )
