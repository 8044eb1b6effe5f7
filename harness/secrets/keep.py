"""The keep-list for response text: what of an answer may stay as it is; everything else is replaced.

An account-wide answer is full of other people's words (incident titles, notes, alert details,
team and service names), and no block-list can know every way a name, a phone number or a token
is written.  So a string in a response body stays only if it is

- *structural*: an id (`id`, `*_id`, `*_ids`, or any value of an id's shape, `PXYZ123`), a value
  of an enum-like field (`type`, `status`, `urgency`, `severity`, ...) with an enum's shape, a
  machine's snake_case word (`incident_default`), a timestamp or date, or a URL on the
  recording's API hosts, PagerDuty's own hosts (API, app, the account's subdomain) or a public
  asset host, with its ids (path segments that are not ids or words, and every query value, are
  replaced);
- *written by the scenario*: a string it sent itself (its titles, note, resource names, dedup
  keys), or one made of such strings, ids, numbers and punctuation (`[#12] Notebook test incident 1`);
- *a PagerDuty sentence*: words from PagerDuty's own wording of what happened ("Acknowledged by",
  "Notified ... by SMS") around names the vault has already replaced (`Person 3`).

Anything else gets a placeholder from the vault that keeps the string's format class (see
`harness.drift.formats`): free text stays free text, an email an email on a reserved domain, a
URL a URL, a phone number a phone number, a single word a word of the same alphabet and length.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit, urlunsplit

from harness.drift.shape import ENUM_FIELDS as DRIFT_ENUM_FIELDS
from harness.secrets.patterns import EMAIL_RE, SUBDOMAIN_PLACEHOLDER, is_pagerduty_host

# Fields whose values form a small vocabulary: drift's enum-like fields, and a user's settings.
ENUM_FIELDS = DRIFT_ENUM_FIELDS | {
    "color",
    "locale",
    "time_zone",
    "unit",
    "incident_number",
    "code",
    "method",
    "action",
}
# PagerDuty's own wording of what happened, lower-cased: a sentence of these words and names the
# vault replaced is PagerDuty's, not a person's.
PAGERDUTY_WORDS = frozenset(
    {
        "a",
        "acknowledged",
        "acknowledgement",
        "added",
        "an",
        "and",
        "api",
        "apis",
        "assigned",
        "at",
        "automatically",
        "by",
        "changed",
        "channel",
        "default",
        "delegated",
        "due",
        "email",
        "escalated",
        "escalation",
        "event",
        "events",
        "for",
        "from",
        "hour",
        "hours",
        "in",
        "incident",
        "incidents",
        "limit",
        "minute",
        "minutes",
        "note",
        "notification",
        "notified",
        "of",
        "on",
        "or",
        "pagerduty",
        "person",
        "phone",
        "priority",
        "processed",
        "push",
        "reached",
        "reassigned",
        "resolved",
        "sms",
        "snoozed",
        "success",
        "the",
        "through",
        "timeout",
        "to",
        "trigger",
        "triggered",
        "unacknowledged",
        "until",
        "urgency",
        "via",
        "website",
        "with",
    }
)
_ASSET_HOSTS = ("pd-static-assets.pagerduty.com", "gravatar.com")
_ENUM_VALUE = re.compile(r"[A-Za-z][A-Za-z0-9_./+-]{0,63}")
# A machine's word (`incident_default`, `if_has_services`): no person writes a name this way.
_SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
_ID_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
# What a sentence may hold besides words: ids, numbers, times and punctuation.
_NOISE = re.compile(r"\d{4}-\d{2}-\d{2}\S*|\b[A-Z][A-Z0-9]{5,25}\b|(?<!\d)\d{1,6}(?!\d)|[^\w]+|_")
_PHONE_DIGITS = re.compile(r"\d(?:[\s().+-]*\d){6}")
_WORD = re.compile(r"[^\W\d_]+")
# A URL path segment that is structure: a lowercase word, an id, a number, a hex key, a file name.
_STRUCTURAL_SEGMENT = re.compile(
    r"[a-z][a-z_-]*(?:\.[a-z]{2,4})?|[A-Z][A-Z0-9]{5,25}|\d{1,12}|[0-9a-f]{16,64}"
)
_EXTENSION = re.compile(r"[a-z]{2,4}")
_QUERY_VALUE = re.compile(r"[A-Z][A-Z0-9]{5,25}|\d{1,12}|[a-z_]{1,32}|" + _TIMESTAMP.pattern)
URL_SCHEMES = ("https://", "http://", "webcal://")
# A replaced value shorter than this is too likely to stand in other text by chance to search for.
MIN_SEARCHED = 8


class KeepList:
    """Judges the strings of one recording's responses: kept as they are, or replaced.

    `written` holds what the scenario wrote itself (learned from its requests as they are made);
    `api_hosts` the recording's own API and Events hosts.
    """

    def __init__(self, *, written: Iterable[str] = (), api_hosts: Iterable[str] = ()) -> None:
        self.written: set[str] = {w for w in written if w}
        self.api_hosts = frozenset(h.lower() for h in api_hosts if h)
        self._phrases: re.Pattern[str] | None = None

    def learn_written(self, value: str) -> None:
        """Remember a string the scenario sent: it may come back in answers and stay."""
        if value and value not in self.written:
            self.written.add(value)
            self._phrases = None

    def keeps(self, key: str, value: str, known: str) -> bool:
        """Whether `value`, held in field `key`, stays; `known` is it with the vault's secrets replaced."""
        if not value.strip() or value in self.written:
            return True
        if _TIMESTAMP.fullmatch(value):
            return True
        if (key == "id" or key.endswith(("_id", "_ids"))) and _ID_VALUE.fullmatch(value):
            return True
        if (key in ENUM_FIELDS and _ENUM_VALUE.fullmatch(value)) or _SNAKE_CASE.fullmatch(value):
            return True
        if value.startswith(URL_SCHEMES):
            return self.keeps_url(value)
        if "@" in value and EMAIL_RE.search(value):
            return False
        return self._sentence(known)

    def keeps_url(self, url: str) -> bool:
        """A URL stays on our own, PagerDuty's or public asset hosts, if its path is structure only."""
        host = self._host(url)
        if host is None or not self._kept_host(host):
            return False
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        gravatar = host.endswith("gravatar.com")
        if any(not _STRUCTURAL_SEGMENT.fullmatch(s) or (gravatar and len(s) >= 16) for s in segments):
            return False
        # A query value that is not an id, a number, a time or a lowercase word may be a token.
        pairs = [p.partition("=")[2] for p in parts.query.split("&") if p]
        return not parts.fragment and all(_QUERY_VALUE.fullmatch(v) or not v for v in pairs)

    def searchable(self, value: str) -> bool:
        """Whether a replaced value can be searched for in the whole recording without false hits.

        Free text, emails, URLs and words with four digits or more are a person's; a word
        without (`Storage`, `application/json`, `api.pagerduty.com`) is also ordinary text of
        paths, headers and field names, and so is anything inside the scenario's own words or
        the recording's API hosts (`127.0.0.1`).
        """
        if len(value) < MIN_SEARCHED:
            return False
        distinctive = (
            any(ch.isspace() for ch in value)
            or "@" in value
            or value.startswith(URL_SCHEMES)
            or sum(ch.isdigit() for ch in value) >= 4
        )
        return distinctive and not any(value in text for text in (*self.written, *self.api_hosts))

    def _kept_host(self, host: str) -> bool:
        if host in self.api_hosts:
            return True
        if any(host == a or host.endswith("." + a) for a in _ASSET_HOSTS):
            return True
        # `<label>.pagerduty.com`: PagerDuty's own hosts, and account subdomains (the vault
        # replaces those with the placeholder wherever they stand).
        return host.endswith(".pagerduty.com") and host.count(".") <= 3

    @staticmethod
    def _host(url: str) -> str | None:
        try:
            return (urlsplit(url).hostname or "").lower() or None
        except ValueError:
            return None

    def _sentence(self, text: str) -> bool:
        rest = self._phrase_pattern().sub(" ", text) if self.written else text
        rest = _TIMESTAMP.sub(" ", rest)
        # Seven digits or more, however written, may be a phone number.
        if _PHONE_DIGITS.search(rest):
            return False
        return all(word.lower() in PAGERDUTY_WORDS for word in _WORD.findall(_NOISE.sub(" ", rest)))

    def _phrase_pattern(self) -> re.Pattern[str]:
        if self._phrases is None:
            phrases = sorted((w for w in self.written if len(w) >= 4), key=len, reverse=True)
            self._phrases = re.compile("|".join(map(re.escape, phrases)) or r"(?!)")
        return self._phrases


