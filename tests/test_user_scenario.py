"""Scenarios of one's own: the public API, `--scenario`, the manifest, cleanup, drift and the plugin."""

from __future__ import annotations

import json
import shutil
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness import AnswerLacksField, Needed, Run, Scenario, StepFailed, dig
from harness.cassettes import load_recording
from harness.cli import cli
from harness.drift import compute_drift
from harness.errors import ConfigError
from harness.recorder import record_scenario
from harness.sandbox import Sandbox
from harness.scenario_ref import load_scenario
from harness.settings import build_settings

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "examples.oncall:scenario"
EXAMPLE_CASSETTES = ROOT / "examples" / "cassettes"
EXAMPLE_STEPS = [
    "sweep-leftovers",
    "create-responder",
    "create-team",
    "create-schedule",
    "create-escalation-policy",
    "create-service",
    "find-who-is-on-call",
    "page-the-person-on-call",
    "wait-for-the-incident",
    "resolve-the-incident",
    "delete-everything",
]

# A step that registers one of each kind and a callable, then fails: cleanup must undo them all.
FAILING = '''
from harness import Client, Run, Scenario, StepFailed, expect_success

scenario = Scenario(public_names=["Doomed User", "Doomed Team", "Doomed Rota", "Doomed Policy"])
UNDONE = []


@scenario.step()
def make_everything(pd: Client, run: Run) -> None:
    """Create a user, a team, a schedule and a policy on it, and register a callable."""
    user = expect_success(pd.post("/users", {"user": {"type": "user", "name": "Doomed User",
                                                       "email": run.test_user_email}}), "user")
    run.ledger.add("user", user["user"]["id"])
    team = expect_success(pd.post("/teams", {"team": {"type": "team", "name": "Doomed Team"}}), "team")
    run.ledger.add("team", team["team"]["id"])
    layer = {"start": "2024-01-01T00:00:00Z", "rotation_virtual_start": "2024-01-01T00:00:00Z",
             "rotation_turn_length_seconds": 86400,
             "users": [{"user": {"id": user["user"]["id"], "type": "user_reference"}}]}
    schedule = expect_success(pd.post("/schedules", {"schedule": {
        "type": "schedule", "name": "Doomed Rota", "time_zone": "Etc/UTC",
        "schedule_layers": [layer]}}), "schedule")
    run.ledger.add("schedule", schedule["schedule"]["id"])
    policy = expect_success(pd.post("/escalation_policies", {"escalation_policy": {
        "type": "escalation_policy", "name": "Doomed Policy", "escalation_rules": [{
            "escalation_delay_in_minutes": 5,
            "targets": [{"id": schedule["schedule"]["id"], "type": "schedule_reference"}]}]}}),
        "policy")
    run.ledger.add("escalation_policy", policy["escalation_policy"]["id"])
    run.ledger.add_cleanup("the doomed marker", lambda: UNDONE.append("marker"))


@scenario.step()
def fail_here(pd: Client, run: Run) -> None:
    """Fail, as a step does when PagerDuty answers unexpectedly."""
    {failure}
'''


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with HOME and TMPDIR inside it, the examples importable."""
    for name in ("HOME", "TMPDIR"):
        (tmp_path / name).mkdir()
        monkeypatch.setenv(name, str(tmp_path / name))
    # tempfile reads TMPDIR once per process: the saved tracebacks must land in this test's.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "TMPDIR"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    return tmp_path


def _module(home: Path, name: str, text: str, monkeypatch: pytest.MonkeyPatch) -> str:
    (home / f"{name}.py").write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(home))
    monkeypatch.delitem(__import__("sys").modules, name, raising=False)
    return f"{name}:scenario"


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_steps_lists_a_scenario_of_ones_own(home: Path) -> None:
    """`harness steps --scenario` lists the example's steps, in order, with their sentences."""
    result = _invoke("steps", "--scenario", EXAMPLE)
    assert result.exit_code == 0
    assert [line.split()[1] for line in result.output.splitlines()] == EXAMPLE_STEPS
    assert result.output.splitlines()[6] == (
        " 7  find-who-is-on-call                Ask PagerDuty who the rota has on call right now."
    )


