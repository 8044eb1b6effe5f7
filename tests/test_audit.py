"""Tests for `harness audit`: its rules, the encodings they see through, the allowlist, output."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from vcr.serializers import yamlserializer

from harness.errors import ConfigError, InputError
from harness.secrets.audit import audit_paths
from harness.secrets.audit.report import AuditFinding, AuditReport, render_audit
from harness.secrets.audit.rules import mask, shannon_entropy
from harness.secrets.audit.text import scan_text

DATA = Path(__file__).parent / "data" / "audit"
LEAKY = DATA / "leaky"
CLEAN = DATA / "clean"

# Every secret planted in tests/data/audit/leaky: (file, line, column, rule, masked value).
PLANTED = [
    ("betamax.json", 7, 42, "pagerduty-integration-key", "c9…b4"),
    ("betamax.json", 34, 101, "email-address", "ca…om"),
    ("betamax.json", 34, 230, "phone-number", "41…09"),
    ("binary.yaml", 13, 61, "high-entropy-secret", "Tq…3M"),
    ("binary.yaml", 31, 9, "email-address", "da…om"),
    # Other people's data in free text, and a tag that would run code under plain vcrpy.
    ("foreign.yaml", 14, 60, "phone-number", "41…09"),
    ("foreign.yaml", 15, 39, "phone-number", "41…10"),
    ("foreign.yaml", 15, 55, "phone-number", "41…11"),
    ("foreign.yaml", 16, 35, "phone-number", "41…12"),
    ("foreign.yaml", 16, 54, "phone-number", "(4…13"),
    ("foreign.yaml", 17, 42, "phone-number", "+4…89"),
    ("foreign.yaml", 18, 31, "calendar-feed-url", "we…cs"),
    ("foreign.yaml", 19, 82, "url-query-token", "Qx…Kd"),
    ("foreign.yaml", 20, 73, "url-query-token", "****"),
    ("foreign.yaml", 26, 11, "yaml-code-tag", "!!…em"),
    ("session.har", 26, 27, "high-entropy-secret", "9f…5d"),
    ("session.har", 46, 56, "bearer-token", "pd…4b"),
    ("session.har", 55, 122, "email-address", "al…om"),
    ("session.har", 67, 122, "phone-number", "+1…09"),
    ("recording/02-find-or-create-test-user.yaml", 10, 48, "email-address", "bo…om"),
    ("recording/06-create-integration.yaml", 7, 21, "pagerduty-api-key", "u4…3E"),
    ("recording/06-create-integration.yaml", 18, 10, "pagerduty-integration-key", "7d…d8"),
    ("recording/06-create-integration.yaml", 18, 66, "pagerduty-subdomain", "****"),
]


@pytest.fixture(autouse=True)
def _isolated_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test in an empty repository, so no allowlist is discovered by accident."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)


def _rows(report: AuditReport, base: Path = LEAKY) -> list[tuple[str, int, int, str, str]]:
    return [
        (f.file.relative_to(base).as_posix(), f.line, f.column, f.rule, f.masked) for f in report.findings
    ]


def _allowlist(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "allow.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_every_planted_secret_is_found_once_where_it_sits() -> None:
    """Each planted secret is reported once, with its rule, file, line, column and masked value."""
    report = audit_paths(paths=[LEAKY])
    assert _rows(report) == PLANTED
    assert report.files_scanned == 7


def test_findings_never_hold_a_full_value() -> None:
    """No finding's text contains a planted value in full."""
    rendered = render_audit(audit_paths(paths=[LEAKY]), fmt="json")
    for secret in (
        "u4Kx9_TqZ2bLmW7yRc3E",
        "7d2f9a4c1e8b4630a5d2c7e9f1b3a6d8",
        "acme-co",
        "alice.smith@acme-corp.com",
        "4158675309",
        "9fK2xQ7vLmN3pR8sT1wZ4yB6hJ5d",
    ):
        assert secret not in rendered


def test_clean_recordings_have_no_findings() -> None:
    """Placeholders, reserved domains, PagerDuty's hosts, ids, times and 555-01xx pass clean."""
    assert audit_paths(paths=[CLEAN]) == AuditReport(findings=(), files_scanned=4)


