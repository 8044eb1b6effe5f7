"""The check before anything is created: token, subdomain and From email, in one cheap GET."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from harness.client import Client, api_message
from harness.errors import AuthError, ConfigError, StepFailed
from harness.secrets.scrub import discover_json
from harness.secrets.vault import Vault
from harness.settings import Settings

REFUSALS = {
    401: "the API token was refused (401)",
    402: "the account lacks an ability this scenario needs (402)",
    403: "the API token may not read users (403)",
    404: "the API URL answered 404: it does not look like PagerDuty's REST API",
}
HINTS = {
    401: "check --token / PAGERDUTY_API_TOKEN: it must be a REST API key of the account",
    402: "use an account whose plan includes users, escalation policies and services",
    403: "use a full-access (not read-only) REST API key",
    404: "check --region or --api-url",
}


def check_account(client: Client, *, settings: Settings, vault: Vault) -> None:
    """Fail in a second, with exit 2, when the token, subdomain or From email is wrong.

    `GET /users?query=<From email>` answers all three: it needs a valid token, its users' html_url
    carries the account subdomain, and it finds the From user when there is one.
    """
    with client.tape.off_the_record():
        try:
            response = client.get("/users", params={"query": settings.from_email, "limit": 100})
        except StepFailed as exc:
            raise ConfigError(
                f"cannot reach the API at {vault.replace_known(settings.api_url)}: {exc}",
                hint="check the network, --region and --api-url",
            ) from None
    if response.status_code in REFUSALS:
        raise AuthError(
            f"{REFUSALS[response.status_code]} {api_message(response)}".strip(),
            hint=HINTS[response.status_code],
        )
    users = _users(response)
    discover_json(vault, users)
    wanted = settings.from_email.lower()
    match = [u for u in users if str(u.get("email", "")).lower() == wanted]
    if not match:
        raise AuthError(
            "the From email is not a user of this account",
            hint="set --from-email / PAGERDUTY_FROM_EMAIL to the email of an existing user (an admin)",
        )
    host = urlsplit(str(match[0].get("html_url", ""))).hostname or ""
    if host.split(".", 1)[0] != settings.subdomain:
        raise AuthError(
            "the API token belongs to another account than the one --subdomain names",
            hint="check --subdomain: it is the first label of the account's address "
            "(acme-co for https://acme-co.pagerduty.com)",
        )


def _users(response: requests.Response) -> list[dict[str, object]]:
    if not response.ok:
        raise AuthError(
            f"the API answered {response.status_code} to the first request {api_message(response)}".strip(),
            hint="check --token, --region and --api-url",
        )
    try:
        users = response.json().get("users")
    except (ValueError, AttributeError):
        users = None
    if not isinstance(users, list):
        raise AuthError(
            "the API URL did not answer like PagerDuty's REST API", hint="check --region or --api-url"
        )
    return users
