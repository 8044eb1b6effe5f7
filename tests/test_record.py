"""`harness record` against the sandbox: complete, scrubbed, safe for the account and the cassettes."""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import requests
from click.testing import CliRunner

from harness.cassettes import load_recording
from harness.cli import cli
from harness.client import Client, RetryPolicy
from harness.errors import LeakFound, StepFailed
from harness.recorder import record_scenario
from harness.sandbox import Fault, Sandbox
from harness.scenario import POLICY_NAME, SERVICE_NAME, USER_NAME, scenario
from harness.settings import Settings, build_settings

# Sandboxes here use account="empty": these tests assert exact account state (users, open
# incidents, integrations, identical recordings), which the busy account's other teams change;
# telling the scenario's resources from theirs (drift's ownership rule) is issue 14.
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
PLANTED = {
    "token": "pD7xQ9_kVw2ZrT4mNc8L",
    "owner_email": "grace.hopper@navy-secret.mil",
    "owner_name": "Grace Brewster Hopper",
    "owner_phone": "+1 415 867 5309",
    "subdomain": "acme-secret-co",
}


def _settings(sb: Sandbox, out: Path, **overrides: str) -> Settings:
    values = {"subdomain": sb.subdomain, "token": sb.token, "from_email": sb.owner_email}
    values.update(overrides)
    return build_settings(
        region="us", api_url=sb.api_url, events_url=sb.events_url, out=out, poll_timeout=10, **values
    )


def _api(sb: Sandbox, method: str, path: str, body: object = None) -> dict[str, object]:
    response = requests.request(
        method,
        sb.api_url + path,
        json=body,
        timeout=5,
        headers={
            "Authorization": f"Token token={sb.token}",
            "From": sb.owner_email,
            "Accept": "application/vnd.pagerduty+json;version=2",
        },
    )
    response.raise_for_status()
    return response.json() if response.content else {}


def _plant_leftovers(sb: Sandbox, *, description: str = "") -> dict[str, str]:
    """What a run killed with SIGKILL leaves behind: its user, policy and service."""
    user = _api(
        sb,
        "POST",
        "/users",
        {"user": {"type": "user", "name": USER_NAME, "role": "user", "email": "leftover@example.com"}},
    )["user"]
    policy = _api(
        sb,
        "POST",
        "/escalation_policies",
        {
            "escalation_policy": {
                "type": "escalation_policy",
                "name": POLICY_NAME,
                "escalation_rules": [
                    {
                        "escalation_delay_in_minutes": 22,
                        "targets": [{"id": user["id"], "type": "user_reference"}],
                    }
                ],
            }
        },
    )["escalation_policy"]
    service = _api(
        sb,
        "POST",
        "/services",
        {
            "service": {
                "type": "service",
                "name": SERVICE_NAME,
                "description": description,
                "escalation_policy": {"id": policy["id"], "type": "escalation_policy_reference"},
            }
        },
    )["service"]
    return {"user": user["id"], "escalation_policy": policy["id"], "service": service["id"]}


def _ours(sb: Sandbox) -> list[str]:
    """Every resource of the scenario still in the sandbox account."""
    snap = sb.account.snapshot()
    found = [s.name for s in snap.services.values() if s.name == SERVICE_NAME]
    found += [p.name for p in snap.escalation_policies.values() if p.name == POLICY_NAME]
    found += [u.name for u in snap.users.values() if u.name == USER_NAME]
    found += [f"open incident {i.id}" for i in snap.incidents.values() if i.status != "resolved"]
    return found


def _tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.fixture
def planted() -> Iterator[Sandbox]:
    with Sandbox(account="empty", incident_delay=0.02, **PLANTED) as sb:
        yield sb


