"""Every place where the conformance check departs from PagerDuty's raw documents, and why.

A departure is either live-API behaviour the document does not describe, or a defect where the
document contradicts its own examples or descriptions.  Each one patches a single schema location,
or allows named keys for named operations, so nothing is loosened in bulk; the conformance tests
prove each departure necessary by showing the exchange or example that fails without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from harness.openapi.locate import Api
from harness.specs.patch import Op


@dataclass(frozen=True)
class Departure:
    """One place where the check departs from PagerDuty's raw document, and why.

    `patch` changes the document before validation; `examples` names the spec's own examples
    (`Example.id`) that fail without it; `extra_keys` / `missing_keys` are the body keys that may
    differ from the spec's example for `operations` when bodies are compared key by key.
    """

    name: str
    kind: Literal["live-api", "spec-defect"]
    api: Api
    reason: str
    patch: tuple[Op, ...] = ()
    examples: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()
    extra_keys: tuple[str, ...] = ()
    missing_keys: tuple[str, ...] = ()


def _nullable(pointer: str) -> Op:
    return Op("add", f"{pointer}/nullable", True)


def _any_of(pointer: str) -> Op:
    return Op("move", f"{pointer}/anyOf", source=f"{pointer}/oneOf")


def _ref_or_null(pointer: str, ref: str) -> tuple[Op, ...]:
    """Let one property that refers to a shared schema be null, leaving the shared schema alone.

    OpenAPI 3.0 ignores `nullable` beside a `$ref`, and inside the referenced schema it would
    allow null everywhere that schema is used, so the property becomes "the schema, or null".
    """
    return (
        Op("test", f"{pointer}/$ref", ref),
        Op("replace", pointer, {"anyOf": [{"$ref": ref}, {"enum": [None]}]}),
    )


_JSON = "content/application~1json/schema"
_INCIDENT = "/components/schemas/Incident/allOf/1/properties"
_SERVICE = "/components/schemas/Service/allOf/1/properties"
_LOG_ENTRY_BRANCHES = (
    f"/paths/~1log_entries/get/responses/200/{_JSON}/allOf/1/properties/log_entries/items/oneOf",
    f"/paths/~1incidents~1{{id}}~1log_entries/get/responses/200/{_JSON}"
    "/allOf/1/properties/log_entries/items/oneOf",
    f"/paths/~1log_entries~1{{id}}/get/responses/200/{_JSON}/properties/log_entry/oneOf",
)
_LINK_LOG_ENTRY = {
    "allOf": [
        {"$ref": "#/components/schemas/LogEntry"},
        {"type": "object", "properties": {"type": {"type": "string", "enum": ["link_log_entry"]}}},
    ]
}
_ANALYTICS_METRICS = (
    f"/paths/~1analytics~1metrics~1incidents~1all/post/responses/200/{_JSON}"
    "/allOf/0/properties/data/items/properties"
)
_EVENTS_ERROR = {"$ref": "#/components/responses/Error"}


DEPARTURES: tuple[Departure, ...] = (
    Departure(
        "note-created-201",
        "live-api",
        "rest",
        "POST /incidents/{id}/notes answers 201 Created (real recording, v1 notebook); spec says 200",
        patch=(
            Op(
                "move",
                "/paths/~1incidents~1{id}~1notes/post/responses/201",
                source="/paths/~1incidents~1{id}~1notes/post/responses/200",
            ),
        ),
    ),
    Departure(
        "integration-key",
        "live-api",
        "rest",
        "Integrations carry integration_key, the 32-character Events v2 routing key the schema omits",
        patch=(
            Op(
                "add",
                "/components/schemas/Integration/allOf/1/properties/integration_key",
                {"type": "string", "readOnly": True, "pattern": "^[A-Za-z0-9]{32}$"},
            ),
        ),
        operations=("createServiceIntegration", "getServiceIntegration"),
        extra_keys=("integration_key",),
    ),
    Departure(
        "bulk-update-without-pagination",
        "live-api",
        "rest",
        "PUT /incidents answers only {incidents} (real recording); the schema adds pagination keys",
        patch=(
            Op(
                "replace",
                f"/paths/~1incidents/put/responses/200/{_JSON}",
                {
                    "type": "object",
                    "required": ["incidents"],
                    "additionalProperties": False,
                    "properties": {
                        "incidents": {"type": "array", "items": {"$ref": "#/components/schemas/Incident"}}
                    },
                },
            ),
        ),
    ),
    Departure(
        "link-log-entry",
        "live-api",
        "rest",
        "Log entries of type link_log_entry exist (real recording) but are missing from the enum",
        patch=(
            Op("add", "/components/schemas/LogEntry/allOf/1/properties/type/enum/-", "link_log_entry"),
            Op("add", "/components/schemas/LinkLogEntry", _LINK_LOG_ENTRY),
            *(
                Op("add", f"{branches}/-", {"$ref": "#/components/schemas/LinkLogEntry"})
                for branches in _LOG_ENTRY_BRANCHES
            ),
        ),
    ),
    Departure(
        "log-entry-field-change-branches",
        "spec-defect",
        "rest",
        "field_value_change_log_entry and custom_field_value_change_log_entry are in LogEntry's type "
        "enum, and GET /incidents/{id}/log_entries lists their schemas, but the oneOf lists of "
        "GET /log_entries and GET /log_entries/{id} leave them out",
        patch=tuple(
            Op("add", f"{branches}/-", {"$ref": f"#/components/schemas/{schema}"})
            for branches in (_LOG_ENTRY_BRANCHES[0], _LOG_ENTRY_BRANCHES[2])
            for schema in ("FieldValueChangeLogEntry", "CustomFieldValueChangeLogEntry")
        ),
    ),
    Departure(
        "service-delete-404",
        "live-api",
        "rest",
        "DELETE /services/{id} of an unknown id answers 404 (developer docs); spec lists no 404",
        patch=(
            Op(
                "add",
                "/paths/~1services~1{id}/delete/responses/404",
                {"$ref": "#/components/responses/NotFound"},
            ),
        ),
    ),
    Departure(
        "unauthorized-html-body",
        "live-api",
        "rest",
        "A 401 is answered text/html; charset=utf-8 with a one-space body (real 2017 recording), "
        "for any operation; the spec documents only the JSON error",
        patch=(
            Op(
                "add",
                "/components/responses/Unauthorized/content/text~1html",
                {"schema": {"type": "string", "enum": [" "]}},
            ),
        ),
    ),
    Departure(
        "incident-priority-null",
        "live-api",
        "rest",
        "Incident.priority is null when the account has priorities turned off (live API); the "
        "shared Priority schema stays non-null",
        patch=_ref_or_null(f"{_INCIDENT}/priority", "#/components/schemas/Priority"),
    ),
    Departure(
        "service-support-hours-null",
        "live-api",
        "rest",
        "Service.support_hours (SupportHours, used only there) is null for services with constant "
        "urgency (live API) but not nullable",
        patch=(_nullable("/components/schemas/SupportHours"),),
    ),
    # Live answers' fields and nulls the sandbox copies; `harness.specs.live.LIVE_FACTS` gives
    # the public recording behind each.
    Departure(
        "incident-live-keys",
        "live-api",
        "rest",
        "Incidents always carry description (equal to the title), basic_alert_grouping (null) and "
        "subscriber_requests ([]), which neither the schema nor its examples list (IBM Resilient "
        "recordings, 2022)",
        operations=("getIncident", "listIncidents", "updateIncident", "updateIncidents"),
        extra_keys=("basic_alert_grouping", "description", "subscriber_requests"),
    ),
    Departure(
        "incident-resolve-reason-when-resolved",
        "live-api",
        "rest",
        "resolve_reason appears only on resolved incidents (IBM Resilient recordings, 2022); the "
        "incident examples show it on open ones",
        operations=("getIncident", "listIncidents"),
        missing_keys=("resolve_reason",),
    ),
    Departure(
        "note-without-updated-at",
        "live-api",
        "rest",
        "A created note has no updated_at (IBM Resilient recording, 2024); the examples have one",
        operations=("createIncidentNote", "listIncidentNotes"),
        missing_keys=("updated_at",),
    ),
    Departure(
        "service-live-keys",
        "live-api",
        "rest",
        "Services always carry description, updated_at, addons, last_incident_timestamp, the alert "
        "grouping fields and response_play (IBM Resilient 2024, Port 2024 recordings); the "
        "create and get examples list none of them",
        operations=("createService", "getService", "listServices"),
        extra_keys=(
            "addons",
            "alert_grouping",
            "alert_grouping_parameters",
            "alert_grouping_timeout",
            "description",
            "last_incident_timestamp",
            "response_play",
            "updated_at",
        ),
    ),
    Departure(
        "service-unset-fields-null",
        "live-api",
        "rest",
        "A service without description, incidents or alert grouping answers null for description, "
        "last_incident_timestamp, alert_grouping, alert_grouping_timeout and "
        "alert_grouping_parameters.config (IBM Resilient 2024, Port 2024 recordings); none is "
        "nullable",
        patch=(
            *(
                _nullable(f"{_SERVICE}/{name}")
                for name in (
                    "description",
                    "last_incident_timestamp",
                    "alert_grouping",
                    "alert_grouping_timeout",
                )
            ),
            Op("add", f"{_SERVICE}/alert_grouping/enum/-", None),
            Op(
                "add",
                "/components/schemas/AlertGroupingParameters/properties/config/oneOf/-",
                {"enum": [None]},
            ),
        ),
    ),
    Departure(
        "escalation-policy-live-keys",
        "live-api",
        "rest",
        "Escalation policies also carry privilege (null), created_at and updated_at (live "
        "recordings, pagerduty-notes section F); the examples have none of them",
        operations=("createEscalationPolicy", "getEscalationPolicy", "listEscalationPolicies"),
        extra_keys=("created_at", "privilege", "updated_at"),
    ),
    Departure(
        "user-live-keys",
        "live-api",
        "rest",
        "Users also carry billed and locale (live recordings, pagerduty-notes section F); the "
        "examples have neither",
        operations=("createUser", "getUser", "listUsers"),
        extra_keys=("billed", "locale"),
    ),
    Departure(
        "user-job-title-null",
        "live-api",
        "rest",
        "User.job_title is null when unset (live recordings, pagerduty-notes section F) but not nullable",
        patch=(_nullable("/components/schemas/User/allOf/1/properties/job_title"),),
    ),
    Departure(
        "incident-resolved-at-null",
        "spec-defect",
        "rest",
        "Incident.resolved_at is null until resolution, as the getIncident example shows, but not nullable",
        patch=(_nullable(f"{_INCIDENT}/resolved_at"),),
        examples=("getIncident/200/response",),
    ),
    Departure(
        "incident-alert-grouping-ended-at-null",
        "spec-defect",
        "rest",
        "Incident.alert_grouping.ended_at is null in the incident examples but not nullable",
        patch=(_nullable(f"{_INCIDENT}/alert_grouping/properties/ended_at"),),
        examples=("listIncidents/200/response", "getIncident/200/response"),
    ),
    Departure(
        "incident-alert-grouping-null",
        "spec-defect",
        "rest",
        "Incident.alert_grouping 'will be null if the incident has no alerts' by its own "
        "description (and is null on the live API without alert grouping) but is not nullable",
        patch=(_nullable(f"{_INCIDENT}/alert_grouping"),),
    ),
    Departure(
        "incident-resolve-reason-null",
        "spec-defect",
        "rest",
        "Incident.resolve_reason (ResolveReason, used only there) is null in the incident examples "
        "but not nullable",
        patch=(_nullable("/components/schemas/ResolveReason"),),
        examples=("listIncidents/200/response", "getIncident/200/response"),
    ),
    Departure(
        "service-alert-grouping-one-of",
        "spec-defect",
        "rest",
        "Service.alert_grouping_parameters {type: intelligent} in the listServices example matches "
        "both oneOf branches (the second has no required keys)",
        patch=(_any_of("/components/schemas/Service/allOf/1/properties/alert_grouping_parameters"),),
        examples=("listServices/200/response",),
    ),
    Departure(
        "log-entry-channel-one-of",
        "spec-defect",
        "rest",
        "Channel (used only by LogEntry) oneOf branches overlap: the examples' {type: api} matches several",
        patch=(_any_of("/components/schemas/Channel"),),
        examples=(
            "listIncidentLogEntries/200/response",
            "listLogEntries/200/response",
            "getLogEntry/200/response",
        ),
    ),
    Departure(
        "analytics-means-documented-null",
        "spec-defect",
        "rest",
        "mean_seconds_to_engage and mean_seconds_to_mobilize are documented as null for incidents "
        "with one or no engaged users but are not nullable",
        patch=tuple(
            _nullable(f"{_ANALYTICS_METRICS}/{name}")
            for name in ("mean_seconds_to_engage", "mean_seconds_to_mobilize")
        ),
    ),
    Departure(
        "reference-id-type-read-only",
        "spec-defect",
        "rest",
        "The shared object base Tag/allOf/0 marks id and type readOnly, yet request bodies must "
        "send type and refer to other objects by {id, type}",
        patch=(
            Op("replace", "/components/schemas/Tag/allOf/0/properties/id/readOnly", False),
            Op("replace", "/components/schemas/Tag/allOf/0/properties/type/readOnly", False),
        ),
        examples=(
            "createServiceIntegration/request/email_integration",
            "createServiceIntegration/request/email_integration_with_filters",
            "createServiceIntegration/request/events_v2_integration",
            "updateIncidents/request/incidents",
        ),
    ),
    Departure(
        "acknowledge-log-entry-type",
        "spec-defect",
        "rest",
        "AcknowledgeLogEntry allows only type acknowledgement_log_entry, which LogEntry's enum "
        "forbids; the API sends acknowledge_log_entry",
        patch=(
            Op(
                "replace",
                "/components/schemas/AcknowledgeLogEntry/allOf/1/properties/type/enum",
                ["acknowledge_log_entry"],
            ),
        ),
    ),
    Departure(
        "integration-examples-are-email",
        "spec-defect",
        "rest",
        "The integration response examples show an e-mail integration; an Events v2 integration "
        "has no integration_email or vendor",
        operations=("createServiceIntegration", "getServiceIntegration"),
        missing_keys=("integration_email", "vendor"),
    ),
    Departure(
        "list-examples-omit-total",
        "spec-defect",
        "rest",
        "The listIncidents and listLogEntries examples omit total, which Pagination defines and "
        "the API always sends (null unless total=true)",
        operations=("listIncidents", "listLogEntries"),
        extra_keys=("total",),
    ),
    Departure(
        "incident-log-entries-example-unpaginated",
        "spec-defect",
        "rest",
        "The listIncidentLogEntries example has no pagination keys, though its schema and the "
        "API's answers (real recording) carry them",
        operations=("listIncidentLogEntries",),
        extra_keys=("limit", "more", "offset", "total"),
    ),
    Departure(
        "log-entry-examples-omit-service",
        "spec-defect",
        "rest",
        "The log entry examples omit service, which LogEntry defines and real log entries carry",
        operations=("listIncidentLogEntries", "listLogEntries", "getLogEntry"),
        extra_keys=("service",),
    ),
    Departure(
        "incident-update-examples-abbreviated",
        "spec-defect",
        "rest",
        "The PUT incident examples list fewer keys than getIncident's; the API answers the full "
        "incident (real PUT /incidents recording)",
        operations=("updateIncident", "updateIncidents"),
        extra_keys=(
            "alert_counts",
            "alert_grouping",
            "incidents_responders",
            "is_mergeable",
            "priority",
            "resolve_reason",
            "responder_requests",
        ),
    ),
    Departure(
        "incident-include-only-keys",
        "spec-defect",
        "rest",
        "The incident examples show conference_bridge ('only returned if include[]="
        "conference_bridge') and custom_fields (another include[] option) without asking for them",
        operations=("getIncident", "listIncidents"),
        missing_keys=("conference_bridge", "custom_fields"),
    ),
    Departure(
        "service-include-only-keys",
        "spec-defect",
        "rest",
        "The service examples show auto_pause_notifications_parameters, which the API returns "
        "only with include[]=auto_pause_notifications_parameters",
        operations=("createService", "getService"),
        missing_keys=("auto_pause_notifications_parameters",),
    ),
    Departure(
        "user-include-only-keys",
        "spec-defect",
        "rest",
        "The getUser example shows http_cal_url and web_cal_url, which the API returns only with "
        "include[]=calendar_urls (or on one's own profile with a user token)",
        operations=("getUser",),
        missing_keys=("http_cal_url", "web_cal_url"),
    ),
    Departure(
        "escalation-policy-create-example-omits-description",
        "spec-defect",
        "rest",
        "The createEscalationPolicy example omits description, which the getEscalationPolicy "
        "example and a real create answer have",
        operations=("createEscalationPolicy",),
        extra_keys=("description",),
    ),
    Departure(
        "events-error-responses-unresolved",
        "spec-defect",
        "events",
        "POST /enqueue 400 and 429 are descriptions holding a reference text, so error bodies go "
        "unchecked; the API sends the Error body {status, message, errors[]}",
        patch=(
            Op("replace", "/paths/~1enqueue/post/responses/400", _EVENTS_ERROR),
            Op("replace", "/paths/~1enqueue/post/responses/429", _EVENTS_ERROR),
        ),
    ),
)
