"""A lived-in account, generated from a seed: people, teams, policies, services, then their history.

Everything personal here is fake, made by Faker seeded per account (`seed_instance`, never the
global seed) and by `random.Random` instances seeded from the same number, so one seed always
gives the same account, ids included (the account's id generator is seeded too).
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from faker import Faker

from harness.sandbox import history
from harness.sandbox.chatter import Chatter, Person, phone_number
from harness.sandbox.records import (
    ContactMethod,
    EscalationPolicy,
    EscalationRule,
    Integration,
    NotificationRule,
    Priority,
    Service,
    Team,
    User,
)
from harness.sandbox.state import USER_COLORS, Account

TEAM_NAMES = (
    "Platform",
    "Payments",
    "Mobile",
    "Data Infrastructure",
    "SRE",
    "Customer Support",
    "Security",
    "Networking",
    "Identity",
    "Search",
    "Checkout",
    "Storage",
)
SERVICE_NAMES = (
    "checkout-api",
    "payments-gateway",
    "search-indexer",
    "auth-service",
    "mobile-backend",
    "orders-db",
    "notification-worker",
    "cdn-edge",
    "billing-cron",
    "inventory-sync",
    "graphql-gateway",
    "kafka-cluster",
    "data-warehouse-etl",
    "status-page",
    "vpn-concentrator",
)
# Every inbound integration type the spec lists, with the name PagerDuty's UI gives it.
INTEGRATION_TYPES = {
    "events_api_v2_inbound_integration": "Events API V2",
    "generic_events_api_inbound_integration": "Events API",
    "generic_email_inbound_integration": "Email",
    "aws_cloudwatch_inbound_integration": "Amazon CloudWatch",
    "nagios_inbound_integration": "Nagios",
    "pingdom_inbound_integration": "Pingdom",
    "keynote_inbound_integration": "Keynote",
    "sql_monitor_inbound_integration": "SQL Monitor",
    "cloudkick_inbound_integration": "Cloudkick",
    "event_transformer_api_inbound_integration": "Custom Event Transformer",
}
EVENTS_KEYED = ("events_api_v2_inbound_integration", "generic_events_api_inbound_integration")
PRIORITIES = (
    ("P1", "Critical: customers cannot use the product"),
    ("P2", "High: a major feature is degraded"),
    ("P3", "Moderate: partial degradation, workaround exists"),
    ("P4", "Low: minor issue"),
    ("P5", "Informational"),
)
ROLES = ("admin", "user", "user", "user", "limited_user", "observer", "read_only_user")
TIME_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Etc/UTC",
)
HEX = "0123456789abcdef"


@dataclass(frozen=True)
class Cast:
    """What the background activity may act on: only what the generator made, never the scenario's."""

    user_ids: tuple[str, ...]
    service_ids: frozenset[str]
    chatter: Chatter


