"""Hand-made drift recordings and the edits the drift tests make to copies of them."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from harness.cassettes import load_recording
from harness.drift import DriftReport, Severity, compute_drift

BASELINE = Path(__file__).parent / "data" / "drift" / "baseline"
BREAKING, WARNING, INFO = Severity.BREAKING, Severity.WARNING, Severity.INFO
LIST = "#1 GET /incidents?limit=100"
BY_NUMBER, BY_ID = "#1 GET /incidents/{n}", "#2 GET /incidents/{id}"
NOTE = "#1 POST /incidents/{id}/notes"
LOG = "#1 GET /log_entries"
DELETE = "#1 DELETE /services/{id}"

Interactions = list[dict[str, Any]]


def copy_baseline(target: Path) -> Path:
    """A copy of the baseline recording, for a test to edit."""
    shutil.copytree(BASELINE, target)
    return target


def cassette(directory: Path, slug: str) -> Path:
    (path,) = directory.glob(f"*-{slug}.yaml")
    return path


def edit_step(directory: Path, slug: str, edit: Callable[[Interactions], None]) -> None:
    path = cassette(directory, slug)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data["interactions"])
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def edit_body(directory: Path, slug: str, index: int, edit: Callable[[Any], None]) -> None:
    def apply(interactions: Interactions) -> None:
        body = interactions[index]["response"]["body"]
        value = json.loads(body["string"])
        edit(value)
        body["string"] = json.dumps(value)

    edit_step(directory, slug, apply)


def edit_files(directory: Path, edit: Callable[[str], str]) -> None:
    for path in directory.glob("*.yaml"):
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")


def drift(candidate: Path) -> DriftReport:
    return compute_drift(baseline=load_recording(BASELINE), candidate=load_recording(candidate))


def each(key: str, edit: Callable[[dict[str, Any]], object]) -> Callable[[Any], None]:
    def apply(body: Any) -> None:
        for item in body[key]:
            edit(item)

    return apply


def headers(index: int, edit: Callable[[dict[str, Any]], None]) -> Callable[[Interactions], None]:
    return lambda interactions: edit(interactions[index]["response"]["headers"])


def other_teams(item: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of an own item made another team's: its own id, on another team's service and incident."""
    other = copy.deepcopy(item)
    other.update(id="POTHER1" if other["id"].startswith("P") else "R9OTHERA1B2C3D4E5F6G7H8I9J", **changes)
    for key, other_id in (("service", "POTHSVC"), ("incident", "POTHINC")):
        if isinstance(other.get(key), dict):
            other[key] = dict(other[key], id=other_id)
    return other
