"""`harness audit` on one big single-line HAR: its time, and its peak memory against the file's size.

The HAR holds one response whose JSON body is escaped inside the HAR's JSON, as browsers save it:
one line of many megabytes, which the scanner decodes (JSON escapes, twice) and scans at each
level.  Memory must stay a few times the file (it was 240 times: 4.8 GB for 20 MB).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from figures import BenchResult, Figure, Target
from memory import can_fork, rss_in_child, traced_peak
from profiling import top_costs

from harness.secrets.audit import audit_paths

NAME = "audit"
FULL_MB = (2, 20)
QUICK_MB = (1,)
MAX_PEAK_PER_INPUT = 6.0
MAX_SECONDS_PER_MB = 2.0


def har_text(megabytes: float) -> str:
    """A one-line HAR of about `megabytes` MB: an incident list escaped inside a response's text."""
    per_incident = 190
    count = max(1, int(megabytes * 1e6 / per_incident))
    incidents = [
        {
            "id": f"Q{i:013d}",
            "title": f"CPU high on host-{i}",
            "summary": 'person-1@example.com said "ok"',
            "html_url": f"https://subdomain.pagerduty.com/incidents/Q{i}",
        }
        for i in range(count)
    ]
    entry = {
        "request": {
            "method": "GET",
            "url": "https://api.pagerduty.com/incidents",
            "headers": [{"name": "Authorization", "value": "Token token=<API_KEY>"}],
        },
        "response": {
            "status": 200,
            "content": {"mimeType": "application/json", "text": json.dumps({"incidents": incidents})},
        },
    }
    return json.dumps({"log": {"version": "1.2", "entries": [entry]}})


def run(*, quick: bool) -> BenchResult:
    """Audit HARs of growing size; report seconds, peak memory and peak over input size."""
    figures: list[Figure] = []
    notes: list[str] = []
    diagnosis: list[str] = []
    with tempfile.TemporaryDirectory(prefix="harness-audit-bench-") as scratch:
        for megabytes in QUICK_MB if quick else FULL_MB:
            path = Path(scratch) / f"session-{megabytes}mb.har"
            path.write_text(har_text(megabytes), encoding="utf-8")
            size = path.stat().st_size / 1e6
            inputs = f"one-line HAR, {size:,.1f} MB"

            def audit(path: Path = path) -> object:
                return audit_paths(paths=[path], allowlist=None)

            if can_fork():
                seconds, peak = rss_in_child(audit)
                how = "peak RSS growth"
            else:
                seconds, peak = 0.0, traced_peak(audit)
                how = "tracemalloc peak"
            figures += [
                Figure(NAME, "audit time", inputs, seconds, "s", Target(MAX_SECONDS_PER_MB * size)),
                Figure(NAME, "audit peak memory", inputs, peak, "MB", detail=how),
                Figure(NAME, "peak / input size", inputs, peak / size, "x", Target(MAX_PEAK_PER_INPUT)),
            ]
            if any(f.verdict == "MISS" for f in figures[-3:]):
                diagnosis += top_costs(audit)
    notes.append("each size audited once in a forked child, so one run's garbage is not billed to the next")
    return BenchResult(figures=tuple(figures), notes=tuple(notes), diagnosis=tuple(diagnosis))
