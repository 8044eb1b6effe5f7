"""The result of `harness audit` as data, and its renderings as text or JSON.

Text, one line per finding and a summary line::

    cassettes/05-create-integration.yaml:41: pagerduty-integration-key 3f…9a — integration key in …
    1 finding in 29 files

JSON: ``{"findings": [{"file", "line", "column", "rule", "masked", "message"}, ...],
"summary": {"files": n, "findings": n}}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from harness.errors import ConfigError

FORMATS = ("text", "json")


@dataclass(frozen=True)
class AuditFinding:
    """One suspected secret: where it sits, which rule caught it, and the value masked."""

    file: Path
    line: int
    column: int
    rule: str
    masked: str
    message: str


@dataclass(frozen=True)
class AuditReport:
    """Every finding of one audit, in file and line order, and how many files were read."""

    findings: tuple[AuditFinding, ...]
    files_scanned: int


def render_audit(report: AuditReport, *, fmt: str) -> str:
    """Render an audit report as ``text`` or ``json``."""
    if fmt == "text":
        return _text(report)
    if fmt == "json":
        return _json(report)
    raise ConfigError(f"unknown audit format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")


def _text(report: AuditReport) -> str:
    lines = [f"{f.file.as_posix()}:{f.line}: {f.rule} {f.masked} — {f.message}" for f in report.findings]
    lines.append(f"{_count(len(report.findings), 'finding')} in {_count(report.files_scanned, 'file')}")
    return "\n".join(lines)


def _json(report: AuditReport) -> str:
    data = {
        "findings": [
            {
                "file": f.file.as_posix(),
                "line": f.line,
                "column": f.column,
                "rule": f.rule,
                "masked": f.masked,
                "message": f.message,
            }
            for f in report.findings
        ],
        "summary": {"files": report.files_scanned, "findings": len(report.findings)},
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
