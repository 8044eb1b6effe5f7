"""What `harness audit` counts as a secret: one rule per kind of leak, and what each lets pass.

Rules, in the order they claim a value that more than one of them matches:

- ``pagerduty-api-key``: the key in an ``Authorization: Token token=<key>`` header.
- ``bearer-token``: an OAuth token in an ``Authorization: Bearer <token>`` header.
- ``pagerduty-integration-key``: a 32-character key in an ``integration_key``, ``routing_key`` or
  ``service_key`` field (JSON, YAML, query strings, HAR name/value pairs).
- ``email-address``: an email address outside the reserved example domains of RFC 2606 and 6761.
- ``phone-number``: a number in a phone field (``phone``, ``mobile``, ``sms``, or an ``address``
  holding one), or phone-shaped text (``+`` and 8-15 digits, ``(415) 555-2671``, ``415-555-2671``);
  never timestamps, ids, ports or durations, and never the fictional 555-0100..555-0199.
- ``pagerduty-subdomain``: an account subdomain in a ``*.pagerduty.com`` host.
- ``high-entropy-secret``: a random-looking value in a field whose name says secret, token, key or
  password.

Obvious placeholders (``<API_KEY>``, ``${TOKEN}``, ``xxxxxxxx``, anything saying redacted or
scrubbed) pass every rule; the scanner adds the placeholders a harness manifest lists.  Deliberate
exceptions live in an allowlist (`load_allowlist`), each with the reason it is safe.
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
import re
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError

API_KEY = "pagerduty-api-key"
BEARER = "bearer-token"
INTEGRATION_KEY = "pagerduty-integration-key"
EMAIL = "email-address"
PHONE = "phone-number"
SUBDOMAIN = "pagerduty-subdomain"
ENTROPY = "high-entropy-secret"
RULES = (API_KEY, BEARER, INTEGRATION_KEY, EMAIL, PHONE, SUBDOMAIN, ENTROPY)

RESERVED_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost"})
# PagerDuty's own hosts (REST, Events, web app, OAuth, avatars, calendar feeds, docs, status)
# plus the scrubbed account subdomain; any other `<name>.pagerduty.com` names a customer account.
PAGERDUTY_HOSTS = frozenset({
    "api", "api.eu", "events", "events.eu", "app", "identity", "pd-static-assets", "webcal",
    "developer", "support", "www", "status", "subdomain", "subdomain.eu",
})
ENTROPY_BITS_PER_CHAR = 3.0
ENTROPY_MIN_LENGTH = 12

_TOKEN_HEADER = re.compile(r"(?i)\btoken\s+token\s*=\s*(?:\\?[\"'])?([^\s\"'\\,;()\[\]{}]+)")
_BEARER_HEADER = re.compile(r"(?i)\bbearer\s+([\w.~+/=-]{8,})")
_EMAIL_TEXT = re.compile(
    r"(?<![\w.%+\\-])([\w.+-]+@((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}))"
    r"(?![\w-])"
)
_PHONE_TEXT = re.compile(
    r"(?<![\w+/=.%\\-])"
    r"(\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?)(?:[ .-]?\d{2,4}){2,4}"
    r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}"
    r"|\d{3}([.-])\d{3}\2\d{4})"
    r"(?![\w-]|\.\d)"
)
_SUBDOMAIN_TEXT = re.compile(
    r"(?i)(?<![\w.%\\-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)"
    r"\.pagerduty\.com(?![\w-])"
)
_PHONE_VALUE = re.compile(r"\+?[\d\s().-]{7,24}")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_KEY_VALUE = re.compile(r"[A-Za-z0-9]{32}")
_NAME_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_PLACEHOLDER = re.compile(
    r"(?i)(.)\1*|[x*.•-]+|<.*|\$\{.*|\{\{.*|%\(.*|.*>"
    r"|.*(?:redacted|scrubbed|filtered|placeholder|dummy|changeme).*"
)
_NOT_SECRET_VALUE = re.compile(
    r"[\d\s.:+TZ-]+"                           # numbers, dates, times, durations
    r"|(?:[A-Z]?[a-z]+|[A-Z]+)(?:[_.-](?:[A-Z]?[a-z]+|[A-Z]+))+"  # snake, kebab, dotted names
    r"|[a-z]+(?:[A-Z][a-z]+)+|(?:[A-Z][a-z]+){2,}"  # camelCase and PascalCase names
    r"|\w+://.*|/.*|[^@\s]+@[^@\s]+"             # URLs, paths, emails (the email rule judges)
)
_KEY_FIELDS = frozenset({"integrationkey", "routingkey", "servicekey"})
_PHONE_WORDS = frozenset({"phone", "mobile", "sms", "tel", "telephone", "cell", "fax"})
_SECRET_WORDS = frozenset({
    "secret", "secrets", "token", "key", "apikey", "password", "passwd", "pwd", "passphrase",
})
# Fields named like keys that hold ids, cursors or public material, not secrets.
_NOT_SECRET_WORDS = frozenset({
    "dedup", "incident", "alert", "idempotency", "public", "sort", "cache", "primary",
    "foreign", "type", "url", "uri", "id", "ids", "name", "expires", "expiry", "count",
    "length", "page", "next", "cursor",
})
_IMAGE_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp"})
_MESSAGES = {
    API_KEY: "PagerDuty API key in an Authorization header",
    BEARER: "bearer token in an Authorization header",
    EMAIL: "email address outside the reserved example domains",
    PHONE: "phone number outside the fictional range 555-0100..555-0199",
    SUBDOMAIN: "account subdomain in a pagerduty.com host (scrub it to 'subdomain')",
}


@dataclass(frozen=True)
class Hit:
    """A suspected secret in a piece of text: the rule, the value and the index it starts at."""

    rule: str
    value: str
    start: int
    message: str


def text_hits(text: str) -> Iterator[Hit]:
    """Find the secrets that announce themselves anywhere in free text."""
    # Substring tests first: most lines hold none of the markers, and each regex costs a scan.
    lowered = text.lower()
    if "token" in lowered:
        for match in _TOKEN_HEADER.finditer(text):
            if not is_placeholder(match[1]):
                yield _hit(API_KEY, match, 1)
    if "bearer" in lowered:
        for match in _BEARER_HEADER.finditer(text):
            if _looks_random(match[1]) and not is_placeholder(match[1]):
                yield _hit(BEARER, match, 1)
    if "@" in text:
        for match in _EMAIL_TEXT.finditer(text):
            domain = match[2].lower()
            if not _reserved_domain(domain) and domain.rsplit(".", 1)[1] not in _IMAGE_TLDS:
                yield _hit(EMAIL, match, 1)
    for match in _PHONE_TEXT.finditer(text):
        if _real_phone(match[1]):
            yield _hit(PHONE, match, 1)
    if "pagerduty.com" in lowered:
        for match in _SUBDOMAIN_TEXT.finditer(text):
            if match[1].lower() not in PAGERDUTY_HOSTS:
                yield _hit(SUBDOMAIN, match, 1)


def field_hit(name: str, value: str, start: int) -> Hit | None:
    """Judge a value by the name of the field that holds it."""
    words = {word.lower() for word in _NAME_WORDS.findall(name)}
    squashed = re.sub(r"[_.-]", "", name.lower())
    if squashed in _KEY_FIELDS and _KEY_VALUE.fullmatch(value) and not is_placeholder(value):
        return Hit(INTEGRATION_KEY, value, start, f"integration key in field {name!r}")
    phone_field = words & _PHONE_WORDS or squashed == "address"
    if phone_field and _PHONE_VALUE.fullmatch(value) and not _IPV4.fullmatch(value):
        return Hit(PHONE, value, start, _MESSAGES[PHONE]) if _real_phone(value) else None
    if words & _SECRET_WORDS and not words & _NOT_SECRET_WORDS and _looks_secret(value):
        return Hit(ENTROPY, value, start, f"high-entropy value in field {name!r}")
    return None


def is_placeholder(value: str) -> bool:
    """Whether a value plainly stands in for a secret rather than being one."""
    return _PLACEHOLDER.fullmatch(value) is not None


def shannon_entropy(value: str) -> float:
    """The Shannon entropy of a string in bits per character."""
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in Counter(value).values())


def mask(value: str) -> str:
    """Show a value's first and last two characters only, or nothing of a short one."""
    return f"{value[:2]}…{value[-2:]}" if len(value) >= 10 else "****"


