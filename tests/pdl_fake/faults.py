"""Injected failures, switchable per test: PDL's edge answering 429 or 5xx, or not at all.

Every fault strikes before the request reaches the enrichment service, so a faulted
request never matches, charges or changes anything; a retry meets the same state. A
timeout is an answer that comes later than the client waits (the server sleeps first).
Random faults come from one seeded generator: a single-threaded client meets the same
faults on every run.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

SERVER_STATUSES = (500, 502, 503, 504)


@dataclass(frozen=True)
class Fault:
    status: int | None = None
    timeout: bool = False

    @property
    def kind(self) -> str | None:
        if self.timeout:
            return "timeout"
        if self.status == 429:
            return "429"
        return "5xx" if self.status and self.status >= 500 else (str(self.status) if self.status else None)


NO_FAULT = Fault()


@dataclass
class _Scripted:
    status: int
    times: int
    path: str | None


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripted: list[_Scripted] = []
        self._items: list[list[int]] = []  # [status, times left]
        self.configure()

    def configure(self, *, rate_429: float = 0.0, rate_5xx: float = 0.0, rate_timeout: float = 0.0,
                  seed: int = 0, timeout_seconds: float = 2.0, retry_after: float = 0) -> None:
        if rate_429 + rate_5xx + rate_timeout > 1:
            raise ValueError("fault rates add up to more than 1")
        with self._lock:
            self._random = random.Random(seed)
            self.rate_429, self.rate_5xx, self.rate_timeout = rate_429, rate_5xx, rate_timeout
            self.timeout_seconds = timeout_seconds
            self.retry_after = retry_after

    def script(self, status: int, times: int, path: str | None) -> None:
        with self._lock:
            self._scripted.append(_Scripted(status, times, path))

    def script_items(self, status: int, times: int) -> None:
        with self._lock:
            self._items.append([status, times])

    def draw(self, path: str) -> Fault:
        with self._lock:
            for scripted in self._scripted:
                if scripted.path in (None, path):
                    scripted.times -= 1
                    if scripted.times == 0:
                        self._scripted.remove(scripted)
                    return Fault(timeout=True) if scripted.status == 0 else Fault(status=scripted.status)
            # two draws per request whatever the rates, so a seed replays the same faults
            roll, pick = self._random.random(), self._random.random()
            if roll < self.rate_429:
                return Fault(status=429)
            if roll < self.rate_429 + self.rate_5xx:
                return Fault(status=SERVER_STATUSES[int(pick * len(SERVER_STATUSES))])
            if roll < self.rate_429 + self.rate_5xx + self.rate_timeout:
                return Fault(timeout=True)
            return NO_FAULT

    def draw_item(self) -> int | None:
        """The status the next bulk item gets instead of its answer, if one is scripted."""
        with self._lock:
            if not self._items:
                return None
            self._items[0][1] -= 1
            status = self._items[0][0]
            if self._items[0][1] == 0:
                self._items.pop(0)
            return status
