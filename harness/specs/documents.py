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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from openapi_core import Config, OpenAPI

from harness.errors import ConfigError, InputError
from harness.openapi.locate import DOCUMENTS, ENV_VAR, Api, openapi_dir
from harness.specs.departures import DEPARTURES, Departure
from harness.specs.patch import apply_op, resolve


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
            bodies += [
                (int(status), response)
                for status, response in operation["responses"].items()
                if status.startswith("2")
            ]
            for status, body in bodies:
                media = resolve(document, body).get("content", {}).get("application/json", {})
                for name, example in media.get("examples", {}).items():
                    yield Example(
                        operation["operationId"],
                        method,
                        path,
                        status,
                        name,
                        resolve(document, example)["value"],
                    )


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