def redacted_url(url: str, number: int, word: Callable[[str], str]) -> str:
    """A URL placeholder of the same format class: same scheme and host class, the path's shape.

    On PagerDuty's and public asset hosts the host stays (an account's subdomain becomes the
    placeholder) and so do structural segments and query values; elsewhere the host becomes a
    reserved one.  Other segments become words of the same alphabet and length (`word`: ids stay
    ids, keys keys) and other query values `redacted`.
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return f"https://redacted-{number}.example/"
    # A calendar feed's URL is its access token, wherever it is served from.
    public = parts.scheme != "webcal" and (
        host.endswith(".pagerduty.com") or any(host == a or host.endswith("." + a) for a in _ASSET_HOSTS)
    )
    if not public:
        netloc = f"redacted-{number}.example"
    elif host.endswith(".pagerduty.com") and not is_pagerduty_host(host.removesuffix(".pagerduty.com")):
        netloc = f"{SUBDOMAIN_PLACEHOLDER}.{'eu.' if host.endswith('.eu.pagerduty.com') else ''}pagerduty.com"
    else:
        netloc = host
    gravatar = host.endswith("gravatar.com")

    def segment(text: str) -> str:
        kept = public and _STRUCTURAL_SEGMENT.fullmatch(text) and not (gravatar and len(text) >= 16)
        if kept or not text:
            return text
        stem, dot, extension = text.rpartition(".")
        if dot and stem and _EXTENSION.fullmatch(extension):
            return f"{word(stem)}.{extension}"  # a file keeps its type: `{key}.png`
        return word(text)

    def pair(text: str) -> str:
        name, _, value = text.partition("=")
        return text if public and (not value or _QUERY_VALUE.fullmatch(value)) else f"{name}=redacted"

    path = "/".join(segment(s) for s in parts.path.split("/"))
    query = "&".join(pair(p) for p in parts.query.split("&") if p)
    return urlunsplit((parts.scheme, netloc, path, query, ""))
