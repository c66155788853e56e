"""A controllable clock for retry waits: tests record Graph's Retry-After and backoff waits
instead of sleeping, so they neither take wall time nor depend on how loaded the machine is."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Sleeps:
    """An injected sleep that records instead of waiting, and the matching clock: every
    recorded sleep moves ``clock()`` forward by exactly that much, so retry budgets and
    deadlines behave as if the waits had happened. Safe to share between threads (an
    inventory sync waits on several); ``calls`` is in the order the waits were made."""

    calls: list[float] = field(default_factory=list)
    now: float = 1000.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.calls.append(seconds)
            self.now += seconds

    def clock(self) -> float:
        with self._lock:
            return self.now
