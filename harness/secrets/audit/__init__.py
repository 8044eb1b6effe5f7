"""`harness audit`: scan recordings, ours or other tools', for secrets, with detectors of its own.

`scan` walks files and applies the allowlist, `text` reads each file line by line through the
encodings recorders use, `rules` holds the detectors, `allow` the deliberate exceptions and
`report` the findings and their rendering.
"""

from harness.secrets.audit.scan import audit_paths

__all__ = ["audit_paths"]
