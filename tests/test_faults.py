"""API faults at every step: transient ones leave no trace, persistent ones stop the run cleanly."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import requests
from _reliability import (
    COUNTS,
    FAST_RETRY,
    FAULTS,
    STEPS,
    FaultAtStep,
    RequestLog,
    accepted_copy,
    census,
    exchanges,
    fault,
    ours,
    settings_for,
    swept_report,
    tree,
)
from click.testing import CliRunner, Result

import harness.recorder
from harness.cassettes import Recording, load_recording
from harness.cli import cli
from harness.client import Client, RetryPolicy
from harness.drift import compute_drift
from harness.errors import StepFailed
from harness.ledger import Ledger
from harness.progress import Silent
from harness.recorder import record_scenario
from harness.sandbox import Fault, Sandbox
from harness.steps import Step

USERS_BODY = {"user": {"type": "user", "name": "Backoff Probe", "email": "probe@example.com"}}
# Sandboxes here use account="empty": these tests assert exact account state (users, open
# incidents, integrations, identical recordings), which the busy account's other teams change;
# telling the scenario's resources from theirs (drift's ownership rule) is issue 14.
KEPT = "; cleanup done, nothing left in the account; the previous recording was left untouched"


def _answer(status: int, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update({name.replace("_", "-"): value for name, value in headers.items()})
    return response


def _upper_bound(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, float]]:
    """Make the jitter always pick its upper bound, and record the ranges it was asked for."""
    ranges: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        ranges.append((low, high))
        return high

    monkeypatch.setattr("harness.client.random.uniform", uniform)
    return ranges


# -- RetryPolicy.delay ------------------------------------------------------------------------------


def test_ratelimit_reset_is_waited_for_as_given() -> None:
    """After a 429 with `ratelimit-reset: 7` the policy waits exactly 7 s, whatever the attempt."""
    policy = RetryPolicy(attempts=6, base_delay=0.5, max_delay=60)
    assert [policy.delay(n, _answer(429, ratelimit_reset="7")) for n in (1, 4)] == [7.0, 7.0]


def test_retry_after_is_read_as_seconds_or_as_a_date() -> None:
    """`Retry-After: 3` waits 3 s; an HTTP date 30 s ahead waits about 30 s."""
    policy = RetryPolicy(attempts=6, base_delay=0.5, max_delay=60)
    assert policy.delay(1, _answer(429, Retry_After="3")) == 3.0
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 28.0 <= policy.delay(1, _answer(429, Retry_After=soon)) <= 30.0


def test_ratelimit_reset_wins_over_retry_after() -> None:
    """When both hints come, `ratelimit-reset` is the one honoured."""
    policy = RetryPolicy(attempts=6, base_delay=0.5, max_delay=60)
    assert policy.delay(1, _answer(429, ratelimit_reset="4", Retry_After="9")) == 4.0


def test_a_server_hint_is_capped_at_max_delay() -> None:
    """A reset 10 minutes away is waited for only up to the cap."""
    policy = RetryPolicy(attempts=6, base_delay=0.5, max_delay=60)
    assert policy.delay(1, _answer(429, ratelimit_reset="600")) == 60.0
    assert policy.delay(1, _answer(429, Retry_After="600")) == 60.0


def test_unreadable_hints_fall_back_to_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hint that is neither a number nor a date is ignored: the wait is the jittered backoff."""
    ranges = _upper_bound(monkeypatch)
    policy = RetryPolicy(attempts=6, base_delay=0.5, max_delay=60)
    assert policy.delay(2, _answer(429, ratelimit_reset="soon", Retry_After="later")) == 1.0
    assert ranges == [(0.0, 1.0)]


