"""`python -m harness.openapi` (what `nox -s spec` runs): download the pinned OpenAPI documents."""

import sys

from harness.openapi.fetch import main

sys.exit(main())
