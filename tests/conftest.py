"""Shared test configuration: the sandbox fixture, and the skip of `spec` tests without documents."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import openapi
from harness.cassettes import ACCEPTED_DIR
from harness.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the accepted recording (`cassettes/`) in the test's folder, for the test to edit."""
    target = tmp_path / "recording"
    shutil.copytree(ROOT / ACCEPTED_DIR, target)
    return target


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox on loopback with the empty account: only what the test makes is in it.

    Events become incidents at once; tests that need other teams' data, a delay or faults start
    a `Sandbox(...)` of their own.
    """
    with Sandbox(account="empty", incident_delay=0) as running:
        yield running


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the `spec` tests, saying why, only where the documents are absent (a fresh clone)."""
    missing = openapi.missing_documents()
    if not missing:
        return
    skip = pytest.mark.skip(reason=openapi.missing_reason())
    for item in items:
        if item.get_closest_marker("spec"):
            item.add_marker(skip)
