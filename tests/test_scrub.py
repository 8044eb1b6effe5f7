"""Scrubbing: each scrubber alone, the vault's placeholders, and the fail-closed search."""

from __future__ import annotations

import base64
import json

import pytest
from vcr.request import Request

from harness.secrets.audit.rules import text_hits
from harness.secrets.leaks import find_leaks
from harness.secrets.patterns import literal_pattern
from harness.secrets.scrub import Scrubber, discover_json, scrub_body_text
from harness.secrets.vault import Vault

TOKEN = "y_NbAkKc66ryYTWUXYEu"
KEY = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


def _request(
    uri: str = "https://api.pagerduty.com/users", body: object = None, headers: dict[str, str] | None = None
) -> Request:
    data = json.dumps(body).encode() if body is not None else None
    return Request("POST", uri, data, headers or {})


def _response(body: object, headers: dict[str, list[str]] | None = None) -> dict[str, object]:
    text = json.dumps(body).encode()
    return {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Length": [str(len(text))], **(headers or {})},
        "body": {"string": text},
    }


def test_email_placeholder_is_a_reserved_example_address_and_consistent() -> None:
    """The same email always maps to the same person-N@example.com address."""
    vault = Vault()
    first = vault.learn("email", "ops@acme-corp.com")
    assert first == "person-1@example.com"
    assert vault.learn("email", "ops@acme-corp.com") == first
    assert vault.learn("email", "dev@acme-corp.com") == "person-2@example.com"


def test_test_user_email_placeholder_derives_from_the_from_placeholder() -> None:
    """The plus-addressed test user keeps its tag on the From user's placeholder, as replay derives it."""
    vault = Vault()
    vault.learn("email", "ops@acme-corp.com")
    assert vault.learn("email", "ops+harness-test@acme-corp.com") == "person-1+harness-test@example.com"


def test_key_placeholder_keeps_length_and_alphabet() -> None:
    """A 32-character hex key becomes another 32-character lowercase hex string."""
    placeholder = Vault().learn("key", KEY)
    assert len(placeholder) == 32
    assert placeholder != KEY
    assert set(placeholder) <= set("0123456789abcdef")


def test_phone_placeholder_keeps_layout_in_the_fictional_range() -> None:
    """Digits are replaced in place by (555) 555-01NN, punctuation kept."""
    assert Vault().learn("phone", "(415) 867-5309") == "(555) 555-0101"


def test_public_names_are_never_secrets() -> None:
    """The notebook's own resource names stay readable."""
    vault = Vault(public=["Notebook Test User 5"])
    assert vault.learn("name", "Notebook Test User 5") == "Notebook Test User 5"
    assert vault.secrets == []


def test_discovery_finds_people_contacts_and_keys_at_any_depth() -> None:
    """Names, emails, phone addresses and key fields nested in a body are all learned."""
    vault = Vault()
    body = {
        "incidents": [{"assignments": [{"assignee": {"type": "user_reference", "summary": "Grace Hopper"}}]}],
        "users": [
            {
                "type": "user",
                "name": "Grace Hopper",
                "email": "grace@navy.mil",
                "contact_methods": [{"type": "phone_contact_method", "address": "4158675309"}],
            }
        ],
        "integration": {"integration_key": KEY},
    }
    discover_json(vault, body)
    assert sorted(vault.secrets) == sorted(["Grace Hopper", "grace@navy.mil", "4158675309", KEY])


def test_request_chain_scrubs_headers_uri_and_body() -> None:
    """Authorization, From, a query email and a body email all leave the request."""
    vault = Vault()
    request = _request(
        "https://api.pagerduty.com/users?query=grace%40navy.mil",
        {"user": {"email": "grace@navy.mil", "name": "Notebook Test User 5"}},
        {"Authorization": f"Token token={TOKEN}", "From": "ops@acme-corp.com"},
    )
    scrubbed = Scrubber(vault).request(request)
    text = f"{scrubbed.uri} {dict(scrubbed.headers)} {scrubbed.body!r}"
    for secret in (TOKEN, "ops@acme-corp.com", "grace@navy.mil", "grace%40navy.mil"):
        assert secret not in text
    assert scrubbed.headers["Authorization"] == f"Token token={vault.placeholder(TOKEN)}"
    assert "person-2%40example.com" in scrubbed.uri


def test_response_chain_scrubs_cookies_and_free_text_and_fixes_length() -> None:
    """Set-Cookie values and a name inside a summary are replaced; Content-Length follows the body."""
    vault = Vault()
    response = _response(
        {
            "log_entries": [
                {
                    "summary": "Notified Grace Hopper by email",
                    "agent": {"type": "user_reference", "summary": "Grace Hopper"},
                }
            ]
        },
        {"Set-Cookie": ["session=abcdef0123456789; Path=/"]},
    )
    scrubbed = Scrubber(vault).response(response)
    body = scrubbed["body"]["string"].decode()
    assert "Grace Hopper" not in body
    assert "Notified Person 1 by email" in body
    assert "abcdef0123456789" not in scrubbed["headers"]["Set-Cookie"][0]
    assert scrubbed["headers"]["Content-Length"] == [str(len(scrubbed["body"]["string"]))]


