"""The fail-closed check: search a finished recording for every secret the run knows of."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from harness.secrets.patterns import text_encodings
from harness.secrets.vault import MIN_FREE_TEXT, Vault

# A base64 fragment shorter than this matches by chance too often to mean anything.
MIN_BASE64 = 8


@dataclass(frozen=True)
class Leak:
    """Where a secret was found: file, line, what kind of secret and in which encoding; never the value."""

    file: str
    line: int
    kind: str
    form: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: a {self.kind} ({self.form})"


def find_leaks(files: Mapping[str, str], vault: Vault) -> list[Leak]:
    """Every place in `files` (name -> text) where a known secret appears in any encoding."""
    forms: dict[str, tuple[str, str]] = {}
    for secret in vault.secrets:
        if len(secret) < MIN_FREE_TEXT:
            continue
        for form, encoded in _encodings(secret):
            forms.setdefault(encoded, (vault.kind(secret), form))
    if not forms:
        return []
    pattern = re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))
    leaks = []
    for name, text in files.items():
        for number, line in enumerate(text.splitlines(), start=1):
            for match in pattern.finditer(line):
                if _is_mapping_key(line, match.start(), match.end()):
                    continue
                kind, form = forms[match.group(0)]
                leaks.append(Leak(file=name, line=number, kind=kind, form=form))
    return leaks


def _is_mapping_key(line: str, start: int, end: int) -> bool:
    """Whether the match is a whole YAML or JSON key (`sandbox:`, `"sandbox":`), i.e. structure.

    A sandbox account may be called `sandbox`; the manifest's `"sandbox": true` is not a leak.
    """
    before = line[:start].lstrip(" -")
    if not before and line[end:].startswith(":"):
        return True
    return before == '"' and line[end:].startswith('":')


def _encodings(secret: str) -> Iterator[tuple[str, str]]:
    yield from text_encodings(secret)
    raw = secret.encode()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for offset in range(3):
            # Inside a longer base64 text the secret starts at any of three byte alignments; keep
            # only the characters whose bits all come from the secret.
            encoded = encode(b"\0" * offset + raw).decode()
            start, end = -(-offset * 8 // 6), (offset + len(raw)) * 8 // 6
            if end - start >= MIN_BASE64:
                yield "base64", encoded[start:end]
