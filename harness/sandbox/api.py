"""What every REST handler shares: the call, the reply, errors, query parameters and pagination."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from werkzeug.wrappers import Request

from harness.sandbox.records import User
from harness.sandbox.render import Json, Refs
from harness.sandbox.state import Account

T = TypeVar("T")

MAX_LIMIT = 100
MAX_OFFSET_PLUS_LIMIT = 10_000


class ApiError(Exception):
    """A PagerDuty error answer: HTTP status plus `{"error": {message, code, errors}}`."""

    def __init__(
        self, status: int, code: int, message: str, errors: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = tuple(errors)

    def body(self) -> Json:
        """Return the JSON body PagerDuty sends with this error."""
        error: Json = {"message": self.message, "code": self.code}
        if self.errors:
            error["errors"] = list(self.errors)
        return {"error": error}


def invalid(*errors: str) -> ApiError:
    """Return PagerDuty's generic 400 for bad input, with human-readable details."""
    return ApiError(400, 2001, "Invalid Input Provided", errors)


def not_found(message: str = "Not Found", code: int = 2100) -> ApiError:
    """Return a 404; resources have their own message and code (e.g. 5001, 5002)."""
    return ApiError(404, code, message)


@dataclass(frozen=True)
class Reply:
    """A handler's answer: status and JSON body (None for 204)."""

    status: int
    body: Json | None


@dataclass(frozen=True)
class Call:
    """One authenticated REST request, routed, with its From user resolved."""

    request: Request
    account: Account
    refs: Refs
    args: Mapping[str, str]
    requester: User | None

    @property
    def api_url(self) -> str:
        """Return the sandbox's API origin."""
        return self.refs.urls.api

    @property
    def web_url(self) -> str:
        """Return the account's web origin."""
        return self.refs.urls.web

    def acting_user(self) -> User:
        """Return the From user; only routes that require From call this."""
        if self.requester is None:
            raise AssertionError("route declared no From header")
        return self.requester


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Route:
    """A REST operation: path pattern, method, handler and whether it takes `From`."""

    path: str
    method: str
    handler: Handler
    from_header: str = "none"  # "required", "optional" or "none", as the spec marks it


def query_list(call: Call, name: str) -> list[str]:
    """Return an array parameter, sent as `name[]=a&name[]=b` (plain `name=` is accepted too)."""
    args = call.request.args
    return args.getlist(f"{name}[]") + args.getlist(name)


def query_flag(call: Call, name: str) -> bool:
    """Return a boolean parameter; only "true" and "false" are valid."""
    value = call.request.args.get(name, "false").lower()
    if value not in ("true", "false"):
        raise invalid(f"{name} must be true or false.")
    return value == "true"


def query_time(call: Call, name: str) -> datetime | None:
    """Return a time parameter (ISO 8601; a bare date or a missing zone means UTC)."""
    value = call.request.args.get(name)
    return None if value is None else parse_time(value, name)


def parse_time(value: str, name: str) -> datetime:
    """Parse an ISO 8601 time or date into an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise invalid(f"{name} is not a valid ISO 8601 time: {value!r}.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def includes(call: Call) -> frozenset[str]:
    """Return the `include[]` values of the request."""
    return frozenset(query_list(call, "include"))


@dataclass(frozen=True)
class Page:
    """Classic pagination: limit (max 100), offset, and whether to count the total."""

    limit: int
    offset: int
    total: bool


def page_of(call: Call, *, default_limit: int = 25) -> Page:
    """Read limit/offset/total; offset+limit over 10000 is refused as PagerDuty does."""
    limit = _int_param(call, "limit", default_limit)
    offset = _int_param(call, "offset", 0)
    if limit < 1:
        raise invalid("limit must be greater than 0.")
    if offset < 0:
        raise invalid("offset must not be negative.")
    limit = min(limit, MAX_LIMIT)
    if offset + limit > MAX_OFFSET_PLUS_LIMIT:
        raise invalid(f"Offset + limit must not exceed {MAX_OFFSET_PLUS_LIMIT}.")
    return Page(limit=limit, offset=offset, total=query_flag(call, "total"))


def _int_param(call: Call, name: str, default: int) -> int:
    value = call.request.args.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise invalid(f"{name} must be an integer.") from None


def paginated(
    key: str, items: Sequence[T], page: Page, render: Callable[[T], Json]
) -> Json:
    """Return one page of items under `key` with limit, offset, more and total."""
    window = items[page.offset : page.offset + page.limit]
    return {
        key: [render(item) for item in window],
        "limit": page.limit,
        "offset": page.offset,
        "more": page.offset + page.limit < len(items),
        "total": len(items) if page.total else None,
    }


def json_body(call: Call) -> Json:
    """Return the request's JSON object, or answer 400."""
    try:
        body = json.loads(call.request.get_data() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise invalid("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    return body


def wrapped(call: Call, key: str) -> Json:
    """Return the object wrapped under `key` in the request body, e.g. {"user": {...}}."""
    inner = json_body(call).get(key)
    if not isinstance(inner, dict):
        raise invalid(f"The request body must wrap the {key} in a '{key}' object.")
    return inner


def required_text(data: Json, name: str) -> str:
    """Return a string field that must be present and not blank."""
    value = optional_text(data, name)
    if value is None or not value.strip():
        raise invalid(f"{_label(name)} can't be blank.")
    return value


def optional_text(data: Json, name: str) -> str | None:
    """Return a string field, or None when it is absent or null."""
    value: Any = data.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid(f"{_label(name)} must be a string.")
    return value


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def int_field(data: Json, name: str, default: int | None) -> int | None:
    """Return an integer field (booleans are refused), or the default when absent."""
    value: Any = data.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise invalid(f"{_label(name)} must be an integer.")
    return value


def reference_id(data: Json, name: str, allowed_types: Sequence[str]) -> str:
    """Return the id of a `{"id": ..., "type": ...}` reference field, checking its type."""
    ref = data.get(name)
    if not isinstance(ref, dict) or not isinstance(ref.get("id"), str):
        raise invalid(f"{_label(name)} must be a reference with an id.")
    if ref.get("type") not in allowed_types:
        raise invalid(f"{_label(name)} type must be one of {', '.join(allowed_types)}.")
    return str(ref["id"])
