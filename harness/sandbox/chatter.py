"""Free text as real alert payloads and responders write it: people, phones, hosts, IPs, URLs, tokens.

A `Chatter` is built once per generated account from its Faker instance (pools of hosts, addresses
and links) and then draws from a seeded `random.Random`, which is much faster than asking Faker
for every title; one seed always gives the same text.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass

from faker import Faker

HEX = "0123456789abcdef"
TOKEN_ALPHABET = string.ascii_letters + string.digits
# (country code, digits in the national number): mostly North American, as PagerDuty's users are.
COUNTRIES = ((1, 10), (1, 10), (1, 10), (1, 10), (44, 10), (49, 11), (61, 9), (91, 10))

TITLES = (
    "High CPU on {host} ({ip})",
    "Disk usage above 90% on {host}",
    "{service} p99 latency above 2s",
    "5xx rate spike on {url}",
    "TLS certificate for {domain} expires in 3 days",
    "Replication lag over 300s on {host}",
    "Customer {email} reports checkout failing",
    "Call {name} at {phone}: {service} is down",
    "Backup job failed on {host}",
    "Pod {service}-{hexid} is crash-looping",
    "Heartbeat missed from {host} ({ip})",
    "OOMKilled: {service} on {host}",
    "Queue depth above 10k for {service}",
    "[{severity}] {service}: error budget burn rate 14x",
    "Synthetic check {url} failed from 3 regions",
)
NOTES = (
    "Paged {name}, no answer yet; trying {phone}.",
    "{name} is on it. Bridge: {bridge}",
    "Rolled back {service} to the previous build. Watching {url}",
    "Root cause looks like {host} ({ip}) running out of file handles.",
    "Customer contact is {email}, phone {phone}.",
    "Escalated to {name} ({email}).",
    "Failover to {host} done; DNS TTL is 60s.",
    "False alarm, the check hit {url} during a deploy.",
    "Spoke to {name} on {phone}; they will restart {service} after the batch.",
    "Logs: {url}",
)
RESOLUTIONS = (
    "Restarted {service} on {host}.",
    "Fixed by {name}; postmortem to follow.",
    "Disk cleaned up on {host}.",
    "Upstream provider incident, resolved on their side.",
)
SEVERITIES = ("critical", "error", "warning", "info")


def phone_forms(country: int, digits: str) -> tuple[str, ...]:
    """The ways people write one number: bare, spaced, dotted, dashed, parenthesised, +country."""
    if country == 1:
        area, exchange, line = digits[:3], digits[3:6], digits[6:]
        return (
            digits,
            f"{area} {exchange} {line}",
            f"{area}.{exchange}.{line}",
            f"{area}-{exchange}-{line}",
            f"({area}) {exchange}-{line}",
            f"+1 {area} {exchange} {line}",
            f"+1{digits}",
            f"1-{area}-{exchange}-{line}",
        )
    head, middle, tail = digits[:-7], digits[-7:-4], digits[-4:]
    return (
        digits,
        f"0{head} {middle} {tail}",
        f"+{country} {head} {middle} {tail}",
        f"+{country}-{head}-{middle}-{tail}",
        f"+{country}.{head}.{middle}.{tail}",
        f"(0{head}) {middle}{tail}",
        f"+{country}{digits}",
    )


def phone_number(rng: random.Random) -> tuple[int, str]:
    """A fake phone number: (country code, national digits)."""
    country, length = rng.choice(COUNTRIES)
    return country, str(rng.randint(2, 9)) + "".join(rng.choices(string.digits, k=length - 1))


@dataclass(frozen=True)
class Person:
    """Who free text can name: a user's name, email and phone."""

    name: str
    email: str
    country_code: int
    phone: str  # national digits


