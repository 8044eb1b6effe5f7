"""The shape of JSON response bodies: which fields exist, of which types, and how often.

Drift is about structure, not data, so bodies are compared by their shape rather than their
values.  A shape is built in one pass over the bodies and its size does not grow with list
lengths: every item of a list is merged into one item shape, so fifty incidents and fifty
thousand have the same shape.

Items that carry a string `type` (log entries, notifications, pending actions) are merged per
type, because each type has its own fields: a field that only `trigger_log_entry` items have is
not "missing from some items".  Per path the shape keeps, apart for the scenario's own items
(`own`) and the account's other items (`other`): the JSON types seen, whether the field was
present in every object that could hold it, and the format classes of its strings
(`harness.drift.formats`).  For own items it also keeps the values of enum-like fields, their
fixed sentences (free text of several words, ids, numbers and times taken out; a single
word such as a user's `color` may be assigned anew each run) and each list's item types::

    {"fields": {...}, "items": {type: {...}},
     "own": {"types", "always", "objects", "values", "formats", "variants"},
     "other": {"types", "always", "objects", "formats"}}

Other teams' items count only from `MIN_EVIDENCE` values at a path, and without values: their
statuses and types are their business.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from harness.drift.noise import normalise_sentence

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
Classify = Callable[[str], str]
TEXT = "text"
# Past this many format classes a field is free-form: no class is a rule its items obey.
MAX_FORMATS = 8
# Other teams' items make a rule only from this many values at a path: one incident listed
# with `limit=1` is an anecdote, not a rule every item obeys.
MIN_EVIDENCE = 5
# The references that tie an item to the scenario: a log entry to its incident, a notification
# to the test user.
_OWNER_REFERENCES = ("incident", "service", "user")


class _Node:
    """Everything seen at one path, accumulated across values; `own_*` counts own items only."""

    __slots__ = ("enum", "fields", "formats", "items", "mask", "objects", "own_formats",
                 "own_mask", "own_objects", "own_seen", "seen", "values", "variants")

    def __init__(self, *, enum: bool) -> None:
        self.enum = enum
        # `mask`, `seen`, `objects` and `formats` count the other items; `own_*` the own ones.
        self.mask = self.own_mask = 0
        self.seen = self.objects = self.own_seen = self.own_objects = 0
        self.values: set[object] | None = set()
        self.formats: set[str] | None = set()
        self.own_formats: set[str] | None = set()
        self.variants: set[str] = set()
        self.fields: dict[str, _Node] = {}
        self.items: dict[str, _Node] = {}


class ShapeBuilder:
    """Accumulates the shape of one or more response bodies (a poll loop merges its responses).

    `owned` holds the ids of the scenario's own items; None means every item counts as own.
    `classify` gives a string's format class; `enum_fields` names the fields whose values are
    compared; `sentences` also compares the free text of own items (their fixed sentences).
    """

    def __init__(self, *, classify: Classify = lambda _: TEXT, owned: frozenset[str] | None = None,
                 enum_fields: frozenset[str] = ENUM_FIELDS, sentences: bool = False) -> None:
        self._root = _Node(enum=False)
        self._classify = classify
        # The classifier's own caches, read inline in the hot loop when it offers them.
        self._formats: dict[str, str] = getattr(classify, "cache", {})
        self._miss: Classify = getattr(classify, "miss", classify)
        self._coarse: dict[str, str] = getattr(classify, "coarse", {})
        self._owned = owned
        self._enum_fields = enum_fields
        self._sentences = sentences

    def add_text(self, text: str) -> None:
        """Add one body as recorded: JSON, empty (204) or other text."""
        self._root.own_seen += 1
        if not text.strip():
            self._root.own_mask |= _EMPTY
            return
        with _collector_paused():
            try:
                value = json.loads(text)
            except ValueError:
                self._root.own_mask |= _TEXT
                return
            if type(value) is dict and self._owned is not None:
                self._add_entities(value)
            else:
                self._add(value, self._root, True)

    def tree(self) -> ShapeTree:
        """The shape as plain dicts and sets, ready for deepdiff."""
        return _tree(self._root, self._root)

    def owns(self, item: Any, default: bool) -> bool:
        """Whether a top-level entity or list item is the scenario's own (`default` if it cannot tell)."""
        owned = self._owned
        if owned is None or type(item) is not dict:
            return True if owned is None else default
        own_id = item.get("id")
        if type(own_id) is str and own_id in owned:
            return True
        referenced = False
        for key in _OWNER_REFERENCES:
            reference = item.get(key)
            if type(reference) is dict and "id" in reference:
                if reference["id"] in owned:
                    return True
                referenced = True
        return default if own_id is None and not referenced else False

    def _add_entities(self, body: dict[str, Any]) -> None:
        # The body is the scenario's answer; the entities directly in it are judged one by one.
        root = self._root
        root.own_mask |= _OBJECT
        root.own_objects += 1
        for key, value in body.items():
            child = self._child(root, key)
            child.own_seen += 1
            if type(value) is list:
                self._add_list(value, child, True, judge=True)
            else:
                self._add(value, child, self.owns(value, True))

    def _child(self, node: _Node, key: str) -> _Node:
        child = node.fields.get(key)
        if child is None:
            child = node.fields[key] = _Node(enum=key in self._enum_fields)
        return child

    def _add(self, value: Any, node: _Node, own: bool) -> None:
        if own:
            self._add_own(value, node)
        else:
            self._add_other(value, node)

    def _add_own(self, value: Any, node: _Node) -> None:
        # The hot loop of drift on large lists: strings and scalars are handled inline.
        kind = type(value)
        if kind is not dict:
            self._add_own_scalar(value, node, kind)
            return
        node.own_mask |= _OBJECT
        node.own_objects += 1
        fields = node.fields
        cache = self._formats
        sentences = self._sentences
        for key, item in value.items():
            child = fields.get(key)
            if child is None:
                child = fields[key] = _Node(enum=key in self._enum_fields)
            child.own_seen += 1
            item_kind = type(item)
            if item_kind is str:
                child.own_mask |= _STRING
                form = cache.get(item)
                if form is None:
                    form = self._miss(item)
                formats = child.own_formats
                if formats is not None and form not in formats:
                    _add_format(child, formats, form, own=True)
                if child.enum:
                    _add_value(child, item)
                elif sentences and form == TEXT and " " in item:
                    _add_value(child, normalise_sentence(item))
            elif item_kind is dict:
                self._add_own(item, child)
            elif item_kind is list:
                self._add_list(item, child, True, judge=False)
            else:
                child.own_mask |= _SCALAR_BITS.get(item_kind, _STRING)
                if child.enum and item is not None:
                    _add_value(child, item)

    def _add_own_scalar(self, value: Any, node: _Node, kind: type) -> None:
        if kind is list:
            self._add_list(value, node, True, judge=False)
            return
        node.own_mask |= _SCALAR_BITS.get(kind, _STRING)
        if kind is str:
            form = self._classify(value)
            formats = node.own_formats
            if formats is not None and form not in formats:
                _add_format(node, formats, form, own=True)
            if node.enum:
                _add_value(node, value)
            elif self._sentences and form == TEXT and " " in value:
                _add_value(node, normalise_sentence(value))
        elif node.enum and value is not None:
            _add_value(node, value)

    def _add_other(self, value: Any, node: _Node) -> None:
        # Other teams' items: types, presence and formats only; no values.
        kind = type(value)
        if kind is not dict:
            if kind is list:
                self._add_list(value, node, False, judge=False)
                return
            node.mask |= _SCALAR_BITS.get(kind, _STRING)
            if kind is str:
                self._add_other_format(node, value)
            return
        node.mask |= _OBJECT
        node.objects += 1
        fields = node.fields
        cache = self._formats
        coarse = self._coarse
        for key, item in value.items():
            child = fields.get(key)
            if child is None:
                child = fields[key] = _Node(enum=key in self._enum_fields)
            child.seen += 1
            item_kind = type(item)
            if item_kind is str:
                child.mask |= _STRING
                form = cache.get(item)
                if form is None:
                    form = self._miss(item)
                # A reference's URL path follows its `type` (a user's or a service's agent),
                # which other teams' items vary: their rule is the scheme and host class.
                form = coarse.get(form, form)
                formats = child.formats
                if formats is not None and form not in formats:
                    _add_format(child, formats, form, own=False)
            elif item_kind is dict:
                self._add_other(item, child)
            elif item_kind is list:
                self._add_list(item, child, False, judge=False)
            else:
                child.mask |= _SCALAR_BITS.get(item_kind, _STRING)

    def _add_other_format(self, node: _Node, value: str) -> None:
        form = self._classify(value)
        form = self._coarse.get(form, form)
        formats = node.formats
        if formats is not None and form not in formats:
            _add_format(node, formats, form, own=False)

    def _add_list(self, value: list[Any], node: _Node, own: bool, *, judge: bool) -> None:
        if own:
            node.own_mask |= _ARRAY
        else:
            node.mask |= _ARRAY
        for item in value:
            variant = _variant(item, node.items)
            child = node.items.get(variant)
            if child is None:
                child = node.items[variant] = _Node(enum=False)
            item_own = self.owns(item, own) if judge else own
            if item_own:
                child.own_seen += 1
                if variant != UNTYPED:
                    node.variants.add(variant)
            else:
                child.seen += 1
            self._add(item, child, item_own)


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


