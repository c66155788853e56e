"""Client-side pacing within a tenant's Graph throttle budget (pure; no Django).

Intune throttles per app per tenant and per service bucket (graph-fidelity.md §4.1: e.g. 1000
requests per 20 s for device configuration, 2000 per 20 s for devices). A sync that fires
requests as fast as it can only collects 429s and spends its retry budget waiting; pacing each
bucket with a token bucket of exactly the documented capacity and rate (graph/PLAN.md section 5)
spends the whole budget Graph grants and no more; the client's Retry-After handling covers the
rest (other apps of the tenant share the per-tenant bucket, which this pacer cannot see).

Inner ``$batch`` requests are throttled one by one, so a batch of 20 takes 20 tokens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class BucketLimit:
    """A documented throttle limit: ``capacity`` requests per ``window_seconds``."""

    capacity: int
    window_seconds: float

    @property
    def rate(self) -> float:
        return self.capacity / self.window_seconds


# graph-fidelity.md §4.1, per app per tenant, read requests.
INTUNE_LIMITS: Mapping[str, BucketLimit] = {
    "deviceConfiguration": BucketLimit(1000, 20.0),
    "deviceConfigV2": BucketLimit(1000, 20.0),
    "enrollment": BucketLimit(1000, 20.0),
    "rbac": BucketLimit(1000, 20.0),
    "managedApps": BucketLimit(1000, 20.0),
    "devices": BucketLimit(2000, 20.0),
    "directory": BucketLimit(3500, 10.0),
}


class ThrottleBudget:
    """Token buckets, one per Intune service bucket, shared by every thread of one sync.

    ``acquire(bucket, n)`` reserves ``n`` tokens and sleeps until they are covered; reservations
    are served in order (the balance may go negative), so many threads share the rate fairly.
    ``headroom`` scales burst and rate; the default 1.0 is the documented limit itself (a
    smaller value only leaves budget unspent: 429s are answered by the client's Retry-After).
    """

    def __init__(
        self,
        limits: Mapping[str, BucketLimit] = INTUNE_LIMITS,
        *,
        headroom: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0 < headroom <= 1:
            raise ValueError("headroom must be in (0, 1]")
        self._limits = dict(limits)
        self._headroom = headroom
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}
        self.waited_seconds = 0.0

    def limit(self, bucket: str) -> BucketLimit:
        return self._limits.get(bucket, self._limits["deviceConfiguration"])

    def acquire(self, bucket: str, tokens: int = 1) -> float:
        """Take ``tokens`` from ``bucket``, sleeping as long as the rate requires; returns the wait."""
        if tokens <= 0:
            return 0.0
        limit = self.limit(bucket)
        capacity = limit.capacity * self._headroom
        rate = limit.rate * self._headroom
        with self._lock:
            now = self._clock()
            balance, stamp = self._state.get(bucket, (capacity, now))
            balance = min(capacity, balance + (now - stamp) * rate) - tokens
            self._state[bucket] = (balance, now)
            wait = -balance / rate if balance < 0 else 0.0
            self.waited_seconds += wait
        if wait > 0:
            self._sleep(wait)
        return wait

    def acquire_spare(self, bucket: str, tokens: int, *, reserve: float) -> float:
        """Take ``tokens`` only from budget left over above ``reserve``; returns the wait.

        A low-priority reservation: it never drives the balance below ``reserve`` (nor queues
        behind it), so a latency-bound caller using :meth:`acquire` on the same bucket — the
        settings-catalog ``$expand`` chain — keeps its pace, and this caller spends what that
        one leaves unspent. Waits in slices of the time the missing tokens take to refill.
        """
        if tokens <= 0:
            return 0.0
        limit = self.limit(bucket)
        capacity = limit.capacity * self._headroom
        rate = limit.rate * self._headroom
        needed = min(capacity, tokens + max(0.0, reserve))
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                balance, stamp = self._state.get(bucket, (capacity, now))
                balance = min(capacity, balance + (now - stamp) * rate)
                if balance >= needed:
                    self._state[bucket] = (balance - tokens, now)
                    return waited
                self._state[bucket] = (balance, now)
                wait = (needed - balance) / rate
                self.waited_seconds += wait
            waited += wait
            self._sleep(wait)
