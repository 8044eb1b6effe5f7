"""Compare two recordings: pair their interactions and let deepdiff find what differs.

Interactions are paired by step slug and by position in the step, after the step's requests
are grouped into logical interactions (a poll loop is one: see `harness.drift.normalise`).  Each
side is reduced to a small tree per interaction (status, media type, response header names, body
shape: see `harness.drift.shape`) and deepdiff compares the two trees; each difference it reports
is classified once, at the highest path it concerns (`harness.drift.classify`), with a kind from
the registry in `harness.drift.kinds`.

The comparison is about structure, not data.  The baseline only vouches for what it observed: a
field that was always null there, or a list that was always empty, says nothing about the fields
or types it may hold, so values appearing in them are not drift; the same goes the other way.

Ownership: a recording's manifest lists the ids of the scenario's own items (its incidents,
service, policy, user, integration and note); the log entries and notifications that reference
them are its own too.  Own items are compared strictly: their `type`s (variants) appearing or
vanishing, enum values, fixed sentences, formats and fields.  The account's other items only
widen what a field may hold: their new statuses, types and optional fields are not drift.  They
still show an API change when they break a rule every item obeys: a JSON type never seen, a
format where every baseline item had one and the same, a field every item had gone from all.
"""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff

from harness.cassettes import Recording
from harness.drift.classify import Classifier, Delta, Judge
from harness.drift.model import DriftReport
from harness.drift.normalise import normalise_recording, vocabulary
from harness.drift.shape import ENUM_FIELDS

UNOWNED_NOTE = (
    "{which} does not list the scenario's own items (recorded by an older harness): "
    "every item was compared as the scenario's own, so other teams' activity may "
    "show as drift; re-record it to compare other teams' items leniently"
)


def compute_drift(
    *,
    baseline: Recording,
    candidate: Recording,
    judge: Judge | None = None,
    enum_fields: frozenset[str] = frozenset(),
) -> DriftReport:
    """Compare two loaded recordings step by step and classify what changed.

    `judge` (from PagerDuty's documents, `harness.drift.documented`) says whether each change is
    documented; `enum_fields` names more fields whose values are compared (the documents' enums).
    """
    owned = (baseline.manifest.owned, candidate.manifest.owned)
    notes = tuple(
        UNOWNED_NOTE.format(which=which)
        for which, ids in zip(("the baseline", "the candidate"), owned, strict=True)
        if ids is None
    )
    # Ownership is used only when both sides know it: otherwise both are compared strictly.
    sides = (
        [None, None]
        if notes
        else [frozenset(i for ids in o.values() for i in ids) for o in owned if o is not None]
    )
    fields = ENUM_FIELDS | enum_fields
    before = normalise_recording(baseline, owned=sides[0], enum_fields=fields)
    after = normalise_recording(candidate, owned=sides[1], enum_fields=fields)
    steps = before.slugs + tuple(s for s in after.slugs if s not in before.slugs)
    classifier = Classifier(
        before, after, known=vocabulary(before.tree), still=vocabulary(after.tree), judge=judge
    )
    diff = DeepDiff(*_differing(before.tree, after.tree), view="tree", threshold_to_diff_deeper=0)
    order = {slug: index for index, slug in enumerate(steps)}
    groups: dict[tuple[int, int, str, str], list[Delta]] = {}
    for delta in (d for levels in diff.values() for level in levels for d in classifier.deltas(level)):
        key = (order[delta.step], delta.position, delta.location, delta.kind)
        groups.setdefault(key, []).append(delta)
    changes = tuple(classifier.change(groups[key]) for key in sorted(groups))
    return DriftReport(
        baseline=baseline.path, candidate=candidate.path, steps=steps, changes=changes, notes=notes
    )


def _differing(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Copies of both trees without the branches they share, for deepdiff to walk.

    Equal subtrees compare in C; deepdiff would descend into every one of them.  Only keys both
    sides hold with equal values are left out, so deepdiff reports the same differences, at the
    same paths, and the classifier reads everything else from the full trees.
    """
    kept_before: dict[str, Any] = {}
    kept_after: dict[str, Any] = {}
    for key, value in before.items():
        if key not in after:
            kept_before[key] = value
            continue
        other = after[key]
        if value == other:
            continue
        if type(value) is dict and type(other) is dict:
            kept_before[key], kept_after[key] = _differing(value, other)
        else:
            kept_before[key], kept_after[key] = value, other
    for key, value in after.items():
        if key not in before:
            kept_after[key] = value
    return kept_before, kept_after
