"""The REST rate limit: a fixed one-minute window per credential, reported in ratelimit-* headers."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class Quota:
    """The outcome of counting one request: allowed or not, and what the headers say."""

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        """Return the ratelimit-limit/-remaining/-reset headers PagerDuty sends."""
        return {
            "ratelimit-limit": str(self.limit),
            "ratelimit-remaining": str(self.remaining),
            "ratelimit-reset": str(self.reset),
        }


class RateLimiter:
    """Allows `limit` requests per credential in each window, which opens on its first request."""

    def __init__(self, *, limit: int, window: float = WINDOW_SECONDS) -> None:
        self.limit = limit
        self._window = window
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # credential -> (window end, used)

    def take(self, credential: str) -> Quota:
        """Count one request for the credential and return the resulting quota."""
        now = time.monotonic()
        with self._lock:
            end, used = self._windows.get(credential, (0.0, 0))
            if now >= end:
                end, used = now + self._window, 0
            allowed = used < self.limit
            if allowed:
                used += 1
            self._windows[credential] = (end, used)
        return Quota(allowed, self.limit, self.limit - used, math.ceil(end - now))
