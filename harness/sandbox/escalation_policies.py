"""`/escalation_policies`: list, create, show and delete (refused while a service uses it)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.sandbox.api import Call, Reply, Route, invalid, lookup, page_by_name, query_list
from harness.sandbox.body import int_field, new_resource, optional_text, required_text
from harness.sandbox.records import EscalationPolicy, EscalationRule
from harness.sandbox.render import Json, local_stamp
from harness.sandbox.state import Account

USER_TARGETS = ("user", "user_reference")
SCHEDULE_TARGETS = ("schedule", "schedule_reference", "schedule_v3_reference")
HANDOFF_NOTIFICATIONS = ("if_has_services", "always")
MAX_TARGETS = 10


def list_policies(call: Call) -> Reply:
    """List policies whose name contains `query`, optionally only those targeting `user_ids[]`."""
    needle = call.request.args.get("query", "").lower()
    user_ids = set(query_list(call, "user_ids"))
    with call.account.lock:
        policies = (
            p
            for p in call.account.escalation_policies.values()
            if needle in p.name.lower() and (not user_ids or any(user_ids & set(r.user_ids) for r in p.rules))
        )
        return page_by_name(
            call, "escalation_policies", policies, lambda p: render_policy(call, p), sortable=True
        )


def create_policy(call: Call) -> Reply:
    """Create a policy from its rules; names are unique per account."""
    data = new_resource(call, "escalation_policy")
    name = required_text(data, "name")
    num_loops = int_field(data, "num_loops", 0) or 0
    if not 0 <= num_loops <= 9:
        raise invalid("Num loops must be between 0 and 9.")
    handoff = data.get("on_call_handoff_notifications", "if_has_services")
    if handoff not in HANDOFF_NOTIFICATIONS:
        raise invalid(f"On call handoff notifications must be one of {', '.join(HANDOFF_NOTIFICATIONS)}.")
    account = call.account
    with account.lock:
        if any(p.name.lower() == name.lower() for p in account.escalation_policies.values()):
            raise invalid("Escalation Policy has already been taken")
        rules = _rules(account, data.get("escalation_rules"))
        policy = EscalationPolicy(
            id=account.new_id(),
            name=name,
            description=optional_text(data, "description") or "",
            num_loops=num_loops,
            on_call_handoff_notifications=str(handoff),
            rules=rules,
            created_at=account.now(),
        )
        account.escalation_policies[policy.id] = policy
        account.names[policy.id] = name
        _attach_services(account, policy, data.get("services"))
        body = {"escalation_policy": render_policy(call, policy)}
    return Reply(201, body)


def _rules(account: Account, raw: Any) -> tuple[EscalationRule, ...]:
    if not isinstance(raw, list) or not raw:
        raise invalid("Escalation rules must be a non-empty list.")
    rules = []
    for rule in raw:
        if not isinstance(rule, dict):
            raise invalid("Each escalation rule must be an object.")
        delay = int_field(rule, "escalation_delay_in_minutes", None)
        if delay is None or delay < 0:
            raise invalid("Escalation delay in minutes must be a non-negative integer.")
        user_ids, schedule_ids = _targets(account, rule.get("targets"))
        rules.append(EscalationRule(account.new_id(), delay, user_ids, schedule_ids))
    return tuple(rules)


def _targets(account: Account, raw: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The user ids and the schedule ids a rule targets, each of which must exist."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_TARGETS:
        raise invalid(f"Escalation rule targets must list between 1 and {MAX_TARGETS} targets.")
    user_ids: list[str] = []
    schedule_ids: list[str] = []
    for target in raw:
        kind = target.get("type") if isinstance(target, dict) else None
        target_id = target.get("id") if isinstance(target, dict) else None
        if kind not in (*USER_TARGETS, *SCHEDULE_TARGETS) or not isinstance(target_id, str):
            raise invalid("Escalation rule targets must be user or schedule references.")
        if kind in SCHEDULE_TARGETS:
            if target_id not in account.schedules:
                raise invalid(f"Escalation rule target schedule {target_id} was not found.")
            schedule_ids.append(target_id)
        elif target_id not in account.users:
            raise invalid(f"Escalation rule target user {target_id} was not found.")
        else:
            user_ids.append(target_id)
    return tuple(user_ids), tuple(schedule_ids)


def _attach_services(account: Account, policy: EscalationPolicy, raw: Any) -> None:
    """Point the services listed in the request at the new policy, as PagerDuty does."""
    for ref in raw if isinstance(raw, list) else []:
        service = account.services.get(ref.get("id", "")) if isinstance(ref, dict) else None
        if service is not None:
            account.services[service.id] = replace(service, escalation_policy_id=policy.id)


def get_policy(call: Call) -> Reply:
    """Show one policy."""
    with call.account.lock:
        return Reply(200, {"escalation_policy": render_policy(call, _find(call))})


def delete_policy(call: Call) -> Reply:
    """Delete a policy; PagerDuty refuses while any service uses it."""
    account = call.account
    with account.lock:
        policy = _find(call)
        if any(s.escalation_policy_id == policy.id for s in account.services.values()):
            raise invalid("Escalation policy cannot be deleted while services use it.")
        del account.escalation_policies[policy.id]
    return Reply(204, None)


def _find(call: Call) -> EscalationPolicy:
    return lookup(call.account.escalation_policies, call.args["id"], "Escalation Policy Not Found", 5001)


def render_policy(call: Call, policy: EscalationPolicy) -> Json:
    """Render a policy with its rules' targets and the services that use it."""
    refs = call.refs
    return {
        "id": policy.id,
        "type": "escalation_policy",
        "summary": policy.name,
        "on_call_handoff_notifications": policy.on_call_handoff_notifications,
        "self": f"{call.api_url}/escalation_policies/{policy.id}",
        "html_url": f"{call.web_url}/escalation_policies/{policy.id}",
        "name": policy.name,
        "description": policy.description,
        "escalation_rules": [
            {
                "id": rule.id,
                "escalation_delay_in_minutes": rule.escalation_delay_in_minutes,
                "targets": [
                    *(refs.user(u) for u in rule.user_ids),
                    *(refs.schedule(s) for s in rule.schedule_ids),
                ],
            }
            for rule in policy.rules
        ],
        "services": [
            refs.service(s.id) for s in call.account.services.values() if s.escalation_policy_id == policy.id
        ],
        "num_loops": policy.num_loops,
        "teams": refs.teams(policy.team_ids),
        # The live API also sends these (2024 recordings), its times in the account's offset;
        # the sandbox never edits a policy, so it was last updated when it was created.
        "privilege": None,
        "created_at": local_stamp(call.account, policy.created_at),
        "updated_at": local_stamp(call.account, policy.created_at),
    }


ROUTES = (
    Route("/escalation_policies", "GET", list_policies),
    Route("/escalation_policies", "POST", create_policy, from_header="optional"),
    Route("/escalation_policies/<id>", "GET", get_policy),
    Route("/escalation_policies/<id>", "DELETE", delete_policy),
)
