"""PagerDuty's OpenAPI documents: where they are (`locate`) and how to fetch them (`fetch`).

The project does not ship the documents; `nox -s spec` (`python -m harness.openapi`) downloads
them at the pinned commit.  Checking answers against them is `harness.specs`, which needs the
`spec` extra (openapi-core); this package needs nothing beyond the harness's own dependencies.
"""

from harness.openapi.locate import (
    DEFAULT_DIR,
    DOCUMENTS,
    ENV_VAR,
    Api,
    missing_documents,
    missing_reason,
    openapi_dir,
)

__all__ = ["DEFAULT_DIR", "DOCUMENTS", "ENV_VAR", "Api", "missing_documents", "missing_reason", "openapi_dir"]
