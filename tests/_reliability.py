"""What the fault, interrupt and bad-input tests share: fast settings, the faults, account and disk checks."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from harness.cassettes import Recording
from harness.client import RetryPolicy
from harness.drift.normalise import normalise_text, request_label
from harness.progress import Silent
from harness.sandbox import Fault, Sandbox
from harness.scenario import NOTE, POLICY_NAME, SERVICE_NAME, USER_NAME, scenario
from harness.settings import Settings, build_settings
from harness.steps import Step

PROJECT = Path(__file__).resolve().parent.parent
ACCEPTED = PROJECT / "cassettes"
STEPS = tuple(step.slug for step in scenario.steps)
POLLING = frozenset(step.slug for step in scenario.steps if step.polls)

# In-process runs shrink every wait: a request times out after TIMEOUT, and a "slow" answer comes
# SLOW seconds after its request, late for the client but within the extra timeout that a create
# without an answer is given to land before it is looked up (see harness.client).
TIMEOUT = 0.3
SLOW = 0.45
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)

# Each fault the API is known to throw at a client, by name; `seconds` on a 429 is the wait its
# headers advertise, which the client caps at FAST_RETRY.max_delay.
FAULTS: dict[str, dict[str, Any]] = {
    "429-ratelimit-reset": {"action": "status", "status": 429, "headers": "ratelimit", "seconds": 1},
    "429-retry-after": {"action": "status", "status": 429, "headers": "retry-after", "seconds": 1},
    "429-no-headers": {"action": "status", "status": 429, "headers": "none"},
    "500": {"action": "status", "status": 500},
    "502": {"action": "status", "status": 502},
    "503": {"action": "status", "status": 503},
    "slow": {"action": "latency", "seconds": SLOW},
    "drop": {"action": "drop"},
}


# How many cases of each kind the reliability tests run, as the README's table states them; each
# test file checks its own against its parametrisation.
COUNTS = {
    "transient faults": 232,  # FAULTS x STEPS, once each
    "late creates": 6,  # user, policy, service, note answered too late; integration late or dropped
    "persistent faults": 232,  # FAULTS x STEPS, until the run gives up
    "outages outlasting cleanup": 4,
    "signals inside a step": 58,  # SIGINT and SIGTERM x STEPS
    "signals during a create": 5,
    "kills inside a step": 29,
    "damaged recordings": 50,  # each fed to replay, drift and accept
    "invalid options": 24,
    "refusing API answers": 9,
    "junk properties": 3,  # each FUZZ_EXAMPLES generated inputs
}
FUZZ_EXAMPLES = 60


def fault(name: str, **where: Any) -> Fault:
    """The named fault, on every call (method and path '*') unless `where` narrows it."""
    return Fault(**{"method": "*", "path": "*", **FAULTS[name], **where})


def settings_for(sb: Sandbox, out: Path) -> Settings:
    """Settings for an in-process run against `sb`, with the short request timeout."""
    return build_settings(
        subdomain=sb.subdomain,
        token=sb.token,
        from_email=sb.owner_email,
        region="us",
        api_url=sb.api_url,
        events_url=sb.events_url,
        out=out,
        poll_timeout=10,
        request_timeout=TIMEOUT,
    )


class FaultAtStep(Silent):
    """Progress that adds a fault as a step starts, so the fault's first call is the step's first."""

    def __init__(self, sb: Sandbox, slug: str, injected: Fault) -> None:
        self.sb, self.slug, self.injected = sb, slug, injected

    def step_started(self, step: Step) -> None:
        if step.slug == self.slug:
            self.sb.faults.add(self.injected)


class RequestLog:
    """Every (method, path) the sandbox is asked, in order, seen where it counts calls for faults."""

    def __init__(self, sb: Sandbox) -> None:
        self.calls: list[tuple[str, str]] = []
        count = sb.faults.match

        def match(method: str, path: str) -> Fault | None:
            self.calls.append((method, path))
            return count(method, path)

        sb.faults.match = match  # type: ignore[method-assign]


def ours(sb: Sandbox) -> list[str]:
    """Every resource of the scenario still in the sandbox account, and every open incident."""
    snap = sb.account.snapshot()
    found = [f"service {s.id}" for s in snap.services.values() if s.name == SERVICE_NAME]
    found += [f"escalation_policy {p.id}" for p in snap.escalation_policies.values() if p.name == POLICY_NAME]
    found += [f"user {u.id}" for u in snap.users.values() if u.name == USER_NAME]
    found += [f"open incident {i.id}" for i in snap.incidents.values() if i.status != "resolved"]
    return found


def swept_report(left: list[str]) -> str:
    """What the next run reports sweeping, given what `ours` found: in the order the steps sweep."""
    order = {"service": 0, "user": 1, "escalation_policy": 2}
    kinds = sorted((item.split(" ", 1) for item in left), key=lambda pair: order[pair[0]])
    return ", ".join(
        f"{kind} {rid}" + (" (reused, deleted at the end)" if kind == "user" else "") for kind, rid in kinds
    )


def census(sb: Sandbox) -> dict[str, int]:
    """How many of each thing the scenario creates the account holds now."""
    snap = sb.account.snapshot()
    return {
        "user": sum(u.name == USER_NAME for u in snap.users.values()),
        "escalation_policy": sum(p.name == POLICY_NAME for p in snap.escalation_policies.values()),
        "service": sum(s.name == SERVICE_NAME for s in snap.services.values()),
        "integration": len(snap.integrations),
        "note": sum(n.content == NOTE for n in snap.notes.values()),
    }


def tree(path: Path) -> dict[str, bytes]:
    """Every file under `path` with its bytes."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def accepted_copy(target: Path) -> Path:
    """A copy of the project's accepted recording at `target`, to check a run leaves it alone."""
    shutil.copytree(ACCEPTED, target)
    return target


Exchange = tuple[str, str, int]


def exchanges(recording: Recording) -> dict[str, list[Exchange]]:
    """Each step's requests as (request line, request body, status), run-to-run noise replaced.

    Stricter than drift, which merges repeated requests: a retried request recorded twice, or a
    failed attempt recorded at all, shows here.  Only a polling step's repeats are merged, since
    how often it polls depends on timing.
    """
    found: dict[str, list[Exchange]] = {}
    for step in recording.steps:
        rows: list[Exchange] = []
        for interaction in step.interactions:
            body = interaction["request"].get("body") or ""
            row = (
                request_label(interaction),
                normalise_text(str(body)),
                int(interaction["response"]["status"]["code"]),
            )
            if not (step.entry.slug in POLLING and rows and rows[-1] == row):
                rows.append(row)
        found[step.entry.slug] = rows
    return found