def populate(account: Account, *, seed: int, now: datetime) -> Cast:
    """Fill the account with generated people, teams, services and history; the caller holds the lock."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(f"{seed}:account")
    domain = fake.domain_name()
    teams = _teams(account, rng)
    _priorities(account)
    users = _users(account, fake, rng, domain=domain, teams=teams, now=now)
    # Free text names the people who have a phone, with their email and number.
    people = [
        Person(u.name, u.email, m.country_code or 1, m.address)
        for u in users
        for m in u.contact_methods
        if m.type == "phone_contact_method"
    ]
    chatter = Chatter(
        fake, random.Random(f"{seed}:text"), domain=domain, services=SERVICE_NAMES, people=people
    )
    policies = _policies(account, fake, rng, users=users, teams=teams, now=now)
    services = _services(account, fake, rng, policies=policies, now=now)
    history.write(account, rng, chatter, services=services, users=users, now=now)
    return Cast(tuple(u.id for u in users), frozenset(s.id for s in services), chatter)


def _teams(account: Account, rng: random.Random) -> list[Team]:
    teams = []
    for name in rng.sample(TEAM_NAMES, rng.randint(3, 8)):
        team = Team(account.new_id(), name, rng.choice((None, f"The {name} team's on-call rota.")))
        account.teams[team.id] = team
        account.names[team.id] = name
        teams.append(team)
    return teams


def _priorities(account: Account) -> None:
    for name, description in PRIORITIES:
        priority = Priority(account.new_id(), name, description)
        account.priorities[priority.id] = priority
        account.names[priority.id] = name


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _users(
    account: Account,
    fake: Faker,
    rng: random.Random,
    *,
    domain: str,
    teams: list[Team],
    now: datetime,
) -> list[User]:
    users: list[User] = []
    emails: set[str] = {u.email for u in account.users.values()}
    for index in range(rng.randint(20, 50)):
        first, last = fake.first_name(), fake.last_name()
        email = f"{_ascii(first)}.{_ascii(last)}@{domain}"
        while email in emails:
            email = f"{_ascii(first)}.{_ascii(last)}{rng.randint(2, 99)}@{domain}"
        emails.add(email)
        # The first user has one of every contact method type, so every type is always present.
        methods = _contact_methods(account, fake, rng, email=email, first=first, every=index == 0)
        user = User(
            id=account.new_id(),
            name=f"{first} {last}",
            email=email,
            role=rng.choice(ROLES),
            time_zone=rng.choice(TIME_ZONES),
            color=USER_COLORS[(len(account.users)) % len(USER_COLORS)],
            job_title=fake.job() if rng.random() < 0.7 else "",
            description=rng.choice((None, None, fake.sentence())),
            invitation_sent=True,
            created_at=now - timedelta(days=rng.randint(30, 1500), seconds=rng.randint(0, 86399)),
            contact_methods=methods,
            notification_rules=_rules(account, rng, methods),
            calendar_token="".join(account.ids.choices(HEX.upper(), k=16)),
            team_ids=tuple(t.id for t in rng.sample(teams, rng.choice((1, 1, 2)))),
        )
        account.users[user.id] = user
        account.names[user.id] = user.name
        users.append(user)
    return users


def _contact_methods(
    account: Account,
    fake: Faker,
    rng: random.Random,
    *,
    email: str,
    first: str,
    every: bool,
) -> tuple[ContactMethod, ...]:
    methods = [ContactMethod(account.new_id(), "email_contact_method", "Work", email)]
    if every or rng.random() < 0.3:
        methods.append(ContactMethod(account.new_id(), "email_contact_method", "Personal", fake.free_email()))
    if every or rng.random() < 0.9:
        country, digits = phone_number(rng)
        methods.append(ContactMethod(account.new_id(), "phone_contact_method", "Mobile", digits, country))
        methods.append(ContactMethod(account.new_id(), "sms_contact_method", "Mobile", digits, country))
        if every or rng.random() < 0.2:
            methods.append(
                ContactMethod(account.new_id(), "whatsapp_contact_method", "WhatsApp", digits, country)
            )
    if every or rng.random() < 0.6:
        device = rng.choice(("ios", "android"))
        label = f"{first}'s {'iPhone' if device == 'ios' else rng.choice(('Pixel', 'Galaxy'))}"
        methods.append(
            ContactMethod(
                account.new_id(),
                "push_notification_contact_method",
                label,
                "".join(rng.choices(HEX, k=64)),
                device_type=device,
            )
        )
    return tuple(methods)


def _rules(
    account: Account, rng: random.Random, methods: tuple[ContactMethod, ...]
) -> tuple[NotificationRule, ...]:
    """High urgency: every method at once or a little later; low urgency: email only."""
    rules = []
    for method in methods:
        if method.type == "whatsapp_contact_method":
            continue
        rules.append(NotificationRule(account.new_id(), method.id, rng.choice((0, 0, 0, 5)), "high"))
        if method.type == "email_contact_method":
            rules.append(NotificationRule(account.new_id(), method.id, 0, "low"))
    return tuple(rules)


def _policies(
    account: Account,
    fake: Faker,
    rng: random.Random,
    *,
    users: list[User],
    teams: list[Team],
    now: datetime,
) -> list[EscalationPolicy]:
    policies = []
    for team in teams:
        members = [u.id for u in users if team.id in u.team_ids] or [rng.choice(users).id]
        rules = tuple(
            EscalationRule(
                account.new_id(),
                rng.choice((5, 10, 15, 30)),
                tuple(rng.sample(members, min(len(members), rng.choice((1, 1, 2))))),
            )
            for _ in range(rng.randint(1, 3))
        )
        policy = EscalationPolicy(
            id=account.new_id(),
            name=f"{team.name} {rng.choice(('On-Call', 'Escalation', 'Primary'))}",
            description=rng.choice(("", fake.sentence())),
            num_loops=rng.randint(0, 3),
            on_call_handoff_notifications=rng.choice(("if_has_services", "always")),
            rules=rules,
            created_at=now - timedelta(days=rng.randint(200, 1500)),
            team_ids=(team.id,),
        )
        account.escalation_policies[policy.id] = policy
        account.names[policy.id] = policy.name
        policies.append(policy)
    return policies


def _services(
    account: Account,
    fake: Faker,
    rng: random.Random,
    *,
    policies: list[EscalationPolicy],
    now: datetime,
) -> list[Service]:
    names = rng.sample(SERVICE_NAMES, rng.randint(8, len(SERVICE_NAMES)))
    # Deal every integration type round the services, so each type is always present.
    kinds = list(INTEGRATION_TYPES)
    rng.shuffle(kinds)
    dealt: list[set[str]] = [set() for _ in names]
    for index, kind in enumerate(kinds):
        dealt[index % len(names)].add(kind)
    services = []
    for name, wanted in zip(names, dealt, strict=True):
        policy = rng.choice(policies)
        service = Service(
            id=account.new_id(),
            name=name,
            description=rng.choice((None, fake.catch_phrase())),
            escalation_policy_id=policy.id,
            auto_resolve_timeout=rng.choice((14400, 14400, 86400, 3600)),
            acknowledgement_timeout=rng.choice((1800, 1800, 3600, 14400)),
            status="active",
            created_at=now - timedelta(days=rng.randint(200, 1500)),
            team_ids=policy.team_ids,
        )
        wanted.add(rng.choice(EVENTS_KEYED))
        integrations = [_integration(account, rng, service, kind) for kind in sorted(wanted)]
        service = replace(service, integration_ids=tuple(i.id for i in integrations))
        account.services[service.id] = service
        account.names[service.id] = name
        services.append(service)
    return services


def _integration(account: Account, rng: random.Random, service: Service, kind: str) -> Integration:
    integration_id = account.new_id()
    integration = Integration(
        id=integration_id,
        type=kind,
        name=INTEGRATION_TYPES[kind],
        service_id=service.id,
        created_at=service.created_at + timedelta(days=rng.randint(0, 100)),
        integration_key="".join(rng.choices(HEX, k=32)) if kind in EVENTS_KEYED else None,
        integration_email=f"{service.name}-{integration_id.lower()}@{account.subdomain}.pagerduty.com"
        if kind == "generic_email_inbound_integration"
        else None,
    )
    account.integrations[integration.id] = integration
    account.names[integration.id] = integration.name
    return integration
