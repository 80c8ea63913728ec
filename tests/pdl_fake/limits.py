"""PDL's rate limits: a fixed window per API key and per endpoint (PDL_API_NOTES.md §5).

"PDL uses a fixed-window strategy. With a limit of 100 requests per minute, you can send
all 100 at any point in the 60-second window"; "Rate limits for all of our API endpoints
are separate." The window's length is settable so tests need not wait a minute.
"""

from __future__ import annotations

import json
import math
import threading
import time
from datetime import UTC, datetime

DEFAULT_PER_MINUTE = 1000  # "1,000 per minute for paying customers" (company enrichment)


class FixedWindow:
    """At most ``limit`` admitted requests per window; a window opens with the first request
    after the previous one closed. Refused requests do not count."""

    def __init__(self, limit: int, seconds: float):
        self.limit = limit
        self.seconds = seconds
        self.start: float | None = None
        self.used = 0

    def _roll(self, now: float) -> None:
        if self.start is None or now >= self.start + self.seconds:
            self.start, self.used = now, 0

    def admit(self, now: float) -> bool:
        self._roll(now)
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    def remaining(self, now: float) -> int:
        self._roll(now)
        return self.limit - self.used

    def seconds_left(self, now: float) -> float:
        self._roll(now)
        return self.start + self.seconds - now


class RateLimits:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, FixedWindow] = {}
        self._default = (DEFAULT_PER_MINUTE, 60.0)
        self.retry_after = True

    def configure(self, limit: int, seconds: float, paths: tuple[str, ...] | None, retry_after: bool) -> None:
        with self._lock:
            if paths is None:
                self._default = (limit, seconds)
                self._windows.clear()
            else:
                for path in paths:
                    self._windows[path] = FixedWindow(limit, seconds)
            self.retry_after = retry_after

    def _window(self, path: str) -> FixedWindow:
        if path not in self._windows:
            self._windows[path] = FixedWindow(*self._default)
        return self._windows[path]

    def admit(self, path: str) -> tuple[bool, dict[str, str]]:
        """Whether the request is admitted, and the rate-limit headers of its answer."""
        now = time.monotonic()
        with self._lock:
            window = self._window(path)
            admitted = window.admit(now)
            left = window.seconds_left(now)
            headers = {
                "x-ratelimit-limit": json.dumps({"minute": window.limit}),
                "x-ratelimit-remaining": json.dumps({"minute": window.remaining(now)}),
                # a UTC timestamp, rounded up: never earlier than the real reset
                "x-ratelimit-reset": datetime.fromtimestamp(math.ceil(time.time() + left), UTC)
                .strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            if not admitted and self.retry_after:
                headers["Retry-After"] = str(max(1, math.ceil(left)))
            return admitted, headers
