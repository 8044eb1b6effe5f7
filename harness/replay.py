"""Offline replay: the scenario's own code, answered by a recording through vcrpy, network blocked.

Strict both ways: a request the step's cassette does not hold fails the step, and so does an
interaction the step leaves unplayed.  Polls replay their recorded answers in order, without
sleeping.  Each failure names the step, the cassette, the request, the closest recorded request
and how it differs, and the command that re-records.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import vcr
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.request import Request
from vcr.serializers import compat

from harness.cassettes import MANIFEST_NAME, Recording, StepCassette
from harness.client import Client, RetryPolicy
from harness.errors import InputError, ReplayMismatch, StepFailed
from harness.inputs import parse_json
from harness.netguard import network_blocked
from harness.progress import Progress
from harness.scenario_ref import NOTEBOOK, load_scenario
from harness.steps import Scenario, Step, StepResult, execute

MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "json_body")


def json_body(r1: Request, r2: Request) -> None:
    """vcrpy matcher: bodies equal as JSON (recordings store bodies re-indented), else as bytes."""
    if _parsed(_bytes(r1.body)) != _parsed(_bytes(r2.body)):
        raise AssertionError("the request bodies differ")


@lru_cache(maxsize=1024)
def _parsed(body: bytes) -> Any:
    # Bounded: a hand-edited body nested 200,000 deep or holding 1e400 is an InputError, not a crash.
    try:
        return parse_json(body) if body else None
    except ValueError:
        return body


def _bytes(body: Any) -> bytes:
    if body is None:
        return b""
    return body if isinstance(body, bytes) else str(body).encode()


class RecordingPersister:
    """Serves the cassettes of an already loaded and validated recording to vcrpy."""

    def __init__(self, recording: Recording) -> None:
        self.by_name = {step.entry.cassette: step for step in recording.steps}

    def load_cassette(self, cassette_path: str, serializer: object) -> tuple[list[Any], list[Any]]:
        step = self.by_name.get(Path(cassette_path).name)
        if step is None:
            raise CassetteNotFoundError()
        for index, interaction in enumerate(step.interactions, start=1):
            _check_body(interaction["request"].get("body"), step, index, "request")
            _check_body(interaction["response"]["body"].get("string"), step, index, "response")
        requests = [Request._from_dict(i["request"]) for i in step.interactions]
        responses = [compat.convert_to_bytes(i["response"]) for i in step.interactions]
        return requests, responses

    def save_cassette(self, cassette_path: str, cassette_dict: object, serializer: object) -> None:
        raise AssertionError("replay never writes a cassette")


def _check_body(body: Any, step: StepCassette, index: int, which: str) -> None:
    """Refuse a recorded body the client or the matcher could not parse without crashing."""
    if isinstance(body, (str, bytes)) and body:
        with contextlib.suppress(ValueError):  # a body that is not JSON is replayed as text
            parse_json(body, where=f"{step.path}: interaction {index} {which} body")


@dataclass(frozen=True)
class ReplayReport:
    """Every step replayed, in order, up to the first failure."""

    results: tuple[StepResult, ...]
    failure: ReplayMismatch | None


class Replayer:
    """Replays a recording step by step; earlier steps run first, since later ones need their ids."""

    def __init__(
        self, recording: Recording, *, progress: Progress | None = None, scenario: Scenario[Any] | None = None
    ) -> None:
        """Replay `recording` with `scenario`, by default the one its manifest names."""
        manifest = recording.manifest
        reference = manifest.scenario or NOTEBOOK
        self.scenario = (
            scenario
            if scenario is not None
            else load_scenario(reference, named_by=f"{recording.path / MANIFEST_NAME}: scenario")
        )
        self.progress = progress
        self.recording = recording
        self.own_scenario = reference != NOTEBOOK
        chosen = "" if reference == NOTEBOOK else f" --scenario {reference}"
        self.rerecord = (
            f"harness record --sandbox{chosen} && harness accept"
            if manifest.sandbox
            else f"harness record --subdomain <your-subdomain>{chosen} && harness accept"
        )
        self._check_steps()
        self.client = Client(
            api_url=manifest.api_url,
            events_url=manifest.events_url,
            token="replay",
            from_email=manifest.placeholders.get("from_email", ""),
            retry=RetryPolicy(attempts=1),
            sleep=lambda seconds: None,
        )
        self.run = self.scenario.new_run(
            test_user_email=manifest.placeholders.get("test_user_email", ""), poll_timeout=float("inf")
        )
        self.vcr = vcr.VCR(record_mode="none", match_on=MATCH_ON)
        self.vcr.register_matcher("json_body", json_body)
        self.vcr.register_persister(RecordingPersister(recording))
        self.results: dict[str, StepResult] = {}
        self.connections_refused = 0

    def close(self) -> None:
        self.client.close()

    def run_step(self, slug: str) -> StepResult:
        """Replay step `slug`, after every earlier step that has not been replayed yet."""
        target = self.scenario.get(slug)
        for step in self.scenario.steps[: target.number]:
            if step.slug not in self.results:
                self.results[step.slug] = self._play(step, self.recording.step(step.slug))
        return self.results[slug]

    def _play(self, step: Step, cassette: StepCassette) -> StepResult:
        with self._guarded(), self.vcr.use_cassette(step.cassette, allow_playback_repeats=False) as played:
            try:
                result = execute(step, self.client, self.run, progress=self.progress)
            except CannotOverwriteExistingCassetteException as exc:
                raise self._unmatched(step, cassette, exc) from None
            except InputError as exc:  # a recorded body the matcher cannot parse safely
                raise InputError(f"{cassette.path}: {exc}", hint=exc.hint) from None
            except StepFailed as exc:
                raise self._mismatch(
                    step,
                    cassette,
                    f"the recorded answers do not let the step complete ({type(exc).__name__}: {exc})",
                ) from None
            unplayed = [i for i, _ in enumerate(played.data) if not played.play_counts[i]]
            if unplayed:
                first = cassette.interactions[unplayed[0]]["request"]
                raise self._mismatch(
                    step,
                    cassette,
                    f"{len(unplayed)} recorded interaction(s) were "
                    f"not replayed, first #{unplayed[0] + 1}: "
                    f"{first['method']} {first['uri']}",
                )
        for response in result.responses:
            wanted = step.expected_status(str(response.request.method))
            if response.status_code != wanted:
                raise self._mismatch(
                    step,
                    cassette,
                    f"{response.request.method} "
                    f"{response.request.path_url} answered {response.status_code}, "
                    f"the step expects {wanted}",
                )
        return result

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        with network_blocked() as guard:
            before = guard.attempts
            try:
                yield
            finally:
                self.connections_refused += guard.attempts - before

    def _unmatched(
        self, step: Step, cassette: StepCassette, exc: CannotOverwriteExistingCassetteException
    ) -> ReplayMismatch:
        request = exc.failed_request
        detail = f"{request.method} {request.uri} is not in the cassette"
        if exc.reason == "already_played":
            detail = f"{request.method} {request.uri} was made more often than recorded"
        similar = exc.similar_requests
        if similar:
            stored, _ok, failed = similar[0]
            how = ", ".join(name.replace("_", " ") for name, _message in failed) or "nothing"
            detail += f"; closest recorded: {stored.method} {stored.uri} (differs in {how})"
            if self.own_scenario and any(name == "json_body" for name, _message in failed):
                # The usual cause in a new scenario: scrubbing replaced a name it sends.
                detail += (
                    "; if the bodies differ in a name the scenario gives its resources, "
                    "list it in Scenario(public_names=...) and re-record"
                )
        return self._mismatch(step, cassette, detail)

    def _mismatch(self, step: Step, cassette: StepCassette, detail: str) -> ReplayMismatch:
        return ReplayMismatch(
            f"step {step.number} {step.slug} ({cassette.path}): {detail}",
            hint=f"if the scenario changed on purpose, re-record: {self.rerecord}",
        )

    def _check_steps(self) -> None:
        recorded = [s.entry.slug for s in self.recording.steps]
        expected = [s.slug for s in self.scenario.steps]
        if recorded != expected:
            missing = [s for s in expected if s not in recorded]
            extra = [s for s in recorded if s not in expected]
            raise ReplayMismatch(
                f"{self.recording.path}: the recording's steps are not the scenario's "
                f"(missing: {', '.join(missing) or 'none'}; not in the scenario: "
                f"{', '.join(extra) or 'none'}; or out of order)",
                hint=f"re-record: {self.rerecord}",
            )


def replay_recording(
    *, recording: Recording, progress: Progress | None = None, scenario: Scenario[Any] | None = None
) -> ReplayReport:
    """Replay every step of `recording` in order, stopping at the first that does not replay.

    `scenario` defaults to the one the recording's manifest names (the notebook's if none).
    """
    replayer = Replayer(recording, progress=progress, scenario=scenario)
    results: list[StepResult] = []
    try:
        for step in replayer.scenario.steps:
            if progress is not None:
                progress.step_started(step)
            try:
                result = replayer.run_step(step.slug)
            except ReplayMismatch as failure:
                return ReplayReport(results=tuple(results), failure=failure)
            results.append(result)
            if progress is not None:
                progress.step_finished(result)
    finally:
        replayer.close()
    return ReplayReport(results=tuple(results), failure=None)
