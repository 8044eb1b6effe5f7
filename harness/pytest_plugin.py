"""pytest plugin: replay a harness recording inside any test suite, network blocked.

Installed with harness (entry point `pytest11`), it adds:

- the ini option `harness_recording` and the flag `--harness-recording DIR` (default `cassettes`);
- the session fixture `harness_replayer`, a `Replayer` over that recording;
- the `harness_step` argument: a test that takes it runs once per scenario step, in notebook
  order, with the step's slug as test id.

    def test_step_replays(harness_replayer, harness_step):
        harness_replayer.run_step(harness_step.slug)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cassettes import ACCEPTED_DIR, Recording, load_recording
from harness.errors import HarnessError
from harness.replay import Replayer
from harness.scenario import scenario


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("harness_recording", "recording directory harness_replayer replays",
                  default=str(ACCEPTED_DIR))
    parser.addoption("--harness-recording", metavar="DIR",
                     help="recording directory to replay (overrides the ini option)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "harness_step" in metafunc.fixturenames:
        metafunc.parametrize("harness_step", scenario.steps, ids=[s.slug for s in scenario.steps])


@pytest.fixture(scope="session")
def harness_recording(pytestconfig: pytest.Config) -> Recording:
    """The recording to replay, loaded and validated once per session."""
    chosen = pytestconfig.getoption("--harness-recording") or pytestconfig.getini("harness_recording")
    path = Path(chosen)
    if not path.is_absolute():
        path = pytestconfig.rootpath / path
    try:
        return load_recording(path)
    except HarnessError as exc:
        # A fixture's UsageError would fail every test that uses it; exiting names the cause once.
        pytest.exit(f"harness: {exc} ({exc.hint})", returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(scope="session")
def harness_replayer(harness_recording: Recording) -> Iterator[Replayer]:
    """A `Replayer` shared by the session: steps replay once, in order, whatever test asks first."""
    replayer = Replayer(harness_recording)
    yield replayer
    replayer.close()
