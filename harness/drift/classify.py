"""Classify deepdiff's differences between two normalised recordings into Changes.

Each difference deepdiff reports is turned into a `Delta` (a kind at one location of one
interaction) and the deltas at the same place are merged into one `Change`, with the kind's
severity and message from `harness.drift.kinds`.

The scenario's own items are held to every rule (the `own` part of a shape node); the account's
other items only to the rules every item obeys: a JSON type never seen, a new format where all
items shared one, a field every item had gone from all of them (see `harness.drift.compare`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from harness.drift.kinds import KINDS
from harness.drift.model import Change
from harness.drift.nodes import UNTYPED
from harness.drift.normalise import NormalisedRecording, Place, body_place

# Whether the documents allow what a change brings, given its kind, interaction label, status,
# location and the new values; None when no documents are at hand or they cannot tell.
Judge = Callable[[str, str, str, str, frozenset[str]], bool | None]


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

    def __init__(
        self,
        before: NormalisedRecording,
        after: NormalisedRecording,
        *,
        known: dict[str, frozenset[str]],
        still: dict[str, frozenset[str]],
        judge: Judge | None = None,
    ) -> None:
        self._before, self._after = before, after
        # Own values the baseline showed anywhere (`known`) and the candidate does (`still`).
        self._known, self._still = known, still
        self._judge = judge

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
        documented = None
        if self._judge is not None:
            status = self._after.tree["steps"].get(first.step, {}).get(first.position, {})
            documented = self._judge(
                first.kind,
                label,
                str(status.get("status", "")),
                first.location,
                _brought(first.kind, old, new),
            )
        return Change(
            step=first.step,
            interaction=f"#{first.position} {label}",
            location=first.location,
            kind=first.kind,
            severity=KINDS[first.kind].severity,
            before=_join(old),
            after=_join(new),
            message=message,
            documented=documented,
        )

    def _presence_delta(self, level: Any, path: list[Any], *, added: bool) -> list[Delta]:
        slug = path[1]
        if len(path) <= 3:
            side = self._after if added else self._before
            positions = [path[2]] if len(path) == 3 else list(level.t2 if added else level.t1)
            kind = "interaction-added" if added else "interaction-missing"
            return [
                Delta(slug, p, "interaction", kind, *_sides({side.labels[slug, p]}, added)) for p in positions
            ]
        facet = path[-1] if path[-1] in ("own", "other") else None
        node_path = path[:-1] if facet else path
        if len(node_path) < 6 or node_path[-2] != "fields":
            return []  # list variants, and the keys of a node's sets, are compared as sets
        # The side lacking the field must have seen objects here, or it cannot tell.
        lacking = _node((self._before if added else self._after).tree, node_path[:-2])
        node = _node((self._after if added else self._before).tree, node_path)
        deltas = []
        own = node.get("own")
        if facet != "other" and own is not None and lacking.get("own", {}).get("objects"):
            kind = (
                "field-added" if added else ("field-removed" if own["always"] else "optional-field-removed")
            )
            deltas.append(self._body_delta(node_path, kind, *_sides(own["types"], added)))
        other = node.get("other")
        # Other teams' fields may come and go, but one that every item had is gone from all.
        if (
            facet != "own"
            and not added
            and other is not None
            and other["always"]
            and lacking.get("other", {}).get("objects")
        ):
            deltas.append(self._body_delta(node_path, "field-removed", *_sides(other["types"], added)))
        return deltas

    def _value_delta(self, level: Any, path: list[Any]) -> list[Delta]:
        slug, position, part = path[1], path[2], path[3]
        if part in ("status", "content_type"):
            kind = "status-changed" if part == "status" else "content-type-changed"
            location = "response.status" if part == "status" else "response.content_type"
            return [Delta(slug, position, location, kind, _some(level.t1), _some(level.t2))]
        if path[-2:] == ["own", "always"] and level.t1 is True and level.t2 is False:
            return [
                self._body_delta(
                    path[:-2], "field-sometimes-missing", frozenset({"always"}), frozenset({"sometimes"})
                )
            ]
        return []

    def _set_delta(self, level: Any, item: str, *, added: bool) -> list[Delta]:
        path = level.path(output_format="list")
        if path[3] == "headers":
            kind = "header-added" if added else "header-removed"
            return [Delta(path[1], path[2], f"response.headers.{item}", kind, *_sides({"present"}, added))]
        before, after = frozenset(map(str, level.t1)), frozenset(map(str, level.t2))
        what, own = path[-1], path[-2] == "own"
        node_path = path[:-2]
        if what == "variants":
            return self._variant_delta(node_path, before, after, added=added)
        if not added:
            # Narrowing (a type, format or value no longer seen) is data, but for discriminators.
            if what == "values" and node_path[-1] == "type":
                return self._vanished(
                    node_path, body_place(node_path, self._before.tree, self._after.tree), before, after
                )
            return []
        if what == "types":
            # A null-only baseline observed nothing to compare with.
            if not before - {"null"}:
                return []
            return [self._body_delta(node_path, "type-changed", before, after)]
        if what == "formats":
            # Other teams' values break a rule only where every baseline item shared one class.
            if own or len(before) == 1:
                return [self._body_delta(node_path, "format-changed", before, after)]
            return []
        place = body_place(node_path, self._before.tree, self._after.tree)
        return self._new_values(node_path, place, before, after)

    def _variant_delta(
        self, list_path: list[Any], before: frozenset[str], after: frozenset[str], *, added: bool
    ) -> list[Delta]:
        listed = body_place(list_path, self._before.tree, self._after.tree)
        place = Place(f"{listed.location}[].type", f"{listed.field}.type", True, UNTYPED, frozenset())
        if added:
            return self._new_values(list_path, place, before, after)
        return self._vanished(list_path, place, before, after)

    def _new_values(
        self, path: list[Any], place: Place, before: frozenset[str], after: frozenset[str]
    ) -> list[Delta]:
        if place.in_list:
            # A list shows entities in whatever state the account's history left them, so a
            # value is new only if the baseline never showed it for that field of that entity.
            before |= after & self._known.get(place.field, frozenset())
        if not after - before:
            return []
        return [Delta(path[1], path[2], place.location, "enum-value-added", before, after, place)]

    def _vanished(
        self, path: list[Any], place: Place, before: frozenset[str], after: frozenset[str]
    ) -> list[Delta]:
        # Gone from one list but still shown elsewhere for that entity is a list's mix, not news.
        gone = before - after - self._still.get(place.field, frozenset())
        if not after or not gone:
            return []
        return [Delta(path[1], path[2], place.location, "variant-removed", before, after, place)]

    def _body_delta(self, path: list[Any], kind: str, before: frozenset[str], after: frozenset[str]) -> Delta:
        place = body_place(path, self._before.tree, self._after.tree)
        return Delta(path[1], path[2], place.location, kind, before, after, place)


def _node(tree: dict[str, Any], path: list[Any]) -> dict[str, Any]:
    """The shape node at a tree path `[steps, slug, position, body, (fields|items, key)...]`."""
    node: dict[str, Any] = tree["steps"].get(path[1], {}).get(path[2], {}).get("body", {})
    for key in path[4:]:
        node = node.get(key, {})
    return node


def _brought(kind: str, before: frozenset[str], after: frozenset[str]) -> frozenset[str]:
    """What a change brings that the baseline did not have: the documents judge these."""
    if kind in (
        "field-added",
        "field-removed",
        "optional-field-removed",
        "field-sometimes-missing",
        "interaction-added",
        "header-added",
    ):
        return after
    return after - before


def _message(kind: str, before: frozenset[str], after: frozenset[str]) -> str:
    was, now = _join(before) or "none", _join(after) or "none"
    # A type change that only adds null says so: to a client, "can now be null" is the news.
    if kind == "type-changed" and after == {"null"}:
        return f"became null (was {was})"
    if kind == "type-changed" and after - before == {"null"}:
        return f"can now be null (was {was})"
    new = ", ".join(map(repr, sorted(after - before)))
    gone = ", ".join(map(repr, sorted(before - after)))
    return KINDS[kind].message.format(before=was, after=now, new=new, gone=gone)


def _sides(values: Iterable[object], added: bool) -> tuple[frozenset[str], frozenset[str]]:
    present = frozenset(map(str, values))
    return (frozenset(), present) if added else (present, frozenset())


def _some(value: object) -> frozenset[str]:
    return frozenset() if value is None else frozenset({str(value)})


def _join(values: frozenset[str]) -> str | None:
    return ", ".join(sorted(values)) if values else None
