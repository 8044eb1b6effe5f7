"""Other people's data in account-wide answers: planted in other teams' items, none of it on disk."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import requests
from click.testing import CliRunner

from harness.cli import cli
from harness.drift.formats import FormatClassifier
from harness.recorder import record_scenario
from harness.sandbox import Sandbox
from harness.secrets.answers import keep_only
from harness.secrets.keep import KeepList
from harness.secrets.leaks import find_leaks
from harness.secrets.scrub import Scrubber
from harness.secrets.vault import Vault
from harness.settings import build_settings

NAME = "Zebulon Quartermaine"
EMAIL = "zebulon.q@quartermaine-family.org"
PHONES = ("4158675309", "415 867 5309", "415.867.5309", "415-867-5309", "(415) 867-5309", "+1 415 867 5309")
HOST = "db-primary-07.quartermaine-internal.net"
IP = "10.213.47.199"
TOKEN = "Zq8Lm2Xp9Rt4Vb7Nc1KdWq3"
URL = f"https://grafana.quartermaine-internal.net/d/5f3a?orgId=1&api_key={TOKEN}"
NOTE = "Quartermaine says the payroll box is haunted again"
PLANTED = (NAME, EMAIL, *PHONES, HOST, IP, TOKEN, URL, NOTE)
AVATAR = "https://pd-static-assets.pagerduty.com/users/blank-avatar.png"


def _encodings(value: str) -> set[str]:
    return {
        value,
        quote(value, safe=""),
        quote_plus(value),
        json.dumps(value)[1:-1],
        base64.b64encode(value.encode()).decode()[:-4],
    }


def _plant(sb: Sandbox) -> None:
    """Write the personal data into every other team's incident and log entry, as people would."""
    account = sb.account
    with account.lock:
        for number, incident in enumerate(list(account.incidents.values())):
            phone = PHONES[number % len(PHONES)]
            title = f"{NAME} reports {HOST} ({IP}) down, call {phone} or {EMAIL}: {URL}"
            account.incidents[incident.id] = dataclasses.replace(incident, title=title)
        for number, entry in enumerate(list(account.log_entries.values())):
            phone = PHONES[number % len(PHONES)]
            channel = {**entry.channel, "summary": f"{NOTE}; {NAME} on {phone}"}
            account.log_entries[entry.id] = dataclasses.replace(
                entry, summary=f"{NOTE} ({EMAIL}, {phone})", channel=channel
            )


def _record(sb: Sandbox, out: Path) -> Path:
    settings = build_settings(
        subdomain=sb.subdomain,
        token=sb.token,
        from_email=sb.owner_email,
        region="us",
        api_url=sb.api_url,
        events_url=sb.events_url,
        out=out,
        poll_timeout=10,
    )
    record_scenario(settings=settings)
    return out


