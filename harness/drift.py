"""Compare two recordings and classify every structural difference: the DriftReport.

Interactions are paired by step slug and by position in the step, after the step's requests
are grouped into logical interactions (a poll loop is one: see `harness.normalise`).  Each side is
reduced to a small tree per interaction (status, media type, response header names, body shape:
see `harness.shape`) and deepdiff compares the two trees; each difference it reports is classified
once, at the highest path it concerns, with a severity in oasdiff's vocabulary (`SEVERITIES`).

The comparison is about structure, not data.  The baseline only vouches for what it observed: a
field that was always null there, or a list that was always empty, says nothing about the fields
or types it may hold, so values appearing in them are not drift; the same goes the other way.
Narrowing (a type or a value no longer seen) is data.  So is the mix of items in a list: an
account's history grows between runs, so a list may hold items of a `type` it did not hold
before (their fields are compared once both sides have such items), and a list item may be in
any state the scenario drives an entity to (a value there is new only if the baseline never
showed it for that entity's field anywhere).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from deepdiff import DeepDiff

from harness.cassettes import Recording
from harness.errors import ConfigError
from harness.normalise import (
    NormalisedRecording,
    Place,
    body_place,
    normalise_recording,
    vocabulary,
)
from harness.shape import UNTYPED


class Severity(IntEnum):
    """How much a change matters to a client; larger is worse."""

    INFO = 1
    WARNING = 2
    BREAKING = 3

    @property
    def label(self) -> str:
        """The lower-case name used in options and reports."""
        return self.name.lower()


# Every kind of change, with its severity.
SEVERITIES: dict[str, Severity] = {
    "interaction-missing": Severity.BREAKING,  # the baseline's interaction has no counterpart
    "status-changed": Severity.BREAKING,  # the status code (or the codes of a poll) differs
    "content-type-changed": Severity.BREAKING,  # the media type differs
    "field-removed": Severity.BREAKING,  # a field that every item had is gone from all
    "type-changed": Severity.BREAKING,  # a field has a type it never had, null included
    "field-sometimes-missing": Severity.WARNING,  # a field that every item had is missing in some
    "optional-field-removed": Severity.WARNING,  # a field that some items had is gone from all
    "enum-value-added": Severity.WARNING,  # an enum-like field shows a value never seen before
    "header-removed": Severity.WARNING,  # a response header is no longer sent
    "field-added": Severity.INFO,  # a new field (its own sub-fields are not listed)
    "header-added": Severity.INFO,  # a new response header
    "interaction-added": Severity.INFO,  # the candidate has an interaction the baseline lacks
}
FAIL_ON_CHOICES = ("breaking", "warning", "info", "never")


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


@dataclass(frozen=True)
class DriftReport:
    """Every change found between a baseline and a candidate recording, in step order."""

    baseline: Path
    candidate: Path
    steps: tuple[str, ...]
    changes: tuple[Change, ...]

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


def parse_severity(name: str) -> Severity:
    """The severity called `name` ('breaking', 'warning' or 'info')."""
    try:
        return Severity[name.upper()]
    except KeyError:
        raise ConfigError(f"unknown severity {name!r}",
                          hint=f"use one of: {', '.join(FAIL_ON_CHOICES)}") from None


def compute_drift(*, baseline: Recording, candidate: Recording) -> DriftReport:
    """Compare two loaded recordings step by step and classify what changed."""
    before, after = normalise_recording(baseline), normalise_recording(candidate)
    steps = before.slugs + tuple(s for s in after.slugs if s not in before.slugs)
    classifier = _Classifier(before, after, known=vocabulary(before.tree))
    _drop_identical(before.tree, after.tree)
    diff = DeepDiff(before.tree, after.tree, view="tree", threshold_to_diff_deeper=0)
    order = {slug: index for index, slug in enumerate(steps)}
    groups: dict[tuple[int, int, str, str], list[_Delta]] = {}
    for delta in (d for levels in diff.values() for level in levels
                  for d in classifier.deltas(level)):
        key = (order[delta.step], delta.position, delta.location, delta.kind)
        groups.setdefault(key, []).append(delta)
    changes = tuple(classifier.change(groups[key]) for key in sorted(groups))
    return DriftReport(baseline=baseline.path, candidate=candidate.path, steps=steps,
                       changes=changes)


@dataclass(frozen=True)
class _Delta:
    """One difference deepdiff reported, classified; several may make up one Change."""

    step: str
    position: int
    location: str
    kind: str
    before: frozenset[str]
    after: frozenset[str]
    place: Place | None = None


class _Classifier:
    """Turns deepdiff's tree-view levels into deltas, and groups of deltas into Changes."""

    def __init__(self, before: NormalisedRecording, after: NormalisedRecording, *,
                 known: dict[str, frozenset[str]]) -> None:
        self._before, self._after, self._known = before, after, known

    def deltas(self, level: Any) -> list[_Delta]:
        report: str = level.report_type
        added = report.endswith("_added")
        if report.startswith("set_item_"):
            return self._set_delta(level.up, str(level.t2 if added else level.t1), added=added)
        path = level.path(output_format="list")
        if report.startswith("dictionary_item_"):
            return self._presence_delta(level, path, added=added)
        if report in ("values_changed", "type_changes"):
            return self._value_delta(level, path)
        return []

    def change(self, group: list[_Delta]) -> Change:
        first = group[0]
        key = (first.step, first.position)
        label = self._before.labels.get(key) or self._after.labels[key]
        old = frozenset().union(*(d.before for d in group))
        new = frozenset().union(*(d.after for d in group))
        places = [d.place for d in group if d.place is not None]
        item_types = {p.item_type for p in places if p.item_type != UNTYPED}
        message = _message(first.kind, old, new)
        if item_types and item_types != set().union(*(p.item_types for p in places)):
            message = f"{', '.join(sorted(item_types))} items: {message}"
        return Change(step=first.step, interaction=f"#{first.position} {label}",
                      location=first.location, kind=first.kind, severity=SEVERITIES[first.kind],
                      before=_join(old), after=_join(new), message=message)

    def _presence_delta(self, level: Any, path: list[Any], *, added: bool) -> list[_Delta]:
        slug = path[1]
        if len(path) <= 3:
            side = self._after if added else self._before
            positions = [path[2]] if len(path) == 3 else list(level.t2 if added else level.t1)
            kind = "interaction-added" if added else "interaction-missing"
            return [_Delta(slug, p, "interaction", kind, *_sides({side.labels[slug, p]}, added))
                    for p in positions]
        parent = level.up.up.t1 if added else level.up.up.t2
        # A side that never saw an object here cannot tell which fields it would have.
        if path[-2] != "fields" or "object" not in parent["types"]:
            return []
        node = level.t2 if added else level.t1
        kind = "field-added" if added else (
            "field-removed" if node["always"] else "optional-field-removed")
        return [self._body_delta(path, kind, *_sides(node["types"], added))]

    def _value_delta(self, level: Any, path: list[Any]) -> list[_Delta]:
        slug, position, part = path[1], path[2], path[3]
        if part in ("status", "content_type"):
            kind = "status-changed" if part == "status" else "content-type-changed"
            location = "response.status" if part == "status" else "response.content_type"
            return [_Delta(slug, position, location, kind, _some(level.t1), _some(level.t2))]
        if path[-1] == "always" and level.t1 is True and level.t2 is False:
            return [self._body_delta(path[:-1], "field-sometimes-missing",
                                     frozenset({"always"}), frozenset({"sometimes"}))]
        return []

    def _set_delta(self, level: Any, item: str, *, added: bool) -> list[_Delta]:
        path = level.path(output_format="list")
        if path[3] == "headers":
            kind = "header-added" if added else "header-removed"
            return [_Delta(path[1], path[2], f"response.headers.{item}", kind,
                           *_sides({"present"}, added))]
        before, after = frozenset(map(str, level.t1)), frozenset(map(str, level.t2))
        # Narrowing (a type or value no longer seen) is data; a null-only baseline observed
        # nothing to compare with.
        if not added or not before - {"null"}:
            return []
        if path[-1] == "types":
            return [self._body_delta(path[:-1], "type-changed", before, after)]
        place = body_place(path[:-1], self._before.tree, self._after.tree)
        if place.in_list:
            # A list shows entities in whatever state the account's history left them, so a
            # value is new only if the baseline never showed it for that field of that entity.
            before |= after & self._known.get(place.field, frozenset())
        if not after - before:
            return []
        return [_Delta(path[1], path[2], place.location, "enum-value-added", before, after, place)]

    def _body_delta(self, path: list[Any], kind: str, before: frozenset[str],
                    after: frozenset[str]) -> _Delta:
        place = body_place(path, self._before.tree, self._after.tree)
        return _Delta(path[1], path[2], place.location, kind, before, after, place)


