"""The sandbox's WSGI application: faults, auth, rate limit, routing, From, JSON and error bodies."""

from __future__ import annotations

import hmac
import json
import logging
import math
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parseaddr
from http import HTTPStatus
from typing import TYPE_CHECKING

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from harness.sandbox import (
    analytics,
    escalation_policies,
    incident_updates,
    incidents,
    log_entries,
    notes,
    notifications,
    oncalls,
    schedules,
    services,
    teams,
    users,
)
from harness.sandbox.api import ApiError, Call, Reply, Route, not_found
from harness.sandbox.events import EventWorker, enqueue
from harness.sandbox.faults import Fault, FaultPlan
from harness.sandbox.ratelimit import RateLimiter
from harness.sandbox.records import User
from harness.sandbox.render import Json, Refs
from harness.sandbox.state import Account

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

EVENTS_PATH = "/v2/enqueue"
REST_ROUTES: tuple[Route, ...] = (
    *users.ROUTES,
    *escalation_policies.ROUTES,
    *services.ROUTES,
    *incidents.ROUTES,
    *incident_updates.ROUTES,
    *notes.ROUTES,
    *log_entries.ROUTES,
    *notifications.ROUTES,
    *analytics.ROUTES,
    *teams.ROUTES,
    *schedules.ROUTES,
    *oncalls.ROUTES,
)
MISSING_FROM = 'You must specify a user\'s email address in the "From" header to perform this action'
INTERNAL_ERROR = "An internal error has occurred. PagerDuty team has been notified."
# Error bodies for faults that answer a plain status: (code, message) as PagerDuty words them.
FAULT_ERRORS = {
    400: (2001, "Invalid Input Provided"),
    403: (2010, "Access Denied"),
    404: (2100, "Not Found"),
    429: (2020, "Rate Limit Exceeded"),
}
TOKEN_HEADER = re.compile(r'Token token="?([^"]*)"?')
ROUTING = Map(
    [Rule(r.path, methods=[r.method], endpoint=r) for r in REST_ROUTES],
    strict_slashes=False,
    merge_slashes=False,
).bind("sandbox")

log = logging.getLogger(__name__)


class DropConnection(ConnectionAbortedError):
    """Raised by the app to have the server close the connection without answering."""


@dataclass(frozen=True, kw_only=True, eq=False)
class SandboxApp:
    """Answers REST v2 and Events v2 requests against one account."""

    refs: Refs
    token: str = field(repr=False)
    faults: FaultPlan
    limiter: RateLimiter
    worker: EventWorker
    stopping: threading.Event

    @property
    def account(self) -> Account:
        """Return the account the app answers for."""
        return self.refs.account

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one request; DropConnection escapes to the server on purpose."""
        request = Request(environ)
        fault = self.faults.match(request.method, request.path)
        response = self._faulted(fault, request) if fault is not None else None
        if response is None:
            response = self._events(request) if request.path == EVENTS_PATH else self._rest(request)
        return response(environ, start_response)

    def _faulted(self, fault: Fault, request: Request) -> Response | None:
        """Apply a fault; return its answer, or None to go on and answer normally."""
        if fault.action == "drop":
            raise DropConnection(f"fault: drop {request.method} {request.path}")
        if fault.action == "status":
            return self._fault_answer(fault, request)
        stopped = self.stopping.wait(fault.seconds)
        if stopped or (fault.action == "stall" and fault.after == "drop"):
            raise DropConnection(f"fault: stall then drop {request.method} {request.path}")
        return None

    def _fault_answer(self, fault: Fault, request: Request) -> Response:
        wait = str(math.ceil(fault.seconds))
        if fault.status == 429 and fault.headers == "none":
            # "a 429 ... without the rate limit headers or the response body"
            bare = Response(b"", status=429)
            del bare.headers["Content-Type"]
            return bare
        if request.path == EVENTS_PATH:
            body: Json = {"status": "error", "message": _phrase(fault.status)}
        elif fault.status == 401:
            return _unauthorized({})
        else:
            code, message = FAULT_ERRORS.get(fault.status, (2000, INTERNAL_ERROR))
            body = {"error": {"message": message, "code": code}}
        headers: dict[str, str] = {}
        if fault.status == 429 and fault.headers == "ratelimit":
            headers = {
                "ratelimit-limit": str(self.limiter.limit),
                "ratelimit-remaining": "0",
                "ratelimit-reset": wait,
            }
        elif fault.status == 429:
            headers = {"Retry-After": wait}
        return _json(fault.status, body, headers)

    def _events(self, request: Request) -> Response:
        if request.method != "POST":
            return _json(404, not_found().body())
        status, body = enqueue(request.get_data(), account=self.account, worker=self.worker)
        return _json(status, body)

    def _rest(self, request: Request) -> Response:
        credential = request.headers.get("Authorization", "")
        quota = self.limiter.take(credential)
        if not self._authorized(credential):
            return _unauthorized(quota.headers())
        try:
            if not quota.allowed:
                raise ApiError(429, 2020, "Rate Limit Exceeded")
            reply = self._dispatch(request)
        except ApiError as error:
            reply = Reply(error.status, error.body())
        except Exception:  # answer as PagerDuty would rather than break the connection
            log.exception("The sandbox failed on %s %s", request.method, request.path)
            reply = Reply(500, {"error": {"message": INTERNAL_ERROR, "code": 2000}})
        return _json(reply.status, reply.body, quota.headers())

    def _authorized(self, credential: str) -> bool:
        match = TOKEN_HEADER.fullmatch(credential.strip())
        return match is not None and hmac.compare_digest(match.group(1), self.token)

    def _dispatch(self, request: Request) -> Reply:
        try:
            route, args = ROUTING.match(request.path, request.method)
        except HTTPException:
            raise not_found() from None
        assert isinstance(route, Route)
        call = Call(request, self.account, self.refs, args, self._requester(route, request))
        return route.handler(call)

    def _requester(self, route: Route, request: Request) -> User | None:
        """Resolve the From header on the operations the spec marks with it."""
        if route.from_header == "none":
            return None
        email = parseaddr(request.headers.get("From", ""))[1]
        if not email:
            if route.from_header == "required":
                raise ApiError(400, 2016, MISSING_FROM)
            return None
        with self.account.lock:
            user = self.account.user_by_email(email)
        if user is None and route.from_header == "required":
            raise ApiError(400, 1008, "Requester User Not Found")
        return user


def _json(status: int, body: Json | None, headers: dict[str, str] | None = None) -> Response:
    """Build a JSON answer (204: no body, no Content-Type) with an x-request-id."""
    extra = {"x-request-id": os.urandom(16).hex(), **(headers or {})}
    if body is None:
        response = Response(b"", status=status, headers=extra)
        del response.headers["Content-Type"]
        return response
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(data, status=status, headers=extra, content_type="application/json; charset=utf-8")


def _unauthorized(headers: dict[str, str]) -> Response:
    """Answer 401 as the live API does: an HTML body of one space, not JSON."""
    extra = {"x-request-id": os.urandom(16).hex(), **headers}
    return Response(b" ", status=401, headers=extra, content_type="text/html; charset=utf-8")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
