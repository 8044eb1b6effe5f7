"""Frozen settings for a live run, built from options and environment.

Precedence, merged in `build_settings`: an explicit `--api-url`/`--events-url` beats `--region`;
click has already resolved option versus environment variable (`PAGERDUTY_API_TOKEN`,
`PAGERDUTY_FROM_EMAIL`), with the option winning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from harness.errors import ConfigError
from harness.secrets.patterns import EMAIL_RE, TEST_USER_TAG

REGIONS = {
    "us": ("https://api.pagerduty.com", "https://events.pagerduty.com"),
    "eu": ("https://api.eu.pagerduty.com", "https://events.eu.pagerduty.com"),
}
EVENTS_PATH = "/v2/enqueue"
SUBDOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# REST API keys are 20 characters of letters, digits, `_`, `-` and `+`; anything visible in ASCII
# is let through, but never a space, a control character or a letter an HTTP header cannot carry.
TOKEN_RE = re.compile(r"[\x21-\x7e]{1,1024}")


@dataclass(frozen=True)
class Settings:
    """Everything a live recording needs to know; secrets are excluded from the repr."""

    api_url: str
    events_url: str
    subdomain: str
    region: str
    out: Path
    sandbox: bool = False
    poll_timeout: float = 120.0
    request_timeout: float = 30.0
    # The certificate authority to trust instead of the system's (the https sandbox's ca.pem).
    ca_bundle: Path | None = None
    # The busy sandbox account's seed, kept in the manifest (None for live runs and empty accounts).
    sandbox_seed: int | None = None
    token: str = field(default="", repr=False)
    from_email: str = field(default="", repr=False)

    @property
    def test_user_email(self) -> str:
        return derive_test_user_email(self.from_email)


def derive_test_user_email(from_email: str) -> str:
    """The test user's address: the operator's own mailbox, plus-addressed, so invitations reach it."""
    local, _, domain = from_email.partition("@")
    return f"{local.split('+', 1)[0]}+{TEST_USER_TAG}@{domain}"


def check_subdomain(value: str) -> str:
    """Return the subdomain in canonical form, or raise `ConfigError` saying what a valid one is."""
    canonical = value.strip().lower()
    if canonical.endswith(".pagerduty.com"):
        canonical = canonical.removesuffix(".pagerduty.com").removesuffix(".eu")
    if not SUBDOMAIN_RE.match(canonical):
        raise ConfigError(
            f"{value!r} is not a PagerDuty subdomain",
            hint="give the first label of your account's address: for https://acme-co.pagerduty.com "
            "use --subdomain acme-co",
        )
    return canonical


def check_email(value: str, *, what: str) -> str:
    """Return the email, or raise `ConfigError`; the message never repeats it (it is personal)."""
    if not EMAIL_RE.fullmatch(value):
        raise ConfigError(
            f"{what} is not an email address{_flaw(value)}",
            hint="give the email of an existing user of the account",
        )
    return value


def check_token(value: str, *, what: str = "the API token") -> str:
    """Return the token, or raise `ConfigError` naming the flaw but never the token itself."""
    if not TOKEN_RE.fullmatch(value):
        raise ConfigError(
            f"{what} is not a PagerDuty API key{_flaw(value) or ' (it holds characters a key has not)'}",
            hint="copy the key again from PagerDuty (Integrations > API Access Keys), without quotes, "
            "spaces or line breaks",
        )
    return value


def check_base_url(value: str, *, what: str) -> str:
    """Return the URL without a trailing slash, or raise if it is not an absolute http(s) URL.

    A user name or password in the URL is refused, and never repeated: PagerDuty authenticates by
    token, and requests would send the pair as Basic auth in place of the token.
    """
    flaw = _flaw(value)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - where urlsplit rejects a malformed host or port
    except ValueError as exc:
        flaw = flaw or f" ({exc})"
        parts = None
    if parts is not None and (parts.username is not None or parts.password is not None):
        raise ConfigError(
            f"{what} holds a user name or password (not shown)",
            hint="drop the user:password@ part; the token authenticates",
        )
    if (
        flaw
        or parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
    ):
        raise ConfigError(
            f"{what} {value!r} is not a base URL" if not flaw else f"{what} is not a base URL{flaw}",
            hint="give an absolute http(s) URL such as https://api.pagerduty.com",
        )
    return value.rstrip("/")


def _flaw(value: str) -> str:
    """Why a value pasted from somewhere cannot be used, in words that do not repeat it."""
    if any(ch in "\r\n" for ch in value):
        return " (it holds a line break: a copy-paste?)"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return " (it holds a control character)"
    if any(ch.isspace() for ch in value):
        return " (it holds a space)"
    return ""


def build_settings(
    *,
    subdomain: str,
    token: str,
    from_email: str,
    region: str,
    api_url: str | None,
    events_url: str | None,
    out: Path,
    poll_timeout: float,
    sandbox: bool = False,
    request_timeout: float = 30.0,
    ca_bundle: Path | None = None,
    sandbox_seed: int | None = None,
) -> Settings:
    """Validate and merge the options of a live run."""
    if region not in REGIONS and not sandbox:
        raise ConfigError(f"unknown region {region!r}", hint="use --region us or --region eu")
    if not token:
        raise ConfigError(
            "no PagerDuty API token",
            hint="pass --token or set PAGERDUTY_API_TOKEN to a REST API key (or use --sandbox)",
        )
    check_token(token, what="the API token (--token or PAGERDUTY_API_TOKEN)")
    if not from_email:
        raise ConfigError(
            "no From email",
            hint="pass --from-email or set PAGERDUTY_FROM_EMAIL to the email of a user of the account",
        )
    default_api, default_events = REGIONS.get(region, REGIONS["us"])
    if not poll_timeout > 0:  # also refuses NaN, which compares false to everything
        raise ConfigError("--poll-timeout must be positive", hint="give a number of seconds, e.g. 120")
    return Settings(
        api_url=check_base_url(api_url or default_api, what="API URL"),
        events_url=check_base_url(events_url or default_events, what="Events URL"),
        subdomain=check_subdomain(subdomain),
        region=region,
        out=out,
        sandbox=sandbox,
        poll_timeout=poll_timeout,
        request_timeout=request_timeout,
        ca_bundle=ca_bundle,
        sandbox_seed=sandbox_seed,
        token=token,
        from_email=check_email(from_email, what="From email"),
    )
