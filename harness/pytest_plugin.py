"""pytest plugin: replay a harness recording inside any test suite, network blocked.

Installed with harness (entry point `pytest11`), it adds:

- the ini option `harness_recording` and the flag `--harness-recording DIR` (default `cassettes`);
- the ini option `harness_scenario` and the flag `--harness-scenario MODULE:ATTRIBUTE` (default:
  the scenario the recording's manifest names, the notebook's for older recordings);
- the session fixture `harness_replayer`, a `Replayer` over that recording;
- the `harness_step` argument: a test that takes it runs once per scenario step, in the
  scenario's order, with the step's slug as test id.

    def test_step_replays(harness_replayer, harness_step):
        harness_replayer.run_step(harness_step.slug)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from harness.cassettes import (
    ACCEPTED_DIR,
    MANIFEST_NAME,
    NOTEBOOK,
    Recording,
    load_manifest,
    load_recording,
)
from harness.errors import HarnessError
from harness.replay import Replayer
from harness.scenario_ref import load_scenario
from harness.steps import Scenario


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "harness_recording", "recording directory harness_replayer replays", default=str(ACCEPTED_DIR)
    )
    parser.addoption(
        "--harness-recording", metavar="DIR", help="recording directory to replay (overrides the ini option)"
    )
    parser.addini(
        "harness_scenario",
        "the scenario (MODULE:ATTRIBUTE) the recording replays with (default: the one its manifest names)",
        default="",
    )
    parser.addoption(
        "--harness-scenario",
        metavar="MODULE:ATTRIBUTE",
        help="the scenario to replay with (overrides the ini option)",
    )


def _recording_path(config: pytest.Config) -> Path:
    chosen = config.getoption("--harness-recording") or config.getini("harness_recording")
    path = Path(chosen)
    return path if path.is_absolute() else config.rootpath / path


def _scenario(config: pytest.Config) -> Scenario[Any]:
    """The scenario named by option or ini, else by the recording's manifest; or a HarnessError."""
    reference = config.getoption("--harness-scenario") or config.getini("harness_scenario")
    if reference:
        return load_scenario(reference, named_by="harness_scenario")
    path = _recording_path(config)
    return load_scenario(
        load_manifest(path).scenario or NOTEBOOK, named_by=f"{path / MANIFEST_NAME}: scenario"
    )


def _stop(exc: HarnessError) -> NoReturn:
    # A fixture's UsageError would fail every test that uses it; exiting names the cause once.
    pytest.exit(f"harness: {exc} ({exc.hint})", returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "harness_step" in metafunc.fixturenames:
        try:
            steps = _scenario(metafunc.config).steps
        except HarnessError:
            # Exiting while collecting is a collection error per test file; the tests are made
            # from the notebook's steps instead, and `harness_replayer` exits once with the cause.
            steps = load_scenario(NOTEBOOK).steps
        metafunc.parametrize("harness_step", steps, ids=[s.slug for s in steps])


@pytest.fixture(scope="session")
def harness_recording(pytestconfig: pytest.Config) -> Recording:
    """The recording to replay, loaded and validated once per session."""
    try:
        return load_recording(_recording_path(pytestconfig))
    except HarnessError as exc:
        _stop(exc)


@pytest.fixture(scope="session")
def harness_replayer(pytestconfig: pytest.Config, harness_recording: Recording) -> Iterator[Replayer]:
    """A `Replayer` shared by the session: steps replay once, in order, whatever test asks first."""
    try:
        replayer = Replayer(harness_recording, scenario=_scenario(pytestconfig))
    except HarnessError as exc:  # the scenario cannot be imported, or its steps are not recorded
        _stop(exc)
    yield replayer
    replayer.close()
