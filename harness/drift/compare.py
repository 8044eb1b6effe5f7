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
Narrowing (a type or a value no longer seen) is data.  So is the mix of items in a list: an
account's history grows between runs, so a list may hold items of a `type` it did not hold
before (their fields are compared once both sides have such items), and a list item may be in
any state the scenario drives an entity to (a value there is new only if the baseline never
showed it for that entity's field anywhere).
"""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff

from harness.cassettes import Recording
from harness.drift.classify import Classifier, Delta
from harness.drift.model import DriftReport
from harness.drift.normalise import normalise_recording, vocabulary


def compute_drift(*, baseline: Recording, candidate: Recording) -> DriftReport:
    """Compare two loaded recordings step by step and classify what changed."""
    before, after = normalise_recording(baseline), normalise_recording(candidate)
    steps = before.slugs + tuple(s for s in after.slugs if s not in before.slugs)
    classifier = Classifier(before, after, known=vocabulary(before.tree))
    _drop_identical(before.tree, after.tree)
    diff = DeepDiff(before.tree, after.tree, view="tree", threshold_to_diff_deeper=0)
    order = {slug: index for index, slug in enumerate(steps)}
    groups: dict[tuple[int, int, str, str], list[Delta]] = {}
    for delta in (d for levels in diff.values() for level in levels
                  for d in classifier.deltas(level)):
        key = (order[delta.step], delta.position, delta.location, delta.kind)
        groups.setdefault(key, []).append(delta)
    changes = tuple(classifier.change(groups[key]) for key in sorted(groups))
    return DriftReport(baseline=baseline.path, candidate=candidate.path, steps=steps,
                       changes=changes)


def _drop_identical(before: dict[str, Any], after: dict[str, Any]) -> None:
    # Equal trees compare in C; only the interactions that differ go through deepdiff.
    for slug, interactions in before["steps"].items():
        others = after["steps"].get(slug, {})
        for position in [p for p in interactions if interactions[p] == others.get(p)]:
            del interactions[position], others[position]