def test_backoff_doubles_per_attempt_up_to_the_cap_with_full_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a hint, attempt n waits a uniform draw from [0, min(cap, base * 2**(n-1))]."""
    ranges = _upper_bound(monkeypatch)
    policy = RetryPolicy(attempts=10, base_delay=0.5, max_delay=3)
    assert [policy.delay(n, None) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert ranges == [(0.0, 0.5), (0.0, 1.0), (0.0, 2.0), (0.0, 3.0), (0.0, 3.0)]


def test_backoff_is_jittered() -> None:
    """Two hundred draws of the same attempt's wait spread over its range, never past its ceiling."""
    policy = RetryPolicy(attempts=6, base_delay=0.5, max_delay=60)
    waits = [policy.delay(3, _answer(503)) for _ in range(200)]
    assert all(0.0 <= wait <= 2.0 for wait in waits)
    assert len(set(waits)) > 150
    assert min(waits) < 0.5 and max(waits) > 1.5


# -- the sleeps the client asks for, against the sandbox ----------------------------------------------


def census_of(sb: Sandbox, name: str) -> int:
    return sum(u.name == name for u in sb.account.snapshot().users.values())


def _client(sb: Sandbox, sleeps: list[float], *, policy: RetryPolicy, timeout: float = 5.0) -> Client:
    return Client(
        api_url=sb.api_url,
        events_url=sb.events_url,
        token=sb.token,
        from_email=sb.owner_email,
        timeout=timeout,
        retry=policy,
        sleep=sleeps.append,
    )


@pytest.mark.parametrize(
    ("headers", "seconds", "expected"),
    [
        ("ratelimit", 7, [7.0]),
        ("retry-after", 3, [3.0]),
        ("ratelimit", 600, [60.0]),
        ("retry-after", 600, [60.0]),
    ],
)
def test_client_sleeps_what_a_429_asks_up_to_the_cap(
    sandbox: Sandbox,
    headers: str,
    seconds: int,
    expected: list[float],
) -> None:
    """The client's only sleep before its retry is the server's wait, capped at max_delay."""
    sleeps: list[float] = []
    sandbox.faults.add(Fault(method="GET", path="/users", status=429, headers=headers, seconds=seconds))
    response = _client(sandbox, sleeps, policy=RetryPolicy()).get("/users")
    assert response.status_code == 200
    assert sleeps == expected