def test_manifest_placeholders_are_what_make_scrubbed_values_safe(tmp_path: Path) -> None:
    """Without its manifest, a recording's scrubbed token and key look like real ones."""
    copy = tmp_path / "copy"
    copy.mkdir()
    for cassette in (CLEAN / "recording").glob("*.yaml"):
        shutil.copy(cassette, copy / cassette.name)
    assert _rows(audit_paths(paths=[copy]), base=copy) == [
        ("06-create-integration.yaml", 9, 21, "pagerduty-api-key", "Uw…Sf"),
        ("06-create-integration.yaml", 21, 10, "pagerduty-integration-key", "1c…6f"),
        ("07-trigger-incidents.yaml", 3, 29, "pagerduty-integration-key", "1c…6f"),
        ("07-trigger-incidents.yaml", 24, 21, "pagerduty-api-key", "Uw…Sf"),
    ]


def test_a_single_cassette_uses_the_manifest_beside_it() -> None:
    """A cassette named on its own (as pre-commit passes it) still trusts its manifest."""
    cassette = CLEAN / "recording" / "07-trigger-incidents.yaml"
    assert audit_paths(paths=[cassette]) == AuditReport(findings=(), files_scanned=1)


def test_a_cassette_written_by_vcrpy_is_read_across_folded_lines(tmp_path: Path) -> None:
    """vcrpy folds long JSON bodies; a key whose value lands on the next line is still found."""
    body = json.dumps(
        {
            "integration": {
                "id": "PINT456",
                "type": "events_api_v2_inbound_integration",
                "summary": "Events V2 integration, Notenook Incident",
                "integration_key": "5a8c1e3f7b2d4960a1c3e5f7b9d2a4c6",
                "name": "Events V2",
            }
        }
    )
    cassette = {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "body": None,
                    "headers": {},
                    "method": "GET",
                    "uri": "https://api.pagerduty.com/x",
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {},
                    "body": {"string": body},
                },
            }
        ],
    }
    path = tmp_path / "06-create-integration.yaml"
    path.write_text(yamlserializer.serialize(cassette), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").split("\n")
    key_line = next(n for n, line in enumerate(lines, 1) if "5a8c1e3f" in line)
    assert lines[key_line - 2].endswith('"integration_key":')
    findings = audit_paths(paths=[path]).findings
    assert [(f.line, f.rule, f.masked) for f in findings] == [
        (key_line, "pagerduty-integration-key", "5a…c6"),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'Authorization: [Token token="y_NbAkKc66ryYTWUXYEu"]',
            [("pagerduty-api-key", "y_NbAkKc66ryYTWUXYEu")],
        ),
        (
            '"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl"',
            [("bearer-token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl")],
        ),
        (
            "uri: https://events.pagerduty.com/x?routing_key=4d6f8a1c3e5b7d9f2a4c6e8b1d3f5a7c&x=1",
            [("pagerduty-integration-key", "4d6f8a1c3e5b7d9f2a4c6e8b1d3f5a7c")],
        ),
        (
            "service_key: '9b1d3f5a7c2e4a6c8e1b3d5f7a9c2e4b'",
            [("pagerduty-integration-key", "9b1d3f5a7c2e4a6c8e1b3d5f7a9c2e4b")],
        ),
        ('"note": "mail ops%2540acme-corp.com"', [("email-address", "ops@acme-corp.com")]),
        ('"text": "<p>\\u003cdan@acme-corp.com\\u003e</p>"', [("email-address", "dan@acme-corp.com")]),
        ('"body": "Line one\\nerin@acme-corp.com"', [("email-address", "erin@acme-corp.com")]),
        (
            '"summary": "Call (415) 867-5309 or 415.867.5309"',
            [("phone-number", "(415) 867-5309"), ("phone-number", "415.867.5309")],
        ),
        ('"mobile": "+44 20 7946 0958"', [("phone-number", "+44 20 7946 0958")]),
        ('"self": "https://acme.eu.pagerduty.com/users/P1"', [("pagerduty-subdomain", "acme.eu")]),
        ('apiKey: "Zq8vN2mK4pL7xR1tW3"', [("high-entropy-secret", "Zq8vN2mK4pL7xR1tW3")]),
        (
            '"access_token": "QmFzZTY0LXNoYXBlZC10b2tlbg"',
            [("high-entropy-secret", "QmFzZTY0LXNoYXBlZC10b2tlbg")],
        ),
        ('"summary": "Paged Jane, no answer; trying 4158675309."', [("phone-number", "4158675309")]),
        ('"summary": "Call 415 867 5309"', [("phone-number", "415 867 5309")]),
        (
            '"summary": "Ring +14158675309 or +49 1512 3456789"',
            [("phone-number", "+14158675309"), ("phone-number", "+49 1512 3456789")],
        ),
        ('"summary": "UK desk 020 7946 0018"', [("phone-number", "020 7946 0018")]),
        (
            '"url": "webcal://feeds.acme-corp.net/private/Zq8Lm2Xp9Rt4/oncall.ics"',
            [("calendar-feed-url", "webcal://feeds.acme-corp.net/private/Zq8Lm2Xp9Rt4/oncall.ics")],
        ),
        (
            '"summary": "Logs https://grafana.acme-corp.net/d/5f?orgId=1&s=Qx8Lm2Zp9Rt4Vb7Nc1Kd"',
            [("url-query-token", "Qx8Lm2Zp9Rt4Vb7Nc1Kd")],
        ),
        ('"runbook": "https://wiki.acme-corp.net/x?token=abcdefgh"', [("url-query-token", "abcdefgh")]),
        (
            "body: !!python/object/apply:os.system [echo]",
            [("yaml-code-tag", "!!python/object/apply:os.system")],
        ),
        (
            "x: !<tag:yaml.org,2002:python/name:os.system>",
            [("yaml-code-tag", "!<tag:yaml.org,2002:python/name:os.system")],
        ),
    ],
)
def test_a_line_yields_exactly_these_findings(line: str, expected: list[tuple[str, str]]) -> None:
    """Each rule fires on its own shape of secret, in plain and encoded text, and nothing else."""
    assert [(s.rule, s.value) for s in scan_text(line)] == expected


