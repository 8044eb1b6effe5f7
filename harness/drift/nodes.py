"""The nodes a shape is built of, their limits, and the plain tree deepdiff compares.

One `Node` holds everything seen at one path of a body, apart for the scenario's own items and
the account's other items (see `harness.drift.shape`); `node_tree` turns it into dicts and sets.
"""

from __future__ import annotations

from typing import Any

ShapeTree = dict[str, Any]

# Past these sizes a field is not enum-like (or a list is not typed by `type`), and the shape
# stays bounded whatever the data holds.
MAX_VALUES = 32
MAX_VARIANTS = 32

UNTYPED = ""

OBJECT, ARRAY, STRING, NUMBER, BOOLEAN, NULL, EMPTY, PLAIN = (1 << n for n in range(8))
_TYPE_NAMES = (
    (OBJECT, "object"),
    (ARRAY, "array"),
    (STRING, "string"),
    (NUMBER, "number"),
    (BOOLEAN, "boolean"),
    (NULL, "null"),
    (EMPTY, "empty"),
    (PLAIN, "text"),
)
# JSON has one number type; whether 3600 or 3600.5 was printed is data, not structure.
SCALAR_BITS: dict[type, int] = {
    str: STRING,
    int: NUMBER,
    float: NUMBER,
    bool: BOOLEAN,
    type(None): NULL,
}

# The format class of free text (see `harness.drift.formats`): only its sentences are values.
TEXT = "text"
# Past this many format classes a field is free-form: no class is a rule its items obey.
MAX_FORMATS = 8
# Other teams' items make a rule only from this many values at a path: one incident listed
# with `limit=1` is an anecdote, not a rule every item obeys.
MIN_EVIDENCE = 5


class Node:
    """Everything seen at one path, accumulated across values; `own_*` counts own items only."""

    __slots__ = (
        "enum",
        "fields",
        "formats",
        "items",
        "mask",
        "objects",
        "own_formats",
        "own_mask",
        "own_objects",
        "own_seen",
        "seen",
        "values",
        "variants",
    )

    def __init__(self, *, enum: bool) -> None:
        self.enum = enum
        # `mask`, `seen`, `objects` and `formats` count the other items; `own_*` the own ones.
        self.mask = self.own_mask = 0
        self.seen = self.objects = self.own_seen = self.own_objects = 0
        self.values: set[object] | None = set()
        self.formats: set[str] | None = set()
        self.own_formats: set[str] | None = set()
        self.variants: set[str] = set()
        self.fields: dict[str, Node] = {}
        self.items: dict[str, Node] = {}


def type_names(mask: int) -> frozenset[str]:
    """The names of the JSON types in a type mask."""
    return frozenset(name for bit, name in _TYPE_NAMES if mask & bit)


def variant_of(item: Any, items: dict[str, Node]) -> str:
    if type(item) is not dict:
        return UNTYPED
    variant = item.get("type")
    if type(variant) is not str or (variant not in items and len(items) >= MAX_VARIANTS):
        return UNTYPED
    return variant


def add_format(node: Node, formats: set[str], form: str, *, own: bool) -> None:
    formats.add(form)
    if len(formats) > MAX_FORMATS:
        if own:
            node.own_formats = None
        else:
            node.formats = None


def add_value(node: Node, value: object) -> None:
    values = node.values
    if values is not None and value not in values:
        values.add(value)
        if len(values) > MAX_VALUES:
            node.values = None


def node_tree(node: Node, parent: Node) -> ShapeTree:
    tree: ShapeTree = {
        "fields": {key: node_tree(child, node) for key, child in node.fields.items()},
        "items": {variant: node_tree(child, child) for variant, child in node.items.items()},
    }
    # What the scenario's own items showed here, compared strictly, and what the account's
    # other items showed, compared only for the rules every item obeys.
    if node.own_seen:
        own: ShapeTree = {
            "types": set(type_names(node.own_mask)),
            "always": node.own_seen == (parent.own_objects or node.own_seen),
        }
        if node.own_objects:
            own["objects"] = True
        for name, found in (
            ("values", node.values),
            ("formats", node.own_formats),
            ("variants", node.variants),
        ):
            if found:
                own[name] = set(found)
        tree["own"] = own
    if node.seen >= MIN_EVIDENCE:
        other: ShapeTree = {
            "types": set(type_names(node.mask)),
            "always": node.seen == (parent.objects or node.seen),
        }
        if node.objects:
            other["objects"] = True
        if node.formats:
            other["formats"] = set(node.formats)
        tree["other"] = other
    return tree