def test_record_sandbox_writes_one_cassette_per_step(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`harness record --sandbox` records all 29 steps, plus a manifest, and reports no drift."""
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    out = tmp_path / "rec"
    # The empty account: zero drift against cassettes/ (see the comment on account="empty" above).
    result = CliRunner().invoke(
        cli, ["record", "--sandbox", "--account", "empty", "--out", str(out), "--fail-on", "info"]
    )
    assert result.exit_code == 0, result.output
    assert "drift against cassettes/: 0 breaking, 0 warning, 0 info" in result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [s.cassette for s in scenario.steps] + ["manifest.json"]
    )
    recording = load_recording(out)
    assert recording.manifest.sandbox is True
    assert [s.entry.slug for s in recording.steps] == [s.slug for s in scenario.steps]
    assert all(s.interactions for s in recording.steps)
    assert "29 steps" in result.output


def test_recording_replays_with_harness_replay(tmp_path: Path) -> None:
    """A fresh sandbox recording replays with `harness replay`, exit 0."""
    out = tmp_path / "rec"
    runner = CliRunner()
    assert runner.invoke(cli, ["record", "--sandbox", "-q", "--out", str(out)]).exit_code == 0
    result = runner.invoke(cli, ["replay", str(out)])
    assert result.exit_code == 0, result.output
    assert f"replayed {out}" in result.output


def _encodings(value: str) -> set[str]:
    return {
        value,
        quote(value, safe=""),
        quote_plus(value),
        json.dumps(value)[1:-1],
        base64.b64encode(value.encode()).decode()[:-4],
    }


def test_no_planted_secret_reaches_disk_in_any_encoding(
    planted: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Token, emails, names, phone, subdomain, keys and secrets in free text are all scrubbed."""
    description = f"Call {PLANTED['owner_name']} at {PLANTED['owner_phone']} or {PLANTED['owner_email']}"
    _plant_leftovers(planted, description=description)
    keys: set[str] = set()
    send = Client.enqueue

    def spy(self: Client, event: dict[str, object]) -> requests.Response:
        keys.add(str(event["routing_key"]))
        return send(self, event)

    monkeypatch.setattr(Client, "enqueue", spy)
    out = tmp_path / "rec"
    record_scenario(settings=_settings(planted, out))
    assert len(keys) == 1 and len(next(iter(keys))) == 32
    secrets = [
        *PLANTED.values(),
        "grace.hopper+harness-test@navy-secret.mil",
        "4158675309",
        "navy-secret.mil",
        *keys,
    ]
    text = "\n".join(p.read_text() for p in sorted(out.iterdir()))
    for secret in secrets:
        for form in _encodings(secret):
            assert form not in text, f"a planted secret survived as {form[:3]}…"
    # Free text the scenario did not write is replaced whole, by free text.
    assert "Call Person 1 at " not in text
    assert re.search(r'"description": "Redacted text \d+"', text)


def test_fail_closed_check_stops_the_write(planted: Sandbox, tmp_path: Path) -> None:
    """With the header and sweep scrubbers off, the token survives and nothing is written."""
    out = tmp_path / "rec"
    with pytest.raises(LeakFound, match=r"secret value\(s\) survived scrubbing .*a token \(raw\)"):
        record_scenario(settings=_settings(planted, out), disabled_scrubbers={"headers", "sweep"})
    assert not out.exists()
    assert _ours(planted) == []


def test_leftovers_of_a_killed_run_are_found_reported_and_swept(tmp_path: Path) -> None:
    """Leftover service and policy are deleted before anything is created; the user is reused."""
    with Sandbox(account="empty", incident_delay=0.02) as sb:
        leftovers = _plant_leftovers(sb)
        result = record_scenario(settings=_settings(sb, tmp_path / "rec"))
        assert result.swept == (
            f"service {leftovers['service']}",
            f"user {leftovers['user']} (reused, deleted at the end)",
            f"escalation_policy {leftovers['escalation_policy']}",
        )
        assert _ours(sb) == []


def test_persistent_fault_mid_run_cleans_up_and_keeps_cassettes(tmp_path: Path) -> None:
    """A 500 that never ends stops the run with exit-1 StepFailed, after cleanup; --out is untouched."""
    out = tmp_path / "accepted"
    shutil.copytree(Path(__file__).resolve().parent.parent / "cassettes", out)
    before = _tree(out)
    fault = Fault(method="PUT", path="/incidents/*", nth=1, times=None, action="status", status=500)
    with Sandbox(account="empty", incident_delay=0.02, faults=[fault]) as sb:
        with pytest.raises(StepFailed, match=r"step acknowledge-incident failed: .*500.*cleanup done"):
            record_scenario(settings=_settings(sb, out), retry=FAST_RETRY)
        assert _ours(sb) == []
    assert _tree(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["accepted"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"token": "wrongwrongwrongwrong"}, "the API token was refused (401)"),
        ({"subdomain": "someone-else"}, "the API token belongs to another account"),
        ({"from_email": "nobody@example.com"}, "the From email is not a user of this account"),
    ],
)
def test_wrong_credentials_fail_before_anything_is_created(
    tmp_path: Path,
    change: dict[str, str],
    message: str,
) -> None:
    """Wrong token, subdomain or From email: exit 2 with the cause, and the account is untouched."""
    with Sandbox(account="empty") as sb:
        args = {
            "--subdomain": sb.subdomain,
            "--token": sb.token,
            "--from-email": sb.owner_email,
            "--api-url": sb.api_url,
            "--events-url": sb.events_url,
            "--out": str(tmp_path / "rec"),
        }
        args.update({f"--{k.replace('_', '-')}": v for k, v in change.items()})
        result = CliRunner().invoke(cli, ["record", *[x for kv in args.items() for x in kv]])
        assert result.exit_code == 2, result.output
        assert f"error: {message}" in result.output
        assert "Traceback" not in result.output
        assert len(sb.account.snapshot().users) == 1
    assert not (tmp_path / "rec").exists()


def test_missing_token_is_exit_2_without_contacting_the_api(tmp_path: Path) -> None:
    """No token at all is a usage error naming the option and the environment variable."""
    result = CliRunner(env={"PAGERDUTY_API_TOKEN": None}).invoke(
        cli,
        [
            "record",
            "--subdomain",
            "acme-co",
            "--from-email",
            "ops@example.com",
            "--api-url",
            "http://127.0.0.1:9",
            "--out",
            str(tmp_path / "rec"),
        ],
    )
    assert result.exit_code == 2
    assert "error: no PagerDuty API token" in result.output
    assert "PAGERDUTY_API_TOKEN" in result.output


def test_verbose_output_shows_requests_scrubbed(planted: Sandbox, tmp_path: Path) -> None:
    """`-v` prints every request with its headers and body, with placeholders instead of secrets."""
    args = [
        "record",
        "-v",
        "--subdomain",
        planted.subdomain,
        "--token",
        planted.token,
        "--from-email",
        planted.owner_email,
        "--api-url",
        planted.api_url,
        "--events-url",
        planted.events_url,
        "--out",
        str(tmp_path / "rec"),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Authorization: Token token=" in result.output
    assert '"email": "person-1+harness-test@example.com"' in result.output
    for secret in (planted.token, PLANTED["owner_email"], "grace.hopper+harness-test"):
        assert secret not in result.output


def test_quiet_output_is_only_the_summary(tmp_path: Path) -> None:
    """`-q` prints the summary line and nothing per step."""
    result = CliRunner().invoke(cli, ["record", "--sandbox", "-q", "--out", str(tmp_path / "rec")])
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith("29 steps, ")
    assert "sweep-leftover-service" not in result.output
