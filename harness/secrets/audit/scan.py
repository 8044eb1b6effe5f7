"""Scan recordings for secrets: the core of `harness audit`.

A directory is searched recursively (hidden directories skipped) for ``.yaml``, ``.yml``,
``.json`` and ``.har`` files; a file named on its own is scanned whatever its suffix.  Each file
is read line by line (`harness.secrets.audit.text`), so every finding carries the exact line (and column)
where its text sits, and the rules in `harness.secrets.audit.rules` see through the encodings recorders
use: JSON held in a YAML or JSON string, JSON escapes (``\\u0040``), URL encoding (``%40``),
base64 runs and vcrpy's ``!!binary`` blocks (gzip included).  A secret found in decoded text is
reported where its encoded text sits.

Known-safe values come from two places:

- a harness ``manifest.json`` beside a scanned file: a value under ``"placeholders"`` (what the
  scrubber wrote in place of a token, key, email or subdomain) passes when it has the shape the
  scrubber gives it (`harness.secrets.vault.is_placeholder_value`: emails on reserved example domains, a
  key derived from its own name), so a real token or email listed there is still reported;
- the allowlist (`harness.secrets.audit.allow`), ``.harness-audit-allow.toml`` (found in the working
  directory or a parent, up to the repository root, or named with ``--allowlist``), one
  ``[[allow]]`` table per exception::

      [[allow]]
      rule = "email-address"  # a rule id from harness.secrets.audit.rules.RULES
      sha256 = "9f86d0818...b0f00a08"  # or value = "...", or pattern = "regex" (full match)
      path = "cassettes/*.yaml"  # optional; fnmatch glob relative to this file's folder
      reason = "The public on-call alias, printed on our status page."  # required
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from harness.cassettes import MANIFEST_NAME, load_manifest
from harness.errors import InputError
from harness.inputs import read_bytes
from harness.secrets.audit.allow import Allowlist, find_allowlist, load_allowlist
from harness.secrets.audit.report import AuditFinding, AuditReport
from harness.secrets.audit.rules import mask
from harness.secrets.audit.text import scan_text
from harness.secrets.vault import is_placeholder_value

RECORDING_SUFFIXES = frozenset({".yaml", ".yml", ".json", ".har"})


def audit_paths(*, paths: Sequence[Path], allowlist: Path | None = None) -> AuditReport:
    """Scan recording files and directories for secrets, minus placeholders and allowed values.

    Without `allowlist`, the `.harness-audit-allow.toml` found from the working directory applies.
    """
    if not paths:
        raise InputError("no recording to audit", hint="name one: `harness audit cassettes`")
    found = allowlist or find_allowlist(Path.cwd())
    allowed = load_allowlist(found) if found else Allowlist(root=Path.cwd(), entries=())
    files = _files_to_scan(paths)
    placeholders: dict[Path, frozenset[str]] = {}
    findings: list[AuditFinding] = []
    for path in files:
        if path.parent not in placeholders:
            placeholders[path.parent] = _manifest_placeholders(path.parent)
        safe = placeholders[path.parent]
        for spot in scan_text(_read_text(path)):
            if spot.value in safe or allowed.permits(rule=spot.rule, value=spot.value, file=path):
                continue
            findings.append(
                AuditFinding(
                    file=path,
                    line=spot.line,
                    column=spot.column,
                    rule=spot.rule,
                    masked=mask(spot.value),
                    message=spot.message,
                )
            )
    return AuditReport(findings=tuple(findings), files_scanned=len(files))


def _files_to_scan(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    seen: set[str] = set()
    for path in paths:
        try:
            is_dir = stat.S_ISDIR(path.stat().st_mode)
        except FileNotFoundError:
            raise InputError(f"{path}: no such file or directory", hint=_PATH_HINT) from None
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror})", hint=_PATH_HINT) from None
        # A named file is read whatever it is: the reader refuses FIFOs and devices with a reason.
        candidates = list(_recording_files(path)) if is_dir else [path]
        for candidate in candidates:
            # realpath, unlike Path.resolve, does not raise on a symlink loop.
            key = os.path.realpath(candidate)
            if key not in seen:
                seen.add(key)
                files.append(candidate)
    return files


def _recording_files(directory: Path) -> Iterator[Path]:
    def fail(error: OSError) -> None:
        raise InputError(f"{error.filename}: cannot be read ({error.strerror})", hint=_PATH_HINT)

    for root, dirs, names in os.walk(directory, onerror=fail):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if Path(name).suffix.lower() in RECORDING_SUFFIXES:
                yield Path(root) / name


def _read_text(path: Path) -> str:
    data = read_bytes(path, hint=_PATH_HINT)
    if b"\x00" in data:
        raise InputError(f"{path}: not a text file (it holds NUL bytes)", hint=_PATH_HINT)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})", hint=_PATH_HINT) from None


def _manifest_placeholders(directory: Path) -> frozenset[str]:
    # Only a readable harness manifest vouches for placeholders, and only for values shaped as the
    # scrubber writes them; another tool's manifest.json, or a damaged one, is plain input.
    if not (directory / MANIFEST_NAME).is_file():
        return frozenset()
    try:
        placeholders = load_manifest(directory).placeholders
    except InputError:
        return frozenset()
    return frozenset(v for k, v in placeholders.items() if is_placeholder_value(k, v))


_PATH_HINT = "name recording files or directories of UTF-8 text (YAML, JSON or HAR)"
