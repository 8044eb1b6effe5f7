"""The command line: option validation, exit codes and messages that say what to do next."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.scenario import scenario


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(
        env={"PAGERDUTY_API_TOKEN": None, "PAGERDUTY_FROM_EMAIL": None, "PAGERDUTY_SUBDOMAIN": None}
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--subdomain", "acme co"], "'acme co' is not a PagerDuty subdomain"),
        (["--subdomain", "acme-co", "--region", "ap"], "'ap' is not one of 'us', 'eu'"),
        (["--subdomain", "acme-co", "--api-url", "ftp://x"], "'ftp://x' is not a base URL"),
        (["--subdomain", "acme-co", "--from-email", "not-an-email"], "email is not an email address"),
        (["--subdomain", "acme-co", "--poll-timeout", "0"], "0.0 is not in the range x>0"),
    ],
)
def test_invalid_options_are_usage_errors(runner: CliRunner, args: list[str], message: str) -> None:
    """Each malformed option exits 2 with click's usage error naming the value."""
    result = runner.invoke(cli, ["record", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_record_without_subdomain_or_sandbox_says_what_to_pass(runner: CliRunner) -> None:
    """No --subdomain and no --sandbox exits 2 and suggests both."""
    result = runner.invoke(cli, ["record"])
    assert result.exit_code == 2
    assert "error: --subdomain is required" in result.output
    assert "--sandbox" in result.output


def test_record_without_token_names_the_environment_variable(runner: CliRunner) -> None:
    """A missing token exits 2 and names PAGERDUTY_API_TOKEN."""
    result = runner.invoke(cli, ["record", "--subdomain", "acme-co", "--from-email", "ops@acme.com"])
    assert result.exit_code == 2
    assert "error: no PagerDuty API token" in result.output
    assert "PAGERDUTY_API_TOKEN" in result.output


def test_steps_lists_the_notebook_in_order(runner: CliRunner) -> None:
    """`harness steps` prints one line per step: number, slug and the notebook's sentence."""
    result = runner.invoke(cli, ["steps"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == len(scenario.steps) == 29
    assert lines[0].split()[:2] == ["1", "sweep-leftover-service"]
    assert lines[15].split()[:2] == ["16", "create-note"]
    assert lines[-1].endswith("Now we are free to delete the user")


def test_replay_of_a_missing_directory_is_exit_2(runner: CliRunner, tmp_path: object) -> None:
    """Replaying a directory that does not exist says so in one line and exits 2."""
    result = runner.invoke(cli, ["replay", str(tmp_path) + "/nowhere"])
    assert result.exit_code == 2
    assert "no recording directory there" in result.output
    assert "Traceback" not in result.output


def test_accepted_cassettes_pass_the_audit(runner: CliRunner) -> None:
    """`harness audit cassettes/` finds nothing in the accepted recording."""
    from pathlib import Path

    cassettes = Path(__file__).resolve().parent.parent / "cassettes"
    result = runner.invoke(cli, ["audit", str(cassettes)])
    assert result.exit_code == 0, result.output
    assert result.output == "0 findings in 30 files\n"


def test_readme_quickstart_test_command_is_what_ci_runs() -> None:
    """The README's test command and .ci/run stay the same command."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    command = "python3 -m pip install -q -e '.[test]' && python3 -m pytest -n auto"
    assert f"```sh\n{command}\n```" in (root / "README.md").read_text()
    assert (root / ".ci" / "run").read_text().rstrip().endswith(command)


def test_sandbox_command_serves_until_ctrl_c(tmp_path: object) -> None:
    """`harness sandbox` prints its URLs, token and owner, answers REST calls, and stops on SIGINT."""
    import signal
    import subprocess
    import sys

    import requests

    process = subprocess.Popen(
        # The empty account, whose only user is the owner (the busy one: test_sandbox_busy.py).
        [
            sys.executable,
            "-m",
            "harness",
            "sandbox",
            "--token",
            "sandbox-token-123",
            "--owner-email",
            "owner@example.com",
            "--account",
            "empty",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = dict(process.stdout.readline().split(None, 1) for _ in range(2))
        token_line = process.stdout.readline().split()
        owner_line = process.stdout.readline().split()
        api_url = lines["REST"].split()[-1]
        assert lines["Events"].split()[-1] == f"{api_url}/v2/enqueue"
        assert token_line == ["token", "sandbox-token-123"]
        assert owner_line == ["owner", "email", "owner@example.com"]
        answer = requests.get(
            f"{api_url}/users",
            timeout=5,
            headers={
                "Authorization": "Token token=sandbox-token-123",
                "Accept": "application/vnd.pagerduty+json;version=2",
            },
        )
        assert [u["email"] for u in answer.json()["users"]] == ["owner@example.com"]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_readme_reliability_table_states_the_suites_counts() -> None:
    """The README's reliability table says how many cases the suites run, from their own counts."""
    import re
    from pathlib import Path

    from _reliability import COUNTS, FUZZ_EXAMPLES

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Reliability", 1)[1].split("\n## ", 1)[0]
    stated = [
        row.split("|")[2].strip()
        for row in section.splitlines()
        if row.startswith("| ") and not row.startswith("| What")
    ]
    times = "\N{MULTIPLICATION SIGN}"
    expected = [str(n) for n in COUNTS.values()]
    expected[list(COUNTS).index("damaged recordings")] = f"{COUNTS['damaged recordings']} {times} 3"
    expected[list(COUNTS).index("junk properties")] = f"{COUNTS['junk properties']} {times} {FUZZ_EXAMPLES}"
    assert stated == expected
    assert re.search(r"Every case passes", section)


def test_readme_scenario_table_lists_every_step_in_order() -> None:
    """The README's scenario table names the same steps as `harness steps`, in the same order."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("### The scenario", 1)[1].split("\n### ", 1)[0]
    listed = re.findall(r"^\| (\d+) \| `([a-z-]+)` \|", section, flags=re.MULTILINE)
    assert listed == [(str(s.number), s.slug) for s in scenario.steps]


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (
            "headers {'Authorization': 'Token token=u+Zk3Qw9Lm2Xc7Vb1Nd4'}",
            "headers {'Authorization': '<redacted>'}",
        ),
        (
            "InvalidHeader: 'Token token=u+Zk3Qw9Lm2Xc7Vb1Nd4\\n'",
            "InvalidHeader: 'Token token=<redacted>\\n'",
        ),
        ("GET http://ops:hunter2@127.0.0.1:9/users", "GET http://<redacted>@127.0.0.1:9/users"),
        ("Authorization: Bearer abc.DEF-123", "Authorization: <redacted>"),
        ("from ops.oncall@acme-corp.io with key x", "from <redacted> with key x"),
    ],
)
def test_a_saved_traceback_is_redacted(text: str, redacted: str) -> None:
    """Known secrets and anything shaped like a credential are replaced before a traceback is saved."""
    from harness.crash import known_secrets, redact

    secrets = known_secrets({"token": "x", "from_email": "ops.oncall@acme-corp.io"}, environ={})
    assert secrets == ["ops.oncall@acme-corp.io"]
    assert redact(text, secrets) == redacted


def test_every_module_but_the_spec_checks_imports_without_openapi_core() -> None:
    """A plain install (no `spec` extra) imports every module of the package but harness.specs."""
    import subprocess
    import sys

    program = """
import builtins, importlib, pkgutil, harness
real = builtins.__import__
def guarded(name, *args, **kwargs):
    if name.split(".")[0] == "openapi_core":
        raise ImportError("openapi_core is not installed")
    return real(name, *args, **kwargs)
builtins.__import__ = guarded
names = sorted(m.name for m in pkgutil.walk_packages(harness.__path__, "harness.")
               if not m.name.startswith("harness.specs") and m.name != "harness.openapi.__main__"
               and m.name != "harness.__main__")
for name in names:
    importlib.import_module(name)
print(len(names))
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 60
