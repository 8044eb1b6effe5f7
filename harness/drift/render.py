"""Render a DriftReport as text, Markdown, JSON or JUnit XML.

Text is for a terminal (grouped by step, coloured when asked), Markdown for a pull-request comment,
JSON for tools (``{"summary": {...}, "changes": [...]}``) and JUnit for CI dashboards: one test
case per step, failed when the step has a change at or above the `fail_on` severity.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable

import click

from harness.drift.kinds import Severity, parse_severity
from harness.drift.model import Change, DriftReport
from harness.errors import ConfigError

FORMATS = ("text", "markdown", "json", "junit")

_COLOURS = {Severity.BREAKING: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_FIELDS = ("step", "interaction", "location", "kind", "severity", "before", "after", "message", "documented")
_DOCUMENTED = {True: "documented", False: "UNDOCUMENTED", None: ""}


def render(report: DriftReport, *, fmt: str, color: bool = False, fail_on: str = "breaking") -> str:
    """The report in format `fmt`; `color` applies to text, `fail_on` to JUnit failures."""
    renderers: dict[str, Callable[[], str]] = {
        "text": lambda: _text(report, color=color),
        "markdown": lambda: _markdown(report),
        "json": lambda: _json(report),
        "junit": lambda: _junit(report, fail_on=fail_on),
    }
    if fmt not in renderers:
        raise ConfigError(f"unknown report format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
    return renderers[fmt]()


def _change_dict(change: Change) -> dict[str, str | bool | None]:
    """One change as the JSON report holds it."""
    data: dict[str, str | bool | None] = {name: getattr(change, name) for name in _FIELDS}
    data["severity"] = change.severity.label
    return data


def _json(report: DriftReport) -> str:
    data = {"summary": report.summary, "changes": [_change_dict(c) for c in report.changes]}
    return json.dumps(data, indent=2) + "\n"


def _counts(report: DriftReport) -> str:
    return ", ".join(f"{count} {name}" for name, count in report.summary.items())


def _by_step(report: DriftReport) -> dict[str, list[Change]]:
    return _grouped(report.changes, lambda c: c.step)


def _grouped(changes: Iterable[Change], key: Callable[[Change], str]) -> dict[str, list[Change]]:
    groups: dict[str, list[Change]] = {}
    for change in changes:
        groups.setdefault(key(change), []).append(change)
    return groups


def _text(report: DriftReport, *, color: bool) -> str:
    def style(text: str, *, fg: str | None = None, bold: bool | None = None) -> str:
        return click.style(text, fg=fg, bold=bold) if color else text

    lines = [f"Drift from {report.baseline} to {report.candidate}: {_counts(report)}"]
    for step, changes in _by_step(report).items():
        lines += ["", style(step, bold=True)]
        for interaction, group in _grouped(changes, lambda c: c.interaction).items():
            lines.append(f"  {interaction}")
            for change in group:
                severity = style(
                    f"{change.severity.label:<8}",
                    fg=_COLOURS[change.severity],
                    bold=change.severity is Severity.BREAKING or None,
                )
                lines.append(
                    f"    {severity}  {change.kind:<23}  {change.location}: "
                    f"{change.message}{_documented_suffix(change)}"
                )
    lines += ["", *(f"note: {note}" for note in report.notes)] if report.notes else []
    if not report.changes:
        lines += ["", "No drift."]
    return "\n".join(lines) + "\n"


def _markdown(report: DriftReport) -> str:
    lines = [
        "## Drift report",
        "",
        f"Baseline {_code(str(report.baseline))}, candidate {_code(str(report.candidate))}.",
        "",
        "| severity | changes |",
        "| --- | ---: |",
        *(f"| {name} | {count} |" for name, count in report.summary.items()),
    ]
    for step, changes in _by_step(report).items():
        lines += [
            "",
            f"### {_code(step)}",
            "",
            "| severity | kind | interaction | location | change |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {c.severity.label} | {c.kind} | {_code(c.interaction)} | {_code(c.location)} "
            f"| {_cell(c.message + _documented_suffix(c))} |"
            for c in changes
        ]
    lines += ["", *(f"> {_cell(note)}" for note in report.notes)] if report.notes else []
    if not report.changes:
        lines += ["", "No drift."]
    return "\n".join(lines) + "\n"


def _documented_suffix(change: Change) -> str:
    # Said only with documents at hand: "UNDOCUMENTED" is what a reviewer looks for first.
    label = _DOCUMENTED[change.documented]
    return f" [{label}]" if label else ""


def _cell(text: str) -> str:
    # A pipe ends a table cell even inside a code span; GitHub accepts `\|` in both places.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_cell(text)}`"


def _junit(report: DriftReport, *, fail_on: str) -> str:
    threshold = None if fail_on == "never" else parse_severity(fail_on)
    by_step = _by_step(report)
    failing = {
        step: [c for c in changes if threshold is not None and c.severity >= threshold]
        for step, changes in by_step.items()
    }
    counts = {"tests": str(len(report.steps)), "failures": str(sum(map(bool, failing.values())))}
    suites = ET.Element("testsuites", {"name": "harness drift", **counts})
    suite = ET.SubElement(
        suites, "testsuite", {"name": "harness drift", **counts, "errors": "0", "skipped": "0"}
    )
    for step in report.steps:
        case = ET.SubElement(suite, "testcase", classname="harness.drift", name=step)
        failed = failing.get(step, [])
        passed = [c for c in by_step.get(step, []) if c not in failed]
        if failed:
            failure = ET.SubElement(
                case, "failure", type="drift", message=f"{len(failed)} change(s) at or above {fail_on}"
            )
            failure.text = _plain(failed)
        if passed:
            ET.SubElement(case, "system-out").text = _plain(passed)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _plain(changes: list[Change]) -> str:
    return "\n".join(
        f"{c.severity.label} {c.kind} {c.interaction} {c.location}: {c.message}{_documented_suffix(c)}"
        for c in changes
    )