@pytest.mark.parametrize(
    "line",
    [
        '"created_at": "2026-11-26T13:40:00+01:00", "at": "2026-11-26T13:40:00.123Z"',
        '"created_ms": 1764164400000, "incident_number": 1234, "ratelimit-reset": "30"',
        "uri: http://127.0.0.1:41234/incidents?since=2026-11-26T00%3A00%3A00Z&limit=25",
        '"id": "PT4KHLK", "duration": "PT20M", "x-request-id": "5f0c2d1e-9a8b-4c7d-8e6f-1a2b3c4d"',
        '"phone": "+1 555 555 0100", "address": "5555550142", "sms": "(555) 555-0199"',
        '"email": "person-3+harness-test@example.com", "cc": "a@b.example", "d": "x@a.example.org"',
        '"html_url": "https://subdomain.pagerduty.com/incidents/PT4KHLK"',
        '"avatar_url": "https://pd-static-assets.pagerduty.com/users/blank-avatar.png"',
        "Authorization: [Token token=<API_KEY>], X: [Token token=${PAGERDUTY_TOKEN}]",
        '"Bearer authentication is described in the docs"',
        '"dedup_key": "e2b8f4a1c7d34e9b8f0a6c2d5e1b7f3a", "incident_key": "srv01/disk"',
        '"token_type": "bearer", "secret_name": "pagerduty-api-token", "key": "X-Request-Source"',
        '"password": "hunter2", "client_secret": "********", "api_key": "REDACTED-BY-HARNESS"',
        '"retina": "logo@2x.png", "version": "9.4.2", "build": "2026.11.26"',
        '"summary": "Heartbeat missed from 10.555.102.222 and 172.16.254.1"',
        '"total": 4158675309, "created": 1701417600, "count": 20261201',
        '"summary": "epoch 1701417600 and 1701417600123, id 12345678901234567"',
        "uri: https://api.pagerduty.com/incidents?statuses%5B%5D=acknowledged&limit=1&total=true",
        "uri: https://api.pagerduty.com/services?query=Notenook+Incident+Testing+Service",
        '"html_url": "https://redacted-3.example/d/qw?orgId=redacted&api_key=redacted"',
        "body: !!binary |",
    ],
)
def test_ordinary_recording_text_yields_nothing(line: str) -> None:
    """Ids, times, ports, placeholders and fictional numbers are not mistaken for secrets."""
    assert scan_text(line) == []


