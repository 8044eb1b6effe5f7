"""`python -m harness.specs` (what `nox -s spec` runs): download the pinned OpenAPI documents."""

import sys

from harness.specs.fetch import main

sys.exit(main())
