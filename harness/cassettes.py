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
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from harness.errors import InputError
from harness.inputs import MAX_FILE_BYTES as MAX_FILE_BYTES  # the limit recordings are read under
from harness.inputs import load_yaml, parse_json, read_text

FORMAT_NAME = "harness-recording"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
ACCEPTED_DIR = Path("cassettes")
FRESH_DIR = Path("recordings") / "latest"
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
    # The ids of what the scenario made or drove, by kind (incident, service, ...): drift holds
    # these to every rule and the account's other items only to the rules all items obey.
    # None in recordings made before it was kept.
    owned: dict[str, tuple[str, ...]] | None = None
    # The seed of the busy sandbox account it was recorded on, so the account can be made again.
    sandbox_seed: int | None = None
    # The scenario it records, as `--scenario` names it (MODULE:ATTRIBUTE); None: the notebook's.
    scenario: str | None = None

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
        if self.owned is not None:
            data["owned"] = {kind: list(ids) for kind, ids in sorted(self.owned.items())}
        if self.sandbox_seed is not None:
            # A whole-word key: the fail-closed check skips keys, not an account name inside one.
            data["seed"] = self.sandbox_seed
        if self.scenario is not None:
            data["scenario"] = self.scenario
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
    try:
        is_dir = stat.S_ISDIR(directory.stat().st_mode)
    except (FileNotFoundError, NotADirectoryError):
        is_dir = False
    except OSError as exc:  # a symlink loop, a name too long, a folder one may not enter
        raise InputError(
            f"{directory}: cannot be read ({exc.strerror})", hint="name an existing recording directory"
        ) from None
    if not is_dir:
        raise InputError(
            f"{directory}: no recording directory there",
            hint="record one with `harness record --sandbox`, or name an existing directory",
        )
    data = _read_json(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise InputError(f'{path}: not a harness manifest (no "format": "{FORMAT_NAME}")')
    version = data.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise InputError(
            f"{path}: manifest format version {_shown(version)} is not supported "
            f"(this harness reads version {FORMAT_VERSION})",
            hint="re-record with this version of harness: `harness record`",
        )
    try:
        manifest = _manifest_from(data)
    except _Malformed as exc:
        raise InputError(
            f"{path}: manifest field missing or malformed ({exc})", hint=_rerecord_hint()
        ) from None
    steps = manifest.steps
    for step in steps:
        if Path(step.cassette).name != step.cassette:
            raise InputError(
                f"{path}: cassette name {_shown(step.cassette)} is not a plain file name",
                hint=_rerecord_hint(),
            )
    return manifest


def load_cassette(path: Path) -> list[Interaction]:
    """Read one vcrpy YAML cassette and check its structure; any defect is an `InputError`."""
    text = _read_text(path)
    try:
        data = load_yaml(text, YamlLoader)
    except InputError as exc:
        raise InputError(f"{path}: {exc}", hint=exc.hint) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}: invalid YAML{where}", hint=_rerecord_hint()) from None
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise InputError(f"{path}: not a vcrpy cassette (no interactions list)", hint=_rerecord_hint())
    if type(data.get("version")) is not int or data["version"] != 1:
        # A cassette cut short loses its last line, `version: 1`: this also catches truncation.
        raise InputError(
            f"{path}: cassette format version {_shown(data.get('version'))} is not supported "
            "(this harness reads version 1)",
            hint=_rerecord_hint(),
        )
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
        StepCassette(
            entry=entry,
            path=directory / entry.cassette,
            interactions=load_cassette(directory / entry.cassette),
        )
        for entry in manifest.steps
    )
    return Recording(path=directory, manifest=manifest, steps=steps)


class _Malformed(Exception):
    """A manifest field of the wrong type or value; the message names the field, never its value."""


_MANIFEST_TEXTS = ("harness_version", "vcrpy_version", "recorded_at", "region", "api_url", "events_url")
_STEP_FIELDS = {"number": int, "slug": str, "title": str, "cassette": str}


def _manifest_from(data: dict[str, Any]) -> Manifest:
    for name in _MANIFEST_TEXTS:
        _expect(data, name, str)
    _expect(data, "sandbox", bool)
    for name in ("api_url", "events_url"):
        if not _base_url(data[name]):
            raise _Malformed(f"{name!r} is not an http(s) URL")
    placeholders = _expect(data, "placeholders", dict)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in placeholders.items()):
        raise _Malformed("'placeholders' must map names to text")
    # Replay sends these as URLs and headers: a control character would only fail there, later.
    texts = [(repr(name), data[name]) for name in _MANIFEST_TEXTS]
    texts += [(f"placeholder {_shown(name)}", value) for name, value in placeholders.items()]
    for what, value in texts:
        if _CONTROL.search(value):
            raise _Malformed(f"{what} holds a control character")
    steps = []
    for index, step in enumerate(_expect(data, "steps", list), start=1):
        if not isinstance(step, dict):
            raise _Malformed(f"step {index} is not an object")
        for name, kind in _STEP_FIELDS.items():
            _expect(step, name, kind, where=f"step {index} ")
        if not 1 <= step["number"] <= 999:
            raise _Malformed(f"step {index} 'number' is out of range (1-999)")
        steps.append(StepEntry(**{name: step[name] for name in _STEP_FIELDS}))
    return Manifest(
        **{name: data[name] for name in _MANIFEST_TEXTS},
        sandbox=data["sandbox"],
        placeholders=placeholders,
        steps=tuple(steps),
        owned=_owned_from(data),
        sandbox_seed=_seed_from(data),
        scenario=_scenario_from(data),
    )


