"""PagerDuty's OpenAPI documents, every place the harness departs from them, and checks built on both.

The REST and Events v2 documents are read from ``../shared/pagerduty-openapi`` beside the project
root, or from the directory named by the ``HARNESS_OPENAPI_DIR`` environment variable.  Before any
validation each document is patched by `DEPARTURES`, the one list of places where the check differs
from the raw document: either the live API does something else, or the document contradicts its own
examples.  Each patch is a JSON Patch (RFC 6902) aimed at one schema location, so nothing is loosened
in bulk, and a patch that no longer fits a refreshed document fails loudly instead of silently.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from jsonschema.exceptions import ValidationError as SchemaError
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.request.exceptions import (
    MissingRequiredParameter,
    ParameterValidationError,
    RequestBodyValidationError,
    SecurityValidationError,
)
from openapi_core.validation.response.exceptions import DataValidationError
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.datastructures import Headers, ImmutableMultiDict

from harness.errors import ConfigError, InputError

Api = Literal["rest", "events"]
Part = Literal["request", "response"]
Query = str | Mapping[str, str | Sequence[str]]
HeaderInput = Mapping[str, str | Sequence[str]]

ENV_VAR = "HARNESS_OPENAPI_DIR"
DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "pagerduty-openapi"
DOCUMENTS: dict[Api, str] = {"rest": "REST/openapiv3.json", "events": "events-v2/openapiv3.json"}


@dataclass(frozen=True)
class Op:
    """One JSON Patch (RFC 6902) operation on a spec document: add, replace or move."""

    op: Literal["add", "replace", "move"]
    path: str
    value: Any = None
    source: str = ""


@dataclass(frozen=True)
class Departure:
    """One place where the check departs from PagerDuty's raw document, and why.

    `patch` changes the document before validation; `examples` names the spec's own examples
    (`Example.id`) that fail without it; `extra_keys` / `missing_keys` are the body keys that may
    differ from the spec's example for `operations` when bodies are compared key by key.
    """

    name: str
    kind: Literal["live-api", "spec-defect"]
    api: Api
    reason: str
    patch: tuple[Op, ...] = ()
    examples: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()
    extra_keys: tuple[str, ...] = ()
    missing_keys: tuple[str, ...] = ()


def _nullable(pointer: str) -> Op:
    return Op("add", f"{pointer}/nullable", True)


def _any_of(pointer: str) -> Op:
    return Op("move", f"{pointer}/anyOf", source=f"{pointer}/oneOf")


_JSON = "content/application~1json/schema"
_INCIDENT = "/components/schemas/Incident/allOf/1/properties"
_LOG_ENTRY_BRANCHES = (
    f"/paths/~1log_entries/get/responses/200/{_JSON}/allOf/1/properties/log_entries/items/oneOf",
    f"/paths/~1incidents~1{{id}}~1log_entries/get/responses/200/{_JSON}"
    "/allOf/1/properties/log_entries/items/oneOf",
    f"/paths/~1log_entries~1{{id}}/get/responses/200/{_JSON}/properties/log_entry/oneOf",
)
_LINK_LOG_ENTRY = {
    "allOf": [
        {"$ref": "#/components/schemas/LogEntry"},
        {"type": "object", "properties": {"type": {"type": "string", "enum": ["link_log_entry"]}}},
    ]
}
_ANALYTICS_METRICS = (f"/paths/~1analytics~1metrics~1incidents~1all/post/responses/200/{_JSON}"
                      "/allOf/0/properties/data/items/properties")
_EVENTS_ERROR = {"$ref": "#/components/responses/Error"}

DEPARTURES: tuple[Departure, ...] = (
    Departure(
        "note-created-201", "live-api", "rest",
        "POST /incidents/{id}/notes answers 201 Created (real recording, v1 notebook); spec says 200",
        patch=(Op("move", "/paths/~1incidents~1{id}~1notes/post/responses/201",
                  source="/paths/~1incidents~1{id}~1notes/post/responses/200"),),
    ),
    Departure(
        "integration-key", "live-api", "rest",
        "Integrations carry integration_key, the 32-character Events v2 routing key the schema omits",
        patch=(Op("add", "/components/schemas/Integration/allOf/1/properties/integration_key",
                  {"type": "string", "readOnly": True, "pattern": "^[A-Za-z0-9]{32}$"}),),
        operations=("createServiceIntegration", "getServiceIntegration"),
        extra_keys=("integration_key",),
    ),
    Departure(
        "bulk-update-without-pagination", "live-api", "rest",
        "PUT /incidents answers only {incidents} (real recording); the schema adds pagination keys",
        patch=(Op("replace", f"/paths/~1incidents/put/responses/200/{_JSON}", {
            "type": "object", "required": ["incidents"], "additionalProperties": False,
            "properties": {"incidents": {
                "type": "array", "items": {"$ref": "#/components/schemas/Incident"}}},
        }),),
    ),
    Departure(
        "link-log-entry", "live-api", "rest",
        "Log entries of type link_log_entry exist (real recording) but are missing from the enum",
        patch=(
            Op("add", "/components/schemas/LogEntry/allOf/1/properties/type/enum/-",
               "link_log_entry"),
            Op("add", "/components/schemas/LinkLogEntry", _LINK_LOG_ENTRY),
            *(Op("add", f"{branches}/-", {"$ref": "#/components/schemas/LinkLogEntry"})
              for branches in _LOG_ENTRY_BRANCHES),
        ),
    ),
    Departure(
        "service-delete-404", "live-api", "rest",
        "DELETE /services/{id} of an unknown id answers 404 (developer docs); spec lists no 404",
        patch=(Op("add", "/paths/~1services~1{id}/delete/responses/404",
                  {"$ref": "#/components/responses/NotFound"}),),
    ),
    Departure(
        "incident-resolved-at-null", "spec-defect", "rest",
        "Incident.resolved_at is null until resolution, as the getIncident example shows, "
        "but not nullable",
        patch=(_nullable(f"{_INCIDENT}/resolved_at"),),
        examples=("getIncident/200/response",),
    ),
    Departure(
        "incident-alert-grouping-ended-at-null", "spec-defect", "rest",
        "Incident.alert_grouping.ended_at is null in the incident examples but not nullable",
        patch=(_nullable(f"{_INCIDENT}/alert_grouping/properties/ended_at"),),
        examples=("listIncidents/200/response", "getIncident/200/response"),
    ),
    Departure(
        "incident-resolve-reason-null", "spec-defect", "rest",
        "Incident.resolve_reason (ResolveReason, used only there) is null in the incident examples "
        "but not nullable",
        patch=(_nullable("/components/schemas/ResolveReason"),),
        examples=("listIncidents/200/response", "getIncident/200/response"),
    ),
    Departure(
        "service-alert-grouping-one-of", "spec-defect", "rest",
        "Service.alert_grouping_parameters {type: intelligent} in the listServices example matches "
        "both oneOf branches (the second has no required keys)",
        patch=(_any_of("/components/schemas/Service/allOf/1/properties/alert_grouping_parameters"),),
        examples=("listServices/200/response",),
    ),
    Departure(
        "log-entry-channel-one-of", "spec-defect", "rest",
        "Channel (used only by LogEntry) oneOf branches overlap: the examples' {type: api} "
        "matches several",
        patch=(_any_of("/components/schemas/Channel"),),
        examples=("listIncidentLogEntries/200/response", "listLogEntries/200/response",
                  "getLogEntry/200/response"),
    ),
    Departure(
        "analytics-means-documented-null", "spec-defect", "rest",
        "mean_seconds_to_engage and mean_seconds_to_mobilize are documented as null for incidents "
        "with one or no engaged users but are not nullable",
        patch=tuple(_nullable(f"{_ANALYTICS_METRICS}/{name}")
                    for name in ("mean_seconds_to_engage", "mean_seconds_to_mobilize")),
    ),
    Departure(
        "reference-id-type-read-only", "spec-defect", "rest",
        "The shared object base Tag/allOf/0 marks id and type readOnly, yet request bodies must "
        "send type and refer to other objects by {id, type}",
        patch=(Op("replace", "/components/schemas/Tag/allOf/0/properties/id/readOnly", False),
               Op("replace", "/components/schemas/Tag/allOf/0/properties/type/readOnly", False)),
        examples=("createServiceIntegration/request/email_integration",
                  "createServiceIntegration/request/email_integration_with_filters",
                  "createServiceIntegration/request/events_v2_integration",
                  "updateIncidents/request/incidents"),
    ),
    Departure(
        "acknowledge-log-entry-type", "spec-defect", "rest",
        "AcknowledgeLogEntry allows only type acknowledgement_log_entry, which LogEntry's enum "
        "forbids; the API sends acknowledge_log_entry",
        patch=(Op("replace",
                  "/components/schemas/AcknowledgeLogEntry/allOf/1/properties/type/enum",
                  ["acknowledge_log_entry"]),),
    ),
    Departure(
        "integration-examples-are-email", "spec-defect", "rest",
        "The integration response examples show an e-mail integration; an Events v2 integration "
        "has no integration_email or vendor",
        operations=("createServiceIntegration", "getServiceIntegration"),
        missing_keys=("integration_email", "vendor"),
    ),
    Departure(
        "list-examples-omit-total", "spec-defect", "rest",
        "The listIncidents and listLogEntries examples omit total, which Pagination defines and "
        "the API always sends (null unless total=true)",
        operations=("listIncidents", "listLogEntries"),
        extra_keys=("total",),
    ),
    Departure(
        "incident-log-entries-example-unpaginated", "spec-defect", "rest",
        "The listIncidentLogEntries example has no pagination keys, though its schema and the "
        "API's answers (real recording) carry them",
        operations=("listIncidentLogEntries",),
        extra_keys=("limit", "more", "offset", "total"),
    ),
    Departure(
        "log-entry-examples-omit-service", "spec-defect", "rest",
        "The log entry examples omit service, which LogEntry defines and real log entries carry",
        operations=("listIncidentLogEntries", "listLogEntries", "getLogEntry"),
        extra_keys=("service",),
    ),
    Departure(
        "incident-update-examples-abbreviated", "spec-defect", "rest",
        "The PUT incident examples list fewer keys than getIncident's; the API answers the full "
        "incident (real PUT /incidents recording)",
        operations=("updateIncident", "updateIncidents"),
        extra_keys=("alert_counts", "alert_grouping", "incidents_responders", "is_mergeable",
                    "priority", "resolve_reason", "responder_requests"),
    ),
    Departure(
        "incident-include-only-keys", "spec-defect", "rest",
        "The incident examples show conference_bridge ('only returned if include[]="
        "conference_bridge') and custom_fields (another include[] option) without asking for them",
        operations=("getIncident", "listIncidents"),
        missing_keys=("conference_bridge", "custom_fields"),
    ),
    Departure(
        "escalation-policy-create-example-omits-description", "spec-defect", "rest",
        "The createEscalationPolicy example omits description, which the getEscalationPolicy "
        "example and a real create answer have",
        operations=("createEscalationPolicy",),
        extra_keys=("description",),
    ),
    Departure(
        "events-error-responses-unresolved", "spec-defect", "events",
        "POST /enqueue 400 and 429 are descriptions holding a reference text, so error bodies go "
        "unchecked; the API sends the Error body {status, message, errors[]}",
        patch=(Op("replace", "/paths/~1enqueue/post/responses/400", _EVENTS_ERROR),
               Op("replace", "/paths/~1enqueue/post/responses/429", _EVENTS_ERROR)),
    ),
)


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


@dataclass(frozen=True)
class Problem:
    """One way an exchange departs from the patched spec, in words."""

    part: Part
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.part} {self.where}: {self.message}"


def openapi_dir() -> Path:
    """The directory holding PagerDuty's documents: `HARNESS_OPENAPI_DIR`, else the shared copy."""
    configured = os.environ.get(ENV_VAR)
    return Path(configured) if configured else DEFAULT_DIR


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


