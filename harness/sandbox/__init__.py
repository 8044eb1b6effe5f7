"""A local PagerDuty simulator (REST v2 and Events v2) with deterministic fault injection.

with Sandbox(owner_email="owner@example.com") as sandbox:
    requests.get(f"{sandbox.api_url}/users",
                 headers={"Authorization": f"Token token={sandbox.token}"})
"""

from harness.sandbox.faults import Fault, FaultPlan
from harness.sandbox.server import Sandbox, serve

__all__ = ["Fault", "FaultPlan", "Sandbox", "serve"]
