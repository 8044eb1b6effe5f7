"""Key-by-key comparison of a success body with the spec's own example for the operation.

The schemas leave most properties optional, so a renamed or dropped field still validates; the
examples show what PagerDuty actually sends.  Only the top level and the main entity are compared,
and the departures name the keys that may differ for each operation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.paths.finders import APICallPathFinder

from harness.openapi import Api
from harness.specs.departures import DEPARTURES, Departure
from harness.specs.documents import api_for_path, load_spec, spec_examples
from harness.specs.problems import Problem


def key_differences(
    *,
    method: str,
    path: str,
    status: int,
    body: Any,
    api: Api | None = None,
    departures: Sequence[Departure] = DEPARTURES,
) -> list[Problem]:
    """Keys of `body` that differ from the spec's own example, top level and main entity.

    Differences that `departures` allow for the operation are not reported; a response without
    an example has nothing to compare.
    """
    spec = load_spec(api or api_for_path(path))
    try:
        found = APICallPathFinder(spec.app.spec).find(method.lower(), spec.origin + path)
    except PathError:
        return []  # validate_response reports the unknown operation
    operation_id = found.operation["operationId"]
    example = next(
        (e.value for e in spec_examples(spec) if e.operation_id == operation_id and e.status == status), None
    )
    if not isinstance(example, dict) or not isinstance(body, dict):
        return []
    allowed = [d for d in departures if operation_id in d.operations]
    extra = {key for d in allowed for key in d.extra_keys}
    missing = {key for d in allowed for key in d.missing_keys}
    problems = _compare_keys("", example, body, extra, missing)
    entity = _main_entity(example)
    if entity and isinstance(body.get(entity), dict | list):
        pointer, expected, actual = _entity_pair(f"/{entity}", example[entity], body[entity])
        if isinstance(expected, dict) and isinstance(actual, dict):
            problems += _compare_keys(pointer, expected, actual, extra, missing)
    return problems


def _main_entity(example: Mapping[str, Any]) -> str | None:
    """The key that wraps the resource: the collection list if any, else the single object."""
    lists = [k for k, v in example.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
    objects = [k for k, v in example.items() if isinstance(v, dict)]
    if lists:
        return lists[0]
    return objects[0] if len(objects) == 1 else None


def _entity_pair(pointer: str, expected: Any, actual: Any) -> tuple[str, Any, Any]:
    """The example's entity and the body's counterpart (a list item of the same type if any)."""
    if not isinstance(expected, list) or not isinstance(actual, list):
        return pointer, expected, actual
    if not expected or not actual:
        return pointer, None, None
    same_type = [
        index
        for index, item in enumerate(actual)
        if isinstance(item, dict) and item.get("type") == expected[0].get("type")
    ]
    index = (same_type or [0])[0]
    return f"{pointer}/{index}", expected[0], actual[index]


def _compare_keys(
    pointer: str, expected: Mapping[str, Any], actual: Mapping[str, Any], extra: set[str], missing: set[str]
) -> list[Problem]:
    absent = sorted(set(expected) - set(actual) - missing)
    added = sorted(set(actual) - set(expected) - extra)
    return [
        *(
            Problem("response", f"body {pointer}/{key}", "missing, the spec's example has it")
            for key in absent
        ),
        *(Problem("response", f"body {pointer}/{key}", "not in the spec's example") for key in added),
    ]