def apply_departures(document: Any, *, departures: Iterable[Departure]) -> Any:
    """Apply each departure's patch to `document` in place and return it."""
    for departure in departures:
        for op in departure.patch:
            try:
                _apply(document, op)
            except (KeyError, IndexError, TypeError, ValueError):
                raise InputError(
                    f"departure {departure.name!r} no longer fits the PagerDuty document: "
                    f"{op.op} {op.source or op.path}",
                    hint="the document changed upstream; re-check that departure against it and "
                    "update DEPARTURES in harness/specs.py",
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
                media = _resolve(document, body).get("content", {}).get("application/json", {})
                for name, example in media.get("examples", {}).items():
                    yield Example(operation["operationId"], method, path, status, name,
                                  _resolve(document, example)["value"])


def validate_request(
    *, method: str, path: str, query: Query = "", headers: HeaderInput | None = None,
    body: object = None, api: Api | None = None, spec: Spec | None = None,
) -> list[Problem]:
    """Check one request against the patched spec (or `spec`).

    `api` defaults to Events v2 for paths under /v2 and REST otherwise; bodies may be text, bytes
    or JSON values; headers and query values may be strings or lists of strings.
    """
    spec = spec or load_spec(api or api_for_path(path))
    request = _Request.build(spec, method, path, query, headers or {}, body)
    return _problems("request", spec.app.request_validator.iter_errors(request))


def validate_response(
    *, method: str, path: str, status: int, headers: HeaderInput | None = None,
    body: object = None, api: Api | None = None, spec: Spec | None = None,
) -> list[Problem]:
    """Check one response to `method path` against the patched spec (or `spec`)."""
    spec = spec or load_spec(api or api_for_path(path))
    request = _Request.build(spec, method, path, "", {}, None)
    response = _Response.build(status, headers or {}, body)
    return _problems("response", spec.app.response_validator.iter_errors(request, response))


def validate_interaction(
    interaction: Mapping[str, Any], *, base_url: str, keys: bool = False,
) -> list[Problem]:
    """Check both halves of one vcrpy cassette interaction recorded against `base_url`.

    With `keys`, a JSON success body is also compared key by key with the spec's example.
    """
    request, response = interaction["request"], interaction["response"]
    uri = str(request["uri"])
    base = base_url.rstrip("/")
    relative = uri[len(base):] if uri.startswith(base + "/") else _path_and_query(uri)
    path, _, query = relative.partition("?")
    method, status = str(request["method"]), int(response["status"]["code"])
    body = (response.get("body") or {}).get("string")
    problems = [
        *validate_request(method=method, path=path, query=query,
                          headers=request.get("headers") or {}, body=request.get("body")),
        *validate_response(method=method, path=path, status=status,
                           headers=response.get("headers") or {}, body=body),
    ]
    if keys and 200 <= status < 300 and body:
        try:
            decoded = json.loads(body)
        except ValueError:
            return problems  # validate_response has already said the body is not JSON
        problems += key_differences(method=method, path=path, status=status, body=decoded)
    return problems


def key_differences(
    *, method: str, path: str, status: int, body: Any, api: Api | None = None,
    departures: Sequence[Departure] = DEPARTURES,
) -> list[Problem]:
    """Keys of `body` that differ from the spec's own example, top level and main entity.

    Differences that `departures` allow for the operation are not reported; a response without
    an example has nothing to compare.
    """
    spec = load_spec(api or api_for_path(path))
    try:
        found = APICallPathFinder(spec.app.spec).find(method.lower(), spec.origin + path)
    except PathError:
        return []  # validate_response reports the unknown operation
    operation_id = found.operation["operationId"]
    example = next((e.value for e in spec_examples(spec)
                    if e.operation_id == operation_id and e.status == status), None)
    if not isinstance(example, dict) or not isinstance(body, dict):
        return []
    allowed = [d for d in departures if operation_id in d.operations]
    extra = {key for d in allowed for key in d.extra_keys}
    missing = {key for d in allowed for key in d.missing_keys}
    problems = _compare_keys("", example, body, extra, missing)
    entity = _main_entity(example)
    if entity and isinstance(body.get(entity), dict | list):
        pointer, expected, actual = _entity_pair(f"/{entity}", example[entity], body[entity])
        if isinstance(expected, dict) and isinstance(actual, dict):
            problems += _compare_keys(pointer, expected, actual, extra, missing)
    return problems


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
            hint=f"set {ENV_VAR} to the directory holding REST/ and events-v2/openapiv3.json",
        ) from None


