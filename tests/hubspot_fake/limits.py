"""HubSpot's rate limits (HUBSPOT_API_NOTES.md §1.4): a rolling burst window, search's own
per-second window, and a daily allowance; each window's length is settable so tests are fast.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

# Free/Starter private app: 100 requests per rolling 10 s, 250,000 per day (§1.4 table).
TEN_SECONDLY_MAX = 100
TEN_SECONDLY_SECONDS = 10.0
DAILY_MAX = 250_000
# Search: five requests per second per account, exempt from the 10-second window (§1.3).
SEARCH_MAX = 5
SEARCH_SECONDS = 1.0


class RollingWindow:
    """Admits at most ``max_requests`` in any ``seconds``-long span; refused ones don't count."""

    def __init__(self, max_requests: int, seconds: float):
        self.max_requests = max_requests
        self.seconds = seconds
        self._admitted: deque[float] = deque()

    def _forget_old(self, now: float) -> None:
        while self._admitted and self._admitted[0] <= now - self.seconds:
            self._admitted.popleft()

    def try_admit(self, now: float) -> bool:
        self._forget_old(now)
        if len(self._admitted) >= self.max_requests:
            return False
        self._admitted.append(now)
        return True

    def remaining(self, now: float) -> int:
        self._forget_old(now)
        return max(0, self.max_requests - len(self._admitted))

    def seconds_until_free(self, now: float) -> float:
        self._forget_old(now)
        if len(self._admitted) < self.max_requests:
            return 0.0
        return self._admitted[0] + self.seconds - now


class RateLimits:
    """Decides whether a request is admitted and which 429 policy refuses it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.burst = RollingWindow(TEN_SECONDLY_MAX, TEN_SECONDLY_SECONDS)
        self.search = RollingWindow(SEARCH_MAX, SEARCH_SECONDS)
        self.daily_max = DAILY_MAX
        self.daily_used = 0
        # HubSpot "does not always include the Retry-After header on 429 responses" (§1.4):
        # off by default, so clients must cope without it; a test can switch it on.
        self.send_retry_after = False

    def configure_burst(self, max_requests: int, seconds: float) -> None:
        with self._lock:
            self.burst = RollingWindow(max_requests, seconds)

    def configure_search(self, max_requests: int, seconds: float) -> None:
        with self._lock:
            self.search = RollingWindow(max_requests, seconds)

    def configure_daily(self, max_requests: int, used: int) -> None:
        with self._lock:
            self.daily_max, self.daily_used = max_requests, used

    def admit(self, is_search: bool) -> tuple[str | None, dict[str, str]]:
        """The refusing policy (None if admitted) and the headers this response carries."""
        now = time.monotonic()
        with self._lock:
            window = self.search if is_search else self.burst
            if self.daily_used >= self.daily_max:
                policy = "DAILY"
            elif not window.try_admit(now):
                policy = "SECONDLY" if is_search else "TEN_SECONDLY_ROLLING"
            else:
                policy = None
                self.daily_used += 1
            headers = {} if is_search else self._headers(now)
            if policy and policy != "DAILY" and self.send_retry_after:
                headers["Retry-After"] = str(max(1, math.ceil(window.seconds_until_free(now))))
            return policy, headers

    def headers(self) -> dict[str, str]:
        with self._lock:
            return self._headers(time.monotonic())

    def _headers(self, now: float) -> dict[str, str]:
        # Sent on every response but search's (§1.3: search responses carry none). The daily
        # pair is sent because a private-app token is not OAuth (§1.4 header table).
        return {
            "X-HubSpot-RateLimit-Max": str(self.burst.max_requests),
            "X-HubSpot-RateLimit-Remaining": str(self.burst.remaining(now)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(round(self.burst.seconds * 1000)),
            "X-HubSpot-RateLimit-Daily": str(self.daily_max),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.daily_max - self.daily_used)),
        }
