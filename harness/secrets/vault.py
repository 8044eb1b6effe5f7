"""The vault: every secret value a run has seen, each with one consistent, shape-keeping placeholder.

Placeholders keep their shape so that the recording still reads and replays like the real thing:
an email stays an email on a reserved example domain, a phone number keeps its digits' layout,
a key keeps its length and alphabet.  The same real value always gets the same placeholder, and
the numbering follows first sight, so two recordings of the same scenario get the same ones.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections import Counter
from collections.abc import Iterable

from harness.secrets.keep import redacted_url
from harness.secrets.patterns import (
    SUBDOMAIN_PLACEHOLDER,
    TEST_USER_TAG,
    is_reserved_email,
    literal_pattern,
    text_encodings,
)

# Values shorter than this are too common to replace in free text without mangling it.
MIN_FREE_TEXT = 4
# What the keep-list replaces where it stands (`harness.secrets.keep`): free text, single words
# and URLs of other people.  They are not a run's secrets, so the manifest does not list them.
REPLACED_KINDS = frozenset({"text", "word", "url"})


class Vault:
    """Real value -> placeholder, learned as the run goes; public names are never secrets."""

    def __init__(self, *, public: Iterable[str] = ()) -> None:
        self.public = frozenset(public)
        self._placeholders: dict[str, str] = {}
        self._kinds: dict[str, str] = {}
        self._counts: Counter[str] = Counter()
        self._patterns: dict[bool, tuple[re.Pattern[str] | None, dict[str, str]]] = {}
        self._origins: dict[str, tuple[str, str]] = {}
        self._unsearched: set[str] = set()

    def learn(self, kind: str, value: str, *, searched: bool = True) -> str:
        """Remember `value` as a secret of `kind` and return its placeholder.

        A value learned with `searched=False` is replaced only where the caller puts its
        placeholder: it is also ordinary text of the recording (see `KeepList.searchable`).
        """
        value = value.strip()
        if not value or value in self.public or value in self._placeholders.values():
            return value
        if not searched and value not in self._placeholders:
            self._unsearched.add(value)
        if value not in self._placeholders:
            self._counts[kind] += 1
            self._placeholders[value] = self._make(kind, value, self._counts[kind])
            self._kinds[value] = kind
            # A replaced value leaves the secrets' pattern as it is (see `replace_known`).
            self._patterns.pop(True, None)
            if kind not in REPLACED_KINDS:
                self._patterns.pop(False, None)
        return self._placeholders[value]

    def placeholder(self, value: str) -> str:
        return self._placeholders.get(value, value)

    def kind(self, value: str) -> str:
        return self._kinds.get(value, "secret")

    @property
    def secrets(self) -> list[str]:
        """Every real value learned and searched for, longest first."""
        return sorted((v for v in self._placeholders if self.searched(v)), key=len, reverse=True)

    def searched(self, value: str) -> bool:
        """Whether `value` is replaced wherever it stands and searched for in the finished recording."""
        if value in self._unsearched:
            return False
        return len(value) >= MIN_FREE_TEXT or self._kinds.get(value) != "name"

    def placeholders_by_name(self) -> dict[str, str]:
        """The placeholders a recording's manifest lists (name `kind:n`), so tools can trust them."""
        numbered: dict[str, str] = {}
        seen: Counter[str] = Counter()
        for real, placeholder in self._placeholders.items():
            kind = self._kinds[real]
            if kind in REPLACED_KINDS:
                continue
            seen[kind] += 1
            numbered[f"{kind}:{seen[kind]}"] = placeholder
        return numbered

    def replace_known(self, text: str, *, replaced: bool = False) -> str:
        """Replace every known secret in `text`, raw or JSON-escaped or URL-encoded.

        With `replaced`, also every value the keep-list replaced that is searched for (see
        `searched`): the save-time sweep does, while exchanges are scrubbed with the secrets
        alone, whose search pattern changes rarely (rebuilding it costs a run-time per body).
        """
        if not self._placeholders or not text:
            return text
        pattern, forms = self._compiled(replaced)
        if pattern is None:
            return text
        return pattern.sub(lambda match: forms[match.group(0)], text)

    def search_pattern(self) -> tuple[re.Pattern[str] | None, dict[str, tuple[str, str]]]:
        """The pattern of every searched value in every text encoding, and what each match is.

        A match maps to (kind, encoding), never to the value: the fail-closed check reports
        those.  It is the save-time sweep's pattern, so the recording is searched without
        building another.
        """
        pattern, _ = self._compiled(True)
        return pattern, self._origins

    def _compiled(self, replaced: bool) -> tuple[re.Pattern[str] | None, dict[str, str]]:
        if replaced not in self._patterns:
            forms: dict[str, str] = {}
            origins: dict[str, tuple[str, str]] = {}
            for real, placeholder in self._placeholders.items():
                if not self.searched(real) or (not replaced and self._kinds[real] in REPLACED_KINDS):
                    continue
                for (form, encoded), (_, replacement) in zip(
                    text_encodings(real), text_encodings(placeholder), strict=True
                ):
                    forms.setdefault(encoded, replacement)
                    if len(real) >= MIN_FREE_TEXT:  # shorter ones match by chance
                        origins.setdefault(encoded, (self._kinds[real], form))
            self._patterns[replaced] = (literal_pattern(forms) if forms else None, forms)
            if replaced:
                self._origins = origins
        return self._patterns[replaced]

    def _make(self, kind: str, value: str, number: int) -> str:
        if kind == "email":
            return self._email(value, number)
        if kind == "subdomain":
            return SUBDOMAIN_PLACEHOLDER
        if kind == "name":
            return f"Person {number}"
        if kind == "phone":
            return _phone(value, number)
        if kind == "text":
            return f"Redacted text {number}"
        if kind == "word":
            return _word(value, f"word:{number}", number)
        if kind == "url":
            return redacted_url(value, number, lambda segment: _word(segment, f"url:{number}", number))
        return _same_alphabet(value, f"{kind}:{number}")

    def _email(self, value: str, number: int) -> str:
        tag = value.partition("@")[0].partition("+")[2]
        if tag == TEST_USER_TAG:
            # Keep the test user's address derivable from the From placeholder, as replay derives it.
            owner = self.learn("email", value.replace(f"+{tag}", "", 1))
            owner_local, _, owner_domain = owner.partition("@")
            return f"{owner_local}+{tag}@{owner_domain}"
        return f"person-{number}@example.com"