@pytest.fixture(scope="module")
def planted_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two recordings of busy accounts of two seeds, each with the personal data planted."""
    base = tmp_path_factory.mktemp("foreign")
    runs = []
    for seed in (11, 12):
        with Sandbox(account="busy", seed=seed, activity_interval=None, incident_delay=0.02) as sb:
            _plant(sb)
            # The answers the scenario reads do hold the planted data: the test means something.
            listed = requests.get(
                f"{sb.api_url}/incidents",
                params={"limit": 100},
                timeout=5,
                headers={
                    "Authorization": f"Token token={sb.token}",
                    "Accept": "application/vnd.pagerduty+json;version=2",
                },
            ).text
            assert NAME in listed and HOST in listed
            runs.append(_record(sb, base / f"seed-{seed}"))
    return runs[0], runs[1]


def _text(directory: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.iterdir()))


def test_planted_personal_data_is_on_disk_in_no_encoding(planted_runs: tuple[Path, Path]) -> None:
    """Names, emails, six phone forms, hosts, IPs, URL tokens and notes of other teams are all gone."""
    for run in planted_runs:
        text = _text(run)
        for value in PLANTED:
            for form in _encodings(value):
                assert form not in text, f"planted {value[:4]}… survived as {form[:6]}…"
        # Other teams' titles became free-text placeholders; the scenario's own titles stayed.
        assert '"title": "Redacted text ' in text
        assert '"title": "Notebook test incident 1"' in text


def test_a_planted_recording_replays(planted_runs: tuple[Path, Path]) -> None:
    """The scrubbed recording still replays step by step."""
    result = CliRunner().invoke(cli, ["replay", str(planted_runs[0])])
    assert result.exit_code == 0, result.output
    assert f"replayed {planted_runs[0]}" in result.output


def test_two_planted_recordings_drift_by_nothing(planted_runs: tuple[Path, Path]) -> None:
    """Placeholders keep every field's format class, so two seeds' recordings show zero changes."""
    result = CliRunner().invoke(
        cli, ["drift", str(planted_runs[0]), str(planted_runs[1]), "--fail-on", "info"]
    )
    assert result.exit_code == 0, result.output
    assert "0 breaking, 0 warning, 0 info" in result.output


def test_audit_finds_nothing_in_a_planted_recording(planted_runs: tuple[Path, Path]) -> None:
    """`harness audit` reports no finding in what the scrubber wrote."""
    result = CliRunner().invoke(cli, ["audit", *map(str, planted_runs)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("0 findings in 60 files")


def test_the_avatar_host_survives_scrubbing(planted_runs: tuple[Path, Path]) -> None:
    """PagerDuty's public asset host is kept; only the account's own subdomain is the account."""
    text = _text(planted_runs[0])
    assert f'"avatar_url": "{AVATAR}"' in text
    assert "subdomain.pagerduty.com/users/blank-avatar.png" not in text


def _scrubbed(body: object, *, written: tuple[str, ...] = ()) -> dict[str, object]:
    vault = Vault()
    vault.learn("subdomain", "acme-co")
    result: dict[str, object] = keep_only(vault, KeepList(written=written), body)
    return result


def test_structure_and_the_scenarios_words_stay_and_other_text_goes() -> None:
    """Ids, enums, times, PagerDuty's URLs and sentences stay; names, titles and links are replaced."""
    body = {
        "incident": {
            "id": "Q1ABCDEF234567",
            "type": "incident",
            "status": "triggered",
            "urgency": "high",
            "created_at": "2026-11-26T13:40:00Z",
            "title": "Notebook test incident 1",
            "summary": "[#12] Notebook test incident 1",
            "description": f"{NAME} broke {HOST}",
            "html_url": "https://acme-co.pagerduty.com/incidents/Q1ABCDEF234567",
            "self": "https://api.pagerduty.com/incidents/Q1ABCDEF234567",
            "service": {"id": "PSVC123", "type": "service_reference", "summary": "payroll-db"},
            "first_trigger_log_entry": {"summary": "Triggered through the API."},
            "runbook": URL,
            "owner": EMAIL,
            "on_call_phone": "+1 415 867 5309",
        }
    }
    scrubbed = _scrubbed(body, written=("Notebook test incident 1",))["incident"]
    assert isinstance(scrubbed, dict)
    for field in ("id", "type", "status", "urgency", "created_at", "title", "summary", "self"):
        assert scrubbed[field] == body["incident"][field]  # type: ignore[index]
    assert scrubbed["html_url"] == "https://subdomain.pagerduty.com/incidents/Q1ABCDEF234567"
    assert scrubbed["first_trigger_log_entry"] == {"summary": "Triggered through the API."}
    assert scrubbed["description"] == "Redacted text 1"
    assert scrubbed["owner"] == "person-1@example.com"
    assert scrubbed["on_call_phone"] == "+5 555 555 0101"
    runbook = str(scrubbed["runbook"])
    assert runbook.startswith("https://redacted-1.example/")
    assert runbook.endswith("?orgId=redacted&api_key=redacted")
    service = scrubbed["service"]
    assert isinstance(service, dict) and service["summary"] not in ("payroll-db", "")