_MESSAGES = {
    "interaction-missing": "interaction missing from the candidate: {before}",
    "interaction-added": "interaction added in the candidate: {after}",
    "status-changed": "status changed from {before} to {after}",
    "content-type-changed": "content type changed from {before} to {after}",
    "field-removed": "field removed (was {before})",
    "optional-field-removed": "field no longer seen (was {before}, in some items only)",
    "field-added": "field added ({after})",
    "field-sometimes-missing": "field now missing from some items (was in all)",
    "enum-value-added": "new value {new} (before: {before})",
    "header-removed": "response header no longer sent",
    "header-added": "new response header",
}


def _message(kind: str, before: frozenset[str], after: frozenset[str]) -> str:
    was, now = _join(before) or "none", _join(after) or "none"
    if kind != "type-changed":
        new = ", ".join(map(repr, sorted(after - before)))
        return _MESSAGES[kind].format(before=was, after=now, new=new)
    if after == {"null"}:
        return f"became null (was {was})"
    if after - before == {"null"}:
        return f"can now be null (was {was})"
    return f"type changed from {was} to {now}"


def _drop_identical(before: dict[str, Any], after: dict[str, Any]) -> None:
    # Equal trees compare in C; only the interactions that differ go through deepdiff.
    for slug, interactions in before["steps"].items():
        others = after["steps"].get(slug, {})
        for position in [p for p in interactions if interactions[p] == others.get(p)]:
            del interactions[position], others[position]


def _sides(values: Iterable[object], added: bool) -> tuple[frozenset[str], frozenset[str]]:
    present = frozenset(map(str, values))
    return (frozenset(), present) if added else (present, frozenset())


def _some(value: object) -> frozenset[str]:
    return frozenset() if value is None else frozenset({str(value)})


def _join(values: frozenset[str]) -> str | None:
    return ", ".join(sorted(values)) if values else None
