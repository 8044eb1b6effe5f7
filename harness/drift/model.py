"""What drift computes: frozen records of changes, which the renderers turn into reports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.drift.kinds import Severity, parse_severity


@dataclass(frozen=True)
class Change:
    """One structural difference at one place of one interaction."""

    step: str
    interaction: str
    location: str
    kind: str
    severity: Severity
    before: str | None
    after: str | None
    message: str
    # Whether PagerDuty's documents allow what the change brings; None without documents, or
    # for a change that brings nothing new (a removal).
    documented: bool | None = None


@dataclass(frozen=True)
class DriftReport:
    """Every change found between a baseline and a candidate recording, in step order."""

    baseline: Path
    candidate: Path
    steps: tuple[str, ...]
    changes: tuple[Change, ...]
    # How the comparison was made, for people: e.g. that it could not tell own items apart.
    notes: tuple[str, ...] = ()

    @property
    def summary(self) -> dict[str, int]:
        """The number of changes per severity, worst first."""
        counts = {severity.label: 0 for severity in sorted(Severity, reverse=True)}
        for change in self.changes:
            counts[change.severity.label] += 1
        return counts

    def exceeds(self, fail_on: str) -> bool:
        """Whether a change is at or above the `fail_on` severity; 'never' is never exceeded."""
        if fail_on == "never":
            return False
        threshold = parse_severity(fail_on)
        return any(change.severity >= threshold for change in self.changes)
