"""PagerDuty's OpenAPI documents, every place the harness departs from them, and checks built on both.

Before any validation each document is patched by `DEPARTURES` (in `departures.py`), the one list
of places where the check differs from the raw document: either the live API does something else,
or the document contradicts its own examples.  Each patch is a JSON Patch (RFC 6902) aimed at one
schema location, so nothing is loosened in bulk, and a patch that no longer fits a refreshed
document fails loudly instead of silently.

It needs the `spec` extra (openapi-core: `pip install 'harness[spec]'`, which the test extra
includes); where the documents are, and fetching them, is `harness.openapi`, which does not.

- `documents`: loading, patching and caching the documents, their examples;
- `live`: the live answers' details the sandbox copies, with their public evidence;
- `departures`: the departure list;
- `validation`: requests, responses and vcrpy interactions checked against the documents;
- `keys`: success bodies compared key by key with the spec's examples;
- `problems`: validation errors turned into readable `Problem` records;
- `patch`: the JSON Patch and JSON Pointer operations the departures use.
"""

from harness.openapi import (
    DEFAULT_DIR,
    DOCUMENTS,
    ENV_VAR,
    Api,
    missing_documents,
    missing_reason,
    openapi_dir,
)
from harness.specs.departures import DEPARTURES, Departure
from harness.specs.documents import (
    Example,
    Spec,
    api_for_path,
    apply_departures,
    build_spec,
    load_document,
    load_spec,
    spec_examples,
)
from harness.specs.keys import key_differences
from harness.specs.patch import Op
from harness.specs.problems import Part, Problem
from harness.specs.validation import (
    HeaderInput,
    Query,
    validate_interaction,
    validate_request,
    validate_response,
)

__all__ = [
    "DEFAULT_DIR",
    "DEPARTURES",
    "DOCUMENTS",
    "ENV_VAR",
    "Api",
    "Departure",
    "Example",
    "HeaderInput",
    "Op",
    "Part",
    "Problem",
    "Query",
    "Spec",
    "api_for_path",
    "apply_departures",
    "build_spec",
    "key_differences",
    "load_document",
    "load_spec",
    "missing_documents",
    "missing_reason",
    "openapi_dir",
    "spec_examples",
    "validate_interaction",
    "validate_request",
    "validate_response",
]
