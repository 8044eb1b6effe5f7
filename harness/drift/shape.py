"""The shape of JSON response bodies: which fields exist, of which types, and how often.

Drift is about structure, not data, so bodies are compared by their shape rather than their
values.  A shape is built in one pass over the bodies and its size does not grow with list
lengths: every item of a list is merged into one item shape, so fifty incidents and fifty
thousand have the same shape.

Items that carry a string `type` (log entries, notifications, pending actions) are merged per
type, because each type has its own fields: a field that only `trigger_log_entry` items have is
not "missing from some items".  Per path the shape keeps the JSON types seen, whether the field
was present in every object that could hold it, and, for fields that behave like enums, the set
of values seen.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Fields whose values form a small vocabulary worth comparing between recordings.
ENUM_FIELDS = frozenset({
    "aggregate_unit", "alert_creation", "assigned_via", "event_action", "on_call_handoff_notifications",
    "role", "severity", "status", "type", "urgency",
})

# Past these sizes a field is not enum-like (or a list is not typed by `type`), and the shape
# stays bounded whatever the data holds.
MAX_VALUES = 32
MAX_VARIANTS = 32

UNTYPED = ""

_OBJECT, _ARRAY, _STRING, _NUMBER, _BOOLEAN, _NULL, _EMPTY, _TEXT = (1 << n for n in range(8))
_TYPE_NAMES = (
    (_OBJECT, "object"), (_ARRAY, "array"), (_STRING, "string"), (_NUMBER, "number"),
    (_BOOLEAN, "boolean"), (_NULL, "null"), (_EMPTY, "empty"), (_TEXT, "text"),
)
# JSON has one number type; whether 3600 or 3600.5 was printed is data, not structure.
_SCALAR_BITS: dict[type, int] = {
    str: _STRING, int: _NUMBER, float: _NUMBER, bool: _BOOLEAN, type(None): _NULL,
}

ShapeTree = dict[str, Any]


class _Node:
    """Everything seen at one path, accumulated across values."""

    __slots__ = ("fields", "items", "mask", "objects", "seen", "values")

    def __init__(self, *, enum: bool) -> None:
        self.mask = 0
        self.seen = 0
        self.objects = 0
        self.values: set[object] | None = set() if enum else None
        self.fields: dict[str, _Node] = {}
        self.items: dict[str, _Node] = {}


class ShapeBuilder:
    """Accumulates the shape of one or more response bodies (a poll loop merges its responses)."""

    def __init__(self) -> None:
        self._root = _Node(enum=False)

    def add_text(self, text: str) -> None:
        """Add one body as recorded: JSON, empty (204) or other text."""
        self._root.seen += 1
        if not text.strip():
            self._root.mask |= _EMPTY
            return
        with _collector_paused():
            try:
                value = json.loads(text)
            except ValueError:
                self._root.mask |= _TEXT
                return
            self._add(value, self._root)

    def tree(self) -> ShapeTree:
        """The shape as plain dicts and sets, ready for deepdiff."""
        return _tree(self._root, always=True)

    def _add(self, value: Any, node: _Node) -> None:
        # The hot loop of drift on large lists: scalars are handled inline, without a call.
        kind = type(value)
        if kind is dict:
            node.mask |= _OBJECT
            node.objects += 1
            fields = node.fields
            for key, item in value.items():
                child = fields.get(key)
                if child is None:
                    child = fields[key] = _Node(enum=key in ENUM_FIELDS)
                child.seen += 1
                item_kind = type(item)
                if item_kind is dict or item_kind is list:
                    self._add(item, child)
                else:
                    child.mask |= _SCALAR_BITS.get(item_kind, _STRING)
                    values = child.values
                    if values is not None and item is not None:
                        values.add(item)
                        if len(values) > MAX_VALUES:
                            child.values = None
        elif kind is list:
            node.mask |= _ARRAY
            for item in value:
                variant = _variant(item, node.items)
                child = node.items.get(variant)
                if child is None:
                    child = node.items[variant] = _Node(enum=False)
                child.seen += 1
                self._add(item, child)
        else:
            node.mask |= _SCALAR_BITS.get(kind, _STRING)
            if node.values is not None and value is not None:
                _add_value(node, node.values, value)


@contextmanager
def _collector_paused() -> Iterator[None]:
    # Parsed JSON holds no reference cycles, so the cyclic collector has nothing to find in it,
    # yet on a 100,000-item page it would rescan the growing heap again and again (~40% of the
    # time).  Reference counting still frees the body as soon as its shape is taken.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def type_names(mask: int) -> frozenset[str]:
    """The names of the JSON types in a type mask."""
    return frozenset(name for bit, name in _TYPE_NAMES if mask & bit)


def _variant(item: Any, items: dict[str, _Node]) -> str:
    if type(item) is not dict:
        return UNTYPED
    variant = item.get("type")
    if type(variant) is not str or (variant not in items and len(items) >= MAX_VARIANTS):
        return UNTYPED
    return variant


def _add_value(node: _Node, values: set[object], value: object) -> None:
    values.add(value)
    if len(values) > MAX_VALUES:
        node.values = None


def _tree(node: _Node, *, always: bool) -> ShapeTree:
    tree: ShapeTree = {
        "types": set(type_names(node.mask)),
        "always": always,
        "fields": {key: _tree(child, always=child.seen == node.objects)
                   for key, child in node.fields.items()},
        "items": {variant: _tree(child, always=True) for variant, child in node.items.items()},
    }
    if node.values is not None:
        tree["values"] = set(node.values)
    return tree