def test_the_example_replays_offline_finding_its_scenario_in_the_manifest(home: Path) -> None:
    """`harness replay examples/cassettes` needs no --scenario: the manifest names it."""
    assert json.loads((EXAMPLE_CASSETTES / "manifest.json").read_text())["scenario"] == EXAMPLE
    result = _invoke("replay", str(EXAMPLE_CASSETTES), "-q")
    assert result.exit_code == 0, result.output
    assert "11 steps, 21 requests in" in result.output


def test_the_examples_cassettes_pass_audit(home: Path) -> None:
    """The example's recording holds no secret."""
    result = _invoke("audit", str(EXAMPLE_CASSETTES))
    assert (result.exit_code, result.output.strip()) == (0, "0 findings in 12 files")


def test_replay_with_another_scenario_names_the_mismatch(home: Path) -> None:
    """--scenario overrides the manifest; the notebook cannot replay the example's steps."""
    result = _invoke("replay", str(EXAMPLE_CASSETTES), "--scenario", "harness.scenario:scenario")
    assert result.exit_code == 1
    assert "the recording's steps are not the scenario's" in result.output
    assert "not in the scenario: sweep-leftovers, create-responder" in result.output


def test_the_example_records_on_the_sandbox_replays_and_drifts_by_nothing(home: Path) -> None:
    """Two recordings of the example (busy accounts, random seeds) replay and show no drift."""
    for out in ("first", "second"):
        result = _invoke("record", "--sandbox", "--scenario", EXAMPLE, "--out", out, "-q")
        assert result.exit_code == 0, result.output
        assert result.output.endswith(f"11 steps, 21 requests in {result.output.split(' in ')[1]}")
    manifest = json.loads((home / "first" / "manifest.json").read_text())
    assert manifest["scenario"] == EXAMPLE
    assert sorted(manifest["owned"]) == [
        "escalation_policy",
        "incident",
        "schedule",
        "service",
        "team",
        "user",
    ]
    assert _invoke("replay", "first", "-q").exit_code == 0
    for baseline in ("first", str(EXAMPLE_CASSETTES)):
        drift = _invoke("drift", baseline, "second")
        assert (drift.exit_code, drift.output.splitlines()[-1]) == (0, "No drift.")


