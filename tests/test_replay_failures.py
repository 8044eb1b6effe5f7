"""Replay fails precisely: a changed recording names the step, the cassette and what differs."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from harness import replay as replay_module
from harness.cassettes import ACCEPTED_DIR, load_recording
from harness.cli import cli
from harness.netguard import NetworkBlocked
from harness.replay import Replayer

ROOT = Path(__file__).resolve().parent.parent
RERECORD = "harness record --sandbox && harness accept"


def _edit(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text())
    change(data["interactions"])
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _replay(path: Path) -> Any:
    return CliRunner().invoke(cli, ["replay", str(path)])


def test_deleted_interaction_fails_its_step(copy: Path) -> None:
    """Removing the second trigger from its cassette makes that step fail, named, with exit 1."""
    cassette = copy / "07-trigger-incidents.yaml"
    _edit(cassette, lambda interactions: interactions.pop(1))
    result = _replay(copy)
    assert result.exit_code == 1
    assert f"FAILED step 7 trigger-incidents ({cassette}): POST http" in result.output
    assert "is not in the cassette; closest recorded: POST" in result.output
    assert "(differs in json body)" in result.output
    assert RERECORD in result.output


def test_unexpected_interaction_fails_as_unplayed(copy: Path) -> None:
    """An extra recorded interaction the scenario no longer makes fails the step: exit 1."""
    cassette = copy / "15-list-notes.yaml"
    _edit(cassette, lambda interactions: interactions.append(interactions[0]))
    result = _replay(copy)
    assert result.exit_code == 1
    assert "step 15 list-notes" in result.output
    assert "1 recorded interaction(s) were not replayed, first #2: GET" in result.output


def test_changed_request_names_the_closest_recorded_one(copy: Path) -> None:
    """A recorded body that no longer matches shows the closest request and the matcher that differs."""
    cassette = copy / "16-create-note.yaml"

    def reword(interactions: list[dict[str, Any]]) -> None:
        interactions[0]["request"]["body"] = json.dumps({"note": {"content": "Old Note"}})

    _edit(cassette, reword)
    result = _replay(copy)
    assert result.exit_code == 1
    assert "step 16 create-note" in result.output
    assert "is not in the cassette; closest recorded: POST" in result.output
    assert "(differs in json body)" in result.output


def test_changed_status_fails_the_notebook_assertion(copy: Path) -> None:
    """A note created with 200 instead of 201 fails the step with both codes named."""
    cassette = copy / "16-create-note.yaml"

    def to_200(interactions: list[dict[str, Any]]) -> None:
        interactions[0]["response"]["status"]["code"] = 200

    _edit(cassette, to_200)
    result = _replay(copy)
    assert result.exit_code == 1
    assert "answered 200, the step expects 201" in result.output


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda d: (d / "09-list-incidents.yaml").write_text("interactions:\n- request: {uri: [\n"),
            "09-list-incidents.yaml: invalid YAML at line",
        ),
        (lambda d: (d / "09-list-incidents.yaml").unlink(), "09-list-incidents.yaml: file is missing"),
        (
            lambda d: (d / "09-list-incidents.yaml").write_bytes(b"\x00\xff\xfe binary"),
            "09-list-incidents.yaml: not UTF-8 text",
        ),
        (
            lambda d: (d / "09-list-incidents.yaml").write_text("- just a list\n"),
            "09-list-incidents.yaml: not a vcrpy cassette",
        ),
        (
            lambda d: (d / "manifest.json").write_text(
                (d / "manifest.json").read_text().replace('"format_version": 1', '"format_version": 7')
            ),
            "manifest format version 7 is not supported",
        ),
        (lambda d: (d / "manifest.json").write_text("{"), "manifest.json: invalid JSON at line 1"),
    ],
)
def test_damaged_input_is_exit_2_with_one_line_cause(copy: Path, damage: Any, message: str) -> None:
    """Truncated, missing, binary or wrong-version files: exit 2, the cause, no traceback."""
    damage(copy)
    result = _replay(copy)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("error:")]) == 1


def test_network_is_blocked_while_a_step_replays(monkeypatch: pytest.MonkeyPatch) -> None:
    """A connection attempted during a replayed step is refused and counted; nothing reaches the listener."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    real_execute = replay_module.execute
    attempts: list[type[BaseException]] = []

    def execute_and_phone_home(*args: Any, **kwargs: Any) -> Any:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except NetworkBlocked as exc:
            attempts.append(type(exc))
        return real_execute(*args, **kwargs)

    monkeypatch.setattr(replay_module, "execute", execute_and_phone_home)
    replayer = Replayer(load_recording(ROOT / ACCEPTED_DIR))
    try:
        replayer.run_step("sweep-leftover-service")
    finally:
        replayer.close()
    assert attempts == [NetworkBlocked]
    assert replayer.connections_refused == 1
    with pytest.raises(TimeoutError):
        listener.accept()
    listener.close()


def test_whole_replay_makes_no_connection() -> None:
    """Replaying every step of the accepted recording refuses zero connections: none were tried."""
    replayer = Replayer(load_recording(ROOT / ACCEPTED_DIR))
    try:
        replayer.run_step("delete-test-user")
    finally:
        replayer.close()
    assert len(replayer.results) == 29
    assert replayer.connections_refused == 0
