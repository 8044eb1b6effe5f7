"""Validation of requests, responses and recorded interactions against the patched documents.

Requests and responses are given as plain data (method, path, query, headers, body) and handed to
openapi-core at the document's own server, so the same check serves the sandbox, the live API and
vcrpy cassettes.  Paths under /v2 go to the Events v2 document, everything else to REST.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from harness.inputs import parse_json
from harness.openapi import Api
from harness.specs.documents import Spec, api_for_path, load_spec
from harness.specs.keys import key_differences
from harness.specs.problems import Problem, problems_from

Query = str | Mapping[str, str | Sequence[str]]
HeaderInput = Mapping[str, str | Sequence[str]]


def validate_request(
    *,
    method: str,
    path: str,
    query: Query = "",
    headers: HeaderInput | None = None,
    body: object = None,
    api: Api | None = None,
    spec: Spec | None = None,
) -> list[Problem]:
    """Check one request against the patched spec (or `spec`).

    `api` defaults to Events v2 for paths under /v2 and REST otherwise; bodies may be text, bytes
    or JSON values; headers and query values may be strings or lists of strings.
    """
    spec = spec or load_spec(api or api_for_path(path))
    request = _Request.build(spec, method, path, query, headers or {}, body)
    return problems_from("request", spec.app.request_validator.iter_errors(request))


def validate_response(
    *,
    method: str,
    path: str,
    status: int,
    headers: HeaderInput | None = None,
    body: object = None,
    api: Api | None = None,
    spec: Spec | None = None,
) -> list[Problem]:
    """Check one response to `method path` against the patched spec (or `spec`)."""
    spec = spec or load_spec(api or api_for_path(path))
    request = _Request.build(spec, method, path, "", {}, None)
    response = _Response.build(status, headers or {}, body)
    return problems_from("response", spec.app.response_validator.iter_errors(request, response))


def validate_interaction(
    interaction: Mapping[str, Any],
    *,
    base_url: str,
    keys: bool = False,
) -> list[Problem]:
    """Check both halves of one vcrpy cassette interaction recorded against `base_url`.

    A URI on another host (the Events API's) is checked by its path alone.  With `keys`, a JSON
    success body is also compared key by key with the spec's example.
    """
    request, response = interaction["request"], interaction["response"]
    uri = str(request["uri"])
    base = base_url.rstrip("/")
    relative = uri[len(base) :] if uri.startswith(base + "/") else _path_and_query(uri)
    path, _, query = relative.partition("?")
    method, status = str(request["method"]), int(response["status"]["code"])
    body = (response.get("body") or {}).get("string")
    problems = [
        *validate_request(
            method=method,
            path=path,
            query=query,
            headers=request.get("headers") or {},
            body=request.get("body"),
        ),
        *validate_response(
            method=method, path=path, status=status, headers=response.get("headers") or {}, body=body
        ),
    ]
    if keys and 200 <= status < 300 and body:
        try:
            decoded = parse_json(body)
        except ValueError:
            return problems  # validate_response has already said the body is not JSON
        problems += key_differences(method=method, path=path, status=status, body=decoded)
    return problems


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
    def build(
        cls, spec: Spec, method: str, path: str, query: Query, headers: HeaderInput, body: object
    ) -> _Request:
        header = Headers(_pairs(headers))
        return cls(
            host_url=spec.origin,
            path=path,
            method=method.lower(),
            body=_bytes(body),
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
        return cls(status, _bytes(body), header, header.get("Content-Type", "application/json").lower())


def _pairs(mapping: Mapping[str, str | Sequence[str]]) -> list[tuple[str, str]]:
    return [
        (key, item)
        for key, value in mapping.items()
        for item in ([value] if isinstance(value, str) else value)
    ]


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
