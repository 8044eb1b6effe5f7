"""`/teams`: list, create, show and delete the account's teams."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.sandbox.api import Call, Reply, Route, invalid, lookup, page_by_name
from harness.sandbox.body import new_resource, optional_text, required_text
from harness.sandbox.records import Team
from harness.sandbox.render import Json, present
from harness.sandbox.state import Account

DEFAULT_ROLES = ("manager", "none")
MAX_NAME = 100
MAX_DESCRIPTION = 1024


def list_teams(call: Call) -> Reply:
    """List teams whose name contains `query`, ordered by name."""
    needle = call.request.args.get("query", "").lower()
    with call.account.lock:
        teams = (t for t in call.account.teams.values() if needle in t.name.lower())
        return page_by_name(call, "teams", teams, lambda t: render_team(call, t), sortable=False)


def create_team(call: Call) -> Reply:
    """Create a team; names are unique per account and at most 100 characters."""
    data = new_resource(call, "team")
    name = required_text(data, "name")
    description = optional_text(data, "description")
    role = data.get("default_role", "manager")
    if len(name) > MAX_NAME or len(description or "") > MAX_DESCRIPTION:
        raise invalid(
            f"Name is too long (maximum is {MAX_NAME} characters); description at most {MAX_DESCRIPTION}."
        )
    if role not in DEFAULT_ROLES:
        raise invalid(f"Default role must be one of {', '.join(DEFAULT_ROLES)}.")
    account = call.account
    with account.lock:
        if any(t.name.lower() == name.lower() for t in account.teams.values()):
            raise invalid("Name has already been taken")
        team = Team(account.new_id(), name, description, str(role))
        account.teams[team.id] = team
        account.names[team.id] = name
        body = {"team": render_team(call, team, full=True)}
    return Reply(201, body)


def get_team(call: Call) -> Reply:
    """Show one team."""
    with call.account.lock:
        return Reply(200, {"team": render_team(call, _find(call), full=True)})


def delete_team(call: Call) -> Reply:
    """Delete a team; its members, policies, services and schedules no longer name it."""
    account = call.account
    with account.lock:
        team = _find(call)
        _leave(account, team.id)
        del account.teams[team.id]
    return Reply(204, None)


def _leave(account: Account, team_id: str) -> None:
    tables: tuple[dict[str, Any], ...] = (
        account.users,
        account.escalation_policies,
        account.services,
        account.schedules,
    )
    for table in tables:
        for key, record in list(table.items()):
            if team_id in record.team_ids:
                table[key] = replace(record, team_ids=tuple(t for t in record.team_ids if t != team_id))


def _find(call: Call) -> Team:
    return lookup(call.account.teams, call.args["id"])


def render_team(call: Call, team: Team, *, full: bool = False) -> Json:
    """Render a team; shown alone (`full`) with its default role, as the spec's examples are.

    A team made without a description has none to show.
    """
    body: Json = {
        "id": team.id,
        "type": "team",
        "summary": team.name,
        "self": f"{call.api_url}/teams/{team.id}",
        "html_url": f"{call.web_url}/teams/{team.id}",
        "name": team.name,
        **present(description=team.description),
    }
    if full:
        body["default_role"] = team.default_role
    return body


ROUTES = (
    Route("/teams", "GET", list_teams),
    Route("/teams", "POST", create_team),
    Route("/teams/<id>", "GET", get_team),
    Route("/teams/<id>", "DELETE", delete_team),
)
