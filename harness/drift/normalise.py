"""Reduce a recording to the tree that drift compares, with run-to-run noise taken out.

Two recordings of the same scenario never match byte for byte: ids, timestamps, incident
numbers, dedup keys and request ids change every run, and a polling step may repeat its GET a
different number of times.  What stays is the request line with those values replaced by
placeholders, the status, the media type and the *names* of the response headers.  A run of
consecutive requests with the same method and normalised URI (a poll loop, a retry, a batch of
triggers) is one logical interaction, its responses merged into one tree::

    {"steps": {slug: {position: {"status": "200", "content_type": "application/json",
                                 "headers": {"ratelimit-limit", ...}, "body": <shape tree>}}}}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from harness.cassettes import Interaction, Recording
from harness.client import RETRY_STATUSES
from harness.drift.formats import FormatClassifier, api_hosts
from harness.drift.nodes import UNTYPED
from harness.drift.noise import normalise_text as normalise_text  # re-exported: tests use it
from harness.drift.shape import ENUM_FIELDS, ShapeBuilder
from harness.errors import InputError

# Headers whose presence depends on the transport or the server software, not on the API:
# `content-length` and `transfer-encoding` swap with the body size, CDNs add or drop the rest.
# `content-type` is compared on its own as the media type.
_TRANSPORT_HEADERS = frozenset(
    {
        "age",
        "connection",
        "content-encoding",
        "content-length",
        "content-type",
        "date",
        "keep-alive",
        "server",
        "set-cookie",
        "transfer-encoding",
        "via",
    }
)


@dataclass(frozen=True)
class LogicalInteraction:
    """One request as the scenario meant it, with every response recorded for it."""

    label: str
    responses: tuple[Interaction, ...]


@dataclass(frozen=True)
class NormalisedRecording:
    """A recording as drift compares it, plus the request line of every logical interaction."""

    slugs: tuple[str, ...]
    tree: dict[str, Any]
    labels: dict[tuple[str, int], str]


def normalise_recording(
    recording: Recording, *, owned: frozenset[str] | None = None, enum_fields: frozenset[str] = ENUM_FIELDS
) -> NormalisedRecording:
    """Build the comparison tree of a loaded recording; positions count from 1 in each step.

    `owned` holds the ids of the scenario's own items (None: every item is its own); the free
    text of own items is compared only when the recording tells them apart.
    """
    steps: dict[str, dict[int, dict[str, Any]]] = {}
    labels: dict[tuple[str, int], str] = {}
    manifest = recording.manifest
    classify = FormatClassifier(api_hosts(manifest.api_url, manifest.events_url))

    def builder() -> ShapeBuilder:
        return ShapeBuilder(
            classify=classify, owned=owned, enum_fields=enum_fields, sentences=owned is not None
        )

    for step in recording.steps:
        slug = step.entry.slug
        steps[slug] = {}
        for position, logical in enumerate(logical_interactions(step.interactions), start=1):
            try:
                steps[slug][position] = interaction_tree(logical, builder())
            except InputError as exc:
                raise InputError(f"{step.path}: {exc}", hint=exc.hint) from None
            labels[slug, position] = logical.label
    return NormalisedRecording(slugs=tuple(steps), tree={"steps": steps}, labels=labels)


@dataclass(frozen=True)
class Place:
    """A body path of the comparison tree, named for people."""

    location: str  # e.g. response.body.incidents[].assignments[].assignee.id
    field: str  # the entity's field, list or single: incident.assignments.assignee.id
    in_list: bool  # whether the path goes through a list's items
    item_type: str  # the `type` of the innermost typed list item on the path, or UNTYPED
    item_types: frozenset[str]  # every item type that list holds, on either side


def body_place(path: list[Any], *trees: dict[str, Any]) -> Place:
    """Name the body path `[steps, slug, position, body, (fields|items, key)...]`."""
    location, item_type, item_types = "response.body", UNTYPED, frozenset[str]()
    nodes = [tree["steps"].get(path[1], {}).get(path[2], {}).get("body", {}) for tree in trees]
    names: list[str] = []
    for container, key in zip(path[4::2], path[5::2], strict=True):
        if container == "items" and key != UNTYPED:
            item_type = key
            item_types = frozenset().union(*(_typed(node.get("items", {})) for node in nodes))
        nodes = [node.get(container, {}).get(key, {}) for node in nodes]
        location += "[]" if container == "items" else f".{key}"
        names += [key] if container == "fields" else []
    return Place(location, entity_field(names), "items" in path[4::2], item_type, item_types)


def vocabulary(tree: dict[str, Any]) -> dict[str, frozenset[str]]:
    """Every value of every enum-like field the own items of a recording showed, per entity field."""
    found: dict[str, set[str]] = {}

    def collect(node: dict[str, Any], names: list[str]) -> None:
        own = node.get("own", {})
        if "values" in own:
            found.setdefault(entity_field(names), set()).update(map(str, own["values"]))
        if "variants" in own:
            found.setdefault(entity_field([*names, "type"]), set()).update(own["variants"])
        for key, child in node["fields"].items():
            collect(child, [*names, key])
        for child in node["items"].values():
            collect(child, names)

    for interactions in tree["steps"].values():
        for interaction in interactions.values():
            collect(interaction["body"], [])
    return {field: frozenset(values) for field, values in found.items()}


def entity_field(names: list[str]) -> str:
    """The field's name on its entity: `incidents[].status` and `incident.status` are one."""
    if not names:
        return ""
    # PagerDuty wraps one entity in its singular name and a list in the plural.
    wrapper = names[0]
    singular = wrapper[:-3] + "y" if wrapper.endswith("ies") else wrapper.removesuffix("s")
    return ".".join([singular, *names[1:]])


