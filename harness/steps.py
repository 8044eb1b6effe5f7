"""The Step record, the registry `scenario.py` declares into, and the state steps share."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import requests

from harness.cassettes import cassette_name
from harness.client import RETRY_STATUSES, Client
from harness.errors import StepFailed
from harness.ledger import Ledger
from harness.progress import Exchange, Progress

T = TypeVar("T")
# PagerDuty's convention: index/show/update 200, create 201, delete 204.
DEFAULT_EXPECT = {"GET": 200, "POST": 201, "PUT": 200, "DELETE": 204}
Action = Callable[[Client, "Run"], None]


@dataclass(frozen=True)
class Step:
    """One notebook cell: its sentence, the status the notebook asserted, and what it does."""

    number: int
    slug: str
    title: str
    expect: Mapping[str, int]
    action: Action = field(repr=False)
    polls: bool = False

    @property
    def cassette(self) -> str:
        return cassette_name(self.number, self.slug)

    def expected_status(self, method: str) -> int:
        """The status the notebook asserted for this step's requests of that method."""
        return self.expect[method.upper()]


class Needed(Generic[T]):
    """A value one step stores for later ones; read before it is stored, it stops the run clearly.

    Reading it too early is a scenario bug (steps out of order) or an earlier step that found
    nothing, so it raises `StepFailed` naming the value, never an AttributeError.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, run: Run, owner: type | None = None) -> T:
        try:
            value: T = run.__dict__[self.name]
        except KeyError:
            raise StepFailed(f"no {self.name.replace('_', ' ')}: an earlier step did not provide one",
                             hint="run the whole scenario from the start") from None
        return value

    def __set__(self, run: Run, value: T) -> None:
        run.__dict__[self.name] = value


class Run:
    """What the steps of one run share: the ids they found or created, and the cleanup ledger."""

    user_id = Needed[str]()
    escalation_policy_id = Needed[str]()
    service_id = Needed[str]()
    integration_id = Needed[str]()
    routing_key = Needed[str]()
    incident = Needed[dict[str, Any]]()
    first_incident = Needed[dict[str, Any]]()
    log_entry_id = Needed[str]()
    report_window = Needed[tuple[str, str]]()
    note_id = Needed[str]()

    def __init__(self, *, test_user_email: str, poll_timeout: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.test_user_email = test_user_email
        self.poll_timeout = poll_timeout
        self.clock = clock
        self.ledger = Ledger()
        self.swept: list[str] = []

    def owned(self) -> dict[str, list[str]]:
        """The ids of what this run made or drove, by kind: drift holds these items to every rule."""
        found = self.__dict__
        owned = {kind: [found[name]] for kind, name in (
            ("user", "user_id"), ("escalation_policy", "escalation_policy_id"),
            ("service", "service_id"), ("integration", "integration_id"), ("note", "note_id"),
        ) if name in found}
        incidents = [found[name]["id"] for name in ("first_incident", "incident") if name in found]
        if incidents:
            owned["incident"] = sorted(set(incidents))
        return owned


@dataclass(frozen=True)
class StepResult:
    """What one step did: every answer it got, in order, and how long it took."""

    step: Step
    responses: tuple[requests.Response, ...]
    seconds: float

    @property
    def last(self) -> requests.Response:
        return self.responses[-1]


class Scenario:
    """An ordered registry of steps, filled by the `step` decorator in declaration order."""

    def __init__(self) -> None:
        self._steps: list[Step] = []

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(self._steps)

    def step(
        self, *, expect: Mapping[str, int] | None = None, polls: bool = False,
    ) -> Callable[[Action], Action]:
        """Declare the decorated function as the next step; its docstring is the cell's sentence.

        `expect` overrides PagerDuty's convention (`DEFAULT_EXPECT`) for this step's requests.
        """

        def register(action: Action) -> Action:
            title = inspect.cleandoc(action.__doc__ or "").replace("\n", " ")
            if not title:
                raise TypeError(f"step {action.__name__} needs the notebook's sentence as docstring")
            self._steps.append(Step(
                number=len(self._steps) + 1, slug=action.__name__.replace("_", "-"),
                title=title, expect=MappingProxyType({**DEFAULT_EXPECT, **(expect or {})}),
                action=action, polls=polls,
            ))
            return action

        return register

    def get(self, slug: str) -> Step:
        for step in self._steps:
            if step.slug == slug:
                return step
        raise KeyError(slug)


def poll(pd: Client, run: Run, fetch: Callable[[], T | None], *, what: str) -> T:
    """Call `fetch` until it returns something, backing off from 0.05 s to 1 s, up to the timeout.

    Each wait is 10% longer than the last, so the final one overshoots the API's processing time
    by about a tenth (never more than a second) for a logarithmic number of polls; replay passes
    a no-op sleep, so recorded polls replay instantly.
    """
    deadline = run.clock() + run.poll_timeout
    delay = 0.05
    while True:
        found = fetch()
        if found is not None:
            return found
        if run.clock() + delay > deadline:
            raise StepFailed(f"{what} did not happen within {run.poll_timeout:g} s",
                             hint="PagerDuty may be slow: raise --poll-timeout and run again")
        pd.sleep(delay)
        delay = min(delay * 1.1, 1.0)


def execute(
    step: Step,
    pd: Client,
    run: Run,
    *,
    progress: Progress | None = None,
    scrub: Callable[[str], str] = str,
) -> StepResult:
    """Run one step, collecting the final answer of every request it makes on the record."""
    responses: list[requests.Response] = []

    def observe(response: requests.Response) -> None:
        if progress is not None:
            progress.exchange(step, Exchange.of(response, scrub))
        if pd.tape.on_record and response.status_code not in RETRY_STATUSES:
            responses.append(response)

    started = time.perf_counter()
    with pd.tape.watching(observe):
        step.action(pd, run)
    return StepResult(step=step, responses=tuple(responses), seconds=time.perf_counter() - started)