def test_client_backs_off_exponentially_on_5xx_and_bare_429s(
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Four failures without hints give four jittered waits under 0.5, 1, 2 and the 3 s cap."""
    ranges = _upper_bound(monkeypatch)
    sleeps: list[float] = []
    for status, headers in ((503, "ratelimit"), (429, "none"), (502, "ratelimit"), (500, "ratelimit")):
        sandbox.faults.add(
            Fault(
                method="GET",
                path="/users",
                nth=len(sandbox.faults.faults) + 1,
                status=status,
                headers=headers,
            )
        )
    policy = RetryPolicy(attempts=5, base_delay=0.5, max_delay=3)
    assert _client(sandbox, sleeps, policy=policy).get("/users").status_code == 200
    assert sleeps == [0.5, 1.0, 2.0, 3.0]
    assert ranges == [(0.0, 0.5), (0.0, 1.0), (0.0, 2.0), (0.0, 3.0)]


def test_client_gives_up_after_the_last_attempt_with_the_last_answer(sandbox: Sandbox) -> None:
    """A 503 that never ends is returned after `attempts` tries and `attempts - 1` sleeps."""
    sleeps: list[float] = []
    sandbox.faults.add(Fault(method="GET", path="/users", times=None, status=503))
    response = _client(sandbox, sleeps, policy=FAST_RETRY).get("/users")
    assert response.status_code == 503
    assert len(sleeps) == 2 and len(sandbox.faults.fired) == 3


def test_refusals_are_not_retried(sandbox: Sandbox) -> None:
    """A 404 is PagerDuty's final word: one request, no sleep."""
    sleeps: list[float] = []
    log = RequestLog(sandbox)
    assert _client(sandbox, sleeps, policy=FAST_RETRY).get("/users/PNOSUCH").status_code == 404
    assert sleeps == [] and log.calls == [("GET", "/users/PNOSUCH")]


@pytest.mark.parametrize(("status", "waits"), [(503, 0.01), (504, 2.5)])
def test_an_unclear_create_recovers_before_its_retry(
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    waits: float,
) -> None:
    """A 5xx to a create: one wait (a whole timeout after a gateway's 504), then `recover`, then the retry."""
    _upper_bound(monkeypatch)
    sleeps: list[float] = []
    events: list[str] = []
    client = _client(sandbox, sleeps, policy=FAST_RETRY, timeout=2.5)
    sandbox.faults.add(Fault(method="POST", path="/users", status=status))
    response = client.post("/users", USERS_BODY, recover=lambda: events.append(f"recover after {sleeps}"))
    assert response.status_code == 201
    assert events == [f"recover after {[waits]}"]
    assert census_of(sandbox, "Backoff Probe") == 1


def test_an_unanswered_delete_is_retried_at_once_then_given_time_to_land(
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A DELETE answered after the timeout: retried after the backoff, then waited for, a timeout in all."""
    _upper_bound(monkeypatch)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    client = Client(
        api_url=sandbox.api_url,
        events_url=sandbox.events_url,
        token=sandbox.token,
        from_email=sandbox.owner_email,
        timeout=0.2,
        retry=FAST_RETRY,
        sleep=sleep,
    )
    user_id = client.post("/users", USERS_BODY).json()["user"]["id"]
    log = RequestLog(sandbox)
    sandbox.faults.add(Fault(method="DELETE", path="/users/*", action="latency", seconds=0.3))
    assert client.delete(f"/users/{user_id}").status_code == 204
    assert sleeps == [0.01, pytest.approx(0.19)]
    assert log.calls == [("DELETE", f"/users/{user_id}")] * 2
    assert census_of(sandbox, "Backoff Probe") == 0


def test_an_unclear_create_without_recover_is_not_retried(sandbox: Sandbox) -> None:
    """Without a way to undo it, a create that got a 503 is not sent again: the run stops."""
    log = RequestLog(sandbox)
    sandbox.faults.add(Fault(method="POST", path="/users", status=503))
    with pytest.raises(StepFailed, match="a create got no clear answer and cannot be retried safely"):
        _client(sandbox, [], policy=FAST_RETRY).post("/users", USERS_BODY)
    assert log.calls == [("POST", "/users")]


# -- transient faults: every step, every fault, once ---------------------------------------------------


@pytest.fixture(scope="module")
def fault_free(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """A recording made without faults against a fresh sandbox: what every faulted run must equal."""
    out = tmp_path_factory.mktemp("fault-free") / "rec"
    with Sandbox(account="empty", incident_delay=0) as sb:
        record_scenario(settings=settings_for(sb, out), retry=FAST_RETRY)
    return load_recording(out)


# A slow answer to the integration create cannot be recovered: integrations cannot be deleted, so
# the run stops instead (test_an_integration_create_without_an_answer_stops_the_run_or_is_retried_once).
TRANSIENT_CASES = [
    pytest.param(slug, name, id=f"{slug}-{name}")
    for slug in STEPS
    for name in FAULTS
    if (slug, name) != ("create-integration", "slow")
]


@pytest.mark.slow
@pytest.mark.parametrize(("slug", "name"), TRANSIENT_CASES)
def test_a_transient_fault_at_any_step_leaves_no_trace(
    slug: str,
    name: str,
    fault_free: Recording,
    tmp_path: Path,
) -> None:
    """The step's first request fails once; the run completes and records what a fault-free run does."""
    out = tmp_path / "rec"
    injected = fault(name)
    with Sandbox(account="empty", incident_delay=0) as sb:
        record_scenario(
            settings=settings_for(sb, out), retry=FAST_RETRY, progress=FaultAtStep(sb, slug, injected)
        )
        assert [fired for fired, _, _ in sb.faults.fired] == [injected]
        assert ours(sb) == []
    recording = load_recording(out)
    assert compute_drift(baseline=fault_free, candidate=recording).changes == ()
    assert exchanges(recording) == exchanges(fault_free)


# -- a create whose answer never comes -----------------------------------------------------------------

CREATES = {
    "user": "/users",
    "escalation_policy": "/escalation_policies",
    "service": "/services",
    "note": "/incidents/*/notes",
}


class CensusBefore(Silent):
    """Progress that counts the account's resources as one step starts."""

    def __init__(self, sb: Sandbox, slug: str) -> None:
        self.sb, self.slug = sb, slug
        self.counts: dict[str, int] = {}

    def step_started(self, step: Step) -> None:
        if step.slug == self.slug:
            self.counts = census(self.sb)


LATE_CREATES = list(CREATES)


@pytest.mark.parametrize("kind", LATE_CREATES)
def test_a_create_answered_too_late_is_never_duplicated(
    kind: str,
    fault_free: Recording,
    tmp_path: Path,
) -> None:
    """The create is processed after the client gave up on it; its retry leaves exactly one."""
    stall = Fault(
        method="POST", path=CREATES[kind], action="stall", seconds=FAULTS["slow"]["seconds"], after="process"
    )
    out = tmp_path / "rec"
    with Sandbox(account="empty", incident_delay=0, faults=[stall]) as sb:
        before_cleanup = CensusBefore(sb, "delete-service")
        record_scenario(settings=settings_for(sb, out), retry=FAST_RETRY, progress=before_cleanup)
        assert [fired for fired, _, _ in sb.faults.fired] == [stall]
        assert before_cleanup.counts[kind] == 1
        assert ours(sb) == []
    recording = load_recording(out)
    assert compute_drift(baseline=fault_free, candidate=recording).changes == ()
    assert exchanges(recording) == exchanges(fault_free)


def _integration_posts(log: RequestLog) -> int:
    return sum(method == "POST" and path.endswith("/integrations") for method, path in log.calls)


def test_an_integration_created_too_late_stops_the_run_without_a_duplicate(tmp_path: Path) -> None:
    """Integrations cannot be deleted, so one that may exist is not created again: the run stops cleanly."""
    stall = Fault(
        method="POST",
        path="/services/*/integrations",
        action="stall",
        seconds=FAULTS["slow"]["seconds"],
        after="process",
    )
    with Sandbox(account="empty", incident_delay=0, faults=[stall]) as sb:
        log = RequestLog(sb)
        with pytest.raises(
            StepFailed,
            match=r"^step create-integration failed: the integration may "
            r"have been created .* not retrying, to avoid a duplicate" + re.escape(KEPT) + "$",
        ):
            record_scenario(settings=settings_for(sb, tmp_path / "rec"), retry=FAST_RETRY)
        assert _integration_posts(log) == 1
        assert census(sb)["integration"] == 0
        assert ours(sb) == []
    assert not (tmp_path / "rec").exists()


def test_an_integration_create_dropped_unanswered_is_retried_once(
    fault_free: Recording,
    tmp_path: Path,
) -> None:
    """Dropped before PagerDuty made it, the integration create is sent once more and the run completes."""
    stall = Fault(
        method="POST",
        path="/services/*/integrations",
        action="stall",
        seconds=FAULTS["slow"]["seconds"],
        after="drop",
    )
    with Sandbox(account="empty", incident_delay=0, faults=[stall]) as sb:
        log = RequestLog(sb)
        record_scenario(settings=settings_for(sb, tmp_path / "rec"), retry=FAST_RETRY)
        assert _integration_posts(log) == 2
        assert ours(sb) == []
    recording = load_recording(tmp_path / "rec")
    assert compute_drift(baseline=fault_free, candidate=recording).changes == ()
    assert exchanges(recording) == exchanges(fault_free)


# -- persistent faults: every step, every fault, until the run gives up ------------------------------

CAUSES = {
    **{name: "PagerDuty answered 429" for name in FAULTS if name.startswith("429")},
    **{name: f"PagerDuty answered {name}" for name in ("500", "502", "503")},
    "slow": r"no answer after 3 attempts \(ReadTimeout\)",
    "drop": r"no answer after 3 attempts \(ConnectionError\)",
}
PERSISTENT_CASES = [pytest.param(slug, name, id=f"{slug}-{name}") for slug in STEPS for name in FAULTS]


def _outage_ends_at_cleanup(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fault lasts until the run gives up on the step; cleanup then finds the API healthy."""
    cleanup = harness.recorder.cleanup

    def after_the_outage(pd: Client, ledger: Ledger) -> list[str]:
        sb.faults.clear()
        return cleanup(pd, ledger)

    monkeypatch.setattr(harness.recorder, "cleanup", after_the_outage)


@pytest.mark.slow
@pytest.mark.parametrize(("slug", "name"), PERSISTENT_CASES)
def test_a_persistent_fault_at_any_step_stops_the_run_cleanly(
    slug: str,
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Exit 1 naming the step and the cause, after cleanup; account empty, --out byte for byte as before."""
    out = accepted_copy(tmp_path / "cassettes")
    before = tree(out)
    with Sandbox(account="empty", incident_delay=0) as sb:
        _outage_ends_at_cleanup(sb, monkeypatch)
        with pytest.raises(StepFailed) as caught:
            record_scenario(
                settings=settings_for(sb, out),
                retry=FAST_RETRY,
                progress=FaultAtStep(sb, slug, fault(name, times=None)),
            )
        assert ours(sb) == []
    assert caught.value.exit_code == 1
    assert re.fullmatch(rf"step {slug} failed: .*{CAUSES[name]}.*{re.escape(KEPT)}", str(caught.value))
    assert tree(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["cassettes"]


# -- an outage that outlasts the run's cleanup --------------------------------------------------------

OUTLASTING = {
    "delete-service": Fault(method="DELETE", path="/services/*", times=None, status=503),
    "delete-escalation-policy": Fault(method="DELETE", path="/escalation_policies/*", times=None, status=503),
    "delete-test-user": Fault(method="DELETE", path="/users/*", times=None, status=503),
    "bulk-resolve-incidents": Fault(method="PUT", path="/incidents", times=None, status=503),
}


def _record_cli(sb: Sandbox, out: Path) -> Result:
    """`harness record` against the sandbox, in process, with the default retries and timeouts."""
    return CliRunner().invoke(
        cli,
        [
            "record",
            "--subdomain",
            sb.subdomain,
            "--token",
            sb.token,
            "--from-email",
            sb.owner_email,
            "--api-url",
            sb.api_url,
            "--events-url",
            sb.events_url,
            "--out",
            str(out),
            "-q",
        ],
    )


@pytest.mark.parametrize("slug", list(OUTLASTING))
def test_what_cleanup_cannot_delete_is_named_and_swept_by_the_next_run(
    slug: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cleanup names each resource it could not delete; the next run reports and deletes them all."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "rec"
    with Sandbox(account="empty", incident_delay=0, faults=[OUTLASTING[slug]]) as sb:
        with pytest.raises(StepFailed) as caught:
            record_scenario(settings=settings_for(sb, out), retry=FAST_RETRY)
        left = [item for item in ours(sb) if not item.startswith("open incident")]
        assert left
        assert str(caught.value).startswith(f"step {slug} failed: ")
        assert str(caught.value).endswith(
            f"; cleanup could not delete: {', '.join(left)} (delete them by hand)"
            "; the previous recording was left untouched"
        )
        sb.faults.clear()
        result = _record_cli(sb, out)
        assert result.exit_code == 0, result.output
        assert f"swept leftovers of an earlier run: {swept_report(left)}\n" in result.output
        assert ours(sb) == []


def test_the_fault_cases_are_as_many_as_the_readme_states() -> None:
    """Eight faults at each of the 29 steps, transient and persistent, and the late and lasting cases."""
    assert (len(FAULTS), len(STEPS)) == (8, 29)
    # The slow answer to the integration create is the one transient case with its own test.
    assert len(TRANSIENT_CASES) + 1 == COUNTS["transient faults"] == len(FAULTS) * len(STEPS)
    # The integration has two tests of its own: created too late, and dropped unanswered.
    assert len(LATE_CREATES) + 2 == COUNTS["late creates"]
    assert len(PERSISTENT_CASES) == COUNTS["persistent faults"] == len(FAULTS) * len(STEPS)
    assert len(OUTLASTING) == COUNTS["outages outlasting cleanup"]