def _typed(items: dict[str, Any]) -> frozenset[str]:
    """The item types of a list's shape, without the untyped items."""
    return frozenset(item_type for item_type in items if item_type != UNTYPED)


def interaction_tree(logical: LogicalInteraction, builder: ShapeBuilder | None = None) -> dict[str, Any]:
    """Status, media type, header names and body shape, merged over the logical interaction."""
    builder = builder or ShapeBuilder()
    headers: set[str] = set()
    for response in logical.responses:
        builder.add_text(body_text(response))
        headers |= header_names(response)
    codes = sorted({status_code(r) for r in logical.responses})
    media = sorted({m for m in map(media_type, logical.responses) if m is not None})
    return {
        "status": ", ".join(map(str, codes)),
        "content_type": ", ".join(media) or None,
        "headers": headers,
        "body": builder.tree(),
    }


def request_label(interaction: Interaction) -> str:
    """The request as `METHOD /path?query`, host dropped and noise replaced."""
    request = interaction["request"]
    parts = urlsplit(request["uri"])
    target = unquote(parts.path) + (f"?{unquote(parts.query)}" if parts.query else "")
    return f"{str(request['method']).upper()} {normalise_text(target)}"


def logical_interactions(interactions: list[Interaction]) -> tuple[LogicalInteraction, ...]:
    """Group consecutive requests with the same normalised request line into one interaction."""
    runs: list[tuple[str, list[Interaction]]] = []
    for interaction in interactions:
        label = request_label(interaction)
        if runs and runs[-1][0] == label:
            runs[-1][1].append(interaction)
        else:
            runs.append((label, [interaction]))
    return tuple(LogicalInteraction(label=label, responses=_settled(run)) for label, run in runs)


def status_code(interaction: Interaction) -> int:
    """The response's status code."""
    code: int = interaction["response"]["status"]["code"]
    return code


def media_type(interaction: Interaction) -> str | None:
    """The response's media type without parameters (`application/json`), or None."""
    for name, values in interaction["response"].get("headers", {}).items():
        if str(name).lower() == "content-type" and values:
            value = values[0] if isinstance(values, list) else values
            return str(value).split(";", 1)[0].strip().lower()
    return None


def header_names(interaction: Interaction) -> frozenset[str]:
    """The lower-cased names of the response headers that belong to the API."""
    names = (str(name).lower() for name in interaction["response"].get("headers", {}))
    return frozenset(name for name in names if name not in _TRANSPORT_HEADERS)


def body_text(interaction: Interaction) -> str:
    """The response body as text ('' when there is none)."""
    body = interaction["response"].get("body", {}).get("string", "")
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    return str(body)


def _settled(run: list[Interaction]) -> tuple[Interaction, ...]:
    # Failures a client retries say nothing about the API's contract when a final answer follows.
    final = [i for i in run if status_code(i) not in RETRY_STATUSES]
    return tuple(final or run)
