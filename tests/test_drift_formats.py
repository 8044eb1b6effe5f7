"""Format classes of strings, and PagerDuty's documents judging drift changes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from _drift_edits import (
    BASELINE,
    BY_ID,
    LIST,
    LOG,
    NOTE,
    copy_baseline,
    drift,
    edit_body,
)
from click.testing import CliRunner

from harness.cassettes import load_recording
from harness.cli import cli
from harness.drift import compute_drift
from harness.drift.documented import Documents, load_documents
from harness.drift.formats import FormatClassifier, api_hosts
from harness.errors import ConfigError
from harness.openapi import openapi_dir
from harness.secrets.vault import Vault


@pytest.fixture
def candidate(tmp_path: Path) -> Path:
    """A copy of the baseline recording that a test edits."""
    return copy_baseline(tmp_path / "candidate")


# Formats -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "form"),
    [
        ("2026-11-26T13:40:11Z", "timestamp (seconds, Z)"),
        ("2026-11-26T14:40:11+01:00", "timestamp (seconds, offset)"),
        ("2026-11-26T13:40:11.123Z", "timestamp (milliseconds, Z)"),
        ("2026-11-26", "date"),
        ("PINC0A1", "id (P, 7)"),
        ("Q0RIJJZL24RC6W", "id (Q, 14)"),
        ("R1LOGA1B2C3D4E5F6G7H8I9J0", "id (R, 25)"),
        ("0f1e2d3c4b5a69788796a5b4c3d2e1f0", "hex key (32)"),
        ("7f3e2a1b-0000-4000-8000-000000000001", "uuid"),
        ("3600", "digits"),
        ("person-1@example.com", "email"),
        ("", "empty"),
        ("Triggered through the API.", "text"),
        ("HIGH", "text"),
        (
            "http://127.0.0.1:41234/log_entries/R1LOGA1B2C3D4E5F6G7H8I9J0?incident_id=PINC0A1",
            "url (api host, /log_entries/{id}?incident_id)",
        ),
        ("https://api.pagerduty.com/incidents/PINC0A1", "url (api host, /incidents/{id})"),
        (
            "https://subdomain.pagerduty.com/service-directory/PSVC1A2",
            "url (https, account host, /service-directory/{id})",
        ),
        (
            "https://secure.gravatar.com/avatar/0123456789abcdef0123456789abcdef.png?d=mm&r=PG",
            "url (https, asset host gravatar.com, /avatar/{key}.png?d&r)",
        ),
        (
            "https://pd-static-assets.pagerduty.com/avatars/user-blank.png",
            "url (https, asset host pd-static-assets.pagerduty.com, /avatars/user-blank.png)",
        ),
        ("http://db-3.internal/graphs/42", "url (http, other host, /graphs/{n})"),
    ],
)
def test_format_classes(value: str, form: str) -> None:
    """Each string's class keeps what a client relies on and drops the values."""
    assert FormatClassifier(api_hosts("http://127.0.0.1:41234"))(value) == form


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("email", "jane.doe@acme-co.com"),
        ("key", "a5b4c3d2e1f00f1e2d3c4b5a69788796"),
        ("subdomain", "acme-co"),
    ],
)
def test_formats_survive_scrubbing(kind: str, value: str) -> None:
    """A scrubbed value has the class of the real one: emails, keys, account URLs, avatars."""
    vault = Vault()
    vault.learn(kind, value)
    classify = FormatClassifier(api_hosts("https://api.pagerduty.com"))
    texts = {
        "email": value,
        "key": value,
        "subdomain": f"https://{value}.pagerduty.com/users/PUSR5D6",
    }
    real = texts[kind]
    assert classify(vault.replace_known(real)) == classify(real)
    avatar = (
        f"https://{value}.pagerduty.com/assets/avatars/PUSR5D6.png"
        if kind == "subdomain"
        else "https://secure.gravatar.com/avatar/0123456789abcdef0123456789abcdef.png"
    )
    assert classify(vault.replace_known(avatar)) == classify(avatar)


# PagerDuty's documents ------------------------------------------------------------------------------

# Where the spec tests read the documents; conftest skips `spec` tests where they are absent.
DOCUMENTS_DIR = openapi_dir()
needs_documents = pytest.mark.spec


@pytest.fixture(scope="module")
def documents() -> Documents:
    loaded = load_documents(DOCUMENTS_DIR, required=True)
    assert loaded is not None
    return loaded


