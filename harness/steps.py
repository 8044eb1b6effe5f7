"""The public API of a scenario: `Scenario` and its `step` decorator, `Run`, `Needed` and `poll`."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar, overload

import requests

from harness.cassettes import cassette_name
from harness.client import RETRY_STATUSES, Client
from harness.errors import StepFailed
from harness.ledger import Ledger
from harness.progress import Exchange, Progress

T = TypeVar("T")
# PagerDuty's convention: index/show/update 200, create 201, delete 204.
DEFAULT_EXPECT = {"GET": 200, "POST": 201, "PUT": 200, "DELETE": 204}
Action = Callable[[Client, Any], object]


@dataclass(frozen=True)
class Step:
    """One step (a notebook cell): its sentence, the statuses it expects, and what it does."""

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
        """The status the step expects for its requests of that method."""
        return self.expect[method.upper()]


class Needed(Generic[T]):
    """A typed name for a value in `run.state`; read before it is stored, it stops the run clearly.

    Declared on a `Run` subclass (`user_id = Needed[str]()`), it reads and writes
    `run.state["user_id"]`.  Reading it too early is a scenario bug (steps out of order) or an
    earlier step that found nothing, so it raises `StepFailed` naming the value, never a KeyError.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, run: Run, owner: type | None = None) -> T:
        try:
            value: T = run.state[self.name]
        except KeyError:
            raise StepFailed(
                f"no {self.name.replace('_', ' ')}: an earlier step did not provide one",
                hint="run the whole scenario from the start",
            ) from None
        return value

    def __set__(self, run: Run, value: T) -> None:
        run.state[self.name] = value


class Run:
    """What the steps of one run share: `state` (a dict of what they found), the cleanup `ledger`.

    `test_user_email` is an address for a throw-away user (the From email, plus-addressed;
    scrubbed in recordings); `poll_timeout` bounds `poll`.
    """

    def __init__(
        self, *, test_user_email: str, poll_timeout: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.state: dict[str, Any] = {}
        self.test_user_email = test_user_email
        self.poll_timeout = poll_timeout
        self.clock = clock
        self.ledger = Ledger()
        self.swept: list[str] = []

    def owned(self) -> dict[str, list[str]]:
        """The ids of what this run made or drove, by kind: drift holds these items to every rule.

        Everything ever put in the ledger, and every PagerDuty object (a dict with an `id` and a
        `type`, or a list of them) kept in `state`; a subclass adds what neither shows.
        """
        owned = {kind: list(ids) for kind, ids in self.ledger.added.items() if ids}
        for value in self.state.values():
            for item in value if isinstance(value, list) else [value]:
                if (
                    isinstance(item, dict)
                    and isinstance(item.get("id"), str)
                    and isinstance(item.get("type"), str)
                ):
                    kind = item["type"].removesuffix("_reference")
                    owned.setdefault(kind, [])
                    if item["id"] not in owned[kind]:
                        owned[kind].append(item["id"])
        return {kind: sorted(ids) for kind, ids in owned.items()}


R = TypeVar("R", bound=Run)


@dataclass(frozen=True)
class StepResult:
    """What one step did: every answer it got, in order, and how long it took."""

    step: Step
    responses: tuple[requests.Response, ...]
    seconds: float

    @property
    def last(self) -> requests.Response:
        return self.responses[-1]


class Scenario(Generic[R]):
    """An ordered registry of steps, filled by the `step` decorator in declaration order.

    `run_type` is the `Run` subclass each run gets (typed `Needed` names over `run.state`);
    `public_names` are the scenario's own resource names, which scrubbing must keep as they are.
    """

    @overload
    def __init__(self: Scenario[Run], *, public_names: Iterable[str] = ()) -> None: ...

    @overload
    def __init__(self, *, run_type: type[R], public_names: Iterable[str] = ()) -> None: ...

    def __init__(self, *, run_type: type[Any] = Run, public_names: Iterable[str] = ()) -> None:
        self._steps: list[Step] = []
        self.run_type: type[R] = run_type
        self.public_names = tuple(public_names)

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(self._steps)

    def new_run(self, *, test_user_email: str, poll_timeout: float) -> R:
        return self.run_type(test_user_email=test_user_email, poll_timeout=poll_timeout)

    def step(
        self,
        *,
        expect: Mapping[str, int] | None = None,
        polls: bool = False,
    ) -> Callable[[Callable[[Client, R], object]], Callable[[Client, R], object]]:
        """Declare the decorated function as the next step; its docstring is its sentence.

        `expect` overrides PagerDuty's convention (`DEFAULT_EXPECT`) for this step's requests;
        `polls` marks a step that repeats a request until the API has caught up.
        """

        def register(action: Callable[[Client, R], object]) -> Callable[[Client, R], object]:
            title = inspect.cleandoc(action.__doc__ or "").replace("\n", " ")
            if not title:
                raise TypeError(f"step {action.__name__} needs a sentence as its docstring")
            slug = action.__name__.replace("_", "-")
            if any(s.slug == slug for s in self._steps):
                raise TypeError(f"step {action.__name__} is declared twice")
            self._steps.append(
                Step(
                    number=len(self._steps) + 1,
                    slug=slug,
                    title=title,
                    expect=MappingProxyType(
                        {**DEFAULT_EXPECT, **{m.upper(): code for m, code in (expect or {}).items()}}
                    ),
                    action=action,
                    polls=polls,
                )
            )
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
            raise StepFailed(
                f"{what} did not happen within {run.poll_timeout:g} s",
                hint="PagerDuty may be slow: raise --poll-timeout and run again",
            )
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
