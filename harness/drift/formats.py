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

from harness.drift.noise import normalise_text
from harness.drift.shape import TEXT

_ASSET_HOSTS = ("pd-static-assets.pagerduty.com", "gravatar.com")
_PAGERDUTY_API_HOSTS = frozenset({
    "api.pagerduty.com", "api.eu.pagerduty.com", "events.pagerduty.com", "events.eu.pagerduty.com",
})
# One anchored alternation: most strings fail it at their first character.
_SHAPES = re.compile(
    r"(?P<stamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?P<fraction>\.\d+)?(?P<zone>Z|[+-]\d{2}:?\d{2})?)"
    r"|(?P<date>\d{4}-\d{2}-\d{2})"
    r"|(?P<uuid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
    r"|(?P<digits>\d+)"
    r"|(?P<hex>[0-9a-f]{16,}|[0-9A-F]{16,})"
    r"|(?P<id>[A-Z][A-Z0-9]{5,25})"
    r"|(?P<email>[^\s@]+@[^\s@]+\.[A-Za-z]{2,})"
    r"|(?P<url>https?://\S+)"
)
_PRECISION = {0: "seconds", 3: "milliseconds", 6: "microseconds", 9: "nanoseconds"}
# Past this many distinct strings the cache is dropped: ids and timestamps are mostly unique.
_CACHE_LIMIT = 50_000


class FormatClassifier:
    """Classifies strings of one recording, whose API hosts it is told."""

    def __init__(self, api_hosts: Iterable[str] = ()) -> None:
        self._api_hosts = _PAGERDUTY_API_HOSTS | {h.lower() for h in api_hosts if h}
        self._cache: dict[str, str] = {}

    def __call__(self, value: str) -> str:
        found = self._cache.get(value)
        if found is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            found = self._cache[value] = self._classify(value)
        return found

    def _classify(self, value: str) -> str:
        if not value:
            return "empty"
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
        if shape == "url":
            return self._url(value)
        return str(shape)

    def _url(self, value: str) -> str:
        try:
            parts = urlsplit(value)
            host = (parts.hostname or "").lower()
        except ValueError:
            return TEXT
        template = normalise_text(parts.path) or "/"
        if parts.query:
            names = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
            template += "?" + "&".join(names)
        if host in self._api_hosts:
            return f"url (api host, {template})"
        return f"url ({parts.scheme}, {self._host_class(host)}, {template})"

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


def api_hosts(*urls: str) -> tuple[str, ...]:
    """The host names of a recording's base URLs."""
    hosts = []
    for url in urls:
        try:
            hosts.append(urlsplit(url).hostname or "")
        except ValueError:
            continue
    return tuple(hosts)
