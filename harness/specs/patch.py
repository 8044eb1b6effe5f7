"""JSON Patch (RFC 6902) operations and JSON Pointer (RFC 6901) look-ups on a spec document.

Only the operations the departure list needs are implemented: add, replace, move, and test, which
checks that a location still holds what a patch expects before another operation rewrites it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Op:
    """One JSON Patch operation on a spec document: add, replace, move or test."""

    op: Literal["add", "replace", "move", "test"]
    path: str
    value: Any = None
    source: str = ""


def apply_op(document: Any, op: Op) -> None:
    """Apply `op` to `document` in place; a location that does not fit raises a lookup error."""
    if op.op == "move":
        parent, key = locate(document, op.source)
        value = parent.pop(key)
    else:
        value = copy.deepcopy(op.value)
    parent, key = locate(document, op.path)
    if op.op == "test":
        if parent[key] != value:
            raise ValueError(f"{op.path} holds {parent[key]!r}, not {value!r}")
    elif op.op == "replace":
        parent[key]  # replace needs the target to exist already
        parent[key] = value
    elif isinstance(parent, list):
        parent.insert(key, value)
    else:
        parent[key] = value


def locate(document: Any, pointer: str) -> tuple[Any, Any]:
    """The container a JSON pointer ends in, and the key or index within it ("-" appends)."""
    *parents, last = (t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:])
    node = document
    for token in parents:
        node = node[int(token) if isinstance(node, list) else token]
    if isinstance(node, list):
        return node, len(node) if last == "-" else int(last)
    return node, last


def resolve(document: Mapping[str, Any], node: Any) -> Any:
    """`node`, or what its local ``$ref`` chain points to inside `document`."""
    while isinstance(node, dict) and "$ref" in node:
        parent, key = locate(document, node["$ref"].removeprefix("#"))
        node = parent[key]
    return node
