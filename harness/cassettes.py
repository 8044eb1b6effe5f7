"""The on-disk recording: one vcrpy YAML cassette per step plus `manifest.json`.

A recording directory looks like::

    manifest.json
    01-sweep-leftover-service.yaml
    02-find-or-create-test-user.yaml
    ...

Each cassette is vcrpy's own format (``{"interactions": [...], "version": 1}``), bodies stored as
decoded text.  Everything that reads a recording (replay, drift, audit) goes through
`load_recording`, so damaged input is reported once, the same way, as an `InputError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from harness.errors import InputError

FORMAT_NAME = "harness-recording"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
ACCEPTED_DIR = Path("cassettes")
FRESH_DIR = Path("recordings") / "latest"
# Large enough for a busy account's list pages; a bigger file is a mistake, not a recording.
MAX_FILE_BYTES = 512 * 1024 * 1024

# libyaml is several times faster than the pure-Python loader; replay time is dominated by it.
YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YamlDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

Interaction = dict[str, Any]


def cassette_name(number: int, slug: str) -> str:
    """The file name of a step's cassette, so that `ls` lists the steps in notebook order."""
    return f"{number:02d}-{slug}.yaml"


@dataclass(frozen=True)
class StepEntry:
    """One step as the manifest lists it."""

    number: int
    slug: str
    title: str
    cassette: str


@dataclass(frozen=True)
class Manifest:
    """What a recording says about itself: where it was made and what replay needs."""

    harness_version: str
    vcrpy_version: str
    recorded_at: str
    sandbox: bool
    region: str
    api_url: str
    events_url: str
    placeholders: dict[str, str]
    steps: tuple[StepEntry, ...]
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        data = {
            "format": FORMAT_NAME,
            "format_version": self.format_version,
            "harness_version": self.harness_version,
            "vcrpy_version": self.vcrpy_version,
            "recorded_at": self.recorded_at,
            "sandbox": self.sandbox,
            "region": self.region,
            "api_url": self.api_url,
            "events_url": self.events_url,
            "placeholders": dict(sorted(self.placeholders.items())),
            "steps": [vars(s) for s in self.steps],
        }
        return json.dumps(data, indent=2) + "\n"


@dataclass(frozen=True)
class StepCassette:
    """A step's cassette as loaded from disk."""

    entry: StepEntry
    path: Path
    interactions: list[Interaction] = field(repr=False)


@dataclass(frozen=True)
class Recording:
    """A whole recording directory, loaded and validated."""

    path: Path
    manifest: Manifest
    steps: tuple[StepCassette, ...]

    def step(self, slug: str) -> StepCassette:
        for step in self.steps:
            if step.entry.slug == slug:
                return step
        raise InputError(f"{self.path}: the recording has no step {slug!r}")


def load_manifest(directory: Path) -> Manifest:
    """Read and validate `manifest.json`; any defect is an `InputError` naming the file."""
    path = directory / MANIFEST_NAME
    if not directory.is_dir():
        raise InputError(
            f"{directory}: no recording directory there",
            hint="record one with `harness record --sandbox`, or name an existing directory",
        )
    data = _read_json(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise InputError(f"{path}: not a harness manifest (no \"format\": \"{FORMAT_NAME}\")")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise InputError(
            f"{path}: manifest format version {version!r} is not supported "
            f"(this harness reads version {FORMAT_VERSION})",
            hint="re-record with this version of harness: `harness record`",
        )
    try:
        steps = tuple(
            StepEntry(
                number=int(s["number"]), slug=str(s["slug"]), title=str(s["title"]),
                cassette=str(s["cassette"]),
            )
            for s in data["steps"]
        )
        placeholders = {str(k): str(v) for k, v in dict(data["placeholders"]).items()}
        manifest = Manifest(
            harness_version=str(data["harness_version"]),
            vcrpy_version=str(data["vcrpy_version"]),
            recorded_at=str(data["recorded_at"]),
            sandbox=bool(data["sandbox"]),
            region=str(data["region"]),
            api_url=str(data["api_url"]),
            events_url=str(data["events_url"]),
            placeholders=placeholders,
            steps=steps,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"{path}: manifest field missing or malformed ({exc})") from None
    for step in steps:
        if Path(step.cassette).name != step.cassette:
            raise InputError(f"{path}: cassette name {step.cassette!r} is not a plain file name")
    return manifest


def load_cassette(path: Path) -> list[Interaction]:
    """Read one vcrpy YAML cassette and check its structure; any defect is an `InputError`."""
    text = _read_text(path)
    try:
        data = yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}: invalid YAML{where}", hint=_rerecord_hint()) from None
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise InputError(f"{path}: not a vcrpy cassette (no interactions list)", hint=_rerecord_hint())
    if data.get("version") != 1:
        # A cassette cut short loses its last line, `version: 1`: this also catches truncation.
        raise InputError(f"{path}: cassette format version {data.get('version')!r} is not supported "
                         "(this harness reads version 1)", hint=_rerecord_hint())
    interactions: list[Interaction] = data["interactions"]
    for index, interaction in enumerate(interactions, start=1):
        problem = _interaction_problem(interaction)
        if problem:
            raise InputError(f"{path}: interaction {index} {problem}", hint=_rerecord_hint())
    return interactions


def load_recording(directory: Path) -> Recording:
    """Load a recording directory: its manifest and every step's cassette."""
    manifest = load_manifest(directory)
    steps = tuple(
        StepCassette(entry=entry, path=directory / entry.cassette,
                     interactions=load_cassette(directory / entry.cassette))
        for entry in manifest.steps
    )
    return Recording(path=directory, manifest=manifest, steps=steps)


def _interaction_problem(interaction: Any) -> str:
    if not isinstance(interaction, dict):
        return "is not a mapping"
    request, response = interaction.get("request"), interaction.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        return "lacks a request or a response"
    if not isinstance(request.get("method"), str) or not isinstance(request.get("uri"), str):
        return "has a request without method or uri"
    try:
        # `.port` is where urlsplit rejects a malformed host or port; replay and drift rely on it.
        if urlsplit(request["uri"]).port == 0:
            return "has a request to port 0"
    except ValueError:
        return "has a request whose uri is not a URL"
    status = response.get("status")
    if not isinstance(status, dict) or not isinstance(status.get("code"), int):
        return "has a response without a status code"
    if not isinstance(response.get("headers", {}), dict):
        return "has response headers that are not a mapping"
    body = response.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("string", ""), (str, bytes)):
        return "has a response body that is not text"
    return ""


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}: {size} bytes is larger than a recording file can be")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file is missing", hint=_rerecord_hint()) from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text", hint=_rerecord_hint()) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None


def _read_json(path: Path) -> Any:
    text = _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: invalid JSON at line {exc.lineno}", hint=_rerecord_hint()) from None


def _rerecord_hint() -> str:
    return "re-record with `harness record --sandbox` (or against your account), then `harness accept`"


class _CassetteDumper(YamlDumper):  # type: ignore[misc]
    """Writes multi-line strings (the indented JSON bodies) as literal blocks, so diffs read well."""


def _represent_str(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_CassetteDumper.add_representer(str, _represent_str)


def dump_cassette(interactions: list[Interaction]) -> str:
    """A cassette as vcrpy reads it, with bodies as readable text blocks."""
    data = {"interactions": interactions, "version": 1}
    text: str = yaml.dump(data, Dumper=_CassetteDumper, allow_unicode=True, sort_keys=False,
                          width=1_000_000)
    return text
