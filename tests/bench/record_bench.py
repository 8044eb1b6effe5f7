"""`harness record` against the sandbox with a set per-request latency L and incident delay D.

The API imposes N x L + D at least: N requests one after the other (counted by the sandbox,
so preflight and polls are in), and D between the second trigger and its incident being
listed.  The time above that is split into its parts: polling past the moment the incidents
appear, CPU per request (with what a bare `requests` GET pays beside it), switching cassettes,
and writing the recording.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from figures import BenchResult, Figure, Target, format_value
from profiling import top_costs

from harness.client import ACCEPT
from harness.recorder import RecordResult, record_scenario
from harness.sandbox import Fault, Sandbox
from harness.settings import build_settings
from harness.steps import Step, StepResult

NAME = "record"
MAX_RATIO = 1.2
WAIT_STEP = "wait-for-incidents"
# (L seconds, D seconds, repetitions)
FULL = ((0.02, 0.5, 3), (0.05, 2.0, 3))
QUICK = ((0.02, 0.5, 1),)
CALIBRATION_GETS = 20


@dataclass
class _Timeline:
    """A Progress that notes when each step started and finished."""

    started: list[float] = field(default_factory=list)
    finished: list[float] = field(default_factory=list)

    def step_started(self, step: Step) -> None:
        self.started.append(time.perf_counter())

    def exchange(self, step: Step, exchange: object) -> None:
        pass

    def step_finished(self, result: StepResult) -> None:
        self.finished.append(time.perf_counter())


@dataclass(frozen=True)
class _Run:
    """One recording's wall time, request count, CPU and where its time went."""

    latency: float
    delay: float
    wall: float
    requests: int
    harness_cpu: float
    process_cpu: float
    result: RecordResult
    began: float
    ended: float
    timeline: _Timeline

    @property
    def imposed(self) -> float:
        return self.requests * self.latency + self.delay


def run(*, quick: bool) -> BenchResult:
    """Record at each (L, D), report wall / (N x L + D), and say where the time above went."""
    figures: list[Figure] = []
    breakdowns: list[str] = []
    fixed = _median_run([_record(0.0, 0.0) for _ in range(1 if quick else 3)])
    figures.append(
        Figure(
            NAME,
            "wall at L=0, D=0",
            f"{fixed.requests} requests",
            fixed.wall,
            "s",
            detail="CPU and disk only",
        )
    )
    for latency, delay, repetitions in QUICK if quick else FULL:
        median = _median_run([_record(latency, delay) for _ in range(repetitions)])
        figures.append(
            Figure(
                NAME,
                "wall / (N x L + D)",
                f"L={latency:g} s, D={delay:g} s, N={median.requests} (sandbox count)",
                median.wall / median.imposed,
                "x",
                Target(MAX_RATIO),
                f"{format_value(median.wall, 's')} vs {format_value(median.imposed, 's')}, "
                f"median of {repetitions}",
            )
        )
        breakdowns += _breakdown(median)
    notes = (
        "N counts every request the sandbox answered (preflight and polls included); "
        "L is a latency fault on every request, D is Sandbox(incident_delay=D)",
        *breakdowns,
    )
    result = BenchResult(tuple(figures), notes)
    if result.missed:
        result = BenchResult(
            result.figures,
            notes,
            (
                "the breakdowns above say which part is over; the harness's own CPU at L=0, D=0:",
                *top_costs(lambda: _record(0.0, 0.0), repeat=3),
            ),
        )
    return result


def _median_run(runs: list[_Run]) -> _Run:
    middle = statistics.median_low(run.wall for run in runs)
    return next(run for run in runs if run.wall == middle)


def _latency(seconds: float) -> Fault:
    return Fault(method="*", path="*", nth=1, times=None, action="latency", seconds=seconds)


