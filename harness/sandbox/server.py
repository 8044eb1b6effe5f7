"""Run the sandbox: `Sandbox` (a context manager on a free loopback port) and `serve` (foreground)."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import random
import re
import secrets
import socket
import string
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import TypedDict, Unpack

from werkzeug.serving import BaseWSGIServer, make_server

from harness.errors import ConfigError
from harness.sandbox import busy
from harness.sandbox.activity import INTERVAL, Activity
from harness.sandbox.app import SandboxApp
from harness.sandbox.events import EventWorker
from harness.sandbox.faults import Fault, FaultPlan
from harness.sandbox.ratelimit import RateLimiter
from harness.sandbox.render import Refs, Urls
from harness.sandbox.state import ANALYTICS_LAG, Account
from harness.sandbox.tls import Authority
from harness.sandbox.transport import Connections, handler_for

TOKEN_ALPHABET = string.ascii_letters + string.digits + "_-"
TOKEN_LENGTH = 20
POLL_SECONDS = 0.02
SUBDOMAIN = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
# "busy": a generated, lived-in account with other teams at work; "empty": only the owner.
ACCOUNTS = ("busy", "empty")
MAX_SEED = 1_000_000
# Reports over a year-long range are refused anyway; a longer lag could never show anything.
MAX_ANALYTICS_LAG = 366 * 24 * 3600


class Sandbox:
    """A local PagerDuty (REST v2 at `api_url`, Events v2 at `events_url`/v2/enqueue).

    Inspect its state with `sandbox.account.snapshot()` (or the account's dicts, under
    `sandbox.account.lock`); steer failures with `sandbox.faults`.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        owner_email: str = "sandbox-owner@example.com",
        owner_name: str = "Sandbox Owner",
        owner_phone: str | None = None,
        subdomain: str = "sandbox",
        incident_delay: float = 0.05,
        rate_limit: int = 960,
        faults: FaultPlan | Iterable[Fault] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        account: str = "busy",
        seed: int | None = None,
        activity_interval: float | None = INTERVAL,
        analytics_lag: float = ANALYTICS_LAG.total_seconds(),
        tls: bool = False,
        cert_dir: Path | None = None,
    ) -> None:
        _check(
            host=host,
            port=port,
            subdomain=subdomain,
            owner_email=owner_email,
            incident_delay=incident_delay,
            rate_limit=rate_limit,
            token=token,
        )
        _check_extras(analytics_lag=analytics_lag, tls=tls, cert_dir=cert_dir)
        self.tls = tls
        self.cert_dir = cert_dir
        # The file clients pass as verify= (DIR/ca.pem), once a --tls sandbox has started.
        self.ca_path: Path | None = None
        self._authority: Authority | None = None
        _check_account(account=account, seed=seed, activity_interval=activity_interval)
        self.token = token or "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))
        self.owner_email = owner_email
        self.subdomain = subdomain
        self.host = host
        self.port = port
        self.incident_delay = incident_delay
        self.rate_limit = rate_limit
        self.faults = faults if isinstance(faults, FaultPlan) else FaultPlan(faults or ())
        self._stopping = threading.Event()
        self.account_kind = account
        # The seed of the generated account (None for an empty one); printed so a run can be redone.
        self.seed = (
            None if account == "empty" else (seed if seed is not None else secrets.randbelow(MAX_SEED))
        )
        self.account = Account(subdomain=subdomain, analytics_lag=timedelta(seconds=analytics_lag))
        if self.seed is not None:
            self.account.ids = random.Random(f"{self.seed}:ids")
        self._activity: Activity | None = None
        with self.account.lock:
            owner = self.account.add_user(
                name=owner_name,
                email=owner_email,
                role="owner",
                phone=owner_phone,
                invitation_sent=False,
            )
            self.account.owner_id = owner.id
            if self.seed is not None:
                cast = busy.populate(self.account, seed=self.seed, now=self.account.now())
                if activity_interval is not None:  # None: a still account, for exact reads
                    self._activity = Activity(
                        account=self.account,
                        cast=cast,
                        seed=self.seed,
                        interval=activity_interval,
                        stopping=self._stopping,
                    )
        self.api_url = ""
        self.events_url = ""
        self._server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []
        self._connections = Connections(self._stopping)
        self._worker = EventWorker(account=self.account, delay=incident_delay, stopping=self._stopping)

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Listen on the loopback port (a free one for port 0) and serve in background threads."""
        if self._server is not None or self._stopping.is_set():
            raise ConfigError("This sandbox was already started.", hint="Create a new Sandbox for each run.")
        if self.tls:
            self._authority = Authority(self.cert_dir)
            self.ca_path = self._authority.ca_path
        # The sandbox binds its own socket: werkzeug, binding it, prints its own text and exits
        # the whole process when the port is taken.
        with _listening(self.host, self.port) as listener:
            server = make_server(
                self.host,
                self.port,
                _not_ready,
                threaded=True,
                request_handler=handler_for(self._connections),
                ssl_context=None if self._authority is None else self._authority.server_context(),
                fd=listener.fileno(),
            )
        self.port = server.socket.getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.tls else "http"
        self.api_url = self.events_url = f"{scheme}://{host}:{self.port}"
        refs = Refs(self.account, Urls.for_sandbox(api_url=self.api_url, subdomain=self.subdomain))
        server.app = SandboxApp(
            refs=refs,
            token=self.token,
            faults=self.faults,
            limiter=RateLimiter(limit=self.rate_limit),
            worker=self._worker,
            stopping=self._stopping,
        )
        self._server = server
        self._worker.start()
        if self._activity is not None:
            self._activity.start()
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL_SECONDS},
            name="sandbox-server",
            daemon=True,
        )
        thread.start()
        self._threads = [thread]

    def stop(self) -> None:
        """Stop accepting, end open connections and stalled requests, and free the port."""
        server = self._server
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        self._connections.close_all()
        self._worker.stop()
        if self._activity is not None:
            self._activity.stop()
        server.server_close()
        for thread in self._threads:
            thread.join()
        self._server = None
        if self._authority is not None:
            self._authority.close()

    def wait(self) -> None:
        """Block until the sandbox is stopped (or the caller is interrupted)."""
        while not self._stopping.wait(POLL_SECONDS * 10):
            pass


class SandboxOptions(TypedDict, total=False):
    """The options `serve` passes on to `Sandbox`, which holds their defaults."""

    host: str
    port: int
    token: str | None
    owner_email: str
    owner_name: str
    owner_phone: str | None
    subdomain: str
    incident_delay: float
    rate_limit: int
    account: str
    seed: int | None
    activity_interval: float | None
    analytics_lag: float
    tls: bool
    cert_dir: Path | None


def serve(
    *,
    faults_file: Path | None = None,
    on_ready: Callable[[Sandbox], None] | None = None,
    **options: Unpack[SandboxOptions],
) -> None:
    """Run a sandbox in the foreground until KeyboardInterrupt, then stop it cleanly and return."""
    faults = FaultPlan.load(faults_file) if faults_file is not None else FaultPlan()
    with Sandbox(faults=faults, **options) as sandbox:
        if on_ready is not None:
            on_ready(sandbox)
        try:
            sandbox.wait()
        except KeyboardInterrupt:
            return


def _not_ready(environ: object, start_response: Callable[..., object]) -> list[bytes]:
    """Stand in for the app between binding the port and knowing its URL."""
    start_response("503 Service Unavailable", [("Content-Length", "0")])
    return []


def _check_extras(*, analytics_lag: float, tls: bool, cert_dir: Path | None) -> None:
    """Refuse a negative or endless analytics lag, and a certificate folder without TLS."""
    if not 0 <= analytics_lag <= MAX_ANALYTICS_LAG:  # also refuses NaN
        raise ConfigError(
            "The analytics lag must be from 0 seconds to a year.",
            hint="Use 0 for reports at once, or leave it out for the realistic hour.",
        )
    if cert_dir is not None and not tls:
        raise ConfigError(
            "A certificate folder only makes sense with TLS.",
            hint="Add --tls (tls=True), or leave out --cert-dir.",
        )


def _check_account(*, account: str, seed: int | None, activity_interval: float | None) -> None:
    """Refuse an unknown account kind, a seed for the empty account and a non-positive interval."""
    if account not in ACCOUNTS:
        raise ConfigError(f"There is no {account!r} account.", hint=f"Use one of: {', '.join(ACCOUNTS)}.")
    if seed is not None and account == "empty":
        raise ConfigError(
            "A seed only shapes the busy account; the empty one has nothing to generate.",
            hint="Leave out the seed, or use the busy account.",
        )
    if seed is not None and not 0 <= seed < MAX_SEED:
        raise ConfigError(f"Seed {seed} is out of range.", hint=f"Use 0..{MAX_SEED - 1}.")
    if activity_interval is not None and not activity_interval > 0:
        raise ConfigError(
            "The activity interval must be positive.", hint=f"Use a number of seconds, e.g. {INTERVAL}."
        )


@contextlib.contextmanager
def _listening(host: str, port: int) -> Iterator[socket.socket]:
    """A socket listening on `host:port` (werkzeug serves a copy of it), or a clear ConfigError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        # As werkzeug binds: a port left in TIME_WAIT by a previous run is free to reuse.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((host, port))
            listener.listen(128)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(
                    f"port {port} on {host} is already in use by another program",
                    hint="stop that program, pick another --port, or leave --port out to get a free one",
                ) from None
            raise ConfigError(
                f"the sandbox cannot listen on {host}:{port} ({exc.strerror})",
                hint="use --host 127.0.0.1 and a --port from 1024 to 65535, or leave --port out",
            ) from None
        yield listener