class Chatter:
    """Writes titles, notes, resolutions and alert details for one account."""

    def __init__(
        self,
        fake: Faker,
        rng: random.Random,
        *,
        domain: str,
        services: Sequence[str],
        people: Sequence[Person],
    ) -> None:
        self.rng = rng
        self.domain = domain
        self.services = tuple(services)
        self.people = tuple(people)
        envs = ("prod", "prod", "staging", "eu1", "us-east-1")
        self.hosts = tuple(
            f"{fake.word()}-{rng.randint(1, 40):02d}.{rng.choice(envs)}.{domain}" for _ in range(30)
        ) + tuple(fake.hostname() for _ in range(10))
        self.ips = tuple(fake.ipv4_private() for _ in range(20)) + tuple(
            fake.ipv4_public() for _ in range(10)
        )
        self.urls = tuple(fake.url() for _ in range(10))
        self.outsiders = tuple(fake.free_email() for _ in range(15))

    def token(self, length: int = 32) -> str:
        return "".join(self.rng.choices(TOKEN_ALPHABET, k=length))

    def hexid(self, length: int = 8) -> str:
        return "".join(self.rng.choices(HEX, k=length))

    def link(self) -> str:
        """A URL as alerts carry them: dashboards and runbooks, often with a token in the query."""
        rng = self.rng
        host = rng.choice(("grafana", "kibana", "wiki", "runbooks", "ci", "status"))
        forms = (
            f"https://{host}.{self.domain}/d/{self.hexid()}?orgId=1&api_key={self.token()}",
            f"https://{host}.{self.domain}/runbook/{rng.choice(self.services)}?token={self.token(24)}",
            f"{rng.choice(self.urls)}?access_token={self.token(40)}",
            f"https://{rng.choice(self.hosts)}:8443/healthz",
            f"https://hooks.{self.domain}/services/{self.token(9)}/{self.token(24)}",
        )
        return rng.choice(forms)

    def bridge(self) -> dict[str, str]:
        """A conference bridge: dial-in with pauses and PIN, and a meeting link with its password."""
        country, digits = phone_number(self.rng)
        dial = self.rng.choice(phone_forms(country, digits)[2:])
        pin = "".join(self.rng.choices(string.digits, k=self.rng.choice((4, 6, 9))))
        meeting = "".join(self.rng.choices(string.digits, k=10))
        return {
            "conference_number": f"{dial},,,,{pin}#",
            "conference_url": f"https://{self.domain.split('.')[0]}.zoom.us/j/{meeting}?pwd={self.token(22)}",
        }

    def _fill(self, template: str, service: str | None = None) -> str:
        rng = self.rng
        person = rng.choice(self.people)
        return template.format(
            host=rng.choice(self.hosts),
            ip=rng.choice(self.ips),
            url=self.link(),
            service=service or rng.choice(self.services),
            domain=self.domain,
            email=rng.choice((person.email, rng.choice(self.outsiders))),
            name=person.name,
            phone=rng.choice(phone_forms(person.country_code, person.phone)),
            hexid=self.hexid(5),
            severity=rng.choice(SEVERITIES).upper(),
            bridge=self.bridge()["conference_url"],
        )

    def title(self, service: str) -> str:
        return self._fill(self.rng.choice(TITLES), service)

    def note(self) -> str:
        return self._fill(self.rng.choice(NOTES))

    def resolution(self) -> str:
        return self._fill(self.rng.choice(RESOLUTIONS))

    def details(self, service: str) -> dict[str, object]:
        """An alert's custom details, as monitoring tools send them."""
        rng = self.rng
        person = rng.choice(self.people)
        details: dict[str, object] = {
            "host": rng.choice(self.hosts),
            "ip": rng.choice(self.ips),
            "check": f"{service}.{rng.choice(('latency', 'errors', 'disk', 'cpu', 'heartbeat'))}",
            "value": round(rng.uniform(0, 100), 2),
            "runbook": self.link(),
            "dashboard": self.link(),
            "owner": f"{person.name} <{person.email}>",
            "on_call_phone": rng.choice(phone_forms(person.country_code, person.phone)),
        }
        if rng.random() < 0.5:
            details["message"] = self.note()
        return details
