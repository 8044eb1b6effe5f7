"""Shared test configuration: tests marked `spec` need PagerDuty's OpenAPI documents."""

from __future__ import annotations

import pytest

from harness import openapi


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the `spec` tests, saying why, only where the documents are absent (a fresh clone)."""
    missing = openapi.missing_documents()
    if not missing:
        return
    skip = pytest.mark.skip(reason=openapi.missing_reason())
    for item in items:
        if item.get_closest_marker("spec"):
            item.add_marker(skip)