def test_directories_are_searched_for_recordings_only(tmp_path: Path) -> None:
    """A directory yields its YAML, JSON and HAR files, skipping hidden directories."""
    leak = '{"email": "frank@acme-corp.com"}\n'
    (tmp_path / "rec" / ".cache").mkdir(parents=True)
    for name in ("rec/a.json", "rec/b.HAR", "rec/notes.txt", "rec/.cache/c.yaml"):
        (tmp_path / name).write_text(leak, encoding="utf-8")
    report = audit_paths(paths=[Path("rec")])
    assert [f.file for f in report.findings] == [Path("rec/a.json"), Path("rec/b.HAR")]
    assert report.files_scanned == 2
    named = audit_paths(paths=[Path("rec/notes.txt"), Path("rec")])
    assert named.files_scanned == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "missing.yaml: no such file or directory"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "missing.yaml: not a text file \\(it holds NUL bytes\\)"),
        (b"name: Zo\xeb\n", "missing.yaml: not UTF-8 text \\(byte 8\\)"),
    ],
)
def test_unreadable_input_is_an_input_error(tmp_path: Path, content: bytes | None, message: str) -> None:
    """A missing, binary or non-UTF-8 file stops the audit with an InputError."""
    if content is not None:
        (tmp_path / "missing.yaml").write_bytes(content)
    with pytest.raises(InputError, match=message):
        audit_paths(paths=[Path("missing.yaml")])


def test_no_paths_is_an_input_error() -> None:
    """An audit with nothing to scan says so instead of passing."""
    with pytest.raises(InputError, match="no recording to audit"):
        audit_paths(paths=[])


@pytest.mark.parametrize(
    "matcher",
    [
        'value = "alice.smith@acme-corp.com"',
        f'sha256 = "{hashlib.sha256(b"alice.smith@acme-corp.com").hexdigest().upper()}"',
        'pattern = "[a-z.]+@acme-corp\\\\.com"',
    ],
)
def test_an_allowlist_entry_suppresses_exactly_its_value(tmp_path: Path, matcher: str) -> None:
    """An entry matched by value, sha256 or regex removes that one finding and no other."""
    allow = _allowlist(
        tmp_path,
        f"""
[[allow]]
rule = "email-address"
{matcher}
path = "*/session.har"
reason = "The team's shared inbox, listed on the public website."
""",
    )
    report = audit_paths(paths=[LEAKY], allowlist=allow)
    assert _rows(report) == [row for row in PLANTED if row[:2] != ("session.har", 55)]


def test_an_allowlist_entry_applies_only_to_its_rule_and_path(tmp_path: Path) -> None:
    """An entry for another rule or another path glob suppresses nothing."""
    allow = _allowlist(
        tmp_path,
        """
[[allow]]
rule = "phone-number"
value = "alice.smith@acme-corp.com"
reason = "Wrong rule on purpose."

[[allow]]
rule = "email-address"
value = "alice.smith@acme-corp.com"
path = "recording/*"
reason = "Wrong path on purpose."
""",
    )
    assert _rows(audit_paths(paths=[LEAKY], allowlist=allow)) == PLANTED


def test_the_allowlist_is_discovered_up_to_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repository root's `.harness-audit-allow.toml` applies; one above the root does not."""
    leak = tmp_path / "x.json"
    leak.write_text('{"a": "grace@acme-corp.com"}', encoding="utf-8")
    (tmp_path / ".harness-audit-allow.toml").write_text(
        '[[allow]]\nrule = "email-address"\nvalue = "grace@acme-corp.com"\nreason = "Ours."\n',
        encoding="utf-8",
    )
    (tmp_path / "sub" / "inner-repo" / ".git").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "sub")
    assert audit_paths(paths=[leak]).findings == ()
    monkeypatch.chdir(tmp_path / "sub" / "inner-repo")
    assert [f.masked for f in audit_paths(paths=[leak]).findings] == ["gr…om"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[allow]]\nrule = "email-address"\nvalue = "a@b.c"\n', "allow entry 1: no reason given"),
        (
            '[[allow]]\nrule = "email-address"\nvalue = "a@b.c"\nreason = "  "\n',
            "allow entry 1: no reason given",
        ),
        (
            '[[allow]]\nrule = "emails"\nvalue = "a@b.c"\nreason = "r"\n',
            "allow entry 1: rule 'emails' is unknown",
        ),
        (
            '[[allow]]\nrule = "email-address"\nreason = "r"\n',
            "allow entry 1: needs exactly one of value, pattern, sha256",
        ),
        (
            '[[allow]]\nrule = "email-address"\nvalue = "a"\npattern = "a"\nreason = "r"\n',
            "allow entry 1: needs exactly one of value, pattern, sha256",
        ),
        (
            '[[allow]]\nrule = "email-address"\nsha256 = "abc"\nreason = "r"\n',
            "allow entry 1: sha256 must be 64 hex digits",
        ),
        (
            '[[allow]]\nrule = "email-address"\npattern = "("\nreason = "r"\n',
            "allow entry 1: pattern is not a regex",
        ),
        (
            '[[allow]]\nrule = "email-address"\nvalue = "a"\nreason = "r"\nwhy = "x"\n',
            "allow entry 1: unknown keys",
        ),
        ('[allow]\nrule = "email-address"\n', "an allowlist holds only \\[\\[allow\\]\\] tables"),
        ("[[allow]\n", "allowlist is not TOML"),
    ],
)
def test_a_bad_allowlist_is_a_config_error(tmp_path: Path, body: str, message: str) -> None:
    """A reasonless, ambiguous or malformed allowlist entry stops the audit with a ConfigError."""
    with pytest.raises(ConfigError, match=message):
        audit_paths(paths=[LEAKY], allowlist=_allowlist(tmp_path, body))