def test_disabled_scrubber_leaves_its_place_alone_but_still_learns() -> None:
    """Turning off the body scrubber keeps the secret in the body, and the vault still knows it."""
    vault = Vault()
    response = _response({"user": {"type": "user", "email": "grace@navy.mil"}})
    scrubbed = Scrubber(vault, disabled={"body"}).response(response)
    assert b"grace@navy.mil" in scrubbed["body"]["string"]
    assert vault.secrets == ["grace@navy.mil"]


def test_unknown_scrubber_name_is_refused() -> None:
    """Disabling a scrubber that does not exist is a mistake, not a no-op."""
    with pytest.raises(ValueError, match="no scrubber named"):
        Scrubber(Vault(), disabled={"bodies"})


def test_sweep_replaces_secrets_learned_after_an_exchange() -> None:
    """A name first seen in a later exchange is still removed from earlier ones at save time."""
    vault = Vault()
    early = [
        {
            "request": {"uri": "https://api.pagerduty.com/log_entries"},
            "response": {
                "headers": {"Content-Length": ["30"]},
                "body": {"string": "Acknowledged by Grace Hopper é"},
            },
        }
    ]
    vault.learn("name", "Grace Hopper")
    swept = Scrubber(vault).sweep(early)
    assert swept[0]["response"]["body"]["string"] == "Acknowledged by Person 1 é"
    assert swept[0]["response"]["headers"]["Content-Length"] == ["27"]  # bytes, é counts two


def test_body_text_is_reindented_and_unescaped() -> None:
    """JSON bodies are stored indented with real characters, so cassettes read well."""
    assert scrub_body_text(Vault(), '{"a":"\\u00e9"}') == '{\n  "a": "é"\n}'


@pytest.mark.parametrize(
    ("text", "form"),
    [
        (f"Token token={TOKEN}", "raw"),
        ("query=grace%40navy.mil", "URL-encoded"),
        ("query=grace%40navy.mil".replace("%40", "@"), "raw"),
        (base64.b64encode(f"user:{TOKEN}".encode()).decode(), "base64"),
    ],
)
def test_fail_closed_search_finds_every_encoding(text: str, form: str) -> None:
    """A secret is found raw, URL-encoded and inside base64 at any alignment."""
    vault = Vault()
    vault.learn("token", TOKEN)
    vault.learn("email", "grace@navy.mil")
    leaks = find_leaks({"01-step.yaml": f"first line\n{text}\n"}, vault)
    assert [(leak.file, leak.line, leak.form) for leak in leaks] == [("01-step.yaml", 2, form)]


def test_fail_closed_search_finds_json_escaped_names() -> None:
    """A non-ASCII name written with \\u escapes is still found, and the leak never shows the value."""
    vault = Vault()
    vault.learn("name", "José Núñez")
    leaks = find_leaks({"a.yaml": json.dumps({"summary": "José Núñez"})}, vault)
    assert [(leak.kind, leak.form) for leak in leaks] == [("name", "JSON-escaped")]
    assert "José" not in str(leaks[0])


def test_discovery_does_not_take_an_ip_address_for_a_phone_number() -> None:
    """10.555.102.222 is an address, not a number to rewrite as 555-01NN."""
    vault = Vault()
    discover_json(vault, {"summary": "Heartbeat missed from 10.555.102.222, call 415-867-5309"})
    assert vault.secrets == ["415-867-5309"]


def test_the_search_pattern_prefers_the_longest_literal() -> None:
    """Built as a trie, one pattern finds each literal, the longest at a place first."""
    pattern = literal_pattern(["Grace", "Grace Hopper", "ab", "abc", "x.y"])
    assert pattern.findall("Grace Hopper, Grace, abc, ab, x.y, xzy") == [
        "Grace Hopper",
        "Grace",
        "abc",
        "ab",
        "x.y",
    ]


@pytest.mark.parametrize("prefix", [b"", b"a", b"ab"])
def test_fail_closed_search_finds_base64_at_every_alignment(prefix: bytes) -> None:
    """A secret inside a longer base64 text is found whatever byte it starts at."""
    vault = Vault()
    vault.learn("email", "grace@navy.mil")
    encoded = base64.b64encode(prefix + b"from grace@navy.mil, sent").decode()
    leaks = find_leaks({"a.yaml": f"body: {encoded}\n"}, vault)
    assert [(leak.line, leak.kind, leak.form) for leak in leaks] == [(1, "email", "base64")]


def test_a_calendar_feed_becomes_a_placeholder_the_audit_passes() -> None:
    """A webcal:// URL is its own access token: even on PagerDuty's host it is replaced whole."""
    placeholder = Vault().learn("url", "webcal://acme.pagerduty.com/private/Zq8Lm2Xp9Rt4Vb7Nc/feed")
    assert placeholder.startswith("webcal://redacted-1.example/")
    assert list(text_hits(f"url: {placeholder}")) == []
