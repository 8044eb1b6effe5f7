"""The fail-closed check: search a finished recording for every secret the run knows of.

Every value the vault searches for (the run's secrets and what the keep-list replaced, see
`Vault.searched`) is looked for raw, JSON-escaped and URL-encoded, and inside base64: each run of
base64 characters is decoded from its start, which finds a secret at any byte alignment.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass

from harness.secrets.vault import Vault

# A base64 run shorter than this holds no secret long enough to be searched for (6 bytes).
MIN_BASE64 = 8
_BASE64_RUN = re.compile(rf"[A-Za-z0-9+/]{{{MIN_BASE64},}}={{0,2}}|[A-Za-z0-9_-]{{{MIN_BASE64},}}={{0,2}}")


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
    pattern, origins = vault.search_pattern()
    if pattern is None:
        return []
    leaks = []
    for name, text in files.items():
        for number, line in enumerate(text.splitlines(), start=1):
            for match in pattern.finditer(line):
                if match.group(0) not in origins or _is_mapping_key(line, match.start(), match.end()):
                    continue
                kind, form = origins[match.group(0)]
                leaks.append(Leak(file=name, line=number, kind=kind, form=form))
            for run in _BASE64_RUN.finditer(line):
                decoded = _decoded(run.group(0))
                kinds = [origins[f][0] for f in pattern.findall(decoded) if f in origins] if decoded else []
                if kinds:
                    leaks.append(Leak(file=name, line=number, kind=kinds[0], form="base64"))
    return leaks


def _decoded(run: str) -> str:
    data = run.rstrip("=")
    data = data[: len(data) - len(data) % 4 if len(data) % 4 == 1 else len(data)]
    urlsafe = "-" in data or "_" in data
    try:
        raw = (base64.urlsafe_b64decode if urlsafe else base64.b64decode)(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return ""
    # Bytes that are not UTF-8 become U+FFFD, which no secret holds: text around them still counts.
    return raw.decode("utf-8", errors="replace")


def _is_mapping_key(line: str, start: int, end: int) -> bool:
    """Whether the match is a whole YAML or JSON key (`sandbox:`, `"sandbox":`), i.e. structure.

    A sandbox account may be called `sandbox`; the manifest's `"sandbox": true` is not a leak.
    """
    before = line[:start].lstrip(" -")
    if not before and line[end:].startswith(":"):
        return True
    return before == '"' and line[end:].startswith('":')
