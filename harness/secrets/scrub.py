"""Scrubbing: find every secret in an exchange, then replace it everywhere, before any disk write.

Two halves, kept apart on purpose.  *Discovery* reads a request or response and teaches the vault
every secret it holds (the token in `Authorization`, the `From` email, people's names and emails,
contact addresses and phone numbers, integration and routing keys, the account subdomain in URLs).
It always runs, so the fail-closed check knows every secret even when a scrubber is switched off.
*Scrubbers* are small functions in one ordered chain, one per place a secret can sit (headers,
URI, body); each replaces every secret the vault knows.  Response bodies also go through the
keep-list (`harness.secrets.keep`): a string the scenario did not write and that is not structure
is replaced where it stands by a placeholder the vault learns, so the fail-closed check searches
for it too.  `sweep` runs the known-secret replacement once more over the whole recording when it
is saved, for secrets first seen after an earlier exchange.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from vcr.request import Request

from harness.secrets.answers import keep_only, learn_written
from harness.secrets.keep import KeepList
from harness.secrets.patterns import EMAIL_RE, is_pagerduty_host, is_reserved_email
from harness.secrets.vault import Vault

# Written-out phone numbers: +1 415 867 5309, (415) 867-5309, 415-867-5309; not dates, times or
# the inside of an IP address (10.555.102.222).
PHONE_RE = re.compile(
    r"(?<![\w.+-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)|\d{2,4})[\s.-]\d{3,4}[\s.-]\d{3,4}(?![\w-]|\.\d)"
)
PD_HOST_RE = re.compile(r"\b([a-z0-9][a-z0-9-]*)\.(?:eu\.)?pagerduty\.com\b", re.IGNORECASE)
AUTH_RE = re.compile(r"(?:token=\"?|Bearer\s+)([^\"\s,]+)", re.IGNORECASE)
COOKIE_RE = re.compile(r"(?:^|[;,]\s*)[^=;,\s]+=([^;,]+)")
KEY_FIELDS = frozenset(
    {
        "integration_key",
        "routing_key",
        "service_key",
        "token",
        "api_key",
        "access_token",
        "refresh_token",
        "secret",
        "client_secret",
        "password",
    }
)
PERSON_TYPES = frozenset({"user", "user_reference"})
PERSON_FIELDS = {"name": "name", "summary": "name", "email": "email"}
COOKIE_HEADERS = frozenset({"cookie", "set-cookie"})


# Discovery --------------------------------------------------------------------------------------


def discover_text(vault: Vault, text: str) -> None:
    """Learn the emails, phone numbers and account subdomains that free text shows."""
    for phone in PHONE_RE.findall(text):
        vault.learn("phone", phone)
    for email in EMAIL_RE.findall(text):
        if not is_reserved_email(email):
            vault.learn("email", email)
    for label in PD_HOST_RE.findall(text):
        if not is_pagerduty_host(label):
            vault.learn("subdomain", label.lower())


def discover_json(vault: Vault, node: Any) -> None:
    """Learn the secrets a PagerDuty JSON body holds, at any depth."""
    if isinstance(node, dict):
        kind = str(node.get("type", ""))
        if kind in PERSON_TYPES:
            for field, secret_kind in PERSON_FIELDS.items():
                if isinstance(node.get(field), str):
                    vault.learn(secret_kind, node[field])
        address = node.get("address")
        if isinstance(address, str) and ("contact_method" in kind or kind.endswith("notification")):
            digits = sum(ch.isdigit() for ch in address)
            vault.learn("email" if "@" in address else "phone" if digits >= 6 else "address", address)
        for key, value in node.items():
            if key in KEY_FIELDS and isinstance(value, str):
                vault.learn("key", value)
            else:
                discover_json(vault, value)
    elif isinstance(node, list):
        for item in node:
            discover_json(vault, item)
    elif isinstance(node, str):
        discover_text(vault, node)


def discover_headers(vault: Vault, headers: dict[str, Any]) -> None:
    for name, value in headers.items():
        for text in value if isinstance(value, list) else [value]:
            text = _text(text)
            lowered = name.lower()
            if lowered == "authorization":
                for token in AUTH_RE.findall(text):
                    vault.learn("token", token)
            elif lowered == "from":
                vault.learn("email", text)
            elif lowered in COOKIE_HEADERS:
                for cookie in COOKIE_RE.findall(text):
                    vault.learn("cookie", cookie.strip())
            discover_text(vault, text)


def discover_body(vault: Vault, body: Any) -> None:
    text = _text(body)
    try:
        discover_json(vault, json.loads(text))
    except ValueError:
        discover_text(vault, text)


def discover_request(vault: Vault, request: Request) -> None:
    discover_headers(vault, dict(request.headers))
    for _name, value in parse_qsl(urlsplit(request.uri).query):
        discover_text(vault, value)
    discover_text(vault, request.uri)
    if request.body:
        discover_body(vault, request.body)


def discover_response(vault: Vault, response: dict[str, Any]) -> None:
    discover_headers(vault, response.get("headers", {}))
    discover_body(vault, response.get("body", {}).get("string", ""))


# Scrubbers --------------------------------------------------------------------------------------


def scrub_request_headers(vault: Vault, request: Request) -> None:
    for name in list(request.headers):
        request.headers[name] = vault.replace_known(_text(request.headers[name]))


def scrub_request_uri(vault: Vault, request: Request) -> None:
    request.uri = vault.replace_known(request.uri)


def scrub_request_body(vault: Vault, request: Request) -> None:
    if request.body:
        request.body = scrub_body_text(vault, _text(request.body)).encode()


def scrub_response_headers(vault: Vault, response: dict[str, Any]) -> None:
    headers = response.get("headers", {})
    for name, values in headers.items():
        headers[name] = [vault.replace_known(_text(v)) for v in values]


def scrub_response_body(vault: Vault, response: dict[str, Any], keep: KeepList | None = None) -> None:
    body = response.get("body", {})
    if body.get("string"):
        body["string"] = scrub_body_text(vault, _text(body["string"]), keep=keep).encode()
        set_content_length(response)


def scrub_body_text(vault: Vault, text: str, *, keep: KeepList | None = None) -> str:
    """Replace secrets in a body; JSON is re-written indented and unescaped, so cassettes read well.

    With a keep-list (response bodies), every string it does not keep becomes a placeholder.
    """
    try:
        data = json.loads(text)
    except ValueError:
        return vault.replace_known(text)
    scrubbed = _map_strings(data, vault.replace_known) if keep is None else keep_only(vault, keep, data)
    return json.dumps(scrubbed, indent=2, ensure_ascii=False)


def set_content_length(response: dict[str, Any]) -> None:
    """Keep Content-Length true to the rewritten body, or replay would read a short body."""
    headers = response.get("headers", {})
    body = response.get("body", {}).get("string", b"")
    length = len(body.encode() if isinstance(body, str) else body)
    for name in headers:
        if name.lower() == "content-length":
            headers[name] = [str(length)]


RequestScrubber = Callable[[Vault, Request], None]
ResponseScrubber = Callable[[Vault, dict[str, Any]], None]
REQUEST_CHAIN: tuple[tuple[str, RequestScrubber], ...] = (
    ("headers", scrub_request_headers),
    ("uri", scrub_request_uri),
    ("body", scrub_request_body),
)
RESPONSE_CHAIN: tuple[tuple[str, ResponseScrubber], ...] = (
    ("headers", scrub_response_headers),
    ("body", scrub_response_body),
)
SCRUBBERS = frozenset(name for name, _ in REQUEST_CHAIN) | {"sweep"}


class Scrubber:
    """The chain, bound to a vault, as vcrpy's `before_record_request`/`before_record_response`."""

    def __init__(self, vault: Vault, *, disabled: Collection[str] = (), keep: KeepList | None = None) -> None:
        unknown = set(disabled) - SCRUBBERS
        if unknown:
            raise ValueError(f"no scrubber named {sorted(unknown)}; there are {sorted(SCRUBBERS)}")
        self.vault = vault
        self.disabled = frozenset(disabled)
        self.keep = keep if keep is not None else KeepList()

    def request(self, request: Request) -> Request:
        discover_request(self.vault, request)
        learn_written(self.keep, request)
        for name, scrub in REQUEST_CHAIN:
            if name not in self.disabled:
                scrub(self.vault, request)
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        discover_response(self.vault, response)
        if "body" in self.disabled:
            # Discovery's other half: the vault still learns what the keep-list would replace,
            # so the fail-closed check searches for it.
            scratch = {"body": dict(response.get("body", {})), "headers": {}}
            scrub_response_body(self.vault, scratch, self.keep)
        for name, scrub in RESPONSE_CHAIN:
            if name == "body" and name not in self.disabled:
                scrub_response_body(self.vault, response, self.keep)
            elif name not in self.disabled:
                scrub(self.vault, response)
        return response

    def sweep(self, interactions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace, in serialized interactions, the secrets the vault learned after they were taken."""
        if "sweep" in self.disabled:
            return interactions
        swept: list[dict[str, Any]] = _map_strings(
            interactions, lambda text: self.vault.replace_known(text, replaced=True)
        )
        for interaction in swept:
            set_content_length(interaction["response"])
        return swept


def _map_strings(node: Any, change: Callable[[str], str]) -> Any:
    if isinstance(node, str):
        return change(node)
    if isinstance(node, dict):
        return {key: _map_strings(value, change) for key, value in node.items()}
    if isinstance(node, list):
        return [_map_strings(item, change) for item in node]
    return node


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value) if value is not None else ""
