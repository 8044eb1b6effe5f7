"""What `harness audit` counts as a secret: one rule per kind of leak, and what each lets pass.

Rules, in the order they claim a value that more than one of them matches:

- ``pagerduty-api-key``: the key in an ``Authorization: Token token=<key>`` header.
- ``bearer-token``: an OAuth token in an ``Authorization: Bearer <token>`` header.
- ``pagerduty-integration-key``: a 32-character key in an ``integration_key``, ``routing_key`` or
  ``service_key`` field (JSON, YAML, query strings, HAR name/value pairs).
- ``email-address``: an email address outside the reserved example domains of RFC 2606 and 6761.
- ``phone-number``: a number in a phone field (``phone``, ``mobile``, ``sms``, or an ``address``
  holding one), or a phone number in free text in the common written forms: ``+country``
  (``+1 415 555 2671``, ``+14155552671``, ``+44-20-7946-0018``), parentheses (``(415) 555-2671``,
  ``(020) 79460018``), spaces, dots or dashes (``415 555 2671``, ``415.555.2671``,
  ``020 7946 0018``) and bare 10-15 digits after a word (``call 4155552671``); never timestamps,
  ids, IP addresses, epoch times, ports or durations, and never the fictional 555-0100..555-0199.
- ``pagerduty-subdomain``: an account subdomain in a ``*.pagerduty.com`` host.
- ``calendar-feed-url``: a ``webcal://`` URL; PagerDuty's on-call calendar feeds carry their
  access token in the URL itself.
- ``url-query-token``: a token in a URL's query string: a random-looking value of any parameter,
  or any value of a parameter named like a secret (``token``, ``api_key``, ``pwd``, ``sig``, ...).
- ``yaml-code-tag``: a YAML tag that runs code when the file is loaded with PyYAML's full loader,
  as plain vcrpy loads cassettes (``!!python/object/apply:os.system``).
- ``high-entropy-secret``: a random-looking value in a field whose name says secret, token, key or
  password.

Obvious placeholders (``<API_KEY>``, ``${TOKEN}``, ``xxxxxxxx``, anything saying redacted or
scrubbed) pass every rule; the scanner adds the placeholders a harness manifest lists.  Deliberate
exceptions live in an allowlist (`harness.secrets.audit.allow`), each with the reason it is safe.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from harness.secrets.patterns import SUBDOMAIN_PLACEHOLDER, is_pagerduty_host, is_reserved_domain

API_KEY = "pagerduty-api-key"
BEARER = "bearer-token"
INTEGRATION_KEY = "pagerduty-integration-key"
EMAIL = "email-address"
PHONE = "phone-number"
SUBDOMAIN = "pagerduty-subdomain"
CALENDAR = "calendar-feed-url"
URL_TOKEN = "url-query-token"
YAML_TAG = "yaml-code-tag"
ENTROPY = "high-entropy-secret"
RULES = (API_KEY, BEARER, INTEGRATION_KEY, EMAIL, PHONE, SUBDOMAIN, CALENDAR, URL_TOKEN, YAML_TAG, ENTROPY)

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
    r"|\(0?\d{2,4}\)[ .-]?\d{3,4}[ .-]?\d{3,4}"
    r"|\d{3}([ .-])\d{3}\2\d{4}"
    r"|0\d{2,4}([ .-])\d{3,4}\3\d{3,4})"
    r"(?![\w-]|[.:]\d)"
)
# Bare digits read as a phone number only in prose, after a word ("call 4155552671"): a JSON or
# YAML number follows a colon, and epoch times (10 or 13 digits from 1) are not phones.
_BARE_PHONE = re.compile(r"(?:(?<=[A-Za-z] )|(?<=\())(\d{10,15})(?![\w/-]|[.:]\d)")
_EPOCH = re.compile(r"1\d{9}|1\d{12}")
_URL = re.compile(r"(?i)\b(?:https?|webcal)://[^\s\"'<>\\`]+")
_QUERY_PAIR = re.compile(r"[?&;]([^=&#;]+)=([^&#;]*)")
_YAML_CODE_TAG = re.compile(r"!!python/[\w./:-]*|!<?tag:yaml\.org,2002:python/[\w./:-]*")
_ID_SHAPED = re.compile(r"[A-Z][A-Z0-9]{5,25}")
_SUBDOMAIN_TEXT = re.compile(
    r"(?i)(?<![\w.%\\-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)"
    r"\.pagerduty\.com(?![\w-])"
)
_PHONE_VALUE = re.compile(r"\+?[\d\s().-]{7,24}")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_KEY_VALUE = re.compile(r"[A-Za-z0-9]{32}")
_NAME_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_NAME_SEPARATORS = re.compile(r"[_.-]")
_PLACEHOLDER = re.compile(
    r"(?i)(.)\1*|[x*.•-]+|<.*|\$\{.*|\{\{.*|%\(.*|.*>"
    r"|.*(?:redacted|scrubbed|filtered|placeholder|dummy|changeme).*"
)
_NOT_SECRET_VALUE = re.compile(
    r"[\d\s.:+TZ-]+"  # numbers, dates, times, durations
    r"|(?:[A-Z]?[a-z]+|[A-Z]+)(?:[_.-](?:[A-Z]?[a-z]+|[A-Z]+))+"  # snake, kebab, dotted names
    r"|[a-z]+(?:[A-Z][a-z]+)+|(?:[A-Z][a-z]+){2,}"  # camelCase and PascalCase names
    r"|\w+://.*|/.*|[^@\s]+@[^@\s]+"  # URLs, paths, emails (the email rule judges)
)
_KEY_FIELDS = frozenset({"integrationkey", "routingkey", "servicekey"})
_PHONE_WORDS = frozenset({"phone", "mobile", "sms", "tel", "telephone", "cell", "fax"})
_SECRET_WORDS = frozenset(
    {
        "secret",
        "secrets",
        "token",
        "key",
        "apikey",
        "password",
        "passwd",
        "pwd",
        "passphrase",
    }
)
# Fields named like keys that hold ids, cursors or public material, not secrets.
_NOT_SECRET_WORDS = frozenset(
    {
        "dedup",
        "incident",
        "alert",
        "idempotency",
        "public",
        "sort",
        "cache",
        "primary",
        "foreign",
        "type",
        "url",
        "uri",
        "id",
        "ids",
        "name",
        "expires",
        "expiry",
        "count",
        "length",
        "page",
        "next",
        "cursor",
    }
)
_IMAGE_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp"})
_MESSAGES = {
    API_KEY: "PagerDuty API key in an Authorization header",
    BEARER: "bearer token in an Authorization header",
    EMAIL: "email address outside the reserved example domains",
    PHONE: "phone number outside the fictional range 555-0100..555-0199",
    SUBDOMAIN: "account subdomain in a pagerduty.com host (scrub it to 'subdomain')",
    CALENDAR: "calendar-feed (webcal://) URL, which carries its access token",
    YAML_TAG: "YAML tag that runs code if plain vcrpy (PyYAML's full loader) reads the file",
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
            if not is_reserved_domain(domain) and domain.rsplit(".", 1)[1] not in _IMAGE_TLDS:
                yield _hit(EMAIL, match, 1)
    for match in _PHONE_TEXT.finditer(text):
        if _real_phone(match[1]):
            yield _hit(PHONE, match, 1)
    if "pagerduty.com" in lowered:
        for match in _SUBDOMAIN_TEXT.finditer(text):
            label = match[1].lower().removesuffix(".eu")
            if not is_pagerduty_host(label) and label != SUBDOMAIN_PLACEHOLDER:
                yield _hit(SUBDOMAIN, match, 1)
    for match in _BARE_PHONE.finditer(text):
        if not _EPOCH.fullmatch(match[1]) and _real_phone(match[1]):
            yield _hit(PHONE, match, 1)
    if "://" in text:
        yield from _url_hits(text)
    if "!" in text:
        for match in _YAML_CODE_TAG.finditer(text):
            yield _hit(YAML_TAG, match, 0)


def _url_hits(text: str) -> Iterator[Hit]:
    for url in _URL.finditer(text):
        if is_placeholder(url[0]):
            continue
        if url[0][:7].lower() == "webcal:":
            yield _hit(CALENDAR, url, 0)
            continue
        for pair in _QUERY_PAIR.finditer(url[0]):
            name, value = pair[1], pair[2].replace("+", " ")  # `+` is a space in a query
            if not value or "%" in value or is_placeholder(value):
                continue  # an encoded value is judged in its decoded form, once
            secret_name = _field_kinds(name)[2]
            if (secret_name and len(value) >= 8) or (
                _looks_secret(value) and _looks_random(value) and not _ID_SHAPED.fullmatch(value)
            ):
                yield Hit(
                    URL_TOKEN,
                    value,
                    url.start() + pair.start(2),
                    f"token in the query parameter {name!r} of a URL",
                )


def field_hit(name: str, value: str, start: int) -> Hit | None:
    """Judge a value by the name of the field that holds it."""
    key_field, phone_field, secret_field = _field_kinds(name)
    if key_field and _KEY_VALUE.fullmatch(value) and not is_placeholder(value):
        return Hit(INTEGRATION_KEY, value, start, f"integration key in field {name!r}")
    if phone_field and _PHONE_VALUE.fullmatch(value) and not _IPV4.fullmatch(value):
        return Hit(PHONE, value, start, _MESSAGES[PHONE]) if _real_phone(value) else None
    if secret_field and _looks_secret(value):
        return Hit(ENTROPY, value, start, f"high-entropy value in field {name!r}")
    return None


@lru_cache(maxsize=4096)
def _field_kinds(name: str) -> tuple[bool, bool, bool]:
    # A recording repeats a few dozen field names many thousand times: judge each name once.
    words = {word.lower() for word in _NAME_WORDS.findall(name)}
    squashed = _NAME_SEPARATORS.sub("", name.lower())
    return (
        squashed in _KEY_FIELDS,
        bool(words & _PHONE_WORDS) or squashed == "address",
        bool(words & _SECRET_WORDS) and not words & _NOT_SECRET_WORDS,
    )


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
