"""Drift: compare a fresh recording with the accepted one and classify what PagerDuty changed.

The package reads in the order of the work: `normalise` and `shape` reduce each recording to a
small tree (compute), `compare` diffs the two trees with deepdiff, `classify` turns each
difference into a `Change` of a kind from the registry in `kinds`, and `render` writes the
`DriftReport` as text, Markdown, JSON or JUnit.
"""

from harness.drift.compare import compute_drift
from harness.drift.kinds import FAIL_ON_CHOICES, KINDS, Kind, Severity, parse_severity
from harness.drift.model import Change, DriftReport
from harness.drift.render import FORMATS, render

__all__ = [
    "FAIL_ON_CHOICES",
    "FORMATS",
    "KINDS",
    "Change",
    "DriftReport",
    "Kind",
    "Severity",
    "compute_drift",
    "parse_severity",
    "render",
]