def _record(latency: float, delay: float) -> _Run:
    timeline = _Timeline()
    with (
        tempfile.TemporaryDirectory() as temporary,
        Sandbox(incident_delay=delay, faults=[_latency(latency)]) as sandbox,
    ):
        settings = build_settings(
            subdomain=sandbox.subdomain,
            token=sandbox.token,
            from_email=sandbox.owner_email,
            region="us",
            api_url=sandbox.api_url,
            events_url=sandbox.events_url,
            out=Path(temporary) / "recording",
            poll_timeout=30,
            sandbox=True,
        )
        thread_cpu, process_cpu = time.thread_time(), time.process_time()
        began = time.perf_counter()
        result = record_scenario(settings=settings, progress=timeline)
        ended = time.perf_counter()
        return _Run(
            latency,
            delay,
            ended - began,
            len(sandbox.faults.fired),
            time.thread_time() - thread_cpu,
            time.process_time() - process_cpu,
            result,
            began,
            ended,
            timeline,
        )


def _bare_round_trip(latency: float) -> float:
    """Median seconds of a bare `requests` GET against the sandbox at this latency."""
    with Sandbox(faults=[_latency(latency)]) as sandbox, requests.Session() as session:
        session.headers.update({"Authorization": f"Token token={sandbox.token}", "Accept": ACCEPT})
        url = f"{sandbox.api_url}/users/{sandbox.account.owner_id}"
        times = []
        for _ in range(CALIBRATION_GETS + 1):
            started = time.perf_counter()
            response = session.get(url)
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")
    return statistics.median(times[1:])  # the first GET also opens the connection


def _breakdown(run: _Run) -> list[str]:
    """Split the time above N x L + D into the harness's parts; they add up to the excess."""
    results, timeline, latency = run.result.results, run.timeline, run.latency
    wait = next(r for r in results if r.step.slug == WAIT_STEP)
    polls = len(wait.responses)
    others = [r for r in results if r is not wait]
    other_requests = sum(len(r.responses) for r in others)
    parts = {
        "poll overshoot": wait.seconds - run.delay - latency,
        "polls during D": -(polls - 1) * latency,
        "per-request cost": sum(r.seconds for r in others) - other_requests * latency,
        "cassette switches": sum(
            end - start - r.seconds
            for start, end, r in zip(timeline.started, timeline.finished, results, strict=True)
        ),
        "before step 1": timeline.started[0] - run.began - latency,
        "after the last step": run.ended - timeline.finished[-1],
    }
    why = {
        "poll overshoot": f"{WAIT_STEP} took {format_value(wait.seconds, 's')} where D and one "
        f"poll take {format_value(run.delay + latency, 's')}",
        "polls during D": f"N counts {polls} polls; all but the last overlap D",
        "per-request cost": _per_request(parts["per-request cost"] / other_requests, latency, other_requests),
        "cassette switches": f"entering and leaving {len(results)} cassettes",
        "before step 1": "above the preflight's L",
        "after the last step": "sweep, YAML dump, leak scan, fsynced write",
    }
    excess = run.wall - run.imposed
    unexplained = excess - sum(parts.values())
    return [
        f"L={latency:g} s, D={run.delay:g} s: wall {format_value(run.wall, 's')} = N x L + D "
        f"({format_value(run.imposed, 's')}) + {format_value(excess, 's')}, made of:",
        *(f"  {name:<20} {format_value(seconds, 's'):>8}  {why[name]}" for name, seconds in parts.items()),
        f"  {'between steps':<20} {format_value(unexplained, 's'):>8}  the rest",
        f"  CPU: harness thread {format_value(run.harness_cpu, 's')}, sandbox threads "
        f"{format_value(run.process_cpu - run.harness_cpu, 's')} (same process, one GIL)",
    ]


def _per_request(above: float, latency: float, count: int) -> str:
    bare = _bare_round_trip(latency) - latency
    return (
        f"{count} requests in the other steps, {above * 1000:.1f} ms each above L; a bare "
        f"requests GET of one user pays {bare * 1000:.1f} ms above L at this L, so the harness "
        f"and the heavier routes add {(above - bare) * 1000:.1f} ms"
    )
