"""Rendering a DriftReport as text, Markdown, JSON and JUnit XML."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest
import yaml

from harness.cassettes import load_recording
from harness.drift import FORMATS, Change, DriftReport, Severity, compute_drift, render
from harness.errors import ConfigError

BASELINE = Path(__file__).parent / "data" / "drift" / "baseline"
LIST = "#1 GET /incidents?limit=100"
NOTE = "#1 POST /incidents/{id}/notes"

REPORT = DriftReport(
    baseline=Path("cassettes"),
    candidate=Path("recordings/latest"),
    steps=("list-incidents", "create-note", "delete-service"),
    changes=(
        Change(
            "list-incidents",
            LIST,
            "response.body.incidents[].urgency",
            "field-removed",
            Severity.BREAKING,
            "string",
            None,
            "field removed (was string)",
        ),
        Change(
            "list-incidents",
            LIST,
            "response.body.incidents[].status",
            "enum-value-added",
            Severity.WARNING,
            "triggered",
            "resolved, triggered",
            "new value 'resolved' (before: triggered)",
        ),
        Change(
            "create-note",
            NOTE,
            "response.headers.location",
            "header-added",
            Severity.INFO,
            None,
            "present",
            "new response header",
        ),
    ),
)
EMPTY = DriftReport(
    baseline=Path("cassettes"),
    candidate=Path("recordings/latest"),
    steps=("list-incidents", "create-note"),
    changes=(),
)


def test_json_holds_the_summary_and_every_change() -> None:
    """The JSON report is the summary per severity and the changes with all their fields."""
    text = render(REPORT, fmt="json")
    assert text.endswith("}\n")
    assert json.loads(text) == {
        "summary": {"breaking": 1, "warning": 1, "info": 1},
        "changes": [
            {
                "step": "list-incidents",
                "interaction": LIST,
                "location": "response.body.incidents[].urgency",
                "kind": "field-removed",
                "severity": "breaking",
                "before": "string",
                "after": None,
                "message": "field removed (was string)",
                "documented": None,
            },
            {
                "step": "list-incidents",
                "interaction": LIST,
                "location": "response.body.incidents[].status",
                "kind": "enum-value-added",
                "severity": "warning",
                "before": "triggered",
                "after": "resolved, triggered",
                "message": "new value 'resolved' (before: triggered)",
                "documented": None,
            },
            {
                "step": "create-note",
                "interaction": NOTE,
                "location": "response.headers.location",
                "kind": "header-added",
                "severity": "info",
                "before": None,
                "after": "present",
                "message": "new response header",
                "documented": None,
            },
        ],
    }


def test_json_of_an_empty_report() -> None:
    """With no drift the JSON report has zero counts and an empty change list."""
    assert json.loads(render(EMPTY, fmt="json")) == {
        "summary": {"breaking": 0, "warning": 0, "info": 0},
        "changes": [],
    }


def test_text_groups_changes_by_step_then_interaction() -> None:
    """Plain text names each step once, its interactions under it, one line per change."""
    assert render(REPORT, fmt="text") == (
        "Drift from cassettes to recordings/latest: 1 breaking, 1 warning, 1 info\n"
        "\n"
        "list-incidents\n"
        "  #1 GET /incidents?limit=100\n"
        "    breaking  field-removed            response.body.incidents[].urgency: "
        "field removed (was string)\n"
        "    warning   enum-value-added         response.body.incidents[].status: "
        "new value 'resolved' (before: triggered)\n"
        "\n"
        "create-note\n"
        "  #1 POST /incidents/{id}/notes\n"
        "    info      header-added             response.headers.location: new response header\n"
    )


def test_text_of_an_empty_report_says_no_drift() -> None:
    """With no drift the text report is the summary line and 'No drift.'."""
    assert render(EMPTY, fmt="text") == (
        "Drift from cassettes to recordings/latest: 0 breaking, 0 warning, 0 info\n\nNo drift.\n"
    )


def test_text_is_coloured_only_when_asked() -> None:
    """Colour marks severities and steps when `color` is set, and never otherwise."""
    coloured = render(REPORT, fmt="text", color=True)
    assert click.style("breaking", fg="red", bold=True) in coloured
    assert click.style("warning ", fg="yellow") in coloured
    assert click.style("list-incidents", bold=True) in coloured
    assert click.unstyle(coloured) == render(REPORT, fmt="text")
    assert "\x1b" not in render(REPORT, fmt="text")


def test_markdown_is_a_summary_table_and_a_section_per_step() -> None:
    """The Markdown report pastes into a pull request: summary table, then one table per step."""
    assert render(REPORT, fmt="markdown") == (
        "## Drift report\n"
        "\n"
        "Baseline `cassettes`, candidate `recordings/latest`.\n"
        "\n"
        "| severity | changes |\n"
        "| --- | ---: |\n"
        "| breaking | 1 |\n"
        "| warning | 1 |\n"
        "| info | 1 |\n"
        "\n"
        "### `list-incidents`\n"
        "\n"
        "| severity | kind | interaction | location | change |\n"
        "| --- | --- | --- | --- | --- |\n"
        "| breaking | field-removed | `#1 GET /incidents?limit=100` "
        "| `response.body.incidents[].urgency` | field removed (was string) |\n"
        "| warning | enum-value-added | `#1 GET /incidents?limit=100` "
        "| `response.body.incidents[].status` | new value 'resolved' (before: triggered) |\n"
        "\n"
        "### `create-note`\n"
        "\n"
        "| severity | kind | interaction | location | change |\n"
        "| --- | --- | --- | --- | --- |\n"
        "| info | header-added | `#1 POST /incidents/{id}/notes` "
        "| `response.headers.location` | new response header |\n"
    )


def test_markdown_escapes_pipes_in_cells() -> None:
    """A pipe in a request line or a message cannot break the table."""
    change = Change(
        "list-incidents",
        "#1 GET /incidents?q=a|b",
        "response.status",
        "status-changed",
        Severity.BREAKING,
        "200",
        "404",
        "was 200 | now 404",
    )
    report = DriftReport(
        baseline=Path("a"), candidate=Path("b"), steps=("list-incidents",), changes=(change,)
    )
    row = render(report, fmt="markdown").splitlines()[-1]
    assert row == (
        "| breaking | status-changed | `#1 GET /incidents?q=a\\|b` | `response.status` "
        "| was 200 \\| now 404 |"
    )


def test_markdown_of_an_empty_report_says_no_drift() -> None:
    """With no drift the Markdown report is the zero summary table and 'No drift.'."""
    assert render(EMPTY, fmt="markdown").endswith("| info | 0 |\n\nNo drift.\n")


def _cases(text: str) -> dict[str, ET.Element]:
    root = ET.fromstring(text)
    return {case.attrib["name"]: case for case in root.iter("testcase")}


def test_junit_has_one_test_case_per_step_and_fails_at_the_threshold() -> None:
    """Each step is a test case; changes at or above --fail-on fail it, the rest go to stdout."""
    text = render(REPORT, fmt="junit")
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>\n")
    root = ET.fromstring(text)
    assert (root.tag, root.attrib) == ("testsuites", {"name": "harness drift", "tests": "3", "failures": "1"})
    (suite,) = root
    assert suite.attrib == {
        "name": "harness drift",
        "tests": "3",
        "failures": "1",
        "errors": "0",
        "skipped": "0",
    }
    cases = _cases(text)
    assert list(cases) == ["list-incidents", "create-note", "delete-service"]
    assert {case.attrib["classname"] for case in cases.values()} == {"harness.drift"}
    failure = cases["list-incidents"].find("failure")
    assert failure is not None
    assert failure.attrib == {"type": "drift", "message": "1 change(s) at or above breaking"}
    assert failure.text == (
        f"breaking field-removed {LIST} response.body.incidents[].urgency: field removed (was string)"
    )
    assert cases["list-incidents"].findtext("system-out") == (
        f"warning enum-value-added {LIST} response.body.incidents[].status: "
        "new value 'resolved' (before: triggered)"
    )
    assert cases["create-note"].find("failure") is None
    assert cases["create-note"].findtext("system-out") == (
        f"info header-added {NOTE} response.headers.location: new response header"
    )
    assert list(cases["delete-service"]) == []


@pytest.mark.parametrize(
    ("fail_on", "failed"),
    [
        ("breaking", ["list-incidents"]),
        ("warning", ["list-incidents"]),
        ("info", ["list-incidents", "create-note"]),
        ("never", []),
    ],
)
def test_junit_failures_follow_fail_on(fail_on: str, failed: list[str]) -> None:
    """The JUnit failures are exactly the steps with a change at or above --fail-on."""
    cases = _cases(render(REPORT, fmt="junit", fail_on=fail_on))
    assert [name for name, case in cases.items() if case.find("failure") is not None] == failed


def test_an_unknown_format_is_a_config_error() -> None:
    """An unknown format is refused, and the hint lists the formats there are."""
    with pytest.raises(ConfigError) as caught:
        render(REPORT, fmt="html")
    assert str(caught.value) == "unknown report format 'html'"
    assert caught.value.hint == "use one of: text, markdown, json, junit"
    assert FORMATS == ("text", "markdown", "json", "junit")


def test_json_of_a_computed_report(tmp_path: Path) -> None:
    """A status change found in real cassettes comes out of the JSON renderer as computed."""
    candidate = tmp_path / "candidate"
    shutil.copytree(BASELINE, candidate)
    (path,) = candidate.glob("*-create-note.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["interactions"][0]["response"]["status"] = {"code": 200, "message": "OK"}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    report = compute_drift(baseline=load_recording(BASELINE), candidate=load_recording(candidate))
    assert json.loads(render(report, fmt="json")) == {
        "summary": {"breaking": 1, "warning": 0, "info": 0},
        "changes": [
            {
                "step": "create-note",
                "interaction": NOTE,
                "location": "response.status",
                "kind": "status-changed",
                "severity": "breaking",
                "before": "201",
                "after": "200",
                "message": "status changed from 201 to 200",
                "documented": None,
            }
        ],
    }


MARKED = DriftReport(
    baseline=Path("cassettes"),
    candidate=Path("recordings/latest"),
    steps=("list-notifications",),
    changes=(
        Change(
            "list-notifications",
            "#1 GET /notifications",
            "response.body.notifications[].type",
            "enum-value-added",
            Severity.WARNING,
            "email_notification",
            "email_notification, whatsapp_notification",
            "new value 'whatsapp_notification' (before: email_notification)",
            documented=False,
        ),
        Change(
            "list-notifications",
            "#1 GET /notifications",
            "response.body.notifications[].type",
            "variant-removed",
            Severity.WARNING,
            "email_notification, sms_notification",
            "email_notification",
            "no longer seen: 'sms_notification' (now: email_notification)",
        ),
        Change(
            "list-notifications",
            "#1 GET /notifications",
            "response.body.notifications[].user",
            "field-added",
            Severity.INFO,
            None,
            "object",
            "field added (object)",
            documented=True,
        ),
    ),
    notes=("the baseline does not list the scenario's own items",),
)


def test_every_format_says_whether_a_change_is_documented() -> None:
    """JSON has `documented` true, false or null; text, Markdown and JUnit mark the first two."""
    changes = json.loads(render(MARKED, fmt="json"))["changes"]
    assert [c["documented"] for c in changes] == [False, None, True]
    text = render(MARKED, fmt="text")
    assert (
        "    warning   enum-value-added         response.body.notifications[].type: "
        "new value 'whatsapp_notification' (before: email_notification) [UNDOCUMENTED]\n"
    ) in text
    assert ("no longer seen: 'sms_notification' (now: email_notification)\n") in text
    assert "field added (object) [documented]\n" in text
    markdown = render(MARKED, fmt="markdown")
    assert (
        "| `response.body.notifications[].type` | new value 'whatsapp_notification' "
        "(before: email_notification) [UNDOCUMENTED] |\n"
    ) in markdown
    junit = render(MARKED, fmt="junit", fail_on="warning")
    assert "new value 'whatsapp_notification' (before: email_notification) [UNDOCUMENTED]" in junit


def test_text_and_markdown_carry_the_report_notes() -> None:
    """A note on how the comparison was made ends the text report and the Markdown one."""
    assert render(MARKED, fmt="text").endswith(
        "\nnote: the baseline does not list the scenario's own items\n"
    )
    assert render(MARKED, fmt="markdown").endswith(
        "\n\n> the baseline does not list the scenario's own items\n"
    )
    assert "note" not in json.loads(render(MARKED, fmt="json"))
