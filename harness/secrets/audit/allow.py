"""The audit allowlist: deliberate exceptions, each with the reason it is safe.

Its format is described in `harness.secrets.audit`; every defect in it is a `ConfigError` naming the entry.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, InputError
from harness.inputs import read_text
from harness.secrets.audit.rules import RULES

ALLOWLIST_NAME = ".harness-audit-allow.toml"
# Thousands of entries fit in a megabyte; more is not an allowlist anyone reviews.
MAX_ALLOWLIST_BYTES = 4 * 1024 * 1024
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
        text = read_text(path, limit=MAX_ALLOWLIST_BYTES, hint=_ALLOW_HINT)
    except InputError as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        raise ConfigError(f"{path}: allowlist cannot be read ({reason})", hint=exc.hint) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: allowlist is not TOML ({exc})", hint=_ALLOW_HINT) from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ConfigError(f"{path}: allowlist is nested too deeply", hint=_ALLOW_HINT) from None
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
        rule=table["rule"],
        reason=table["reason"],
        value=table.get("value"),
        pattern=pattern,
        sha256=sha256.lower() if sha256 else None,
        path=table.get("path"),
    )


_ALLOW_HINT = (
    f"write each exception in {ALLOWLIST_NAME} as an [[allow]] table with rule, one of value, "
    "pattern or sha256, an optional path glob, and reason"
)
_SHA_HINT = "compute it without echoing the value: `printf %s 'VALUE' | sha256sum`"
