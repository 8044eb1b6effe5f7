"""What the scrubber, the vault, the leak check and the settings must agree on, in one place.

The audit (`harness.secrets.audit`) keeps detectors of its own on purpose: it is a second
opinion on recordings, and a blind spot shared with the scrubber would hide exactly what it is
there to find.  It shares only the facts below, which are not a matter of opinion.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from urllib.parse import quote, quote_plus

# The test user's address is the From address plus-addressed with this tag; replay derives it
# from the From placeholder, so the scrubber and the settings must write the same tag.
TEST_USER_TAG = "harness-test"
SUBDOMAIN_PLACEHOLDER = "subdomain"
# RFC 2606 / RFC 6761: domains that can never reach a person.
RESERVED_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost"})
# First labels of `<label>.pagerduty.com` (or `<label>.eu.pagerduty.com`) that are PagerDuty's own
# hosts (REST, Events, web app, OAuth, avatars, calendar feeds, docs, status); any other label is
# a customer account's subdomain.
PAGERDUTY_HOST_LABELS = frozenset(
    {
        "api",
        "events",
        "app",
        "identity",
        "pd-static-assets",
        "webcal",
        "developer",
        "support",
        "www",
        "status",
        "eu",
    }
)
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def is_reserved_domain(domain: str) -> bool:
    """Whether `domain` is (under) a reserved example domain or top-level domain."""
    domain = domain.lower().rstrip(".")
    if domain.rsplit(".", 1)[-1] in RESERVED_TLDS:
        return True
    return any(domain == d or domain.endswith("." + d) for d in RESERVED_EMAIL_DOMAINS)


def is_reserved_email(address: str) -> bool:
    return is_reserved_domain(address.rsplit("@", 1)[-1])


def is_pagerduty_host(subdomain: str) -> bool:
    """Whether `subdomain` (what precedes `.pagerduty.com`) is PagerDuty's own, not an account's."""
    return subdomain.lower().removesuffix(".eu") in PAGERDUTY_HOST_LABELS


def text_encodings(value: str) -> Iterator[tuple[str, str]]:
    """`value` as it may stand in a recording's text: raw, JSON-escaped and URL-encoded."""
    yield "raw", value
    yield "JSON-escaped", json.dumps(value)[1:-1]
    yield "JSON-escaped", json.dumps(value, ensure_ascii=False)[1:-1]
    yield "URL-encoded", quote(value, safe="")
    yield "URL-encoded", quote_plus(value, safe="")


def literal_pattern(literals: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any of `literals` (the longest at each place), built as a trie.

    A flat alternation of a few thousand literals makes the regex engine try each one at every
    character; the trie shares their prefixes, so a search costs about one step per character.
    """
    words = sorted({literal for literal in literals if literal})
    # The regex parser makes many small objects; with a recording in memory each collection they
    # trigger walks all of it, which doubled the time of a compile.
    paused = gc.isenabled()
    gc.disable()
    try:
        return re.compile(_alternation(words) if words else r"(?!)")
    finally:
        if paused:
            gc.enable()


def _alternation(words: list[str]) -> str:
    """The trie of sorted, distinct, non-empty `words` as a regex, longest match first."""
    branches = []
    for _, group in groupby(words, key=itemgetter(0)):
        members = list(group)
        # Sorted: what the first and the last share, all of them share.
        prefix = _shared_prefix(members[0], members[-1])
        rests = [word[len(prefix) :] for word in members]
        longer = [rest for rest in rests if rest]
        tail = _alternation(longer) if longer else ""
        if longer and len(longer) < len(rests):
            # A literal ends here: it is the fallback when no longer one continues.
            tail = f"(?:{tail})?"
        branches.append(re.escape(prefix) + tail)
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _shared_prefix(first: str, last: str) -> str:
    size = 0
    for a, b in zip(first, last, strict=False):
        if a != b:
            break
        size += 1
    return first[:size]