@needs_documents
@pytest.mark.parametrize(
    ("kind", "label", "location", "brought", "documented"),
    [
        ("enum-value-added", LIST, "response.body.incidents[].urgency", {"low"}, True),
        ("enum-value-added", LIST, "response.body.incidents[].urgency", {"urgent"}, False),
        ("enum-value-added", LOG, "response.body.log_entries[].type", {"snooze_log_entry"}, True),
        (
            "enum-value-added",
            "#1 GET /notifications?since={time}",
            "response.body.notifications[].type",
            {"whatsapp_notification"},
            False,
        ),
        ("field-added", BY_ID, "response.body.incident.impact", {"string"}, False),
        ("field-added", BY_ID, "response.body.incident.urgency", {"string"}, True),
        ("type-changed", BY_ID, "response.body.incident.title", {"null"}, False),
        ("format-changed", BY_ID, "response.body.incident.created_at", {"timestamp (milliseconds, Z)"}, True),
        ("format-changed", BY_ID, "response.body.incident.created_at", {"text"}, False),
        # The document lists 200 for a created note (live answers 201), not 500.
        ("status-changed", NOTE, "response.status", {"200"}, True),
        ("status-changed", NOTE, "response.status", {"500"}, False),
        ("interaction-added", "#1 POST /v2/enqueue", "interaction", {"POST /v2/enqueue"}, True),
        ("interaction-added", "#1 GET /nowhere", "interaction", {"GET /nowhere"}, False),
        ("variant-removed", LOG, "response.body.log_entries[].type", {"trigger_log_entry"}, None),
    ],
)
def test_the_documents_judge_what_a_change_brings(
    documents: Documents,
    kind: str,
    label: str,
    location: str,
    brought: set[str],
    documented: bool | None,
) -> None:
    """Documented enums, fields, types, formats, statuses and operations; removals are not judged."""
    status = "201" if label == NOTE else "202" if "enqueue" in label else "200"
    request = label.split(" ", 1)[1]
    assert documents.judge(kind, request, status, location, frozenset(brought)) is documented


@needs_documents
def test_the_documents_name_more_enum_fields(documents: Documents) -> None:
    """Fields every schema gives an enum are compared; names also used for free text are not."""
    assert {"aggregate_unit", "assigned_via", "to_urgency"} <= documents.enum_fields
    assert not {"name", "value", "summary"} & documents.enum_fields


def test_an_explicit_spec_directory_that_lacks_the_documents_is_a_config_error(tmp_path: Path) -> None:
    """`--spec DIR` without the documents stops with exit 2; no documents found otherwise is fine."""
    with pytest.raises(ConfigError) as caught:
        load_documents(tmp_path, required=True)
    assert str(caught.value) == (
        f"{tmp_path / 'REST' / 'openapiv3.json'}: PagerDuty OpenAPI document not found"
    )
    assert load_documents(tmp_path) is None
    assert load_documents(None) is None


def _spec_dir(tmp_path: Path, write: Callable[[Path], None]) -> Path:
    for name in ("REST", "events-v2"):
        (tmp_path / name).mkdir()
        write(tmp_path / name / "openapiv3.json")
    return tmp_path


@pytest.mark.parametrize(
    ("write", "problem"),
    [
        (lambda p: os.mkfifo(p), "is a FIFO (named pipe), not a regular file"),
        (lambda p: p.write_text("{not json", encoding="utf-8"), "not JSON"),
        (lambda p: p.write_text("[1, 2]", encoding="utf-8"), "not an OpenAPI document (no paths)"),
        (lambda p: p.write_text('{"paths": []}', encoding="utf-8"), "not an OpenAPI document (no paths)"),
    ],
    ids=["fifo", "not json", "a list", "paths not an object"],
)
def test_damaged_documents_are_a_config_error(
    tmp_path: Path, write: Callable[[Path], None], problem: str
) -> None:
    """A document that cannot be read as OpenAPI stops drift with exit 2, naming the file."""
    directory = _spec_dir(tmp_path, write)
    with pytest.raises(ConfigError) as caught:
        load_documents(directory)
    assert str(caught.value) == f"{directory / 'REST' / 'openapiv3.json'}: {problem}"
    result = CliRunner().invoke(cli, ["drift", str(BASELINE), str(BASELINE), "--spec", str(directory)])
    assert result.exit_code == 2
    assert f"error: {directory / 'REST' / 'openapiv3.json'}: {problem}" in result.output


def test_fields_the_documents_give_an_enum_have_their_values_compared(candidate: Path) -> None:
    """A single word is not compared, unless the documents make its field an enum."""
    edit_body(
        candidate, "get-incident", 1, lambda b: b["incident"]["incident_type"].update(name="major_incident")
    )
    assert drift(candidate).changes == ()
    report = compute_drift(
        baseline=load_recording(BASELINE),
        candidate=load_recording(candidate),
        enum_fields=frozenset({"name"}),
    )
    assert [(c.location, c.kind, c.message) for c in report.changes] == [
        (
            "response.body.incident.incident_type.name",
            "enum-value-added",
            "new value 'major_incident' (before: incident_default)",
        )
    ]