def _hit(rule: str, match: re.Match[str], group: int) -> Hit:
    return Hit(rule, match[group], match.start(group), _MESSAGES[rule])


def _reserved_domain(domain: str) -> bool:
    if domain.rsplit(".", 1)[-1] in RESERVED_TLDS:
        return True
    return any(domain == d or domain.endswith("." + d) for d in RESERVED_EMAIL_DOMAINS)


def _real_phone(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    fictional = len(digits) >= 7 and digits[-7:-2] == "55501"
    return 7 <= len(digits) <= 15 and not fictional


def _looks_random(value: str) -> bool:
    # Prose after "Bearer" is a lowercase or capitalised word; tokens have digits or inner capitals.
    return any(c.isdigit() for c in value) or any(c.isupper() for c in value[1:])


def _looks_secret(value: str) -> bool:
    return (
        len(value) >= ENTROPY_MIN_LENGTH
        and not any(c.isspace() for c in value)
        and shannon_entropy(value) >= ENTROPY_BITS_PER_CHAR
        and _NOT_SECRET_VALUE.fullmatch(value) is None
        and not is_placeholder(value)
    )


# The allowlist: deliberate exceptions, each with its reason (format in `harness.audit`).

ALLOWLIST_NAME = ".harness-audit-allow.toml"
_MATCHERS = ("value", "pattern", "sha256")
_ENTRY_KEYS = frozenset({"rule", "reason", "path", *_MATCHERS})


@dataclass(frozen=True)
class AllowEntry:
    """One deliberate exception: a rule, the values it lets pass, where, and why."""

    rule: str
    reason: str
    value: str | None = None
    pattern: re.Pattern[str] | None = None
    sha256: str | None = None
    path: str | None = None

    def permits(self, *, rule: str, value: str, where: str) -> bool:
        if rule != self.rule or (self.path and not fnmatch.fnmatchcase(where, self.path)):
            return False
        if self.pattern is not None:
            return self.pattern.fullmatch(value) is not None
        if self.sha256 is not None:
            return hashlib.sha256(value.encode("utf-8")).hexdigest() == self.sha256
        return value == self.value


@dataclass(frozen=True)
class Allowlist:
    """The allowlist's entries; path globs are relative to the directory the file sits in."""

    root: Path
    entries: tuple[AllowEntry, ...]

    def permits(self, *, rule: str, value: str, file: Path) -> bool:
        try:
            where = file.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            where = file.as_posix()
        return any(e.permits(rule=rule, value=value, where=where) for e in self.entries)


def find_allowlist(start: Path) -> Path | None:
    """The allowlist in `start` or the nearest parent, up to the repository root."""
    for directory in (start, *start.parents):
        if (directory / ALLOWLIST_NAME).is_file():
            return directory / ALLOWLIST_NAME
        if (directory / ".git").exists():
            return None
    return None


def load_allowlist(path: Path) -> Allowlist:
    """Read and check an allowlist file; any defect is a `ConfigError` naming the entry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: allowlist cannot be read ({exc})", hint=_ALLOW_HINT) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: allowlist is not TOML ({exc})", hint=_ALLOW_HINT) from None
    tables = data.pop("allow", [])
    if data or not isinstance(tables, list):
        raise ConfigError(f"{path}: an allowlist holds only [[allow]] tables", hint=_ALLOW_HINT)
    entries = tuple(_entry(f"{path}: allow entry {n}", t) for n, t in enumerate(tables, start=1))
    return Allowlist(root=path.parent, entries=entries)


def _entry(where: str, table: Any) -> AllowEntry:
    if not isinstance(table, dict) or set(table) - _ENTRY_KEYS:
        raise ConfigError(f"{where}: unknown keys", hint=f"use {', '.join(sorted(_ENTRY_KEYS))}")
    if not all(isinstance(v, str) for v in table.values()):
        raise ConfigError(f"{where}: every value must be a string", hint=_ALLOW_HINT)
    if table.get("rule") not in RULES:
        raise ConfigError(
            f"{where}: rule {table.get('rule')!r} is unknown", hint=f"use one of {', '.join(RULES)}"
        )
    if not table.get("reason", "").strip():
        raise ConfigError(f"{where}: no reason given", hint='say why it may stay: reason = "..."')
    if sum(key in table for key in _MATCHERS) != 1:
        raise ConfigError(f"{where}: needs exactly one of value, pattern, sha256", hint=_ALLOW_HINT)
    sha256 = table.get("sha256")
    if sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):
        raise ConfigError(f"{where}: sha256 must be 64 hex digits", hint=_SHA_HINT)
    try:
        pattern = re.compile(table["pattern"]) if "pattern" in table else None
    except re.error as exc:
        raise ConfigError(f"{where}: pattern is not a regex ({exc})", hint=_ALLOW_HINT) from None
    return AllowEntry(
        rule=table["rule"], reason=table["reason"], value=table.get("value"), pattern=pattern,
        sha256=sha256.lower() if sha256 else None, path=table.get("path"),
    )


_ALLOW_HINT = (
    f"write each exception in {ALLOWLIST_NAME} as an [[allow]] table with rule, one of value, "
    "pattern or sha256, an optional path glob, and reason"
)
_SHA_HINT = "compute it without echoing the value: `printf %s 'VALUE' | sha256sum`"
