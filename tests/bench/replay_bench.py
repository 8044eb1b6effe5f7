"""Replay of the accepted recording, against the floor of bare vcrpy playing the same cassettes.

The floor is what replay cannot avoid: vcrpy loading each step's YAML and answering the
recorded requests, sent in order by a plain `requests.Session`, with no harness logic (no
scenario code, no body matcher, no network guard, no status checks).  vcrpy loads YAML inside
`use_cassette`, so the harness's fair counterpart is load plus replay; replay of an already
loaded recording is shown too.
"""

from __future__ import annotations

from pathlib import Path

import requests
import vcr
from figures import BenchResult, Figure, Target, Timing, timed
from profiling import top_costs
from vcr.serializers import yamlserializer

from harness.cassettes import Recording, YamlDumper, YamlLoader, load_recording
from harness.errors import ReplayMismatch
from harness.replay import replay_recording

NAME = "replay"
CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
FLOOR_MATCH_ON = ["method", "scheme", "host", "port", "path", "query"]
MAX_RATIO = 1.5
MAX_SECONDS = 1.0

Plan = list[tuple[str, list[tuple[str, str, str | None]]]]


def run(*, quick: bool) -> BenchResult:
    """Time harness replay and the floor, interleaved, and compare medians."""
    repetitions = 3 if quick else 20
    recording = load_recording(CASSETTES)
    plan = _floor_plan()
    requests_count = sum(len(sent) for _path, sent in plan)
    _load_and_replay()
    _floor(plan)
    loaded, total, floor = [], [], []
    for _ in range(repetitions):
        loaded.append(timed(lambda: _replay_loaded(recording)))
        total.append(timed(_load_and_replay))
        floor.append(timed(lambda: _floor(plan)))
    harness, with_load, bare = Timing(tuple(loaded)), Timing(tuple(total)), Timing(tuple(floor))
    inputs = f"cassettes/: {len(plan)} steps, {requests_count} requests"
    figures = (
        Figure(
            NAME,
            "harness replay (loaded recording)",
            inputs,
            harness.median,
            "s",
            Target(MAX_SECONDS),
            harness.describe(),
        ),
        Figure(
            NAME,
            "harness load + replay",
            inputs,
            with_load.median,
            "s",
            Target(MAX_SECONDS),
            with_load.describe(),
        ),
        Figure(NAME, "floor: bare vcrpy + requests", inputs, bare.median, "s", detail=bare.describe()),
        Figure(
            NAME, "load + replay / floor", "medians", with_load.median / bare.median, "x", Target(MAX_RATIO)
        ),
        Figure(NAME, "replay / floor", "medians", harness.median / bare.median, "x", Target(MAX_RATIO)),
    )
    notes = (
        f"YAML: harness loads with {YamlLoader.__name__} and dumps with {YamlDumper.__name__}; "
        f"vcrpy's loader derives from {_vcr_loader()}",
        "the floor's vcrpy loads each cassette's YAML, so load + replay / floor compares like with like",
        f"each of {repetitions} rounds times harness replay, harness load + replay, then the floor",
    )
    result = BenchResult(figures, notes)
    if result.missed:
        profile = top_costs(_load_and_replay, repeat=5)
        result = BenchResult(figures, notes, ("harness load + replay, top costs:", *profile))
    return result


def _load_and_replay() -> None:
    _replay_loaded(load_recording(CASSETTES))


def _replay_loaded(recording: Recording) -> None:
    report = replay_recording(recording=recording)
    if report.failure is not None:
        raise report.failure


def _floor_plan() -> Plan:
    """Each step cassette's path and its recorded requests, read once, outside the timing."""
    recording = load_recording(CASSETTES)
    return [
        (
            str(step.path),
            [(i["request"]["method"], i["request"]["uri"], i["request"]["body"]) for i in step.interactions],
        )
        for step in recording.steps
    ]


def _floor(plan: Plan) -> None:
    with requests.Session() as session:
        for path, sent in plan:
            with vcr.use_cassette(path, record_mode="none", match_on=FLOOR_MATCH_ON) as cassette:
                for method, uri, body in sent:
                    session.request(method, uri, data=body)
            if not cassette.all_played:
                raise ReplayMismatch(f"{path}: the floor left interactions unplayed")


def _vcr_loader() -> str:
    # vcrpy picks libyaml's loader when PyYAML has it; its serializer module names the choice.
    base = getattr(yamlserializer, "_BaseLoader", None)
    return base.__name__ if base is not None else "an unknown loader"
