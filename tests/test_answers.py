"""An answer that lacks a field the scenario needs is drift; anything else a step raises is a bug."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from harness.cassettes import ACCEPTED_DIR, load_recording
from harness.cli import cli
from harness.errors import AnswerLacksField
from harness.lookups import dig
from harness.replay import Replayer
from harness.scenario import scenario
from harness.steps import Run

ROOT = Path(__file__).resolve().parent.parent


def _edit_body(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text())
    body = data["interactions"][0]["response"]["body"]
    parsed = json.loads(body["string"])
    change(parsed)
    body["string"] = json.dumps(parsed)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("service", "id"), "create the service: PagerDuty's answer lacks service.id"),
        (("incidents", 0, "id"), "create the service: PagerDuty's answer lacks incidents"),
        (("incidents", 3), "create the service: PagerDuty's answer lacks incidents"),
    ],
)
def test_dig_names_the_first_missing_part(path: tuple[str | int, ...], expected: str) -> None:
    """`dig` raises AnswerLacksField naming the path up to the first part that is missing."""
    with pytest.raises(AnswerLacksField) as caught:
        dig({"service": {"name": "x"}}, *path, what="create the service")
    assert str(caught.value) == expected
    assert caught.value.hint == "the API may have changed: compare with `harness drift`"


def test_dig_returns_the_value_at_the_path() -> None:
    """A present path gives its value, list indexes included."""
    assert dig({"incidents": [{"id": "Q1"}, {"id": "Q2"}]}, "incidents", 1, "id", what="x") == "Q2"


def test_an_answer_without_the_created_id_fails_replay_naming_the_field(copy: Path) -> None:
    """A create-service answer without `service.id` fails that step, saying which field is missing."""
    _edit_body(copy / "05-create-service.yaml", lambda body: body["service"].pop("id"))
    result = CliRunner().invoke(cli, ["replay", str(copy)])
    assert result.exit_code == 1
    assert (
        "FAILED step 5 create-service" in result.output
        and "create the service: PagerDuty's answer lacks service.id" in result.output
    )


def test_a_step_bug_is_a_traceback_not_a_replay_mismatch(monkeypatch: pytest.MonkeyPatch) -> None:
    """A KeyError raised by a step's own code propagates: it is a bug, not PagerDuty's drift."""

    def broken(pd: object, run: Run) -> None:
        raise KeyError("typo_in_the_scenario")

    # Steps are frozen records; the test swaps the action under them for this one replay.
    monkeypatch.setitem(scenario.get("list-incidents").__dict__, "action", broken)
    replayer = Replayer(load_recording(ROOT / ACCEPTED_DIR))
    try:
        with pytest.raises(KeyError, match="typo_in_the_scenario"):
            replayer.run_step("list-incidents")
    finally:
        replayer.close()
