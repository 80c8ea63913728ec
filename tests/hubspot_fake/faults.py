"""Injected failures: the network and HubSpot's servers misbehaving, switchable per test.

Random faults come from one seeded generator, so a single-threaded client meets the same
faults on every run. Scripted faults hit the next matching requests, for tests that need
one failure at one place.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

# The statuses HubSpot answers when it is overloaded or down (§1.4, §1.5 status table).
TRANSIENT_STATUSES = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class Fault:
    """What to do to one request: answer ``status`` at once, or drop the connection
    before handling it, or handle it (a write lands) and then drop the connection."""

    status: int | None = None
    drop: bool = False
    drop_after_write: bool = False


NO_FAULT = Fault()


@dataclass
class _Scripted:
    fault: Fault
    operation: str | None
    times: int


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripted: list[_Scripted] = []
        self.configure()

    def configure(self, *, error_rate: float = 0.0, statuses: tuple[int, ...] = TRANSIENT_STATUSES,
                  drop_rate: float = 0.0, drop_after_write_rate: float = 0.0,
                  delay_seconds: float = 0.0, seed: int = 0) -> None:
        with self._lock:
            self._random = random.Random(seed)
            self.error_rate, self.statuses = error_rate, tuple(statuses)
            self.drop_rate, self.drop_after_write_rate = drop_rate, drop_after_write_rate
            self.delay_seconds = delay_seconds

    def script(self, fault: Fault, *, times: int, operation: str | None) -> None:
        with self._lock:
            self._scripted.append(_Scripted(fault, operation, times))

    def draw(self, operation: str | None, is_write: bool) -> Fault:
        with self._lock:
            for scripted in self._scripted:
                applies = scripted.operation in (None, operation)
                if scripted.fault.drop_after_write and not is_write:
                    applies = False  # only a write can land before its connection drops
                if applies:
                    scripted.times -= 1
                    if scripted.times == 0:
                        self._scripted.remove(scripted)
                    return scripted.fault
            # Three draws per request whatever the rates, so a seed replays the same faults.
            error, drop, drop_after = (self._random.random() for _ in range(3))
            if error < self.error_rate:
                return Fault(status=self._random.choice(self.statuses))
            if drop < self.drop_rate:
                return Fault(drop=True)
            if is_write and drop_after < self.drop_after_write_rate:
                return Fault(drop_after_write=True)
            return NO_FAULT
