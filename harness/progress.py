"""What a run tells whoever watches it: the core reports events, the CLI decides how to show them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import requests

if TYPE_CHECKING:
    from harness.steps import Step, StepResult


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, already scrubbed, for `-v` output."""

    method: str
    url: str
    status: int
    seconds: float
    request_headers: tuple[tuple[str, str], ...]
    request_body: str

    @classmethod
    def of(cls, response: requests.Response, scrub: Callable[[str], str]) -> Exchange:
        request = response.request
        body = request.body or b""
        text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body)
        return cls(
            method=str(request.method),
            url=scrub(str(request.url)),
            status=response.status_code,
            seconds=response.elapsed.total_seconds(),
            request_headers=tuple((name, scrub(value)) for name, value in request.headers.items()),
            request_body=scrub(text),
        )


class Progress(Protocol):
    """Receives a run's events as they happen."""

    def step_started(self, step: Step) -> None: ...

    def exchange(self, step: Step, exchange: Exchange) -> None: ...

    def step_finished(self, result: StepResult) -> None: ...


class Silent:
    """Progress that shows nothing (the default for library use and tests)."""

    def step_started(self, step: Step) -> None:
        pass

    def exchange(self, step: Step, exchange: Exchange) -> None:
        pass

    def step_finished(self, result: StepResult) -> None:
        pass
