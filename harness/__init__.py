"""Record-and-replay regression harness for the PagerDuty REST v2 and Events v2 APIs.

The public API for writing a scenario of your own (see the README, "Your own scenarios"):
`Scenario`, `Run`, `Needed`, `poll`, the client `Client`, `expect_success`, `dig`, and the errors
a step raises to stop the run cleanly, `StepFailed` and `AnswerLacksField`.
"""

__version__ = "0.1.0"

# Imported after __version__: the modules below read it while the package is being set up.
from harness.client import Client, expect_success
from harness.errors import AnswerLacksField, StepFailed
from harness.lookups import dig
from harness.steps import Needed, Run, Scenario, StepResult, poll

__all__ = [
    "AnswerLacksField",
    "Client",
    "Needed",
    "Run",
    "Scenario",
    "StepFailed",
    "StepResult",
    "__version__",
    "dig",
    "expect_success",
    "poll",
]
