"""The domain errors the core raises; the CLI turns each into a message and an exit code once.

Every error carries what went wrong (`str(error)`) and what to do next (`hint`).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDING = 1
EXIT_CANNOT_RUN = 2
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class HarnessError(Exception):
    """Base of every expected failure; never shown as a traceback."""

    exit_code = EXIT_CANNOT_RUN

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class ConfigError(HarnessError):
    """An option, setting or environment value is missing or invalid."""


class InputError(HarnessError):
    """A recording, manifest, cassette or other input file is missing or damaged."""


class AuthError(HarnessError):
    """The API refused the credentials, the subdomain or the From email before the run began."""


class Finding(HarnessError):
    """Something was found that the user must act on: exit 1."""

    exit_code = EXIT_FINDING


class StepFailed(Finding):
    """A live step could not complete (after retries); cleanup has already run."""


class LeakFound(Finding):
    """A known secret survived scrubbing; nothing was written."""


class ReplayMismatch(Finding):
    """A replayed step made a request the cassette does not hold, or left one unplayed."""


class Interrupted(HarnessError):
    """The run was stopped by SIGINT or SIGTERM; cleanup has already run."""

    def __init__(self, message: str, *, signal_exit_code: int, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.exit_code = signal_exit_code


class AnswerLacksField(StepFailed):
    """A 2xx answer lacks a field the scenario needs: PagerDuty changed, or the step asks wrongly."""