def build_spec(document: Any, *, api: Api) -> Spec:
    """A validator over `document` as given (e.g. patched by only some departures)."""
    # The raw documents fail OpenAPI schema validation themselves, so openapi-core must not check;
    # it documents None as "skip" although its annotation leaves None out.
    config = Config(spec_validator_cls=None)  # type: ignore[arg-type]
    return Spec(api, document, OpenAPI.from_dict(document, config=config))


@functools.cache
def _spec(api: Api, patched: bool, directory: Path) -> Spec:
    return build_spec(load_document(api=api, patched=patched, directory=directory), api=api)


def _apply(document: Any, op: Op) -> None:
    if op.op == "move":
        parent, key = _locate(document, op.source)
        value = parent.pop(key)
    else:
        value = copy.deepcopy(op.value)
    parent, key = _locate(document, op.path)
    if op.op == "replace":
        parent[key]  # replace needs the target to exist already
        parent[key] = value
    elif isinstance(parent, list):
        parent.insert(key, value)
    else:
        parent[key] = value


def _locate(document: Any, pointer: str) -> tuple[Any, Any]:
    """The container a JSON pointer ends in, and the key or index within it ("-" appends)."""
    *parents, last = (t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:])
    node = document
    for token in parents:
        node = node[int(token) if isinstance(node, list) else token]
    if isinstance(node, list):
        return node, len(node) if last == "-" else int(last)
    return node, last


