"""The busy sandbox account: generated from a seed, lived in, and busy while a scenario runs."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from _vocabulary import SPEC_LOG_ENTRY_TYPES
from click.testing import CliRunner

from harness.cassettes import load_recording
from harness.cli import cli
from harness.errors import ConfigError, InputError
from harness.recorder import record_scenario
from harness.sandbox import Sandbox, busy, lifecycle
from harness.sandbox.activity import Workday
from harness.sandbox.records import EscalationPolicy, EscalationRule, Integration, Service
from harness.sandbox.state import Account
from harness.scenario import POLICY_NAME, SERVICE_NAME, USER_NAME
from harness.settings import build_settings

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
# The spec's enums (REST openapiv3.json: ContactMethod.type, Notification.type, LogEntry.type,
# Integration.type), plus link_log_entry, which live accounts have (departure link-log-entry).
CONTACT_METHOD_TYPES = {
    "email_contact_method",
    "phone_contact_method",
    "sms_contact_method",
    "push_notification_contact_method",
    "whatsapp_contact_method",
}
NOTIFICATION_TYPES = {"email_notification", "sms_notification", "phone_notification", "push_notification"}
# The documented types, and link_log_entry, which live sends though the document omits it.
LOG_ENTRY_TYPES = {*SPEC_LOG_ENTRY_TYPES, "link_log_entry"}
INTEGRATION_TYPES = {
    "aws_cloudwatch_inbound_integration",
    "cloudkick_inbound_integration",
    "event_transformer_api_inbound_integration",
    "generic_email_inbound_integration",
    "generic_events_api_inbound_integration",
    "keynote_inbound_integration",
    "nagios_inbound_integration",
    "pingdom_inbound_integration",
    "sql_monitor_inbound_integration",
    "events_api_v2_inbound_integration",
}


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Pd:
    """Reads a sandbox's REST API with PagerDuty's headers."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Token token={sandbox.token}",
                "Accept": "application/vnd.pagerduty+json;version=2",
            }
        )

    def get(self, path: str, **params: Any) -> Any:
        answer = self.session.get(self.sandbox.api_url + path, params=params, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def every(self, path: str, key: str, **params: Any) -> list[Any]:
        """Every item of a paginated list, page after page of 100."""
        items: list[Any] = []
        while True:
            page = self.get(path, limit=100, offset=len(items), **params)
            items += page[key]
            if not page["more"]:
                return items


@pytest.fixture(scope="module")
def still() -> Iterator[Sandbox]:
    """A busy account (seed 1) without background activity, so that reads are exact."""
    with Sandbox(seed=1, activity_interval=None) as sandbox:
        yield sandbox


def _generated(seed: int, monkeypatch: pytest.MonkeyPatch) -> Account:
    monkeypatch.setattr(Account, "now", lambda self: NOW)
    return Sandbox(seed=seed, activity_interval=None).account


def test_the_same_seed_gives_the_same_account_ids_included(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two sandboxes made from one seed at one moment hold equal accounts, every id and time alike."""
    first, second = _generated(42, monkeypatch), _generated(42, monkeypatch)
    assert first.snapshot() == second.snapshot()
    assert len(first.snapshot().incidents) >= 200


def test_different_seeds_give_different_people_and_history(monkeypatch: pytest.MonkeyPatch) -> None:
    """Other seeds, other people, emails, ids and incidents."""
    one, two = _generated(1, monkeypatch).snapshot(), _generated(2, monkeypatch).snapshot()
    owner = "sandbox-owner@example.com"
    emails = [{u.email for u in s.users.values()} - {owner} for s in (one, two)]
    assert not emails[0] & emails[1]
    assert not set(one.incidents) & set(two.incidents)
    assert {i.title for i in one.incidents.values()} != {i.title for i in two.incidents.values()}


def test_sandbox_exposes_its_seed_and_draws_one_when_none_is_given() -> None:
    """`seed` is the given one, a random one for the busy account, None for the empty account."""
    assert Sandbox(seed=7, activity_interval=None).seed == 7
    assert 0 <= (Sandbox(activity_interval=None).seed or -1) < 1_000_000
    assert Sandbox(account="empty").seed is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"account": "crowded"}, "There is no 'crowded' account."),
        (
            {"account": "empty", "seed": 3},
            "A seed only shapes the busy account; the empty one has nothing to generate.",
        ),
        ({"seed": 1_000_000}, "Seed 1000000 is out of range."),
        ({"activity_interval": 0.0}, "The activity interval must be positive."),
    ],
)
def test_bad_account_options_are_refused(options: dict[str, Any], message: str) -> None:
    """An unknown account, a seed for the empty one, a seed out of range, a zero interval."""
    with pytest.raises(ConfigError) as raised:
        Sandbox(**options)
    assert str(raised.value) == message


def test_counts_fall_in_the_documented_ranges(still: Sandbox) -> None:
    """20-50 people besides the owner, a few hundred incidents, teams, services, policies."""
    snap = still.account.snapshot()
    assert 20 <= len(snap.users) - 1 <= 50
    assert 200 <= len(snap.incidents) <= 400
    assert 3 <= len(snap.teams) <= 8
    assert 8 <= len(snap.services) <= 15
    assert len(snap.escalation_policies) == len(snap.teams)
    assert len(snap.priorities) == 5
    assert all(s.integration_ids for s in snap.services.values())
    assert all(u.team_ids for u in snap.users.values() if u.id != still.account.owner_id)


def test_every_status_urgency_and_documented_type_appears(still: Sandbox) -> None:
    """Each status at each open urgency, every contact method, log entry, notification, integration."""
    snap = still.account.snapshot()
    statuses = {(i.status, i.urgency) for i in snap.incidents.values()}
    assert {
        ("triggered", "high"),
        ("triggered", "low"),
        ("acknowledged", "high"),
        ("acknowledged", "low"),
        ("resolved", "high"),
        ("resolved", "low"),
    } <= statuses
    assert {m.type for u in snap.users.values() for m in u.contact_methods} == CONTACT_METHOD_TYPES
    assert {e.type for e in snap.log_entries.values()} == LOG_ENTRY_TYPES
    assert {n.type for n in snap.notifications.values()} == NOTIFICATION_TYPES
    assert {i.type for i in snap.integrations.values()} == INTEGRATION_TYPES
    incidents = list(snap.incidents.values())
    assert any(i.priority_id for i in incidents) and any(not i.priority_id for i in incidents)
    assert any(i.conference_bridge for i in incidents)
    assert any(i.acknowledgements for i in incidents) and snap.notes


def test_free_text_names_people_and_holds_contact_details(still: Sandbox) -> None:
    """Titles, notes and alert details carry names, emails, phones, hosts, IPs and URLs with tokens."""
    snap = still.account.snapshot()
    text = "\n".join(
        [
            *(i.title for i in snap.incidents.values()),
            *(n.content for n in snap.notes.values()),
            *(json.dumps(a.details) for a in snap.alerts.values()),
        ]
    )
    names = [u.name for u in snap.users.values() if u.id != still.account.owner_id]
    assert sum(name in text for name in names) >= len(names) // 2
    assert sum(u.email in text for u in snap.users.values()) >= 5
    for pattern in ("?token=", "api_key=", "access_token=", "https://", "zoom.us/j/"):
        assert pattern in text, pattern
    phones = [
        (m.country_code, m.address)
        for u in snap.users.values()
        for m in u.contact_methods
        if m.type == "phone_contact_method" and m.country_code == 1
    ]
    written = Counter()
    for _, digits in phones:
        area, exchange, line = digits[:3], digits[3:6], digits[6:]
        for form, shown in (
            ("bare", digits),
            ("spaced", f"{area} {exchange} {line}"),
            ("dotted", f"{area}.{exchange}.{line}"),
            ("dashed", f"{area}-{exchange}-{line}"),
            ("parenthesised", f"({area}) {exchange}-{line}"),
            ("international", f"+1 {area} {exchange} {line}"),
        ):
            written[form] += shown in text
    assert all(
        written[form] for form in ("bare", "spaced", "dotted", "dashed", "parenthesised", "international")
    ), written


def _shape(node: Any, path: str = "") -> set[tuple[str, str]]:
    """Every key path in a JSON value with its JSON type; list items share the path `[]`."""
    kind = {
        dict: "object",
        list: "array",
        str: "string",
        bool: "boolean",
        int: "number",
        float: "number",
        type(None): "null",
    }[type(node)]
    found = {(path, kind)}
    if isinstance(node, dict):
        for key, value in node.items():
            found |= _shape(value, f"{path}/{key}")
    elif isinstance(node, list):
        for item in node:
            found |= _shape(item, f"{path}/[]")
    return found


def _answers(pd: Pd) -> dict[str, Any]:
    """Every account-wide read, whole, and single reads of items of every kind, as a client makes them.

    The incident log entries read are those of each open incident and, for each log-entry type and
    set of keys, of the incident of its first entry: two accounts are compared on the same variety,
    not on a chance sample.
    """
    now = datetime.now(UTC)
    incidents = pd.every("/incidents", "incidents", date_range="all")
    entries = pd.every(
        "/log_entries", "log_entries", since=_stamp(now - timedelta(days=181)), **{"include[]": "channels"}
    )
    of_each_kind = {(e["type"], *sorted(e)): e["incident"]["id"] for e in reversed(entries)}
    some = sorted({*of_each_kind.values(), *(i["id"] for i in incidents if i["status"] != "resolved")})
    users = pd.every("/users", "users")
    return {
        "users": users,
        "user": [pd.get(f"/users/{u['id']}") for u in users],
        "services": pd.every("/services", "services"),
        "escalation_policies": pd.every("/escalation_policies", "escalation_policies"),
        "incidents": incidents,
        # One page's items are covered by the whole list above; here its pagination keys.
        "count": {
            key: value
            for key, value in pd.get("/incidents", limit=1, total="true").items()
            if key != "incidents"
        },
        "incident": [
            pd.get(f"/incidents/{i['id']}", **{"include[]": "conference_bridge"}) for i in incidents
        ],
        "notes": [pd.get(f"/incidents/{i['id']}/notes") for i in incidents],
        "incident-log-entries": [pd.get(f"/incidents/{i}/log_entries") for i in some],
        "log_entries": entries,
        "notifications": [
            pd.every(
                "/notifications",
                "notifications",
                since=_stamp(since),
                until=_stamp(since + timedelta(days=89)),
            )
            for since in (now - timedelta(days=178), now - timedelta(days=89))
        ],
    }


def test_two_seeds_differ_in_data_but_not_in_the_shape_of_any_answer() -> None:
    """Every answer has the same key paths and JSON types whichever people and history it holds."""
    with Sandbox(seed=11, activity_interval=None) as one, Sandbox(seed=12, activity_interval=None) as two:
        first, second = _answers(Pd(one)), _answers(Pd(two))
    assert first != second
    for name in first:
        assert _shape(first[name]) == _shape(second[name]), name


@pytest.mark.parametrize(
    ("path", "key", "params"),
    [
        ("/incidents", "incidents", {"date_range": "all"}),
        ("/log_entries", "log_entries", {}),
        ("/users", "users", {}),
        ("/services", "services", {}),
    ],
)
def test_account_wide_lists_paginate_as_live(
    still: Sandbox,
    path: str,
    key: str,
    params: dict[str, str],
) -> None:
    """offset/limit pages with `more`; limit is capped at 100; total only with total=true."""
    pd = Pd(still)
    whole = pd.every(path, key, **params)
    counted = pd.get(path, limit=1, total="true", **params)
    assert counted["total"] == len(whole)
    assert len(counted[key]) == 1 and counted["more"] is (len(whole) > 1)
    first = pd.get(path, **params)
    assert (first["limit"], first["offset"], first["total"]) == (25, 0, None)
    assert first[key] == whole[:25] and first["more"] is (len(whole) > 25)
    capped = pd.get(path, limit=500, **params)
    assert capped["limit"] == 100 and capped[key] == whole[:100]
    last = pd.get(path, limit=10, offset=len(whole) - 3, **params)
    assert last[key] == whole[-3:] and last["more"] is False
    assert len({item["id"] for item in whole}) == len(whole)


def _client_incident(account: Account) -> str:
    """Make, as a client would, a user, policy, service, integration and one open incident."""
    user = account.add_user(name="Client User", email="client@example.com", role="user")
    policy = EscalationPolicy(
        account.new_id(),
        "Client Policy",
        "",
        0,
        "if_has_services",
        (EscalationRule(account.new_id(), 5, (user.id,)),),
        NOW,
    )
    service = Service(account.new_id(), "Client Service", None, policy.id, 14400, 1800, "active", NOW)
    integration = Integration(
        account.new_id(),
        "events_api_v2_inbound_integration",
        "Events API V2",
        service.id,
        NOW,
        "k" * 32,
        None,
    )
    account.escalation_policies[policy.id] = policy
    account.services[service.id] = service
    account.integrations[integration.id] = integration
    incident = lifecycle.open_incident(
        account,
        integration=integration,
        alert_key="client",
        payload={"summary": "s", "severity": "info", "source": "x"},
        channel_details={},
    )
    return incident.id


def test_background_activity_never_touches_what_a_client_made() -> None:
    """Hundreds of seeded actions change generated incidents and leave the client's alone."""
    account = Account(subdomain="sandbox")
    with account.lock:
        account.owner_id = account.add_user(name="Owner", email="owner@example.com", role="owner").id
        cast = busy.populate(account, seed=3, now=datetime.now(UTC))
        mine = _client_incident(account)
        before = account.snapshot()
        workday = Workday(account, cast, random.Random(3))
        done = Counter(workday.act() for _ in range(400))
        after = account.snapshot()
    assert set(done) == {"trigger", "acknowledge", "escalate", "snooze", "reassign", "annotate", "resolve"}
    assert after.incidents[mine] == before.incidents[mine]
    new_entries = [e for e in after.log_entries.values() if e.id not in before.log_entries]
    assert new_entries and all(e.incident_id != mine for e in new_entries)
    assert all(n.incident_id != mine for n in after.notes.values())
    assert all(
        a.user_id in cast.user_ids for i in after.incidents.values() if i.id != mine for a in i.assignments
    )


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The scenario recorded on a busy account whose other users act every 50 ms or so."""
    out = tmp_path_factory.mktemp("busy") / "rec"
    with Sandbox(seed=21, incident_delay=0.02, activity_interval=0.05) as sb:
        before = sb.account.snapshot()
        record_scenario(
            settings=build_settings(
                subdomain=sb.subdomain,
                token=sb.token,
                from_email=sb.owner_email,
                region="us",
                api_url=sb.api_url,
                events_url=sb.events_url,
                out=out,
                poll_timeout=10,
                sandbox_seed=sb.seed,
            )
        )
        after = sb.account.snapshot()
    return out, {"before": before, "after": after, "owner": sb.account.owner_id}


def _body(recording: Path, slug: str) -> Any:
    step = load_recording(recording).step(slug)
    return json.loads(step.interactions[-1]["response"]["body"]["string"])


def test_background_activity_shows_in_the_account_wide_steps(
    recorded: tuple[Path, dict[str, Any]],
) -> None:
    """list-log-entries holds entries that other users wrote, during the run, on their incidents."""
    out, state = recorded
    before, after = state["before"], state["after"]
    generated = {s for s in before.services}
    listed = _body(out, "list-log-entries")["log_entries"]
    during = [e for e in listed if e["id"] not in before.log_entries]
    theirs = [e for e in during if after.log_entries[e["id"]].service_id in generated]
    assert theirs, "no log entry of the background activity in list-log-entries"
    assert {e["incident"]["id"] for e in theirs} <= set(after.incidents)


def test_the_recording_keeps_the_seed(recorded: tuple[Path, dict[str, Any]]) -> None:
    """The manifest names the busy account's seed, so the account can be made again."""
    out, _ = recorded
    assert load_recording(out).manifest.sandbox_seed == 21
    assert json.loads((out / "manifest.json").read_text())["seed"] == 21


def test_activity_left_the_scenario_alone_and_cleanup_left_nothing(
    recorded: tuple[Path, dict[str, Any]],
) -> None:
    """The scenario's incidents saw only the scenario; none of its resources is left."""
    _, state = recorded
    after = state["after"]
    ours = [i for i in after.incidents.values() if i.title.startswith("Notebook test incident")]
    assert len(ours) == 2 and all(i.status == "resolved" for i in ours)
    service = ours[0].service_id
    actors = {
        e.agent.id
        for e in after.log_entries.values()
        if e.incident_id in {i.id for i in ours} and e.agent is not None
    }
    assert actors <= {service, state["owner"]}
    assert not [s for s in after.services.values() if s.name == SERVICE_NAME]
    assert not [p for p in after.escalation_policies.values() if p.name == POLICY_NAME]
    assert not [u for u in after.users.values() if u.name == USER_NAME]
    assert [n.user_id for n in after.notes.values() if n.incident_id in {i.id for i in ours}] == [
        state["owner"]
    ]


def test_cli_prints_the_seed_and_keeps_it_in_the_manifest(tmp_path: Path) -> None:
    """`harness record --sandbox --seed N` says which account it made and the manifest keeps N."""
    out = tmp_path / "rec"
    result = CliRunner().invoke(cli, ["record", "--sandbox", "--seed", "4242", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == ("sandbox account: busy, seed 4242 (--seed 4242 makes it again)")
    assert load_recording(out).manifest.sandbox_seed == 4242


def test_account_and_seed_without_sandbox_are_refused(tmp_path: Path) -> None:
    """--seed chooses the sandbox's account; with a real account it is a usage error."""
    result = CliRunner().invoke(
        cli, ["record", "--subdomain", "acme-co", "--seed", "3", "--out", str(tmp_path / "rec")]
    )
    assert result.exit_code == 2
    assert "error: --account and --seed choose the sandbox's account" in result.output
    assert "next: add --sandbox, or leave them out when recording a real account" in result.output


def test_sandbox_command_serves_the_busy_account_of_a_seed() -> None:
    """`harness sandbox --seed N` prints the account and its seed and serves the generated people."""
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "sandbox", "--token", "sandbox-token-123", "--seed", "77"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().rstrip("\n") for _ in range(5)]
        assert lines[4] == "account     busy, seed 77 (--seed 77 makes it again)"
        api_url = lines[0].split()[-1]
        users = requests.get(
            f"{api_url}/users",
            timeout=5,
            headers={
                "Authorization": "Token token=sandbox-token-123",
                "Accept": "application/vnd.pagerduty+json;version=2",
            },
        ).json()
        assert len(users["users"]) == 25 and users["more"] is True
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_a_malformed_seed_in_a_manifest_is_refused(
    recorded: tuple[Path, dict[str, Any]],
    tmp_path: Path,
) -> None:
    """A manifest whose seed is not a non-negative integer is damaged input."""
    copy = tmp_path / "rec"
    shutil.copytree(recorded[0], copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["seed"] = True
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="'seed' must be a non-negative integer"):
        load_recording(copy)


def test_team_filters_keep_the_incidents_and_log_entries_of_those_teams(still: Sandbox) -> None:
    """team_ids[] on GET /incidents and GET /log_entries keeps what belongs to those teams."""
    pd = Pd(still)
    snap = still.account.snapshot()
    team = next(iter(snap.teams))
    incidents = pd.every("/incidents", "incidents", date_range="all", **{"team_ids[]": team})
    expected = [i.id for i in snap.incidents.values() if team in i.team_ids]
    assert sorted(i["id"] for i in incidents) == sorted(expected) and expected
    assert all(team in [t["id"] for t in i["teams"]] for i in incidents)
    entries = pd.every("/log_entries", "log_entries", **{"team_ids[]": team})
    assert entries and all(team in [t["id"] for t in e["teams"]] for e in entries)


def test_a_seed_for_the_empty_account_is_a_usage_error() -> None:
    """`harness sandbox --account empty --seed 3` exits 2 saying the seed has nothing to shape."""
    result = CliRunner().invoke(cli, ["sandbox", "--account", "empty", "--seed", "3"])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "error: A seed only shapes the busy account; the empty one has nothing to generate.",
        "next: Leave out the seed, or use the busy account.",
    ]
