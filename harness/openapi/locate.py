"""Where PagerDuty's OpenAPI documents are, and reading them as plain JSON.

The REST and Events v2 documents are read from the directory named by ``HARNESS_OPENAPI_DIR``,
else from ``../shared/pagerduty-openapi`` beside the project root, else from the user's cache that
``nox -s spec`` fills (`harness.openapi.fetch`).  Nothing here needs openapi-core: drift reads the
documents too, in a plain install.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from harness.openapi.fetch import cache_dir

Api = Literal["rest", "events"]
ENV_VAR = "HARNESS_OPENAPI_DIR"
DEFAULT_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "pagerduty-openapi"
DOCUMENTS: dict[Api, str] = {"rest": "REST/openapiv3.json", "events": "events-v2/openapiv3.json"}


def openapi_dir() -> Path:
    """The directory holding PagerDuty's documents.

    `HARNESS_OPENAPI_DIR` when set (complete or not: the user chose it); else the shared copy, else
    the cache `nox -s spec` fills, whichever holds them all; else the cache, where they belong.
    """
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    cached = cache_dir()
    return next((d for d in (DEFAULT_DIR, cached) if not missing_documents(d)), cached)


def missing_documents(directory: Path | None = None) -> list[Path]:
    """The document files that are absent from `directory` (default `openapi_dir()`)."""
    base = directory or openapi_dir()
    return [base / name for name in DOCUMENTS.values() if not (base / name).is_file()]


def missing_reason() -> str:
    """Why the spec checks cannot run here, and the command that fixes it."""
    missing = ", ".join(str(p) for p in missing_documents())
    return (
        f"PagerDuty OpenAPI documents not found (missing: {missing}); run `nox -s spec` to "
        f"download them into {cache_dir()}, or set {ENV_VAR} to a folder holding them"
    )
