"""The format class of a string: what kind of value it is, with the values themselves taken out.

Drift compares formats, not values: two runs never share an id or a timestamp, but an id keeps
its prefix and length and a timestamp its precision and offset style unless PagerDuty changes
them.  The classes:

- ``timestamp (seconds, Z)``: precision (seconds, milliseconds, ...) and offset style (``Z`` or
  a numeric offset such as ``+01:00``); ``date`` for a bare day;
- ``url (https, account host, /incidents/{id}?incident_id)``: scheme, host class and path
  template with ids, numbers and keys as placeholders, plus the query's parameter names; the
  API's own URLs leave the scheme out (it is the client's base URL, http for the sandbox);
- ``email``, ``uuid``, ``hex key (32)``, ``digits``, ``id (P, 7)`` (prefix and length),
  ``empty`` and ``text`` (anything else).

Host classes: ``api host`` (the recording's API and Events hosts, PagerDuty's api/events hosts),
``account host`` (``<subdomain>.pagerduty.com``, which scrubbing turns into
``subdomain.pagerduty.com``), ``asset host`` (pd-static-assets.pagerduty.com, Gravatar) and
``other host``.  Scrubbing keeps every class: placeholder emails are emails on example.com, keys
keep their length and alphabet, the subdomain stays a ``*.pagerduty.com`` host.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from harness.drift.nodes import TEXT

_ASSET_HOSTS = ("pd-static-assets.pagerduty.com", "gravatar.com")
_PAGERDUTY_API_HOSTS = frozenset(
    {
        "api.pagerduty.com",
        "api.eu.pagerduty.com",
        "events.pagerduty.com",
        "events.eu.pagerduty.com",
    }
)
# One anchored alternation: most strings fail it at their first character.
_SHAPES = re.compile(
    r"(?P<stamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?P<fraction>\.\d+)?(?P<zone>Z|[+-]\d{2}:?\d{2})?)"
    r"|(?P<date>\d{4}-\d{2}-\d{2})"
    r"|(?P<uuid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
    r"|(?P<digits>\d+)"
    r"|(?P<hex>[0-9a-f]{16,}|[0-9A-F]{16,})"
    r"|(?P<id>[A-Z][A-Z0-9]{5,25})"
    r"|(?P<email>[^\s@]+@[^\s@]+\.[A-Za-z]{2,})"
)
_HEX = re.compile(r"[0-9A-F]{16,}")
_UTC_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
# A URL's run-to-run values: path segments that are ids, numbers or keys, and query values.
_URL_NOISE = re.compile(
    r"(?<=/)(?:(?P<key>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{16,})|(?P<n>\d+)|(?P<id>[A-Z][A-Z0-9]{5,})|(?P<time>\d{4}-\d{2}-\d{2}[^/?]*))"
    r"(?=[/?.#]|$)|(?<==)[^&#]*"
)
_URL_PLACEHOLDERS = {"key": "{key}", "n": "{n}", "id": "{id}", "time": "{time}"}
_PRECISION = {0: "seconds", 3: "milliseconds", 6: "microseconds", 9: "nanoseconds"}
# Past this many distinct strings the cache is dropped: ids and timestamps are mostly unique.
_CACHE_LIMIT = 100_000


class FormatClassifier:
    """Classifies strings of one recording, whose API hosts it is told.

    `cache` maps each string seen to its class (the shape builder reads it directly: it is the
    hot path of drift on big pages), `coarse` maps a URL's class to its scheme and host class.
    """

    def __init__(self, api_hosts: Iterable[str] = ()) -> None:
        self._api_hosts = _PAGERDUTY_API_HOSTS | {h.lower() for h in api_hosts if h}
        self.cache: dict[str, str] = {}
        self.coarse: dict[str, str] = {}
        self._urls: dict[str, str] = {}
        self._prefixes: dict[str, str] = {}

    def __call__(self, value: str) -> str:
        found = self.cache.get(value)
        return self.miss(value) if found is None else found

    def miss(self, value: str) -> str:
        """Classify a string the cache does not hold, and remember it."""
        if len(self.cache) >= _CACHE_LIMIT:
            self.cache.clear()
            self._prefixes.clear()
        found = self.cache[value] = self._classify(value)
        return found

    def _classify(self, value: str) -> str:
        if not value:
            return "empty"
        if " " in value:
            return TEXT  # no other class holds a space: most free text ends here
        first = value[0]
        if first == "h" and value.startswith(("https://", "http://")):
            return self._url(value)
        # The commonest unique strings, ids and second-precision UTC timestamps, skip the regex.
        if (
            "A" <= first <= "Z"
            and 6 <= len(value) <= 26
            and value.isalnum()
            and value.isupper()
            and value.isascii()
            and not _HEX.fullmatch(value)
        ):
            return f"id ({first}, {len(value)})"
        if len(value) == 20 and value[19] == "Z" and _UTC_SECONDS.fullmatch(value):
            return "timestamp (seconds, Z)"
        match = _SHAPES.fullmatch(value)
        if match is None:
            return TEXT
        shape = match.lastgroup
        if shape in ("fraction", "zone", "stamp"):
            fraction = match.group("fraction")
            digits = len(fraction) - 1 if fraction else 0
            zone = match.group("zone")
            style = "no offset" if zone is None else "Z" if zone == "Z" else "offset"
            return f"timestamp ({_PRECISION.get(digits, f'{digits} decimals')}, {style})"
        if shape == "id":
            return f"id ({value[0]}, {len(value)})"
        if shape == "hex":
            return f"hex key ({len(value)})"
        return str(shape)

    def _url(self, value: str) -> str:
        # Most URLs are a shared prefix and an id (`.../incidents/` and `Q0RIJJZL24RC6W`): the
        # prefix is classified once.
        prefix, _, last = value.rpartition("/")
        if (
            "A" <= last[:1] <= "Z"
            and 6 <= len(last) <= 26
            and last.isalnum()
            and last.isupper()
            and last.isascii()
            and not _HEX.fullmatch(last)
        ):
            found = self._prefixes.get(prefix)
            if found is None:
                found = self._prefixes[prefix] = self._skeleton_class(value)
            return found
        return self._skeleton_class(value)

    def _skeleton_class(self, value: str) -> str:
        # Only the part after the host has run-to-run values; the skeleton is classified once.
        cut = value.find("/", value.find("//") + 2)
        skeleton = value if cut < 0 else value[:cut] + _URL_NOISE.sub(_placeholder, value[cut:])
        found = self._urls.get(skeleton)
        if found is None:
            found = self._urls[skeleton] = self._url_class(skeleton)
        return found

    def _url_class(self, skeleton: str) -> str:
        try:
            parts = urlsplit(skeleton)
            host = (parts.hostname or "").lower()
        except ValueError:
            return TEXT
        template = parts.path or "/"
        if parts.query:
            names = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
            template += "?" + "&".join(names)
        api = host in self._api_hosts
        where = "api host" if api else f"{parts.scheme}, {self._host_class(host)}"
        found = f"url ({where}, {template})"
        self.coarse[found] = f"url ({where})"
        return found

    @staticmethod
    def _host_class(host: str) -> str:
        for asset in _ASSET_HOSTS:
            if host == asset or host.endswith(f".{asset}"):
                # Gravatar and PagerDuty's own assets are both public, but a move between them
                # is the news (avatar_url, 2026-07-28).
                return f"asset host {asset}"
        if host.endswith(".pagerduty.com"):
            return "account host"
        return "other host"


def _placeholder(match: re.Match[str]) -> str:
    return _URL_PLACEHOLDERS.get(match.lastgroup or "", "")


def api_hosts(*urls: str) -> tuple[str, ...]:
    """The host names of a recording's base URLs."""
    hosts = []
    for url in urls:
        try:
            hosts.append(urlsplit(url).hostname or "")
        except ValueError:
            continue
    return tuple(hosts)