def test_a_named_allowlist_that_is_missing_is_a_config_error(tmp_path: Path) -> None:
    """`--allowlist` naming no file is a ConfigError, not an empty allowlist."""
    with pytest.raises(ConfigError, match="allowlist cannot be read"):
        audit_paths(paths=[LEAKY], allowlist=tmp_path / "nope.toml")


def test_gzip_bodies_are_reported_at_the_start_of_their_block(tmp_path: Path) -> None:
    """A secret in a gzip-compressed !!binary body is reported at the block's first line."""
    payload = gzip.compress(b'{"email": "heidi@acme-corp.com"}', mtime=0)
    cassette = {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "body": None,
                    "headers": {},
                    "method": "GET",
                    "uri": "https://api.pagerduty.com/x",
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {},
                    "body": {"string": payload},
                },
            }
        ],
    }
    path = tmp_path / "gz.yaml"
    path.write_text(yamlserializer.serialize(cassette), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").split("\n")
    block = next(n for n, line in enumerate(lines, 1) if "!!binary" in line) + 1
    assert [(f.line, f.column, f.rule) for f in audit_paths(paths=[path]).findings] == [
        (block, 9, "email-address"),
    ]


def test_json_rendering_is_exact() -> None:
    """The JSON report lists each finding's fields and a summary, in this exact shape."""
    report = AuditReport(
        findings=(
            AuditFinding(
                file=Path("cassettes/06-create-integration.yaml"),
                line=18,
                column=10,
                rule="pagerduty-integration-key",
                masked="7d…d8",
                message="integration key in field 'integration_key'",
            ),
        ),
        files_scanned=29,
    )
    assert (
        render_audit(report, fmt="json")
        == """{
  "findings": [
    {
      "file": "cassettes/06-create-integration.yaml",
      "line": 18,
      "column": 10,
      "rule": "pagerduty-integration-key",
      "masked": "7d…d8",
      "message": "integration key in field 'integration_key'"
    }
  ],
  "summary": {
    "files": 29,
    "findings": 1
  }
}"""
    )
    assert json.loads(render_audit(AuditReport(findings=(), files_scanned=1), fmt="json")) == {
        "findings": [],
        "summary": {"files": 1, "findings": 0},
    }


def test_text_rendering_is_exact(tmp_path: Path) -> None:
    """The text report has one `path:line: rule masked — message` line per finding and a total."""
    (tmp_path / "06.yaml").write_text(
        "headers:\n  Authorization:\n  - Token token=u4Kx9_TqZ2bLmW7yRc3E\n"
        "uri: https://api.pagerduty.com/users?query=ivan%40acme-corp.com\n",
        encoding="utf-8",
    )
    assert render_audit(audit_paths(paths=[Path("06.yaml")]), fmt="text") == (
        "06.yaml:3: pagerduty-api-key u4…3E — PagerDuty API key in an Authorization header\n"
        "06.yaml:4: email-address iv…om — email address outside the reserved example domains\n"
        "2 findings in 1 file"
    )
    clean = AuditReport(findings=(), files_scanned=3)
    assert render_audit(clean, fmt="text") == "0 findings in 3 files"


def test_an_unknown_format_is_a_config_error() -> None:
    """Asking for a format other than text or json names the valid ones."""
    with pytest.raises(ConfigError, match="unknown audit format 'xml'") as caught:
        render_audit(AuditReport(findings=(), files_scanned=0), fmt="xml")
    assert caught.value.hint == "use one of: text, json"


@pytest.mark.parametrize(
    ("value", "masked"),
    [("u4Kx9_TqZ2bLmW7yRc3E", "u4…3E"), ("0123456789", "01…89"), ("acme-co", "****"), ("", "****")],
)
def test_mask_shows_at_most_two_characters_at_each_end(value: str, masked: str) -> None:
    """Values of ten characters or more keep two at each end; shorter ones show nothing."""
    assert mask(value) == masked


def test_shannon_entropy_counts_bits_per_character() -> None:
    """Entropy is 0 for one repeated symbol and log2(n) for n equally frequent symbols."""
    assert (shannon_entropy("aaaa"), shannon_entropy("aabb"), shannon_entropy("abcd")) == (
        0.0,
        1.0,
        2.0,
    )


def _with_placeholders(tmp_path: Path, placeholders: dict[str, str]) -> Path:
    """A copy of the clean recording whose manifest lists `placeholders` in addition to its own."""
    copy = tmp_path / "copy"
    shutil.copytree(CLEAN / "recording", copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["placeholders"].update(placeholders)
    (copy / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return copy


def test_a_real_token_or_email_listed_as_a_placeholder_is_still_a_finding(tmp_path: Path) -> None:
    """Placeholders pass only in the shapes the scrubber writes; listing a real value silences nothing."""
    token, email = "u+Zk3Qw9Lm2Xc7Vb1Nd4", "oncall.lead@acme-corp.io"
    copy = _with_placeholders(tmp_path, {"token:2": token, "from_email": email})
    (copy / "leak.yaml").write_text(f"Authorization: Token token={token}\nFrom: {email}\n", encoding="utf-8")
    rows = [(f.file.name, f.line, f.rule) for f in audit_paths(paths=[copy]).findings]
    assert rows == [
        ("leak.yaml", 1, "pagerduty-api-key"),
        ("leak.yaml", 2, "email-address"),
        ("manifest.json", 12, "email-address"),
    ]


def test_the_scrubbers_own_placeholders_still_pass(tmp_path: Path) -> None:
    """What the vault writes for a token, a key, a phone and an email is trusted under its name."""
    from harness.secrets.vault import Vault, is_placeholder_value

    vault = Vault()
    written = {
        kind: vault.learn(kind, value)
        for kind, value in [
            ("token", "u+Zk3Qw9Lm2Xc7Vb1Nd4"),
            ("key", "5a8c1e3f7b2d4960a1c3e5f7b9d2a4c6"),
            ("phone", "+1 415 867 5309"),
            ("email", "oncall.lead@acme-corp.io"),
        ]
    }
    names = vault.placeholders_by_name()
    assert sorted(names) == ["email:1", "key:1", "phone:1", "token:1"]
    assert all(is_placeholder_value(name, value) for name, value in names.items())
    assert names["token:1"] == written["token"] != "u+Zk3Qw9Lm2Xc7Vb1Nd4"
    assert not is_placeholder_value("token:1", "u+Zk3Qw9Lm2Xc7Vb1Nd4")
    assert not is_placeholder_value("phone:1", "+1 415 867 5309")
    assert not is_placeholder_value("from_email", "oncall.lead@acme-corp.io")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("fifo.json", "fifo.json: is a FIFO (named pipe), not a regular file"),
        ("/dev/zero", "/dev/zero: is a device, not a regular file"),
    ],
)
def test_audit_refuses_what_is_not_a_regular_file_at_once(
    tmp_path: Path,
    target: str,
    message: str,
) -> None:
    """A FIFO or a device is an InputError before any read, never a hang or a MemoryError."""
    import os

    if target == "fifo.json":
        os.mkfifo(tmp_path / target)
    with pytest.raises(InputError) as raised:
        audit_paths(paths=[Path(target)])
    assert str(raised.value) == message


def test_a_long_escaped_line_costs_a_few_times_its_size(tmp_path: Path) -> None:
    """A single-line HAR of 250 kB is scanned with a peak of a few times its size (was 240 times)."""
    import tracemalloc

    inner = json.dumps(
        {"incidents": [{"id": f"Q{i:013d}", "summary": f'host-{i} said "ok"'} for i in range(5_000)]}
    )
    har = tmp_path / "one-line.har"
    har.write_text(
        json.dumps({"log": {"entries": [{"response": {"content": {"text": inner}}}]}}), encoding="utf-8"
    )
    size = har.stat().st_size
    tracemalloc.start()
    try:
        report = audit_paths(paths=[har])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.findings == ()
    assert peak < 8 * size, f"peak {peak / size:.1f} times the input"
