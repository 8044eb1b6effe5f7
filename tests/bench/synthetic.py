"""Big recordings for the drift benchmark: the accepted recording with its list pages blown up.

The list-incidents and list-log-entries answers are replaced by pages of N items made from the
recording's own incidents and log entries, each item with its own id, incident number and
timestamps, and each run (seed) with its own account ids, numbers and start time, so two
synthetic recordings differ in every id and timestamp, as two real runs do.  Pages are
rendered as text the way the recorder stores bodies (JSON indented by two), from templates that
are split once into literal text and slots, because json.dumps with indent is too slow for
100,000-item pages.
"""

from __future__ import annotations

import json
import re
import textwrap
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from harness.cassettes import Interaction, Recording, StepCassette

# The pages that grow, each with its list key and the steps whose items serve as templates
# (an acknowledged and a resolved incident come from the steps that changed their status).
PAGES = {
    "list-incidents": (
        "incidents",
        "incident",
        ("list-incidents", "acknowledge-incident", "bulk-resolve-incidents"),
    ),
    "list-log-entries": ("log_entries", "log_entry", ("list-log-entries",)),
}
# A field that PagerDuty sends and the sandbox does not: the candidate's one real drift.
ADDED_FIELD = "description"

_SLOTS = re.compile(
    r"(?P<id>\b(?:P[A-Z0-9]{6}|Q[A-Z0-9]{13})\b)"
    r"|(?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)"
    r'|(?<="incident_number": )(?P<number>\d+)'
    r"|(?<=\[#)(?P<summary_number>\d+)(?=\])"
)
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_STAMP = "%Y-%m-%dT%H:%M:%SZ"
# Multiplying by an odd constant modulo a power of two is a bijection: ids never collide.
_MIX = 0x9E3779B1


@dataclass(frozen=True)
class _Template:
    """One item as text, split into literal chunks and the slots between them.

    A slot is (kind, recorded value, seconds after the item's earliest timestamp).
    """

    chunks: tuple[str, ...]
    slots: tuple[tuple[str, str, int], ...]
    own_id: str


def synthetic_recording(base: Recording, *, size: int, seed: int, drifted: bool = False) -> Recording:
    """`base` with `size`-item incident and log-entry pages; `drifted` adds `ADDED_FIELD` to incidents."""
    steps = []
    for step in base.steps:
        page = PAGES.get(step.entry.slug)
        if page is not None:
            key, single, sources = page
            extra = {ADDED_FIELD: "Synthetic incident"} if drifted and key == "incidents" else {}
            templates = _templates(base, (key, single), sources, extra)
            body = _page(step, templates, key, size=size, seed=seed)
            step = replace(
                step, interactions=[_with_body(step.interactions[0], body), *step.interactions[1:]]
            )
        steps.append(step)
    return replace(base, path=Path(f"synthetic-{size}-{seed}"), steps=tuple(steps))


def page_bodies(recording: Recording) -> Iterator[str]:
    """The response bodies of the grown pages, in step order."""
    for step in recording.steps:
        if step.entry.slug in PAGES:
            yield str(step.interactions[0]["response"]["body"]["string"])


def _templates(
    base: Recording, keys: tuple[str, str], sources: tuple[str, ...], extra: dict[str, str]
) -> list[_Template]:
    """Every item of the list key, or object of the singular key, in the source steps' answers."""
    items: list[dict[str, Any]] = []
    for slug in sources:
        for interaction in base.step(slug).interactions:
            body = json.loads(interaction["response"]["body"]["string"] or "{}")
            for found in (body.get(key) for key in keys):
                items += found if isinstance(found, list) else [found] if isinstance(found, dict) else []
    if not items:
        raise ValueError(f"the recording has no {keys[0]} to make a synthetic page from")
    return [_compile({**item, **extra}) for item in items]


def _compile(item: dict[str, Any]) -> _Template:
    text = textwrap.indent(json.dumps(item, indent=2, ensure_ascii=False), "    ")
    matches = list(_SLOTS.finditer(text))
    times = [_parse(m.group()) for m in matches if m.lastgroup == "time"]
    epoch = min(times, default=_EPOCH)
    chunks = [text[: matches[0].start()] if matches else text]
    slots = []
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        kind, value = str(match.lastgroup), match.group()
        offset = int((_parse(value) - epoch).total_seconds()) if kind == "time" else 0
        slots.append((kind, value, offset))
        chunks.append(text[match.end() : following.start() if following else len(text)])
    return _Template(tuple(chunks), tuple(slots), str(item["id"]))


def _page(step: StepCassette, templates: list[_Template], key: str, *, size: int, seed: int) -> str:
    recorded = json.loads(step.interactions[0]["response"]["body"]["string"])
    marker = "@@items@@"
    outline = json.dumps({**recorded, key: [marker]}, indent=2, ensure_ascii=False)
    run = [_specialised(template, seed) for template in templates]
    render = _renderer(seed, first_number=(seed - 1) * size + 1)
    items = ",\n".join(render(run[index % len(run)], index) for index in range(size))
    return outline.replace(f'    "{marker}"', items)


def _specialised(template: _Template, seed: int) -> _Template:
    """Fold the run's account ids into the literal text, leaving only per-item slots."""
    chunks, slots = [template.chunks[0]], []
    for slot, chunk in zip(template.slots, template.chunks[1:], strict=True):
        kind, value, _offset = slot
        if kind == "id" and value != template.own_id:
            chunks[-1] += _account_id(value, seed) + chunk
        else:
            slots.append(slot)
            chunks.append(chunk)
    return _Template(tuple(chunks), tuple(slots), template.own_id)


def _renderer(seed: int, *, first_number: int) -> Callable[[_Template, int], str]:
    """Render an item of one run: fresh id, incident number and timestamps from its index."""
    start = _EPOCH + timedelta(days=seed)
    stamps: dict[int, str] = {}

    def stamp(seconds: int) -> str:
        # Neighbouring items share most of their timestamps: format each second once.
        text = stamps.get(seconds)
        if text is None:
            text = stamps[seconds] = (start + timedelta(seconds=seconds)).strftime(_STAMP)
        return text

    def render(template: _Template, index: int) -> str:
        own_id = _fresh_id(template.own_id, (index * _MIX + seed) & 0xFFFFFF)
        number = str(first_number + index)
        parts = [template.chunks[0]]
        for (kind, _value, offset), chunk in zip(template.slots, template.chunks[1:], strict=True):
            fresh = own_id if kind == "id" else stamp(index + offset) if kind == "time" else number
            parts += (fresh, chunk)
        return "".join(parts)

    return render


def _account_id(recorded: str, seed: int) -> str:
    """The run's id for an account object (service, user, policy): the same on every page."""
    return _fresh_id(recorded, zlib.crc32(f"{seed}:{recorded}".encode()))


def _fresh_id(like: str, serial: int) -> str:
    """An id of the same prefix and length as `like`, upper-case hex after the prefix."""
    width = len(like) - 1
    return f"{like[0]}{serial % 16**width:0{width}X}"


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)


def _with_body(interaction: Interaction, body: str) -> Interaction:
    response = interaction["response"]
    length = str(len(body) if body.isascii() else len(body.encode()))
    headers = {
        name: [length] if name.lower() == "content-length" else values
        for name, values in response.get("headers", {}).items()
    }
    return {**interaction, "response": {**response, "headers": headers, "body": {"string": body}}}
