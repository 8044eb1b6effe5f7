"""What genuine live answers do that the spec does not say, each with the public recording behind it.

The sandbox copies every fact listed here (tests/test_live_facts.py checks each on its answers).
Where a fact departs from PagerDuty's document, `departures` names the entries of `DEPARTURES`
that let the conformance check accept it; the others (id forms, wording, offsets) fit the
document as it is.  The facts and sources are gathered in ../shared/pagerduty-notes.md, section F.
"""

from __future__ import annotations

from dataclasses import dataclass

IBM_2022 = (
    "ibmresilient/resilient-community-apps fn_pagerduty/payload_samples/"
    "pagerduty_create_incident and pagerduty_transition_incident (2022-07)"
)
IBM_2024 = (
    "ibmresilient/resilient-community-apps fn_pagerduty/payload_samples/"
    "pagerduty_create_service and pagerduty_create_note (2024-04)"
)
NOTES_F = "pagerduty-notes.md section F (IBM Resilient 2022/2024, Port 2025-11 recordings)"


@dataclass(frozen=True)
class LiveFact:
    """One detail of live answers that the sandbox reproduces."""

    name: str
    what: str
    evidence: str
    departures: tuple[str, ...] = ()


LIVE_FACTS: tuple[LiveFact, ...] = (
    LiveFact(
        "incident-id",
        "incident ids are 14 characters, Q and 13 more (since 2022)",
        f"{IBM_2022}: Q1I8E2P0CJSIIB",
    ),
    LiveFact(
        "log-entry-id",
        "log entry ids are 26 characters, R and 25 more (2017-2025)",
        f"{IBM_2022}: R5OQSQS81S9AS5KS9FLX770IG4",
    ),
    LiveFact(
        "log-entry-self",
        "a log entry's self is /log_entries/{id} with no query",
        f"{IBM_2022}: first_trigger_log_entry.self",
    ),
    LiveFact(
        "trigger-summary",
        'an API trigger reads "Triggered through the API." with its period',
        f'{NOTES_F}; the 2022 samples word a web trigger "Triggered through the website."',
    ),
    LiveFact(
        "incident-description",
        "incidents always carry description, equal to the title",
        IBM_2022,
        ("incident-live-keys",),
    ),
    LiveFact(
        "incident-basic-alert-grouping",
        "incidents always carry basic_alert_grouping: null",
        IBM_2022,
        ("incident-live-keys",),
    ),
    LiveFact(
        "incident-subscriber-requests",
        "incidents always carry subscriber_requests: []",
        IBM_2022,
        ("incident-live-keys",),
    ),
    LiveFact(
        "incident-resolve-reason",
        "resolve_reason (null) only on resolved incidents",
        f"{IBM_2022}: absent while triggered, null once resolved",
        ("incident-resolve-reason-when-resolved",),
    ),
    LiveFact("note-fields", "a created note has no updated_at", IBM_2024, ("note-without-updated-at",)),
    LiveFact(
        "note-local-time",
        "a note's created_at is in the account's offset (-04:00)",
        f"{IBM_2024}: 2024-04-16T10:20:15-04:00",
    ),
    LiveFact(
        "service-keys",
        "services carry updated_at, addons, last_incident_timestamp, "
        "alert_grouping, alert_grouping_timeout, alert_grouping_parameters {type, config, "
        "is_global_configuration} and response_play",
        IBM_2024,
        ("service-live-keys", "service-unset-fields-null"),
    ),
    LiveFact(
        "service-description-null",
        "a service without a description answers description: null",
        f"{NOTES_F}; Port's 'Create From Port' service (2024-05)",
        ("service-live-keys", "service-unset-fields-null"),
    ),
    LiveFact(
        "service-local-time",
        "a service's created_at and updated_at are in the account's offset",
        f"{IBM_2024}: 2024-04-16T10:18:31-04:00",
    ),
    LiveFact(
        "policy-keys",
        "escalation policies carry privilege: null, created_at and updated_at",
        NOTES_F,
        ("escalation-policy-live-keys",),
    ),
    LiveFact(
        "policy-local-time", "a policy's created_at and updated_at are in the account's offset", NOTES_F
    ),
    LiveFact("user-keys", "users carry billed and locale", NOTES_F, ("user-live-keys",)),
    LiveFact(
        "user-job-title-null",
        "a user without a job title answers job_title: null",
        NOTES_F,
        ("user-job-title-null",),
    ),
    LiveFact("contact-method-reference-html-url", "contact method references carry html_url: null", NOTES_F),
)
