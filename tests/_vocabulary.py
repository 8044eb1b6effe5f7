"""PagerDuty's documented vocabularies the tests check the sandbox against, written once."""

from __future__ import annotations

# The log-entry types PagerDuty's REST document enumerates, in its order.
SPEC_LOG_ENTRY_TYPES = [
    f"{kind}_log_entry"
    for kind in (
        "acknowledge",
        "annotate",
        "assign",
        "delegate",
        "escalate",
        "exhaust_escalation_path",
        "notify",
        "reach_ack_limit",
        "reach_trigger_limit",
        "repeat_escalation_path",
        "resolve",
        "snooze",
        "trigger",
        "unacknowledge",
        "urgency_change",
        "field_value_change",
        "custom_field_value_change",
    )
]
