"""`/users`: list, create (From required), show and delete account members."""

from __future__ import annotations

from dataclasses import replace

from harness.sandbox.api import Call, Reply, Route, includes, invalid, lookup, page_by_name
from harness.sandbox.body import new_resource, optional_text, required_text
from harness.sandbox.records import ContactMethod, NotificationRule, User
from harness.sandbox.render import Json

ROLES = (
    "admin",
    "limited_user",
    "observer",
    "owner",
    "read_only_user",
    "restricted_access",
    "read_only_limited_user",
    "user",
)
AVATAR_URL = "https://pd-static-assets.pagerduty.com/users/blank-avatar.png"
LOCALE = "en-US"


def list_users(call: Call) -> Reply:
    """List users whose name or email contains `query`, ordered by name."""
    needle = call.request.args.get("query", "").lower()
    include = includes(call)
    with call.account.lock:
        users = (
            u for u in call.account.users.values() if needle in u.name.lower() or needle in u.email.lower()
        )
        return page_by_name(call, "users", users, lambda u: render_user(call, u, include), sortable=False)


def create_user(call: Call) -> Reply:
    """Create a user; PagerDuty gives every new user an email contact method."""
    data = new_resource(call, "user")
    name = required_text(data, "name")
    email = required_text(data, "email")
    role = data.get("role", "user")
    if role not in ROLES:
        raise invalid(f"Role must be one of {', '.join(ROLES)}.")
    if "@" not in email.strip(" @"):
        raise invalid("Email must be a valid email address.")
    with call.account.lock:
        if call.account.user_by_email(email) is not None:
            raise invalid("Email has already been taken")
        user = call.account.add_user(
            name=name,
            email=email,
            role=str(role),
            time_zone=optional_text(data, "time_zone") or "Etc/UTC",
            job_title=optional_text(data, "job_title") or "",
            description=optional_text(data, "description"),
        )
        if isinstance(data.get("color"), str):
            user = replace(user, color=data["color"])
            call.account.users[user.id] = user
        body = {"user": render_user(call, user, frozenset())}
    return Reply(201, body)


def get_user(call: Call) -> Reply:
    """Show one user."""
    with call.account.lock:
        user = _find(call)
        return Reply(200, {"user": render_user(call, user, includes(call))})


def delete_user(call: Call) -> Reply:
    """Delete a user; refused while incidents are assigned to them, and for the owner."""
    account = call.account
    with account.lock:
        user = _find(call)
        if user.id == account.owner_id:
            raise invalid("The account owner cannot be deleted.")
        if any(
            any(a.user_id == user.id for a in i.assignments)
            for i in account.incidents.values()
            if i.status != "resolved"
        ):
            raise invalid("User cannot be deleted as they have assigned incidents.")
        for policy in list(account.escalation_policies.values()):
            rules = tuple(
                replace(r, user_ids=tuple(u for u in r.user_ids if u != user.id)) for r in policy.rules
            )
            account.escalation_policies[policy.id] = replace(policy, rules=rules)
        del account.users[user.id]
    return Reply(204, None)


def _find(call: Call) -> User:
    return lookup(call.account.users, call.args["id"])


def render_user(call: Call, user: User, include: frozenset[str]) -> Json:
    """Render a user; include[] expands contact methods and notification rules."""
    methods = [
        render_contact_method(call, user, m)
        if "contact_methods" in include
        else _contact_method_ref(call, user, m)
        for m in user.contact_methods
    ]
    rules = [
        _notification_rule(call, user, r, full="notification_rules" in include)
        for r in user.notification_rules
    ]
    body: Json = {
        "id": user.id,
        "type": "user",
        "summary": user.name,
        "self": f"{call.api_url}/users/{user.id}",
        "html_url": f"{call.web_url}/users/{user.id}",
        "name": user.name,
        "email": user.email,
        "time_zone": user.time_zone,
        "color": user.color,
        "role": user.role,
        "avatar_url": AVATAR_URL,
        "description": user.description,
        "invitation_sent": user.invitation_sent,
        "created_via_sso": False,
        "contact_methods": methods,
        "notification_rules": rules,
        # Null when unset, as the live API answers; it also sends billed and locale.
        "job_title": user.job_title or None,
        "teams": call.refs.teams(user.team_ids),
        "billed": True,
        "locale": LOCALE,
    }
    if "subdomains" in include:
        body["subdomains"] = [call.account.subdomain]
    if "calendar_urls" in include:
        # Bearer URLs: anyone holding one can read the user's on-call calendar.
        feed = f"webcal.pagerduty.com/private/{user.calendar_token}/feed"
        body["http_cal_url"] = f"https://{feed}"
        body["web_cal_url"] = f"webcal://{feed}"
    return body


def _contact_method_ref(call: Call, user: User, method: ContactMethod) -> Json:
    return {
        "id": method.id,
        "type": f"{method.type}_reference",
        "summary": method.label,
        "self": f"{call.api_url}/users/{user.id}/contact_methods/{method.id}",
        # Contact methods have no web page; live references say so with a null html_url.
        "html_url": None,
    }


def render_contact_method(call: Call, user: User, method: ContactMethod) -> Json:
    """Render a contact method in full: label, address and, for phones, the country code."""
    body = {
        **_contact_method_ref(call, user, method),
        "type": method.type,
        "label": method.label,
        "address": method.address,
    }
    if method.type == "email_contact_method":
        body["send_short_email"] = False
    elif method.device_type is not None:
        body.update(device_type=method.device_type, blacklisted=False)
    else:
        body.update(country_code=method.country_code, blacklisted=False, enabled=True)
    return body


def _notification_rule(call: Call, user: User, rule: NotificationRule, *, full: bool) -> Json:
    body: Json = {
        "id": rule.id,
        "type": "assignment_notification_rule" if full else "assignment_notification_rule_reference",
        "summary": f"{rule.start_delay_in_minutes} minutes: channel {rule.contact_method_id}",
        "self": f"{call.api_url}/users/{user.id}/notification_rules/{rule.id}",
        "html_url": None,
    }
    if full:
        method = next(m for m in user.contact_methods if m.id == rule.contact_method_id)
        body.update(
            start_delay_in_minutes=rule.start_delay_in_minutes,
            contact_method=_contact_method_ref(call, user, method),
            urgency=rule.urgency,
        )
    return body


ROUTES = (
    Route("/users", "GET", list_users),
    Route("/users", "POST", create_user, from_header="required"),
    Route("/users/<id>", "GET", get_user),
    Route("/users/<id>", "DELETE", delete_user),
)
