"""What every REST handler shares: the call, the reply, errors, lookups, query parameters and pagination."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from werkzeug.wrappers import Request

from harness.sandbox.records import User
from harness.sandbox.render import Json, Refs
from harness.sandbox.state import Account

T = TypeVar("T")


class Named(Protocol):
    """A record listed by name: users, escalation policies, services."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=Named)

MAX_LIMIT = 100
MAX_OFFSET_PLUS_LIMIT = 10_000


class ApiError(Exception):
    """A PagerDuty error answer: HTTP status plus `{"error": {message, code, errors}}`."""

    def __init__(self, status: int, code: int, message: str, errors: Sequence[str] = ()) -> None:
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


def lookup(table: Mapping[str, T], record_id: str, message: str = "Not Found", code: int = 2100) -> T:
    """Return the record with this id, or answer 404 with the resource's message and code."""
    record = table.get(record_id)
    if record is None:
        raise not_found(message, code)
    return record


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


def paginated(key: str, items: Sequence[T], page: Page, render: Callable[[T], Json]) -> Json:
    """Return one page of items under `key` with limit, offset, more and total."""
    window = items[page.offset : page.offset + page.limit]
    return {
        key: [render(item) for item in window],
        "limit": page.limit,
        "offset": page.offset,
        "more": page.offset + page.limit < len(items),
        "total": len(items) if page.total else None,
    }


def page_by_name(
    call: Call,
    key: str,
    records: Iterable[N],
    render: Callable[[N], Json],
    *,
    sortable: bool,
) -> Reply:
    """Answer a list request with one page of records in name order (then id).

    A `sortable` list honours `sort_by=name:desc`; the caller holds the account lock.
    """
    page = page_of(call)
    descending = sortable and call.request.args.get("sort_by", "name") == "name:desc"
    ordered = sorted(records, key=lambda r: (r.name.lower(), r.id), reverse=descending)
    return Reply(200, paginated(key, ordered, page, render))
