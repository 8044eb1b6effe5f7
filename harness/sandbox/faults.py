"""Deterministic fault injection: which calls get a bad status, latency, a stall or a dropped socket.

A fault counts the calls that match its method and path glob; the `nth` matching call is the
first faulted, and `times` consecutive matching calls from there are (None: every one after).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, fields
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, InputError

ACTIONS = ("status", "latency", "stall", "drop")
HEADER_STYLES = ("ratelimit", "retry-after", "none")
AFTER_STALL = ("drop", "process")


@dataclass(frozen=True)
class Fault:
    """One injected fault.

    action "status" answers `status` at once (for 429: `headers` says whether the answer carries
    ratelimit-* headers, a Retry-After header, or no headers and no body; `seconds`, rounded up,
    is the wait those headers advertise). "latency" waits `seconds` then answers normally.
    "stall" holds the request `seconds`, then drops the connection or processes it (`after`).
    "drop" closes the connection without any answer.
    """

    method: str = "*"
    path: str = "*"
    nth: int = 1
    times: int | None = 1
    action: str = "status"
    status: int = 503
    headers: str = "ratelimit"
    seconds: float = 0.0
    after: str = "drop"

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ConfigError(
                f"Invalid fault {self}: {'; '.join(problems)}.",
                hint="Fix the fault's fields; see harness.sandbox.Fault.",
            )
        object.__setattr__(self, "method", self.method.upper())

    def matches(self, method: str, path: str) -> bool:
        """Return whether a call to this method and path counts toward the fault."""
        return self.method in ("*", method) and fnmatchcase(path, self.path)

    def fires_on(self, count: int) -> bool:
        """Return whether the count-th matching call gets the fault."""
        return count >= self.nth and (self.times is None or count < self.nth + self.times)


class FaultPlan:
    """A thread-safe list of faults with per-fault call counters and a record of what fired."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._counts: list[int] = []
        self._fired: list[tuple[Fault, str, str]] = []
        for fault in faults:
            self.add(fault)

    @classmethod
    def load(cls, path: Path) -> FaultPlan:
        """Read a plan from a JSON file shaped `{"faults": [{<Fault fields>}, ...]}`."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise InputError(
                f"Cannot read the faults file {path}: {error.strerror}.", hint="Check the --faults path."
            ) from None
        except ValueError as error:
            raise InputError(
                f"The faults file {path} is not valid JSON: {error}.",
                hint='Write it as {"faults": [{"path": "/incidents", ...}]}.',
            ) from None
        entries = document.get("faults") if isinstance(document, dict) else None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise InputError(
                f"The faults file {path} has no list of fault objects under 'faults'.",
                hint='Write it as {"faults": [{"path": "/incidents", ...}]}.',
            )
        return cls(_fault_from(entry, path) for entry in entries)

    @property
    def faults(self) -> tuple[Fault, ...]:
        """Return the faults in the plan, in order."""
        with self._lock:
            return tuple(self._faults)

    @property
    def fired(self) -> list[tuple[Fault, str, str]]:
        """Return (fault, method, path) for every faulted call so far."""
        with self._lock:
            return list(self._fired)

    def add(self, fault: Fault) -> None:
        """Add a fault; its counter starts at zero."""
        with self._lock:
            self._faults.append(fault)
            self._counts.append(0)

    def clear(self) -> None:
        """Remove every fault and forget counters and fired records."""
        with self._lock:
            self._faults.clear()
            self._counts.clear()
            self._fired.clear()

    def match(self, method: str, path: str) -> Fault | None:
        """Count this call against every matching fault; return the first one that fires."""
        chosen = None
        with self._lock:
            for index, fault in enumerate(self._faults):
                if not fault.matches(method, path):
                    continue
                self._counts[index] += 1
                if chosen is None and fault.fires_on(self._counts[index]):
                    chosen = fault
            if chosen is not None:
                self._fired.append((chosen, method, path))
        return chosen


def _problems(fault: Fault) -> list[str]:
    """Return what is wrong with a fault's fields, types first."""
    texts = ("method", "path", "action", "headers", "after")
    problems = [f"{name} must be a string" for name in texts if not isinstance(getattr(fault, name), str)]
    problems += [
        f"{name} must be an integer" for name in ("nth", "status") if not _is_int(getattr(fault, name))
    ]
    if fault.times is not None and not _is_int(fault.times):
        problems.append("times must be an integer or None")
    if not _is_int(fault.seconds) and not isinstance(fault.seconds, float):
        problems.append("seconds must be a number")
    if problems:
        return problems
    checks = (
        (fault.action in ACTIONS, f"action must be one of {', '.join(ACTIONS)}"),
        (fault.headers in HEADER_STYLES, f"headers must be one of {', '.join(HEADER_STYLES)}"),
        (fault.after in AFTER_STALL, f"after must be one of {', '.join(AFTER_STALL)}"),
        (fault.nth >= 1, "nth must be 1 or more"),
        (fault.times is None or fault.times >= 1, "times must be 1 or more, or None for always"),
        (400 <= fault.status <= 599, "status must be an HTTP error status (400-599)"),
        (fault.seconds >= 0, "seconds must not be negative"),
    )
    return [message for ok, message in checks if not ok]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fault_from(entry: dict[str, Any], path: Path) -> Fault:
    known = {f.name for f in fields(Fault)}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise InputError(
            f"The faults file {path} has unknown fault fields: {', '.join(unknown)}.",
            hint=f"Fault fields are: {', '.join(sorted(known))}.",
        )
    try:
        return Fault(**entry)
    except ConfigError as error:
        raise InputError(f"The faults file {path}: {error}", hint=error.hint) from None