def _check(
    *,
    host: str,
    port: int,
    subdomain: str,
    owner_email: str,
    incident_delay: float,
    rate_limit: int,
    token: str | None,
) -> None:
    """Refuse settings the sandbox cannot honour, with what to use instead."""
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ConfigError(
                f"The sandbox only listens on loopback, not on {host!r}.",
                hint="Use --host 127.0.0.1 (or ::1, or localhost).",
            )
    if not 0 <= port <= 65535:
        raise ConfigError(f"Port {port} is out of range.", hint="Use 0..65535; 0 picks a free one.")
    if not SUBDOMAIN.fullmatch(subdomain):
        raise ConfigError(
            f"{subdomain!r} is not a valid subdomain.",
            hint="Use lowercase letters, digits and inner hyphens.",
        )
    if "@" not in owner_email.strip("@"):
        raise ConfigError(
            f"{owner_email!r} is not an email address.",
            hint="Give the owner an email such as owner@example.com.",
        )
    if incident_delay < 0:
        raise ConfigError("The incident delay cannot be negative.", hint="Use 0 or more seconds.")
    if rate_limit < 1:
        raise ConfigError(
            "The rate limit must allow at least one request a minute.",
            hint="PagerDuty allows 960 a minute per key.",
        )
    if token is not None and not token.strip():
        raise ConfigError("The token cannot be blank.", hint="Leave it out to get a random one.")