def test_the_same_text_gets_the_same_placeholder() -> None:
    """A value repeated across items and bodies maps to one placeholder, so answers stay consistent."""
    vault, keep = Vault(), KeepList()
    first = keep_only(vault, keep, {"a": [{"title": NOTE}, {"note": NOTE}]})
    second = keep_only(vault, keep, {"title": NOTE, "other": "Something else entirely"})
    assert first == {"a": [{"title": "Redacted text 1"}, {"note": "Redacted text 1"}]}
    assert second == {"title": "Redacted text 1", "other": "Redacted text 2"}


@pytest.mark.parametrize(
    "value",
    [
        NOTE,
        NAME,
        EMAIL,
        *PHONES[1:],
        "payroll-db",
        "Storage",
        "5f3a9c0e1b2d4f6a8c0e1b2d4f6a8c0e",
        "orders-db/358f0278bd5a",
        "4158675309",
        IP,
    ],
)
def test_placeholders_keep_the_format_class(value: str) -> None:
    """Free text stays text, an email an email, a key a key, digits digits: drift sees no change."""
    classify = FormatClassifier()
    placeholder = _scrubbed({"free": value})["free"]
    assert isinstance(placeholder, str) and placeholder != value
    assert classify(placeholder) == classify(value)


def test_a_url_placeholder_keeps_scheme_and_host_class() -> None:
    """A link on another host stays a link on another host, with its query names."""
    classify = FormatClassifier()
    placeholder = _scrubbed({"runbook": URL})["runbook"]
    assert isinstance(placeholder, str)
    assert classify.coarse[classify(placeholder)] == classify.coarse[classify(URL)]
    assert TOKEN not in placeholder and "quartermaine" not in placeholder


def test_gravatar_ids_are_replaced_and_pagerdutys_assets_kept() -> None:
    """A Gravatar URL holds a hash of the person's email: its id goes, the host stays an asset host."""
    gravatar = "https://secure.gravatar.com/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346.png"
    scrubbed = _scrubbed({"avatar_url": gravatar, "other": AVATAR})
    assert scrubbed["other"] == AVATAR
    assert "0bc83cb571cd1c50ba6f3e8a78ef1346" not in str(scrubbed["avatar_url"])


def test_the_fail_closed_check_knows_every_replaced_value() -> None:
    """What the keep-list replaced is searched for like a learned secret, in every encoding.

    A single word without digits ("Storage") is replaced where it stands but not searched for:
    it is also an ordinary word of paths and keys.
    """
    vault = Vault()
    keep_only(vault, KeepList(), {"title": NOTE, "word": "Storage"})
    leaks = find_leaks(
        {"a.yaml": f"x: {quote(NOTE)}\ny: {base64.b64encode(NOTE.encode()).decode()}\nz: Storage\n"}, vault
    )
    assert [(leak.line, leak.kind, leak.form) for leak in leaks] == [
        (1, "text", "URL-encoded"),
        (2, "text", "base64"),
    ]


def test_a_disabled_body_scrubber_still_teaches_the_vault() -> None:
    """With the body scrubber off, what the keep-list would replace is still known to the check."""
    vault = Vault()
    text = json.dumps({"incident": {"title": NOTE}}).encode()
    response = {"status": {"code": 200}, "headers": {}, "body": {"string": text}}
    Scrubber(vault, disabled={"body"}).response(response)
    assert response["body"]["string"] == text
    assert NOTE in vault.secrets


@pytest.mark.parametrize(
    ("value", "searched"),
    [
        (NOTE, True),
        (EMAIL, True),
        (URL, True),
        ("orders-db/358f0278bd5a", True),
        (IP, True),
        ("Storage", False),
        ("application/json", False),
        ("api.pagerduty.com", False),
        ("127.0.0.1", False),
        ("Test User", False),
    ],
)
def test_only_distinctive_replaced_values_are_searched_everywhere(value: str, searched: bool) -> None:
    """Words that are also paths, headers, the scenario's words or the API host are replaced in place only.

    Searching for them everywhere would rewrite a Content-Type, a request's host or the scenario's
    own user name, and break replay; what is searched is what only a person writes.
    """
    keep = KeepList(written=("Notebook Test User 5",), api_hosts=("127.0.0.1",))
    assert keep.searchable(value) is searched
