"""Classify deepdiff's differences between two normalised recordings into Changes.

Each difference deepdiff reports is turned into a `Delta` (a kind at one location of one
interaction) and the deltas at the same place are merged into one `Change`, with the kind's
severity and message from `harness.drift.kinds`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harness.drift.kinds import KINDS
from harness.drift.model import Change
from harness.drift.normalise import NormalisedRecording, Place, body_place
from harness.drift.shape import UNTYPED


@dataclass(frozen=True)
class Delta:
    """One difference deepdiff reported, classified; several may make up one Change."""

    step: str
    position: int
    location: str
    kind: str
    before: frozenset[str]
    after: frozenset[str]
    place: Place | None = None


class Classifier:
    """Turns deepdiff's tree-view levels into deltas, and groups of deltas into Changes."""

    def __init__(self, before: NormalisedRecording, after: NormalisedRecording, *,
                 known: dict[str, frozenset[str]]) -> None:
        self._before, self._after, self._known = before, after, known

    def deltas(self, level: Any) -> list[Delta]:
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

    def change(self, group: list[Delta]) -> Change:
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
                      location=first.location, kind=first.kind, severity=KINDS[first.kind].severity,
                      before=_join(old), after=_join(new), message=message)

    def _presence_delta(self, level: Any, path: list[Any], *, added: bool) -> list[Delta]:
        slug = path[1]
        if len(path) <= 3:
            side = self._after if added else self._before
            positions = [path[2]] if len(path) == 3 else list(level.t2 if added else level.t1)
            kind = "interaction-added" if added else "interaction-missing"
            return [Delta(slug, p, "interaction", kind, *_sides({side.labels[slug, p]}, added))
                    for p in positions]
        parent = level.up.up.t1 if added else level.up.up.t2
        # A side that never saw an object here cannot tell which fields it would have.
        if path[-2] != "fields" or "object" not in parent["types"]:
            return []
        node = level.t2 if added else level.t1
        kind = "field-added" if added else (
            "field-removed" if node["always"] else "optional-field-removed")
        return [self._body_delta(path, kind, *_sides(node["types"], added))]

    def _value_delta(self, level: Any, path: list[Any]) -> list[Delta]:
        slug, position, part = path[1], path[2], path[3]
        if part in ("status", "content_type"):
            kind = "status-changed" if part == "status" else "content-type-changed"
            location = "response.status" if part == "status" else "response.content_type"
            return [Delta(slug, position, location, kind, _some(level.t1), _some(level.t2))]
        if path[-1] == "always" and level.t1 is True and level.t2 is False:
            return [self._body_delta(path[:-1], "field-sometimes-missing",
                                     frozenset({"always"}), frozenset({"sometimes"}))]
        return []

    def _set_delta(self, level: Any, item: str, *, added: bool) -> list[Delta]:
        path = level.path(output_format="list")
        if path[3] == "headers":
            kind = "header-added" if added else "header-removed"
            return [Delta(path[1], path[2], f"response.headers.{item}", kind,
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
        return [Delta(path[1], path[2], place.location, "enum-value-added", before, after, place)]

    def _body_delta(self, path: list[Any], kind: str, before: frozenset[str],
                    after: frozenset[str]) -> Delta:
        place = body_place(path, self._before.tree, self._after.tree)
        return Delta(path[1], path[2], place.location, kind, before, after, place)


def _message(kind: str, before: frozenset[str], after: frozenset[str]) -> str:
    was, now = _join(before) or "none", _join(after) or "none"
    # A type change that only adds null says so: to a client, "can now be null" is the news.
    if kind == "type-changed" and after == {"null"}:
        return f"became null (was {was})"
    if kind == "type-changed" and after - before == {"null"}:
        return f"can now be null (was {was})"
    new = ", ".join(map(repr, sorted(after - before)))
    return KINDS[kind].message.format(before=was, after=now, new=new)


def _sides(values: Iterable[object], added: bool) -> tuple[frozenset[str], frozenset[str]]:
    present = frozenset(map(str, values))
    return (frozenset(), present) if added else (present, frozenset())


def _some(value: object) -> frozenset[str]:
    return frozenset() if value is None else frozenset({str(value)})


def _join(values: frozenset[str]) -> str | None:
    return ", ".join(sorted(values)) if values else None