def _phone(value: str, number: int) -> str:
    """Same layout, digits from the fictional 555-01xx range, so it still reads as a phone number."""
    count = sum(ch.isdigit() for ch in value)
    # (555) 555-01NN for a ten-digit number; shorter or longer numbers keep the same tail.
    digits = ("5" * count + f"55501{number % 100:02d}")[-count:] if count else ""
    out, feed = [], iter(digits)
    for ch in value:
        out.append(next(feed) if ch.isdigit() else ch)
    return "".join(out)


def _word(value: str, seed: str, number: int) -> str:
    """Same alphabet and length; a run of seven digits or more becomes a fictional phone number."""
    word = _same_alphabet(value, seed)
    return _DIGIT_RUN.sub(lambda run: _phone(run.group(0), number), word)


_DIGIT_RUN = re.compile(r"\d{7,}")


def is_placeholder_value(name: str, value: str) -> bool:
    """Whether `value` is what the vault writes for the placeholder a manifest lists as `name`.

    `harness audit` trusts a manifest's placeholders only when this holds, so that listing a real
    token or email there cannot silence it: emails must be on a reserved example domain, and a
    key-shaped placeholder must be the one derived from its own name (`token:1`), which a real
    value is not.
    """
    kind, _, number = name.partition(":")
    if kind in ("email", "from_email", "test_user_email"):
        return "@" in value and is_reserved_email(value)
    if kind == "subdomain":
        return value == SUBDOMAIN_PLACEHOLDER
    if not number.isdigit():
        return False
    if kind == "name":
        return value == f"Person {number}"
    if kind == "phone":
        return _phone(value, int(number)) == value
    # A real value that was not all hex may still get an all-hex placeholder: try both alphabets.
    return value in (_same_alphabet(value, name, hexish=True), _same_alphabet(value, name, hexish=False))


def _same_alphabet(value: str, seed: str, *, hexish: bool | None = None) -> str:
    """A value of the same length whose every character is of the same class as the original's."""
    stream = hashlib.sha256(seed.encode()).digest()
    while len(stream) < len(value):
        stream += hashlib.sha256(stream).digest()
    if hexish is None:
        hexish = all(ch in string.hexdigits for ch in value)
    out = []
    for ch, byte in zip(value, stream, strict=False):
        if ch.isdigit():
            out.append(string.digits[byte % 10])
        elif hexish and ch.isalpha():
            out.append(("abcdef" if ch.islower() else "ABCDEF")[byte % 6])
        elif ch.islower():
            out.append(string.ascii_lowercase[byte % 26])
        elif ch.isupper():
            out.append(string.ascii_uppercase[byte % 26])
        else:
            out.append(ch)
    return "".join(out)