def _scenario_from(data: dict[str, Any]) -> str | None:
    """The optional `scenario` field: the MODULE:ATTRIBUTE reference of the scenario recorded."""
    scenario = data.get("scenario")
    if scenario is not None and (not isinstance(scenario, str) or not SCENARIO_RE.fullmatch(scenario)):
        raise _Malformed("'scenario' must be MODULE:ATTRIBUTE")
    return scenario


def _seed_from(data: dict[str, Any]) -> int | None:
    """The optional `seed` field (the busy sandbox account's): a non-negative integer, not a boolean."""
    seed = data.get("seed")
    if seed is not None and (type(seed) is not int or seed < 0):
        raise _Malformed("'seed' must be a non-negative integer")
    return seed


def _owned_from(data: dict[str, Any]) -> dict[str, tuple[str, ...]] | None:
    """The optional `owned` field: kinds mapped to lists of ids."""
    if "owned" not in data:
        return None
    owned = _expect(data, "owned", dict)
    if not all(
        isinstance(kind, str) and type(ids) is list and all(isinstance(i, str) for i in ids)
        for kind, ids in owned.items()
    ):
        raise _Malformed("'owned' must map kinds to lists of ids")
    return {kind: tuple(ids) for kind, ids in owned.items()}


def _expect(data: dict[str, Any], name: str, kind: type, *, where: str = "") -> Any:
    if name not in data:
        raise _Malformed(f"{where}{name!r} is missing")
    value = data[name]
    # bool is an int to Python, and "false" is truthy: neither may stand for the other.
    if type(value) is not kind:
        raise _Malformed(f"{where}{name!r} must be {_TYPE_NAMES[kind]}, not {_type_name(value)}")
    return value


_TYPE_NAMES = {str: "text", bool: "true or false", int: "a whole number", list: "a list", dict: "an object"}


def _type_name(value: Any) -> str:
    for kind, name in (
        (bool, "true or false"),
        (str, "text"),
        (int, "a whole number"),
        (float, "a fractional number"),
        (list, "a list"),
        (dict, "an object"),
    ):
        if isinstance(value, kind):
            return name
    return "null"


def _base_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - where urlsplit rejects a malformed host or port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The notebook's scenario, by reference: what a manifest without "scenario" recorded.
NOTEBOOK = "harness.scenario:scenario"
SCENARIO_RE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*", re.ASCII)
_REQUEST_FIELDS = frozenset({"method", "uri", "body", "headers"})
_RESPONSE_FIELDS = frozenset({"status", "headers", "body"})


def _interaction_problem(interaction: Any) -> str:
    if not isinstance(interaction, dict):
        return "is not a mapping"
    request, response = interaction.get("request"), interaction.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        return "lacks a request or a response"
    return _request_problem(request) or _response_problem(response)


def _request_problem(request: dict[Any, Any]) -> str:
    unknown = set(request) - _REQUEST_FIELDS
    if unknown:
        return f"has a request with unknown fields ({_names(unknown)})"
    if not isinstance(request.get("method"), str) or not isinstance(request.get("uri"), str):
        return "has a request without method or uri"
    try:
        # `.port` is where urlsplit rejects a malformed host or port; replay and drift rely on it.
        if urlsplit(request["uri"]).port == 0:
            return "has a request to port 0"
    except ValueError:
        return "has a request whose uri is not a URL"
    if "body" not in request or not isinstance(request["body"], (str, bytes, type(None))):
        return "has a request body that is not text"
    return _headers_problem("request", request.get("headers"))


def _response_problem(response: dict[Any, Any]) -> str:
    unknown = set(response) - _RESPONSE_FIELDS
    if unknown:
        return f"has a response with unknown fields ({_names(unknown)})"
    status = response.get("status")
    if not isinstance(status, dict) or type(status.get("code")) is not int:
        return "has a response without a status code"
    if not 100 <= status["code"] <= 599:
        return "has a response status code out of range (100-599)"
    if not isinstance(status.get("message", ""), str):
        return "has a response status message that is not text"
    if not isinstance(response.get("headers", {}), dict):
        return "has response headers that are not a mapping"
    problem = _headers_problem("response", response.get("headers", {}))
    if problem:
        return problem
    body = response.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("string", ""), (str, bytes)):
        return "has a response body that is not text"
    return ""


def _headers_problem(which: str, headers: Any) -> str:
    if not isinstance(headers, dict):
        return f"has {which} headers that are not a mapping"
    for name, values in headers.items():
        if not isinstance(name, str):
            return f"has a {which} header name that is not text"
        texts = values if isinstance(values, list) else [values]
        if not all(isinstance(value, str) for value in texts):
            # The value is not shown: a request header may hold a credential.
            return f"has {which} header {name[:60]!r} with a value that is not text (quote it)"
    return ""


def _names(fields: set[Any]) -> str:
    return ", ".join(sorted(_shown(str(f)) for f in fields))


def _shown(value: Any) -> str:
    """A value for a message, cut short: a damaged file may hold megabytes where a word belongs."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _read_text(path: Path) -> str:
    return read_text(path, hint=_rerecord_hint())


def _read_json(path: Path) -> Any:
    text = _read_text(path)
    try:
        return parse_json(text, where=str(path))
    except ValueError as exc:
        line = getattr(exc, "lineno", 1)
        raise InputError(f"{path}: invalid JSON at line {line}", hint=_rerecord_hint()) from None


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
    text: str = yaml.dump(data, Dumper=_CassetteDumper, allow_unicode=True, sort_keys=False, width=1_000_000)
    return text
