"""How the CLI shows a run: a line per step, a progress bar on a terminal, a summary at the end."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from harness.progress import Exchange
from harness.steps import Step, StepResult

STATUS_STYLE = {2: "green", 4: "yellow", 5: "red"}


class ConsoleProgress:
    """Implements `harness.progress.Progress` on a rich console; `verbosity` is -1, 0 or 1."""

    def __init__(self, *, total: int, verbosity: int, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False, soft_wrap=True)
        self.verbosity = verbosity
        self.total = total
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        self.last: dict[str, Exchange] = {}

    def __enter__(self) -> ConsoleProgress:
        if self.console.is_terminal and self.verbosity >= 0:
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("steps", total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def step_started(self, step: Step) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, description=step.slug)

    def exchange(self, step: Step, exchange: Exchange) -> None:
        self.last[step.slug] = exchange
        if self.verbosity > 0:
            self.console.print(
                f"      {exchange.method} {exchange.url} -> {exchange.status} ({exchange.seconds:.3f}s)",
                markup=False,
            )
            for name, value in exchange.request_headers:
                self.console.print(f"        {name}: {value}", markup=False)
            if exchange.request_body:
                self.console.print(f"        {exchange.request_body}", markup=False)

    def step_finished(self, result: StepResult) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.advance(self.task)
        if self.verbosity < 0:
            return
        self.console.print(
            step_line(result, self.last.get(result.step.slug), self.total), highlight=False, soft_wrap=True
        )


def step_line(result: StepResult, exchange: Exchange | None, total: int) -> str:
    """`  7/29 trigger-incidents   POST /v2/enqueue   202   0.012s  (2 requests)`."""
    step = result.step
    count = len(result.responses)
    if count and exchange is not None:
        style = STATUS_STYLE.get(exchange.status // 100, "white")
        path = urlsplit(exchange.url).path
        call = f"{exchange.method:<6} {path[:44]:<44} [{style}]{exchange.status}[/]"
    else:
        call = f"{'-':<6} {'(no request)':<44} ---"
    more = f"  ({count} requests)" if count > 1 else ""
    return f"{step.number:>3}/{total} {step.slug:<34} {call} {result.seconds:7.3f}s{more}"


def summary_line(results: Sequence[StepResult], seconds: float, where: str) -> str:
    requests = sum(len(r.responses) for r in results)
    return f"{len(results)} steps, {requests} requests in {seconds:.2f}s -> {where}"
