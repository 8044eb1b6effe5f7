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

    {
        "fields": {...},
        "items": {type: {...}},
        "own": {"types", "always", "objects", "values", "formats", "variants"},
        "other": {"types", "always", "objects", "formats"},
    }

Other teams' items count only from `MIN_EVIDENCE` values at a path, and without values: their
statuses and types are their business.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from harness.drift.nodes import (
    ARRAY,
    EMPTY,
    OBJECT,
    PLAIN,
    SCALAR_BITS,
    STRING,
    TEXT,
    UNTYPED,
    Node,
    ShapeTree,
    add_format,
    add_value,
    node_tree,
    variant_of,
)
from harness.drift.noise import normalise_sentence
from harness.inputs import nested_too_deep

# Fields whose values form a small vocabulary worth comparing between recordings.
ENUM_FIELDS = frozenset(
    {
        "aggregate_unit",
        "alert_creation",
        "assigned_via",
        "event_action",
        "on_call_handoff_notifications",
        "role",
        "severity",
        "status",
        "type",
        "urgency",
    }
)

Classify = Callable[[str], str]
# The references that tie an item to the scenario: a log entry to its incident, a notification
# to the test user.
_OWNER_REFERENCES = ("incident", "service", "user")


class ShapeBuilder:
    """Accumulates the shape of one or more response bodies (a poll loop merges its responses).

    `owned` holds the ids of the scenario's own items; None means every item counts as own.
    `classify` gives a string's format class; `enum_fields` names the fields whose values are
    compared; `sentences` also compares the free text of own items (their fixed sentences).
    """

    def __init__(
        self,
        *,
        classify: Classify = lambda _: TEXT,
        owned: frozenset[str] | None = None,
        enum_fields: frozenset[str] = ENUM_FIELDS,
        sentences: bool = False,
    ) -> None:
        self._root = Node(enum=False)
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
            self._root.own_mask |= EMPTY
            return
        with _collector_paused():
            try:
                value = json.loads(text)
            except ValueError:
                self._root.own_mask |= PLAIN
                return
            except RecursionError:
                raise nested_too_deep() from None
            # json.loads bounds nothing here, for speed (a page of 10,000 incidents is parsed in
            # the time of two bounded parses); a body too deep for the walk is refused the same way.
            try:
                if type(value) is dict and self._owned is not None:
                    self._add_entities(value)
                else:
                    self._add(value, self._root, True)
            except RecursionError:
                raise nested_too_deep() from None

    def tree(self) -> ShapeTree:
        """The shape as plain dicts and sets, ready for deepdiff."""
        return node_tree(self._root, self._root)

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
        root.own_mask |= OBJECT
        root.own_objects += 1
        for key, value in body.items():
            child = self._child(root, key)
            child.own_seen += 1
            if type(value) is list:
                self._add_list(value, child, True, judge=True)
            else:
                self._add(value, child, self.owns(value, True))

    def _child(self, node: Node, key: str) -> Node:
        child = node.fields.get(key)
        if child is None:
            child = node.fields[key] = Node(enum=key in self._enum_fields)
        return child

    def _add(self, value: Any, node: Node, own: bool) -> None:
        if own:
            self._add_own(value, node)
        else:
            self._add_other(value, node)

    def _add_own(self, value: Any, node: Node) -> None:
        # The hot loop of drift on large lists: strings and scalars are handled inline.
        kind = type(value)
        if kind is not dict:
            self._add_own_scalar(value, node, kind)
            return
        node.own_mask |= OBJECT
        node.own_objects += 1
        fields = node.fields
        cache = self._formats
        sentences = self._sentences
        for key, item in value.items():
            child = fields.get(key)
            if child is None:
                child = fields[key] = Node(enum=key in self._enum_fields)
            child.own_seen += 1
            item_kind = type(item)
            if item_kind is str:
                child.own_mask |= STRING
                form = cache.get(item)
                if form is None:
                    form = self._miss(item)
                formats = child.own_formats
                if formats is not None and form not in formats:
                    add_format(child, formats, form, own=True)
                if child.enum:
                    add_value(child, item)
                elif sentences and form == TEXT and " " in item:
                    add_value(child, normalise_sentence(item))
            elif item_kind is dict:
                self._add_own(item, child)
            elif item_kind is list:
                self._add_list(item, child, True, judge=False)
            else:
                child.own_mask |= SCALAR_BITS.get(item_kind, STRING)
                if child.enum and item is not None:
                    add_value(child, item)

    def _add_own_scalar(self, value: Any, node: Node, kind: type) -> None:
        if kind is list:
            self._add_list(value, node, True, judge=False)
            return
        node.own_mask |= SCALAR_BITS.get(kind, STRING)
        if kind is str:
            form = self._classify(value)
            formats = node.own_formats
            if formats is not None and form not in formats:
                add_format(node, formats, form, own=True)
            if node.enum:
                add_value(node, value)
            elif self._sentences and form == TEXT and " " in value:
                add_value(node, normalise_sentence(value))
        elif node.enum and value is not None:
            add_value(node, value)

    def _add_other(self, value: Any, node: Node) -> None:
        # Other teams' items: types, presence and formats only; no values.
        kind = type(value)
        if kind is not dict:
            if kind is list:
                self._add_list(value, node, False, judge=False)
                return
            node.mask |= SCALAR_BITS.get(kind, STRING)
            if kind is str:
                self._add_other_format(node, value)
            return
        node.mask |= OBJECT
        node.objects += 1
        fields = node.fields
        cache = self._formats
        coarse = self._coarse
        for key, item in value.items():
            child = fields.get(key)
            if child is None:
                child = fields[key] = Node(enum=key in self._enum_fields)
            child.seen += 1
            item_kind = type(item)
            if item_kind is str:
                child.mask |= STRING
                form = cache.get(item)
                if form is None:
                    form = self._miss(item)
                # A reference's URL path follows its `type` (a user's or a service's agent),
                # which other teams' items vary: their rule is the scheme and host class.
                form = coarse.get(form, form)
                formats = child.formats
                if formats is not None and form not in formats:
                    add_format(child, formats, form, own=False)
            elif item_kind is dict:
                self._add_other(item, child)
            elif item_kind is list:
                self._add_list(item, child, False, judge=False)
            else:
                child.mask |= SCALAR_BITS.get(item_kind, STRING)

    def _add_other_format(self, node: Node, value: str) -> None:
        form = self._classify(value)
        form = self._coarse.get(form, form)
        formats = node.formats
        if formats is not None and form not in formats:
            add_format(node, formats, form, own=False)

    def _add_list(self, value: list[Any], node: Node, own: bool, *, judge: bool) -> None:
        if own:
            node.own_mask |= ARRAY
        else:
            node.mask |= ARRAY
        for item in value:
            variant = variant_of(item, node.items)
            child = node.items.get(variant)
            if child is None:
                child = node.items[variant] = Node(enum=False)
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
