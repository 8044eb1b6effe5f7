"""`/services` and their integrations: list, create, show, delete; Events API routing keys."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from harness.sandbox.api import Call, Reply, Route, includes, invalid, lookup, not_found, page_by_name
from harness.sandbox.body import int_field, new_resource, optional_text, reference_id, required_text, wrapped
from harness.sandbox.escalation_policies import render_policy
from harness.sandbox.records import Integration, Service
from harness.sandbox.render import Json, iso, local_stamp, present, stamp
from harness.sandbox.state import Account

# Integration types whose integration_key is an Events API routing key.
EVENTS_INTEGRATIONS = {
    "events_api_v2_inbound_integration": "Events API V2",
    "generic_events_api_inbound_integration": "Events API",
}
INTEGRATION_NAMES = {**EVENTS_INTEGRATIONS, "generic_email_inbound_integration": "Email"}


def list_services(call: Call) -> Reply:
    """List services whose name contains `query` (or equals `name`), ordered by name."""
    needle = call.request.args.get("query", "").lower()
    exact = call.request.args.get("name")
    include = includes(call)
    with call.account.lock:
        services = (
            s
            for s in call.account.services.values()
            if needle in s.name.lower() and (exact is None or s.name == exact)
        )
        return page_by_name(
            call, "services", services, lambda s: render_service(call, s, include), sortable=True
        )


def create_service(call: Call) -> Reply:
    """Create a service on an existing escalation policy; names are unique per account."""
    data = new_resource(call, "service")
    name = required_text(data, "name")
    if data.get("status", "active") != "active":
        raise invalid("Status must be active when creating a service.")
    policy_id = reference_id(data, "escalation_policy", ("escalation_policy_reference", "escalation_policy"))
    account = call.account
    with account.lock:
        if policy_id not in account.escalation_policies:
            raise invalid(f"Escalation policy {policy_id} was not found.")
        if any(s.name.lower() == name.lower() for s in account.services.values()):
            raise invalid("Name has already been taken")
        service = Service(
            id=account.new_id(),
            name=name,
            description=optional_text(data, "description"),
            escalation_policy_id=policy_id,
            auto_resolve_timeout=int_field(data, "auto_resolve_timeout", 14400),
            acknowledgement_timeout=int_field(data, "acknowledgement_timeout", 1800),
            status="active",
            created_at=account.now(),
        )
        account.services[service.id] = service
        account.names[service.id] = name
        body = {"service": render_service(call, service, frozenset())}
    return Reply(201, body)


def get_service(call: Call) -> Reply:
    """Show one service."""
    with call.account.lock:
        return Reply(200, {"service": render_service(call, _find(call), includes(call))})


def delete_service(call: Call) -> Reply:
    """Delete a service; its routing keys stop working, its incidents stay."""
    account = call.account
    with account.lock:
        service = _find(call)
        for integration_id in service.integration_ids:
            del account.integrations[integration_id]
        del account.services[service.id]
    return Reply(204, None)


def create_integration(call: Call) -> Reply:
    """Add an integration; Events API ones get a 32-character integration_key."""
    data = wrapped(call, "integration")
    kind = data.get("type")
    if kind not in INTEGRATION_NAMES:
        raise invalid(f"Type must be one of {', '.join(INTEGRATION_NAMES)}.")
    account = call.account
    with account.lock:
        service = _find(call)
        integration_id = account.new_id()
        integration = Integration(
            id=integration_id,
            type=str(kind),
            name=optional_text(data, "name") or INTEGRATION_NAMES[str(kind)],
            service_id=service.id,
            created_at=account.now(),
            integration_key=uuid.uuid4().hex if kind in EVENTS_INTEGRATIONS else None,
            integration_email=None
            if kind in EVENTS_INTEGRATIONS
            else (
                optional_text(data, "integration_email")
                or f"{integration_id.lower()}@{account.subdomain}.pagerduty.com"
            ),
        )
        account.integrations[integration.id] = integration
        account.names[integration.id] = integration.name
        account.services[service.id] = replace(
            service, integration_ids=(*service.integration_ids, integration.id)
        )
        body = {"integration": render_integration(call, integration)}
    return Reply(201, body)


def get_integration(call: Call) -> Reply:
    """Show one integration of a service."""
    with call.account.lock:
        service = _find(call)
        integration_id = call.args["integration_id"]
        if integration_id not in service.integration_ids:
            raise not_found()
        body = {"integration": render_integration(call, call.account.integrations[integration_id])}
    return Reply(200, body)


def _find(call: Call) -> Service:
    return lookup(call.account.services, call.args["id"], "Service Not Found", 5002)


def render_service(call: Call, service: Service, include: frozenset[str]) -> Json:
    """Render a service; include[] expands its escalation policy and integrations."""
    account = call.account
    policy = account.escalation_policies.get(service.escalation_policy_id)
    integrations = [account.integrations[i] for i in service.integration_ids]
    body: Json = {
        "id": service.id,
        "summary": service.name,
        "type": "service",
        "self": f"{call.api_url}/services/{service.id}",
        "html_url": f"{call.web_url}/service-directory/{service.id}",
        "name": service.name,
        "auto_resolve_timeout": service.auto_resolve_timeout,
        "acknowledgement_timeout": service.acknowledgement_timeout,
        # The live API writes a service's own times in the account's offset; the sandbox never
        # edits a service's settings, so it was last updated when it was created.
        "created_at": local_stamp(account, service.created_at),
        "updated_at": local_stamp(account, service.created_at),
        "status": service.status,
        "alert_creation": "create_alerts_and_incidents",
        "integrations": [
            render_integration(call, i) if "integrations" in include else _integration_ref(call, i)
            for i in integrations
        ],
        "escalation_policy": render_policy(call, policy)
        if "escalation_policies" in include and policy is not None
        else call.refs.escalation_policy(service.escalation_policy_id),
        "teams": call.refs.teams(service.team_ids),
        "incident_urgency_rule": {"type": "constant", "urgency": "high"},
        # Null for a constant urgency rule, as the live API answers (the spec says object).
        "support_hours": None,
        "scheduled_actions": [],
        # Keys the live API always sends (2020-2025 recordings), as it does with alert grouping
        # and response plays turned off; the last incident's time is in UTC, unlike the others.
        "description": service.description,
        "addons": [],
        "last_incident_timestamp": iso(_last_incident_at(account, service)),
        "alert_grouping": None,
        "alert_grouping_timeout": None,
        "alert_grouping_parameters": {"type": None, "config": None, "is_global_configuration": False},
        "response_play": None,
    }
    if "auto_pause_notifications_parameters" in include:
        body["auto_pause_notifications_parameters"] = {"enabled": False, "timeout": 0}
    return body


def _last_incident_at(account: Account, service: Service) -> datetime | None:
    """When the service's newest incident was opened, if it has any."""
    return max((i.created_at for i in account.incidents.values() if i.service_id == service.id), default=None)


def _integration_ref(call: Call, integration: Integration) -> Json:
    return call.refs.integration(integration.id, service_id=integration.service_id, kind=integration.type)


def render_integration(call: Call, integration: Integration) -> Json:
    """Render an integration; the live API returns integration_key though the spec omits it."""
    return {
        **_integration_ref(call, integration),
        "type": integration.type,
        "name": integration.name,
        "service": call.refs.service(integration.service_id),
        "created_at": stamp(integration.created_at),
        **present(
            integration_key=integration.integration_key,
            integration_email=integration.integration_email,
        ),
    }


ROUTES = (
    Route("/services", "GET", list_services),
    Route("/services", "POST", create_service),
    Route("/services/<id>", "GET", get_service),
    Route("/services/<id>", "DELETE", delete_service),
    Route("/services/<id>/integrations", "POST", create_integration),
    Route("/services/<id>/integrations/<integration_id>", "GET", get_integration),
)
