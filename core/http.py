"""One HTTP base for every plugin that talks to a vendor API (CRMs, enrichment providers).

Retries (tenacity) only what a retry can fix: 429, 5xx and connection errors or timeouts,
waiting as long as ``Retry-After`` asks, else backing off exponentially with jitter. Other
answers go back to the caller, which knows what a 400 or 404 means for its API. A
client-side limiter keeps under the vendor's budgets before the vendor has to say so:
any number of rolling windows (``100 per 10 s`` and ``5 per 1 s`` for HubSpot's search).
The token lives in the session's headers only: it is never put in a message.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504, 521, 522, 523, 524})


@dataclass(frozen=True)
class Budget:
    """At most ``requests`` in any rolling ``seconds``."""

    requests: int
    seconds: float


class RollingLimiter:
    """Blocks until a request fits every budget; shared by the threads of one client.

    The vendor counts a request when it arrives, a little after we send it, so each window
    is counted ``margin`` seconds longer than the vendor's: never one request too early.
    """

    def __init__(self, budgets: list[Budget], *, margin: float = 0.1, clock: Callable[[], float] = time.monotonic):
        self.budgets = [Budget(b.requests, b.seconds + margin) for b in budgets]
        self.clock = clock
        self.sent: deque[float] = deque()
        self.lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for room, record the request; returns the seconds waited."""
        waited = 0.0
        longest = max((b.seconds for b in self.budgets), default=0.0)
        while True:
            with self.lock:
                now = self.clock()
                while self.sent and now - self.sent[0] >= longest:
                    self.sent.popleft()
                delay = max((self._delay(b, now) for b in self.budgets), default=0.0)
                if delay <= 0:
                    self.sent.append(now)
                    return waited
            time.sleep(delay)
            waited += delay

    def _delay(self, budget: Budget, now: float) -> float:
        recent = [t for t in self.sent if now - t < budget.seconds]
        if len(recent) < budget.requests:
            return 0.0
        return recent[-budget.requests] + budget.seconds - now + 0.001

    def in_window(self, budget: Budget) -> int:
        """How many of our requests the vendor still counts in ``budget``'s window."""
        with self.lock:
            now = self.clock()
            return sum(1 for t in self.sent if now - t < budget.seconds)

    def pause(self, seconds: float) -> None:
        """Others spent the window (the vendor says so): count it as full for ``seconds``."""
        with self.lock:
            now = self.clock()
            for budget in self.budgets:
                self.sent.extend([now - budget.seconds + seconds] * budget.requests)


class RetryableResponse(Exception):
    """A response worth retrying (429, 5xx); carries its wait hint."""

    def __init__(self, response: requests.Response, retry_after: float | None):
        self.response = response
        self.retry_after = retry_after
        super().__init__(f"HTTP {response.status_code} from {response.request.method} {_path(response.url)}")


@dataclass
class Retries:
    attempts: int = 8
    max_wait: float = 30.0  # seconds, for one backoff without Retry-After
    timeout: float = 30.0  # seconds per request

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry ``attempt`` (from 1) without Retry-After: doubling
        from 0.25 s up to ``max_wait``, jittered so clients do not retry in step."""
        return min(self.max_wait, 0.25 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)


class HttpClient:
    """A requests session with limits, retries and secret-free errors."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        retries: Retries | None = None,
        on_response: Callable[[requests.Response], None] | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(headers)
        self.retries = retries or Retries()
        self.on_response = on_response  # a vendor's own header reading (rate-limit headers)

    def request(
        self, method: str, path: str, *, limiter: RollingLimiter | None = None, **kwargs: Any
    ) -> requests.Response:
        """Send, retrying 429/5xx/connection errors; any other response is returned."""
        def attempt() -> requests.Response:
            if limiter is not None:
                limiter.acquire()
            response = self.session.request(
                method, self.base_url + path, timeout=self.retries.timeout, **kwargs
            )
            if self.on_response is not None:
                self.on_response(response)
            if response.status_code in RETRIED_STATUSES:
                raise RetryableResponse(response, _retry_after(response))
            return response

        retrying = Retrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(self.retries.attempts),
            wait=self._wait,
            reraise=True,
        )
        return retrying(attempt)

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetryableResponse) and error.retry_after is not None:
            return error.retry_after
        return self.retries.backoff(state.attempt_number)

    def close(self) -> None:
        self.session.close()


def _retryable(error: BaseException) -> bool:
    return isinstance(error, (RetryableResponse, requests.ConnectionError, requests.Timeout))


def _retry_after(response: requests.Response) -> float | None:
    """Seconds from ``Retry-After`` (a number or an HTTP date), if the response has it."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _path(url: str) -> str:
    """The path of a URL, for messages (no host, no query: a query may carry a key)."""
    return requests.utils.urlparse(url).path