def test_drift_reports_a_change_in_the_sandboxs_answer(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sandbox whose on-calls lose `escalation_level` is breaking drift at that field."""
    from harness.sandbox import oncalls

    original = oncalls._render

    def without_level(*args: Any) -> dict[str, Any]:
        rendered = original(*args)
        del rendered["escalation_level"]
        return rendered

    monkeypatch.setattr(oncalls, "_render", without_level)
    with Sandbox() as sb:
        settings = build_settings(
            subdomain=sb.subdomain,
            token=sb.token,
            from_email=sb.owner_email,
            region="us",
            api_url=sb.api_url,
            events_url=sb.events_url,
            out=home / "changed",
            poll_timeout=10,
            sandbox=True,
        )
        record_scenario(settings=settings, scenario=EXAMPLE)
    report = compute_drift(
        baseline=load_recording(EXAMPLE_CASSETTES), candidate=load_recording(home / "changed")
    )
    assert [(c.step, c.location, c.kind, c.severity.name.lower()) for c in report.changes] == [
        ("find-who-is-on-call", "response.body.oncalls[].escalation_level", "field-removed", "breaking")
    ]


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        ('raise StepFailed("boom", hint="look")', "boom"),
        # A bug in the step's own code is named with its line, not reported as a harness crash.
        ('raise KeyError("typo")', "the scenario's code raised KeyError: 'typo' at {module}.py:{line}"),
    ],
)
def test_a_failing_step_cleans_up_everything_it_registered(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
    said: str,
) -> None:
    """Whatever a step raises, the ledger's kinds and callables are undone; nothing is written."""
    module = f"failing_{len(failure)}"
    text = FAILING.replace("{failure}", failure)
    reference = _module(home, module, text, monkeypatch)
    with Sandbox(account="empty", incident_delay=0) as sb:
        settings = build_settings(
            subdomain=sb.subdomain,
            token=sb.token,
            from_email=sb.owner_email,
            region="us",
            api_url=sb.api_url,
            events_url=sb.events_url,
            out=home / "out",
            poll_timeout=10,
            sandbox=True,
        )
        with pytest.raises(StepFailed) as raised:
            record_scenario(settings=settings, scenario=reference)
        left = sb.account.snapshot()
    assert (list(left.users), left.teams, left.schedules, left.escalation_policies) == (
        [sb.account.owner_id],
        {},
        {},
        {},
    )
    assert load_scenario(reference).steps[0].action.__globals__["UNDONE"] == ["marker"]
    assert not (home / "out").exists()
    line = textwrap.dedent(text).splitlines().index(f"    {failure}") + 1
    assert str(raised.value) == (
        f"step fail-here failed: {said.format(module=module, line=line)}; "
        "cleanup done, nothing left in the account; the previous recording "
        "was left untouched"
    )


def test_a_bug_in_a_step_keeps_its_traceback_for_the_user(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CLI says where the step's code failed and where its traceback was saved: exit 1."""
    reference = _module(home, "buggy", FAILING.replace("{failure}", 'raise KeyError("typo")'), monkeypatch)
    result = _invoke("record", "--sandbox", "--account", "empty", "--scenario", reference, "--out", "out")
    assert result.exit_code == 1
    error, hint = result.output.splitlines()[-2:]
    assert error.startswith(
        "error: step fail-here failed: the scenario's code raised KeyError: 'typo' at buggy.py:"
    )
    saved = Path(hint.removeprefix("next: fix the step; its traceback is in ").split(",")[0])
    assert saved.parent == home / "TMPDIR" and 'raise KeyError("typo")' in saved.read_text()


def test_what_a_successful_run_left_in_the_ledger_is_deleted(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A scenario that registers but never deletes still leaves the account as it found it."""
    reference = _module(home, "forgetful", FAILING.replace("{failure}", "pass"), monkeypatch)
    with Sandbox(account="empty", incident_delay=0) as sb:
        settings = build_settings(
            subdomain=sb.subdomain,
            token=sb.token,
            from_email=sb.owner_email,
            region="us",
            api_url=sb.api_url,
            events_url=sb.events_url,
            out=home / "out",
            poll_timeout=10,
            sandbox=True,
        )
        result = record_scenario(settings=settings, scenario=reference)
        left = sb.account.snapshot()
    assert (list(left.users), left.teams, left.schedules, left.escalation_policies) == (
        [sb.account.owner_id],
        {},
        {},
        {},
    )
    assert load_scenario(reference).steps[0].action.__globals__["UNDONE"] == ["marker"]
    # The cleanup is off the record: the cassettes hold only the steps' own requests.
    assert [len(r.responses) for r in result.results] == [4, 0]
    assert sorted(result.manifest.owned or {}) == ["escalation_policy", "schedule", "team", "user"]


def test_a_failing_step_is_exit_1_with_error_and_next(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From the CLI, a user's failing step is exit 1 naming the step, after cleanup."""
    failure = 'raise StepFailed("boom", hint="look")'
    reference = _module(home, "failing_cli", FAILING.replace("{failure}", failure), monkeypatch)
    result = _invoke("record", "--sandbox", "--account", "empty", "--scenario", reference, "--out", "out")
    assert result.exit_code == 1
    assert (
        "error: step fail-here failed: boom; cleanup done, nothing left in the account; the "
        "previous recording was left untouched\nnext: look\n"
    ) in result.output


def test_a_cleanup_that_fails_is_named_among_the_leftovers() -> None:
    """A callable that raises or answers an error stays in the ledger and is named."""
    from harness.ledger import Ledger, cleanup
    from harness.tape import Tape

    class Offline:
        tape = Tape()

    ledger = Ledger()
    ledger.add_cleanup("webhook W1", lambda: 1 / 0)
    ledger.add_cleanup("tag T1", lambda: None)
    assert cleanup(Offline(), ledger) == ["webhook W1"]  # type: ignore[arg-type]


def test_an_unknown_ledger_kind_stops_the_run_clearly() -> None:
    """`run.ledger.add` with a kind it cannot delete says which kinds it knows and what to use."""
    run = Run(test_user_email="a@example.com", poll_timeout=1)
    with pytest.raises(StepFailed) as raised:
        run.ledger.add("webhook", "W1")
    assert str(raised.value) == (
        "run.ledger.add: unknown kind 'webhook' (known: service, escalation_policy, schedule, team, user)"
    )
    assert raised.value.hint == "register its cleanup as a callable: run.ledger.add_cleanup(what, undo)"


def test_state_is_shared_and_typed_names_read_it() -> None:
    """A `Needed` name reads and writes `run.state`; read early it is a StepFailed naming it."""

    class OnCallRun(Run):
        schedule_id = Needed[str]()

    scenario = Scenario(run_type=OnCallRun)
    run = scenario.new_run(test_user_email="a@example.com", poll_timeout=1)
    with pytest.raises(StepFailed, match=r"^no schedule id: an earlier step did not provide one$"):
        run.schedule_id  # noqa: B018
    run.schedule_id = "PSCHED1"
    assert run.state == {"schedule_id": "PSCHED1"}
    with pytest.raises(AnswerLacksField, match=r"^GET /oncalls: PagerDuty's answer lacks oncalls\[0\]$"):
        dig({"oncalls": []}, "oncalls", 0, what="GET /oncalls")


def test_owned_comes_from_the_ledger_and_the_objects_in_state() -> None:
    """Ids ever put in the ledger (struck or not) and PagerDuty objects in state are the run's own."""
    run = Run(test_user_email="a@example.com", poll_timeout=1)
    run.ledger.add("schedule", "PS1")
    run.ledger.strike("schedule", "PS1")
    run.state["incident"] = {"id": "Q1", "type": "incident"}
    run.state["oncalls"] = [{"id": "PU1", "type": "user_reference"}]
    run.state["note"] = "not an object"
    assert run.owned() == {"schedule": ["PS1"], "incident": ["Q1"], "user": ["PU1"]}


@pytest.mark.parametrize(
    ("reference", "error"),
    [
        ("nosuchmodule:scenario", "error: --scenario nosuchmodule:scenario: no module named 'nosuchmodule'"),
        ("examples.oncall", "error: --scenario 'examples.oncall' is not MODULE:ATTRIBUTE"),
        (
            "examples.oncall:missing",
            "error: --scenario examples.oncall:missing: 'examples.oncall' has no attribute 'missing'",
        ),
        (
            "examples.oncall:SERVICE",
            "error: --scenario examples.oncall:SERVICE: 'SERVICE' is a str, not a harness.Scenario",
        ),
    ],
)
def test_a_bad_scenario_reference_is_exit_2_before_anything_runs(
    home: Path,
    reference: str,
    error: str,
) -> None:
    """record, replay and steps refuse it with error/next; record creates no folder."""
    for args in (["record", "--sandbox", "--out", "out"], ["steps"], ["replay", str(EXAMPLE_CASSETTES)]):
        result = _invoke(*args, "--scenario", reference)
        assert result.exit_code == 2
        assert result.output.startswith(error + "\nnext: ")
    assert not (home / "out").exists()


def test_a_scenario_without_steps_is_refused(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty Scenario is exit 2, saying how to declare steps."""
    reference = _module(
        home, "empty_scenario", "import harness\nscenario = harness.Scenario()\n", monkeypatch
    )
    with pytest.raises(ConfigError, match="the scenario has no steps"):
        load_scenario(reference)


def test_a_malformed_scenario_in_the_manifest_is_exit_2(home: Path) -> None:
    """A hand-edited `scenario` that is not MODULE:ATTRIBUTE is a damaged manifest."""
    copy = shutil.copytree(EXAMPLE_CASSETTES, home / "copy")
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**manifest, "scenario": "import os"}))
    result = _invoke("replay", str(copy))
    assert result.exit_code == 2
    assert "manifest field missing or malformed ('scenario' must be MODULE:ATTRIBUTE)" in result.output


def test_a_name_left_out_of_public_names_is_pointed_out_at_replay(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A user's name the scenario sends is scrubbed unless public; replay then says what to do."""
    reference = _module(
        home,
        "unlisted",
        '''
        from harness import Client, Run, Scenario, expect_success

        scenario = Scenario()


        @scenario.step()
        def create_user(pd: Client, run: Run) -> None:
            """Create a user whose name is not listed as public."""
            body = {"user": {"type": "user", "name": "Unlisted Name", "email": run.test_user_email}}
            run.ledger.add("user", expect_success(pd.post("/users", body), "create")["user"]["id"])
    ''',
        monkeypatch,
    )
    assert (
        _invoke(
            "record", "--sandbox", "--account", "empty", "--scenario", reference, "--out", "rec"
        ).exit_code
        == 0
    )
    result = _invoke("replay", "rec")
    assert result.exit_code == 1
    assert (
        "(differs in json body); if the bodies differ in a name the scenario gives its resources, "
        "list it in Scenario(public_names=...) and re-record"
    ) in result.output


def test_drift_refuses_recordings_of_two_scenarios(home: Path) -> None:
    """The notebook's recording and the example's cannot be compared: exit 2, naming both."""
    result = _invoke("drift", str(ROOT / "cassettes"), str(EXAMPLE_CASSETTES))
    assert result.exit_code == 2
    assert result.output == (
        f"error: {ROOT / 'cassettes'} records the scenario harness.scenario:scenario and "
        f"{EXAMPLE_CASSETTES} records examples.oncall:scenario: recordings of two scenarios cannot be "
        f"compared\nnext: compare two recordings of the same scenario, e.g. harness drift "
        f"{EXAMPLE_CASSETTES} <another recording of examples.oncall:scenario>\n"
    )


def test_replay_names_the_manifests_scenario_it_cannot_import(home: Path) -> None:
    """A recording whose scenario module is not importable here is exit 2 naming the manifest."""
    copy = shutil.copytree(EXAMPLE_CASSETTES, home / "copy")
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**manifest, "scenario": "gone_module:scenario"}))
    result = _invoke("replay", "copy")
    assert (result.exit_code, result.output) == (
        2,
        (
            "error: copy/manifest.json: scenario gone_module:scenario: no module named 'gone_module'\n"
            "next: name MODULE:ATTRIBUTE, a module importable from the current folder (or on PYTHONPATH) "
            "and its Scenario, e.g. --scenario mymodule:scenario\n"
        ),
    )


def test_the_plugin_replays_a_users_scenario_from_the_manifest(pytester: pytest.Pytester) -> None:
    """In a user's own suite, `harness_step` runs once per step of the scenario the recording names."""
    pytester.syspathinsert(ROOT)
    pytester.makepyfile(
        test_mine="""
        def test_step(harness_replayer, harness_step):
            result = harness_replayer.run_step(harness_step.slug)
            assert result.last.status_code == harness_step.expected_status(result.last.request.method)
    """
    )
    result = pytester.runpytest("-v", f"--harness-recording={EXAMPLE_CASSETTES}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=11)
    result.stdout.re_match_lines(
        [
            r".*test_step\[sweep-leftovers\] PASSED.*",
            r".*test_step\[find-who-is-on-call\] PASSED.*",
            r".*test_step\[delete-everything\] PASSED.*",
        ]
    )


def test_the_plugin_takes_the_scenario_from_the_ini_file(pytester: pytest.Pytester) -> None:
    """`harness_scenario` in the ini file names the scenario; a wrong one stops the run once."""
    pytester.syspathinsert(ROOT)
    pytester.makeini(
        f"[pytest]\nharness_recording = {EXAMPLE_CASSETTES}\nharness_scenario = examples.oncall:nothing\n"
    )
    pytester.makepyfile(
        test_mine="""
        def test_step(harness_replayer, harness_step):
            pass
    """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(
        ["*harness: harness_scenario examples.oncall:nothing: 'examples.oncall' has no attribute 'nothing'*"]
    )


def test_the_readmes_example_scenario_records_replays_and_audits(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The README's complete example, saved as oncall_check.py, runs every command it shows."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Your own scenarios", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    commands = section.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    reference = _module(home, "oncall_check", code, monkeypatch)
    assert reference == "oncall_check:scenario"
    outputs = []
    for command in commands:
        words = command.split()
        assert words[0] == "harness"
        result = _invoke(*words[1:])
        assert result.exit_code == 0, (command, result.output)
        outputs.append(result.output)
    assert [line.split()[1] for line in outputs[0].splitlines()] == [
        "create-responder",
        "create-rota",
        "read-the-rota",
        "clean-up",
    ]
    assert "4 steps, 5 requests in" in outputs[2]
    assert outputs[3] == "0 findings in 5 files\n"
    manifest = json.loads((home / "recordings" / "oncall-check" / "manifest.json").read_text())
    assert manifest["scenario"] == "oncall_check:scenario"
