"""Drift between two big synthetic recordings, and the same pages through a naive DeepDiff.

Both recordings are the accepted one with its incident and log-entry pages grown to N items,
every id, number and timestamp different between the two, and the candidate's incidents
carrying one field the baseline lacks: each size finds the same single change, so what
grows is the data, not the answer.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from deepdiff import DeepDiff
from figures import BenchResult, Figure, Target, Timing, format_value, timed
from memory import can_fork, rss_in_child, traced_peak
from profiling import top_costs
from synthetic import page_bodies, synthetic_recording

from harness.cassettes import MANIFEST_NAME, Recording, dump_cassette, load_recording
from harness.drift import DriftReport, compute_drift

NAME = "drift"
CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
MAX_GROWTH = 12.0
MAX_SECONDS_AT_10K = 2.0
# Repetitions per size, and the sizes at which tracemalloc's slowdown is affordable.
FULL = {1_000: 5, 10_000: 3, 100_000: 1}
QUICK = {100: 3, 1_000: 1}
TRACED_UP_TO = 10_000
# The naive comparison runs a size only if ten times the previous size's time fits this.
NAIVE_BUDGET_SECONDS = 60.0
# `harness drift` (load both recordings and compare) against merely parsing them (libyaml and
# json), measured on recordings written to disk up to this size.
MAX_OVER_PARSE = 2.0
PARSED_UP_TO = 10_000


@dataclass(frozen=True)
class _Pair:
    size: int
    baseline: Recording
    candidate: Recording

    @property
    def inputs(self) -> str:
        megabytes = sum(len(body) for body in page_bodies(self.baseline)) / 1e6
        return f"{_short(self.size)} incidents + {_short(self.size)} log entries/side, {megabytes:,.1f} MB"

    def drift(self) -> DriftReport:
        return compute_drift(baseline=self.baseline, candidate=self.candidate)

    def timing(self, repetitions: int) -> Timing:
        return Timing(tuple(timed(self.drift) for _ in range(repetitions)))


def run(*, quick: bool) -> BenchResult:
    """Time compute_drift as the pages grow, then the naive DeepDiff on the same pages."""
    base = load_recording(CASSETTES)
    plan = QUICK if quick else FULL
    figures: list[Figure] = []
    notes: list[str] = []
    drift_seconds: dict[int, float] = {}
    naive_seconds: dict[int, float] = {}
    answers: set[str] = set()
    for size, repetitions in plan.items():
        pair = _pair(base, size)
        answers.add(_summary(pair.drift()))
        timing = pair.timing(repetitions)
        drift_seconds[size] = timing.median
        target = Target(MAX_SECONDS_AT_10K) if size == 10_000 else None
        figures.append(
            Figure(NAME, "compute_drift time", pair.inputs, timing.median, "s", target, timing.describe())
        )
        figures.append(_drift_memory(pair, notes, cross_check=max(plan) > TRACED_UP_TO))
        if size <= PARSED_UP_TO:
            figures += _over_parse(pair, repetitions)
        projected = 10 * naive_seconds[max(naive_seconds)] if naive_seconds else 0.0
        if projected > NAIVE_BUDGET_SECONDS:
            notes.append(
                f"naive DeepDiff skipped at {size:,}: ten times the previous size's run "
                f"projects {format_value(projected, 's')}"
            )
        else:
            naive_seconds[size], naive = _naive(pair, timing.median)
            figures += naive
    figures += [
        Figure(
            NAME,
            f"time {_short(large)} / {_short(small)}",
            "compute_drift medians",
            drift_seconds[large] / drift_seconds[small],
            "x",
            Target(MAX_GROWTH),
        )
        for small, large in zip(plan, list(plan)[1:], strict=False)
    ]
    notes.append(f"changes found at every size: {' / '.join(sorted(answers))}")
    notes.append(
        "naive DeepDiff: DeepDiff(baseline_body, candidate_body, ignore_order=True) per "
        "grown page, JSON parsing included as in compute_drift"
    )
    notes.append(
        "harness drift / parse: load_recording of both recordings plus compute_drift, "
        "against load_recording of both plus json.loads of every body, on disk"
    )
    result = BenchResult(tuple(figures), tuple(notes))
    if result.missed:
        # The hot paths are the same at every size; 10k profiles in seconds, 100k would not.
        profiled = _pair(base, min(max(plan), TRACED_UP_TO))
        result = BenchResult(
            result.figures,
            result.notes,
            (f"compute_drift at {profiled.size:,}, top costs:", *top_costs(profiled.drift)),
        )
    return result


def _over_parse(pair: _Pair, repetitions: int) -> list[Figure]:
    """`harness drift` on the written recordings, and merely parsing them, interleaved."""
    with tempfile.TemporaryDirectory() as folder:
        baseline = _written(pair.baseline, Path(folder) / "baseline")
        candidate = _written(pair.candidate, Path(folder) / "candidate")

        def parse() -> None:
            for directory in (baseline, candidate):
                for step in load_recording(directory).steps:
                    for interaction in step.interactions:
                        body = interaction["response"]["body"].get("string", "")
                        if body.strip():
                            json.loads(body)

        def drift() -> None:
            compute_drift(baseline=load_recording(baseline), candidate=load_recording(candidate))

        runs = [(timed(parse), timed(drift)) for _ in range(repetitions)]
    parsed, drifted = Timing(tuple(r[0] for r in runs)), Timing(tuple(r[1] for r in runs))
    return [
        Figure(
            NAME,
            "parse both recordings (libyaml + json)",
            pair.inputs,
            parsed.median,
            "s",
            detail=parsed.describe(),
        ),
        Figure(
            NAME,
            "harness drift (load + compare)",
            pair.inputs,
            drifted.median,
            "s",
            detail=drifted.describe(),
        ),
        Figure(
            NAME,
            "harness drift / parse",
            "medians",
            drifted.median / parsed.median,
            "x",
            Target(MAX_OVER_PARSE),
        ),
    ]


def _written(recording: Recording, directory: Path) -> Path:
    directory.mkdir()
    (directory / MANIFEST_NAME).write_text(recording.manifest.to_json(), encoding="utf-8")
    for step in recording.steps:
        (directory / step.entry.cassette).write_text(dump_cassette(step.interactions), encoding="utf-8")
    return directory


def _pair(base: Recording, size: int) -> _Pair:
    return _Pair(
        size,
        synthetic_recording(base, size=size, seed=1),
        synthetic_recording(base, size=size, seed=2, drifted=True),
    )


def _summary(report: DriftReport) -> str:
    return ", ".join(f"{change.kind} {change.location}" for change in report.changes) or "none"


def _short(size: int) -> str:
    return f"{size // 1000:,}k" if size >= 1000 else str(size)


def _drift_memory(pair: _Pair, notes: list[str], *, cross_check: bool) -> Figure:
    name = "compute_drift peak memory"
    if pair.size <= TRACED_UP_TO or not can_fork():
        traced = traced_peak(pair.drift)
        if pair.size == TRACED_UP_TO and cross_check and can_fork():
            # Where both measures are taken, they show how far the larger size's RSS figure
            # can be compared with tracemalloc's.
            _seconds, grown = rss_in_child(pair.drift)
            notes.append(
                f"compute_drift peak memory at {pair.size:,}: tracemalloc "
                f"{format_value(traced, 'MB')}, RSS growth {format_value(grown, 'MB')}"
            )
        return Figure(NAME, name, pair.inputs, traced, "MB", detail="tracemalloc")
    _seconds, grown = rss_in_child(pair.drift)
    notes.append(
        f"compute_drift peak memory at {pair.size:,} is the RSS growth of a forked child: "
        "tracemalloc would slow that run about sevenfold"
    )
    return Figure(NAME, name, pair.inputs, grown, "MB", detail="RSS growth")


def _naive(pair: _Pair, drift_seconds: float) -> tuple[float, list[Figure]]:
    """Seconds of the naive comparison, and its time and memory figures."""
    bodies = list(zip(page_bodies(pair.baseline), page_bodies(pair.candidate), strict=True))

    def naive() -> None:
        for before, after in bodies:
            DeepDiff(json.loads(before), json.loads(after), ignore_order=True)

    # One run in a forked child gives time and memory together: the naive run is long.
    if can_fork():
        seconds, grown = rss_in_child(naive)
        how = "RSS growth"
    else:
        seconds, grown, how = timed(naive), traced_peak(naive), "tracemalloc"
    return seconds, [
        Figure(
            NAME,
            "naive DeepDiff time",
            pair.inputs,
            seconds,
            "s",
            detail=f"one run, {seconds / drift_seconds:.0f}x compute_drift",
        ),
        Figure(NAME, "naive DeepDiff peak memory", pair.inputs, grown, "MB", detail=how),
    ]