def _add_format(node: _Node, formats: set[str], form: str, *, own: bool) -> None:
    formats.add(form)
    if len(formats) > MAX_FORMATS:
        if own:
            node.own_formats = None
        else:
            node.formats = None


def _add_value(node: _Node, value: object) -> None:
    values = node.values
    if values is not None and value not in values:
        values.add(value)
        if len(values) > MAX_VALUES:
            node.values = None


def _tree(node: _Node, parent: _Node) -> ShapeTree:
    tree: ShapeTree = {
        "fields": {key: _tree(child, node) for key, child in node.fields.items()},
        "items": {variant: _tree(child, child) for variant, child in node.items.items()},
    }
    # What the scenario's own items showed here, compared strictly, and what the account's
    # other items showed, compared only for the rules every item obeys.
    if node.own_seen:
        own: ShapeTree = {"types": set(type_names(node.own_mask)),
                          "always": node.own_seen == (parent.own_objects or node.own_seen)}
        if node.own_objects:
            own["objects"] = True
        for name, found in (("values", node.values), ("formats", node.own_formats),
                            ("variants", node.variants)):
            if found:
                own[name] = set(found)
        tree["own"] = own
    if node.seen >= MIN_EVIDENCE:
        other: ShapeTree = {"types": set(type_names(node.mask)),
                            "always": node.seen == (parent.objects or node.seen)}
        if node.objects:
            other["objects"] = True
        if node.formats:
            other["formats"] = set(node.formats)
        tree["other"] = other
    return tree
