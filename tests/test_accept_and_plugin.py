"""`harness accept` promotes a recording atomically; the pytest plugin replays any recording."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["pytester"]


def _tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_accept_replaces_the_accepted_recording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fresh recording's files replace the old recording's in cassettes/; the team's files stay."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "cassettes", tmp_path / "recordings" / "latest")
    old = tmp_path / "cassettes"
    shutil.copytree(ROOT / "cassettes", old)
    manifest = json.loads((old / "manifest.json").read_text(encoding="utf-8"))
    manifest["steps"].append(
        {**manifest["steps"][-1], "number": 30, "slug": "gone", "cassette": "30-gone.yaml"}
    )
    (old / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (old / "30-gone.yaml").write_text("interactions: []\nversion: 1\n")
    (old / "README.md").write_text("How our team re-records.\n")
    result = CliRunner().invoke(cli, ["accept"])
    assert result.exit_code == 0, result.output
    assert result.output == "accepted recordings/latest (29 steps) as cassettes/\n"
    assert _tree(old) == {**_tree(ROOT / "cassettes"), "README.md": b"How our team re-records.\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cassettes", "recordings"]


def test_accept_refuses_a_damaged_recording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh recording with a truncated cassette is refused with exit 2; cassettes/ is untouched."""
    monkeypatch.chdir(tmp_path)
    fresh = tmp_path / "fresh"
    shutil.copytree(ROOT / "cassettes", fresh)
    (fresh / "12-get-incident.yaml").write_text("interactions:\n- request: {method: [\n")
    shutil.copytree(ROOT / "cassettes", tmp_path / "cassettes")
    before = _tree(tmp_path / "cassettes")
    result = CliRunner().invoke(cli, ["accept", str(fresh)])
    assert result.exit_code == 2
    assert "12-get-incident.yaml: invalid YAML at line" in result.output
    assert _tree(tmp_path / "cassettes") == before


def test_plugin_replays_a_recording_given_on_the_command_line(pytester: pytest.Pytester) -> None:
    """A user's suite with `harness_step` gets one passing test per step, ids in notebook order."""
    pytester.makepyfile(
        test_mine="""
        def test_pagerduty_step(harness_replayer, harness_step):
            result = harness_replayer.run_step(harness_step.slug)
            assert result.last.status_code == harness_step.expected_status(result.last.request.method)
    """
    )
    result = pytester.runpytest("-v", f"--harness-recording={ROOT / 'cassettes'}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=29)
    result.stdout.re_match_lines(
        [
            r".*test_pagerduty_step\[sweep-leftover-service\] PASSED.*",
            r".*test_pagerduty_step\[create-note\] PASSED.*",
            r".*test_pagerduty_step\[delete-test-user\] PASSED.*",
        ]
    )


def test_plugin_reports_a_missing_recording_as_usage_error(pytester: pytest.Pytester) -> None:
    """Pointing the plugin at no recording stops the run with the cause, not 29 errors."""
    pytester.makepyfile(
        test_mine="""
        def test_step(harness_replayer, harness_step):
            pass
    """
    )
    result = pytester.runpytest(f"--harness-recording={pytester.path / 'none'}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["*harness: *none: no recording directory there*"])
