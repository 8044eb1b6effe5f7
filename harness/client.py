"""The HTTP client the scenario talks through: auth, From, timeouts, retries with backoff.

Retries follow PagerDuty's advice: after a 429 wait for `ratelimit-reset` (or `Retry-After`),
retry 5xx and network errors with capped exponential backoff and full jitter, never retry other
4xx.  A write that got no answer (timeout, dropped connection, a gateway's 502 or 504) may still be
running on the server: the client gives it one request timeout to land before it sends anything
but its retry.  A create (POST) whose outcome is unknown (no answer, or any 5xx) is only retried
after that wait and its `recover` callback have made sure that retrying cannot duplicate it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from harness.errors import ConfigError, StepFailed
from harness.settings import EVENTS_PATH
from harness.signals import raise_pending, request_in_flight
from harness.tape import Recover, Tape

ACCEPT = "application/vnd.pagerduty+json;version=2"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
GATEWAY_STATUSES = frozenset({502, 504})
JsonBody = dict[str, Any]
# Requests that fail before anything is sent, for a value no HTTP request can carry.
_UNSENDABLE = (
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    UnicodeEncodeError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; the recorder's tests shrink the delays."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 60.0

    def delay(self, attempt: int, response: requests.Response | None) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        hinted = _server_hint(response) if response is not None else None
        if hinted is not None:
            return min(hinted, self.max_delay)
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(0.0, ceiling)


def _untrusted_certificate(exc: Exception) -> bool:
    """The TLS handshake failed on certificate verification (not a dropped connection)."""
    return isinstance(exc, requests.exceptions.SSLError) and "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _server_hint(response: requests.Response) -> float | None:
    """The wait the server asked for, from `ratelimit-reset` or `Retry-After`, if any."""
    reset = response.headers.get("ratelimit-reset")
    retry_after = response.headers.get("Retry-After")
    for value in (reset, retry_after):
        if not value:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                continue
    return None


class Client:
    """PagerDuty REST v2 and Events v2 over one `requests.Session`."""

    def __init__(
        self,
        *,
        api_url: str,
        events_url: str,
        token: str,
        from_email: str,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        tape: Tape | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.events_url = events_url.rstrip("/") + EVENTS_PATH
        self.from_email = from_email
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.tape = tape or Tape()
        # Trust only this authority (the https sandbox's); None keeps the system's store.  It is
        # passed with each request: requests lets REQUESTS_CA_BUNDLE override a session's verify.
        self.ca_bundle = ca_bundle
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Accept": ACCEPT,
                "Authorization": f"Token token={token}",
                "Content-Type": "application/json",
            }
        )

    def close(self) -> None:
        self.session.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> requests.Response:
        return self._send("GET", self.api_url + path, params=params)

    def post(
        self,
        path: str,
        body: JsonBody,
        *,
        recover: Recover | None = None,
        query: bool = False,
    ) -> requests.Response:
        """POST to the REST API; `query` marks a POST that only reads (a report), safe to retry."""
        return self._send("POST", self.api_url + path, json=body, recover=recover, write=True, query=query)

    def put(self, path: str, body: JsonBody) -> requests.Response:
        return self._send("PUT", self.api_url + path, json=body, write=True)

    def delete(self, path: str) -> requests.Response:
        return self._send("DELETE", self.api_url + path)

    def enqueue(self, event: JsonBody) -> requests.Response:
        """Send an Events API v2 event; the routing key in the body authenticates it."""
        return self._send("POST", self.events_url, json=event, events=True)

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: JsonBody | None = None,
        recover: Recover | None = None,
        write: bool = False,
        events: bool = False,
        query: bool = False,
    ) -> requests.Response:
        headers: dict[str, str | None] = {"From": self.from_email} if write else {}
        if events:
            # The Events API authenticates by routing key; a REST token must not leak to it.
            headers = {"Authorization": None, "Accept": "application/json"}
        # A create (a POST that is neither an event nor a query) is retried only when PagerDuty's
        # answer says it did nothing, or after `recover` has undone what it may have made.
        create = method == "POST" and not (events or query)
        line = f"{method} {_path(url)}"
        if create and recover is not None:
            # What such a create made is in no ledger: cleanup calls `recover` to undo it.
            self.tape.unsettled[line] = recover
        # Seconds an unanswered write may still take to land, not yet waited for.
        owed = 0.0
        attempt = 0
        while True:
            attempt += 1
            raise_pending()
            try:
                with request_in_flight():
                    response = self.session.request(
                        method,
                        url,
                        params=params,
                        json=json,
                        headers=headers,
                        timeout=self.timeout,
                        verify=self.ca_bundle,
                    )
            except _UNSENDABLE as exc:
                # requests' own message quotes the offending header, the Authorization one included.
                raise ConfigError(
                    f"{line}: the request cannot be sent ({type(exc).__name__}): a "
                    "header or the URL holds a character HTTP does not allow",
                    hint="check --token, --from-email and the URLs for stray spaces, quotes or line breaks",
                ) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                if _untrusted_certificate(exc):
                    # A certificate that does not verify will not verify on a retry either.
                    raise StepFailed(
                        f"{line}: the server's TLS certificate is not trusted (SSLError)",
                        hint="check the URL; behind a proxy that inspects TLS, set "
                        "REQUESTS_CA_BUNDLE to its authority's certificate",
                    ) from None
                owed = self.timeout if method != "GET" else owed
                if attempt >= self.retry.attempts:
                    self._let_land(owed)
                    raise StepFailed(
                        f"{line}: no answer after {attempt} attempts ({type(exc).__name__})",
                        hint="check the network or the API status, then run again",
                    ) from None
                owed = self._before_retry(attempt, None, owed=owed, create=create, recover=recover)
                continue
            self.tape.heard(response)
            if response.status_code < 500:
                self.tape.unsettled.pop(line, None)
            # A 5xx does not say whether a write happened (a 429 or 408 says it did not), and a
            # gateway's 502 or 504 may answer for a server still working on it.
            unknown = method != "GET" and response.status_code >= 500
            owed = self.timeout if unknown and response.status_code in GATEWAY_STATUSES else owed
            if response.status_code not in RETRY_STATUSES or attempt >= self.retry.attempts:
                self._let_land(owed)
                return response
            owed = self._before_retry(
                attempt, response, owed=owed, create=create and unknown, recover=recover
            )

    def _before_retry(
        self,
        attempt: int,
        response: requests.Response | None,
        *,
        owed: float,
        create: bool,
        recover: Recover | None,
    ) -> float:
        """Wait before the next attempt; return how long an unanswered write may still take to land.

        A create that may have happened is given all that time, so that `recover` sees and undoes
        what it made before the retry; any other write is retried after the backoff, and its late
        landing is waited for once the retry is answered (`_let_land`).
        """
        raise_pending()
        delay = self.retry.delay(attempt, response)
        if create:
            if recover is None:
                raise StepFailed(
                    "a create got no clear answer and cannot be retried safely",
                    hint="check the account for a duplicate, then run again",
                )
            delay = max(delay, owed)
        self.sleep(delay)
        if create and recover is not None:
            with self.tape.off_the_record():
                recover()
        return max(0.0, owed - delay)

    def _let_land(self, owed: float) -> None:
        """Wait until an unanswered write can no longer land, so it cannot land after what follows.

        An attempt the server answers more than one request timeout after the client gave up on
        it is taken as never to land.
        """
        if owed > 0:
            raise_pending()
            # The wait belongs to the write: a signal now stops the run once it is over, so the
            # cleanup cannot run before the write lands.
            with request_in_flight():
                self.sleep(owed)


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1]


def expect_success(response: requests.Response, what: str) -> JsonBody:
    """Return the JSON body of a 2xx answer; anything else stops the scenario with the API's words."""
    if 200 <= response.status_code < 300:
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    raise StepFailed(
        f"{what}: PagerDuty answered {response.status_code} {api_message(response)}",
        hint="see the message above; run again once the cause is fixed",
    )


def api_message(response: requests.Response) -> str:
    try:
        error = response.json().get("error", {})
        return f"({error.get('code')}: {error.get('message')})" if error else ""
    except (ValueError, AttributeError):
        return ""
