"""Every kind of drift, in one registry: its id, severity, message and documentation.

Ids and severities follow oasdiff's vocabulary.  The classifier, the renderers and the README's
table of kinds all read this registry, so a kind is added in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from harness.errors import ConfigError


class Severity(IntEnum):
    """How much a change matters to a client; larger is worse."""

    INFO = 1
    WARNING = 2
    BREAKING = 3

    @property
    def label(self) -> str:
        """The lower-case name used in options and reports."""
        return self.name.lower()


FAIL_ON_CHOICES = ("breaking", "warning", "info", "never")


@dataclass(frozen=True)
class Kind:
    """One kind of change: `message` is formatted with `before`, `after`, `new` and `gone`."""

    id: str
    severity: Severity
    message: str
    doc: str


KINDS: dict[str, Kind] = {
    kind.id: kind
    for kind in (
        Kind(
            "interaction-missing",
            Severity.BREAKING,
            "interaction missing from the candidate: {before}",
            "the baseline's request has no counterpart at that position (or the step is gone)",
        ),
        Kind(
            "status-changed",
            Severity.BREAKING,
            "status changed from {before} to {after}",
            "the status code differs",
        ),
        Kind(
            "content-type-changed",
            Severity.BREAKING,
            "content type changed from {before} to {after}",
            "the response media type differs",
        ),
        Kind(
            "field-removed",
            Severity.BREAKING,
            "field removed (was {before})",
            "a field every item had is gone from all",
        ),
        Kind(
            "type-changed",
            Severity.BREAKING,
            "type changed from {before} to {after}",
            "a field has a JSON type it never had, including becoming null",
        ),
        Kind(
            "field-sometimes-missing",
            Severity.WARNING,
            "field now missing from some items (was in all)",
            "a field every item had is now missing from some",
        ),
        Kind(
            "optional-field-removed",
            Severity.WARNING,
            "field no longer seen (was {before}, in some items only)",
            "a field only some items had is gone from all",
        ),
        Kind(
            "enum-value-added",
            Severity.WARNING,
            "new value {new} (before: {before})",
            "an enum-like field, a list item `type` or a fixed sentence of the scenario's own items "
            "shows a value the baseline never did",
        ),
        Kind(
            "variant-removed",
            Severity.WARNING,
            "no longer seen: {gone} (now: {after})",
            "a `type` (list item kind or other discriminator) of the scenario's own items is no longer seen",
        ),
        Kind(
            "format-changed",
            Severity.WARNING,
            "new format {new} (before: {before})",
            "a string field shows a new format class (timestamp precision or offset, URL host or path, "
            "email, id prefix or length, key, UUID, digits, text)",
        ),
        Kind(
            "header-removed",
            Severity.WARNING,
            "response header no longer sent",
            "a response header is no longer sent",
        ),
        Kind(
            "field-added",
            Severity.INFO,
            "field added ({after})",
            "a new field (its sub-fields are not listed)",
        ),
        Kind("header-added", Severity.INFO, "new response header", "a new response header"),
        Kind(
            "interaction-added",
            Severity.INFO,
            "interaction added in the candidate: {after}",
            "the candidate makes a request the baseline did not",
        ),
    )
}


def parse_severity(name: str) -> Severity:
    """The severity called `name` ('breaking', 'warning' or 'info')."""
    try:
        return Severity[name.upper()]
    except KeyError:
        raise ConfigError(
            f"unknown severity {name!r}", hint=f"use one of: {', '.join(FAIL_ON_CHOICES)}"
        ) from None
