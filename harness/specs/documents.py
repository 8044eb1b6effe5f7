"""PagerDuty's OpenAPI documents: where they are, loading and patching them, and their examples.

The REST and Events v2 documents are read from the directory named by ``HARNESS_OPENAPI_DIR``,
else from ``../shared/pagerduty-openapi`` beside the project root, else from the user's cache that
``nox -s spec`` fills (`harness.specs.fetch`).  Each
document is read, patched by `DEPARTURES` and given a validator once per process and directory,
and every check shares it (the REST document is 2.7 MB).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from openapi_core import Config, OpenAPI

from harness.errors import ConfigError, InputError
from harness.specs.departures import DEPARTURES, Api, Departure
from harness.specs.fetch import cache_dir
from harness.specs.patch import apply_op, resolve

ENV_VAR = "HARNESS_OPENAPI_DIR"
DEFAULT_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "pagerduty-openapi"
DOCUMENTS: dict[Api, str] = {"rest": "REST/openapiv3.json", "events": "events-v2/openapiv3.json"}


@dataclass(frozen=True)
class Spec:
    """One loaded document (treat it as read-only) and the openapi-core app built on it."""

    api: Api
    document: Mapping[str, Any]
    app: OpenAPI

    @property
    def origin(self) -> str:
        """Scheme and host of the document's first server, the host every exchange is checked at."""
        url = urlsplit(self.document["servers"][0]["url"])
        return f"{url.scheme}://{url.netloc}"


@dataclass(frozen=True)
class Example:
    """One named example body the document gives for a request or a response."""

    operation_id: str
    method: str
    path: str
    status: int | None  # None for a request example
    name: str
    value: Any

    @property
    def id(self) -> str:
        """Stable name such as ``getIncident/200/response`` or ``createUser/request/request``."""
        return f"{self.operation_id}/{self.status or 'request'}/{self.name}"


def openapi_dir() -> Path:
    """The directory holding PagerDuty's documents.

    `HARNESS_OPENAPI_DIR` when set (complete or not: the user chose it); else the shared copy, else
    the cache `nox -s spec` fills, whichever holds them all; else the cache, where they belong.
    """
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    cached = cache_dir()
    return next((d for d in (DEFAULT_DIR, cached) if not missing_documents(d)), cached)


def missing_reason() -> str:
    """Why the spec checks cannot run here, and the command that fixes it."""
    missing = ", ".join(str(p) for p in missing_documents())
    return (f"PagerDuty OpenAPI documents not found (missing: {missing}); run `nox -s spec` to "
            f"download them into {cache_dir()}, or set {ENV_VAR} to a folder holding them")


def missing_documents(directory: Path | None = None) -> list[Path]:
    """The document files that are absent from `directory` (default `openapi_dir()`)."""
    base = directory or openapi_dir()
    return [base / name for name in DOCUMENTS.values() if not (base / name).is_file()]


def load_document(*, api: Api, patched: bool = True, directory: Path | None = None) -> Any:
    """A fresh copy of one document, with its `DEPARTURES` applied unless `patched` is false."""
    document = json.loads(_read((directory or openapi_dir()) / DOCUMENTS[api]))
    if patched:
        apply_departures(document, departures=[d for d in DEPARTURES if d.api == api])
    return document


def load_spec(api: Api, *, patched: bool = True) -> Spec:
    """The document for `api` and its validator, built once per process and directory."""
    return _spec(api, patched, openapi_dir())


def build_spec(document: Any, *, api: Api) -> Spec:
    """A validator over `document` as given (e.g. patched by only some departures)."""
    # The raw documents fail OpenAPI schema validation themselves, so openapi-core must not check;
    # it documents None as "skip" although its annotation leaves None out.
    config = Config(spec_validator_cls=None)  # type: ignore[arg-type]
    return Spec(api, document, OpenAPI.from_dict(document, config=config))


def apply_departures(document: Any, *, departures: Iterable[Departure]) -> Any:
    """Apply each departure's patch to `document` in place and return it."""
    for departure in departures:
        for op in departure.patch:
            try:
                apply_op(document, op)
            except (KeyError, IndexError, TypeError, ValueError):
                raise InputError(
                    f"departure {departure.name!r} no longer fits the PagerDuty document: "
                    f"{op.op} {op.source or op.path}",
                    hint="the document changed upstream; re-check that departure against it and "
                    "update DEPARTURES in harness/specs/departures.py",
                ) from None
    return document


def spec_examples(spec: Spec) -> Iterator[Example]:
    """Every named JSON example of a request body or a 2xx response, in document order."""
    document = spec.document
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            bodies: list[tuple[int | None, Any]] = [(None, operation.get("requestBody", {}))]
            bodies += [(int(status), response) for status, response in operation["responses"].items()
                       if status.startswith("2")]
            for status, body in bodies:
                media = resolve(document, body).get("content", {}).get("application/json", {})
                for name, example in media.get("examples", {}).items():
                    yield Example(operation["operationId"], method, path, status, name,
                                  resolve(document, example)["value"])


def api_for_path(path: str) -> Api:
    """Events v2 for paths under the Events server's /v2 prefix, REST for everything else."""
    return "events" if path.startswith("/v2/") else "rest"


@functools.cache
def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: PagerDuty OpenAPI document not found",
            hint=f"run `nox -s spec` to download them, or set {ENV_VAR} to the directory holding "
            "REST/ and events-v2/openapiv3.json",
        ) from None


@functools.cache
def _spec(api: Api, patched: bool, directory: Path) -> Spec:
    return build_spec(load_document(api=api, patched=patched, directory=directory), api=api)