def _resolve(document: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        parent, key = _locate(document, node["$ref"].removeprefix("#"))
        node = parent[key]
    return node


@dataclass
class _Request:
    """The request shape openapi-core reads, built from plain data (its protocol wants it mutable)."""

    host_url: str
    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters

    @classmethod
    def build(cls, spec: Spec, method: str, path: str, query: Query, headers: HeaderInput,
              body: object) -> _Request:
        header = Headers(_pairs(headers))
        return cls(
            host_url=spec.origin, path=path, method=method.lower(), body=_bytes(body),
            content_type=header.get("Content-Type", "application/json").lower(),
            parameters=RequestParameters(query=_query(query), header=header),
        )


@dataclass(frozen=True)
class _Response:
    """The response shape openapi-core reads, built from plain data."""

    status_code: int
    data: bytes | None
    headers: Headers
    content_type: str

    @classmethod
    def build(cls, status: int, headers: HeaderInput, body: object) -> _Response:
        header = Headers(_pairs(headers))
        return cls(status, _bytes(body), header,
                   header.get("Content-Type", "application/json").lower())


def _pairs(mapping: Mapping[str, str | Sequence[str]]) -> list[tuple[str, str]]:
    return [(key, item) for key, value in mapping.items()
            for item in ([value] if isinstance(value, str) else value)]


def _query(query: Query) -> ImmutableMultiDict[str, str]:
    if isinstance(query, str):
        return ImmutableMultiDict(parse_qsl(query, keep_blank_values=True))
    return ImmutableMultiDict(_pairs(query))


def _bytes(body: object) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


def _path_and_query(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _problems(part: Part, errors: Iterable[Exception]) -> list[Problem]:
    found: list[Problem] = []
    for error in errors:
        for problem in _describe(part, error):
            if problem not in found:
                found.append(problem)
    return found


def _describe(part: Part, error: Exception) -> Iterator[Problem]:
    where = _where(error)
    cause = error.__cause__
    if isinstance(cause, InvalidSchemaValue):
        for schema_error in cause.schema_errors:
            if not isinstance(schema_error, SchemaError):
                yield Problem(part, where, str(schema_error))
                continue
            for leaf in _leaves(schema_error):
                pointer = "".join(f"/{token}" for token in leaf.absolute_path)
                yield Problem(part, f"{where} {pointer}" if pointer else where, _message(leaf))
    elif isinstance(error, MissingRequiredParameter):
        yield Problem(part, where, "required but missing")
    elif isinstance(error, SecurityValidationError):
        yield Problem(part, where, "no credentials for the api_key scheme (Token token=...)")
    elif isinstance(error, ResponseNotFound):
        documented = ", ".join(sorted(error.availableresponses))
        yield Problem(part, where, f"{error.http_status} is not documented (only {documented})")
    else:
        yield Problem(part, where, str(cause or error))


def _where(error: Exception) -> str:
    if isinstance(error, ParameterValidationError):
        return f"{error.location} {error.name}"
    if isinstance(error, RequestBodyValidationError | DataValidationError):
        return "body"
    if isinstance(error, ResponseNotFound):
        return "status"
    if isinstance(error, PathError):
        return "path"
    if isinstance(error, SecurityValidationError):
        return "header Authorization"
    return type(error).__name__


def _leaves(error: SchemaError) -> Iterator[SchemaError]:
    """The innermost errors; for a failed oneOf/anyOf, those of the branch that failed least."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        yield error
        return
    branches: dict[Any, list[SchemaError]] = {}
    for inner in error.context:
        branches.setdefault(inner.relative_schema_path[0], []).append(inner)
    for inner in min(branches.values(), key=len):
        yield from _leaves(inner)


def _message(error: SchemaError) -> str:
    instance = _short(error.instance)
    if error.validator == "type" and error.instance is None:
        return f"null is not allowed (type {error.validator_value!r}, not nullable)"
    if error.validator == "type":
        return f"{instance} is not of type {error.validator_value!r}"
    if error.validator == "enum":
        return f"{instance} is not one of {error.validator_value}"
    if error.validator == "oneOf":
        return f"{instance} matches more than one oneOf branch"
    body, schema = error.instance, error.schema
    if error.validator == "additionalProperties" and isinstance(body, dict) and isinstance(
        schema, Mapping
    ):
        unexpected = sorted(set(body) - set(schema.get("properties", {})))
        return f"keys not in the schema {unexpected}"
    return _short(error.message, limit=200)


def _short(value: object, *, limit: int = 60) -> str:
    text = value if isinstance(value, str) and limit > 60 else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _main_entity(example: Mapping[str, Any]) -> str | None:
    """The key that wraps the resource: the collection list if any, else the single object."""
    lists = [k for k, v in example.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
    objects = [k for k, v in example.items() if isinstance(v, dict)]
    if lists:
        return lists[0]
    return objects[0] if len(objects) == 1 else None


def _entity_pair(pointer: str, expected: Any, actual: Any) -> tuple[str, Any, Any]:
    """The example's entity and the body's counterpart (a list item of the same type if any)."""
    if not isinstance(expected, list) or not isinstance(actual, list):
        return pointer, expected, actual
    if not expected or not actual:
        return pointer, None, None
    same_type = [index for index, item in enumerate(actual)
                 if isinstance(item, dict) and item.get("type") == expected[0].get("type")]
    index = (same_type or [0])[0]
    return f"{pointer}/{index}", expected[0], actual[index]


def _compare_keys(pointer: str, expected: Mapping[str, Any], actual: Mapping[str, Any],
                  extra: set[str], missing: set[str]) -> list[Problem]:
    absent = sorted(set(expected) - set(actual) - missing)
    added = sorted(set(actual) - set(expected) - extra)
    return [
        *(Problem("response", f"body {pointer}/{key}", "missing, the spec's example has it")
          for key in absent),
        *(Problem("response", f"body {pointer}/{key}", "not in the spec's example")
          for key in added),
    ]
