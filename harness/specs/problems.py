"""Problems found by the check, in words: openapi-core's and jsonschema's errors made readable.

A failed ``oneOf`` or ``anyOf`` is reported through the branch that came closest, and each schema
error at the JSON pointer of the offending value, so one wrong field reads as one short line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from jsonschema.exceptions import ValidationError as SchemaError
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.request.exceptions import (
    MissingRequiredParameter,
    ParameterValidationError,
    RequestBodyValidationError,
    SecurityValidationError,
)
from openapi_core.validation.response.exceptions import DataValidationError
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

Part = Literal["request", "response"]


@dataclass(frozen=True)
class Problem:
    """One way an exchange departs from the patched spec, in words."""

    part: Part
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.part} {self.where}: {self.message}"


def problems_from(part: Part, errors: Iterable[Exception]) -> list[Problem]:
    """The distinct problems openapi-core's validation `errors` describe, in order."""
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
    if error.validator == "additionalProperties" and isinstance(body, dict) and isinstance(schema, Mapping):
        unexpected = sorted(set(body) - set(schema.get("properties", {})))
        return f"keys not in the schema {unexpected}"
    return _short(error.message, limit=200)


def _short(value: object, *, limit: int = 60) -> str:
    text = value if isinstance(value, str) and limit > 60 else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
