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


# How much later than our first reservation Graph may see our first request (module docstring).
START_DELAY_SECONDS = 0.5


class ThrottleBudget:
    """Token buckets, one per Intune service bucket, shared by every thread of one sync.

    ``acquire(bucket, n)`` reserves ``n`` tokens and sleeps until they are covered; reservations
    are served in order (the balance may go negative), so many threads share the rate fairly.
    ``headroom`` scales burst and rate; the default 1.0 is the documented limit itself (a
    smaller value only leaves budget unspent: 429s are answered by the client's Retry-After).

    Graph's bucket starts refilling when our first request *arrives*, which is later than our
    first reservation by the connection set-up (many threads open TLS connections at once);
    a pacer refilling from its first reservation would promise tokens Graph has not granted
    yet, and every request paced onto that promise is answered 429 (a stall of at least one
    second). So a bucket's refill starts ``start_delay`` seconds after its first reservation:
    the whole burst is still free at once, and the sync pays ``start_delay`` once per bucket.
    """

    def __init__(
        self,
        limits: Mapping[str, BucketLimit] = INTUNE_LIMITS,
        *,
        headroom: float = 1.0,
        start_delay: float = START_DELAY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0 < headroom <= 1:
            raise ValueError("headroom must be in (0, 1]")
        if start_delay < 0:
            raise ValueError("start_delay must not be negative")
        self._limits = dict(limits)
        self._headroom = headroom
        self._start_delay = start_delay
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}
        self.waited_seconds = 0.0

    def limit(self, bucket: str) -> BucketLimit:
        return self._limits.get(bucket, self._limits["deviceConfiguration"])

    def _refilled(self, bucket: str, capacity: float, rate: float) -> tuple[float, float, float]:
        """(balance now, the stamp to store with it, seconds until the refill starts); call under
        the lock. A stamp in the future is the delayed start of the refill: nothing accrues before."""
        now = self._clock()
        balance, stamp = self._state.setdefault(bucket, (capacity, now + self._start_delay))
        if stamp > now:
            return balance, stamp, stamp - now
        return min(capacity, balance + (now - stamp) * rate), now, 0.0

    def acquire(self, bucket: str, tokens: int = 1) -> float:
        """Take ``tokens`` from ``bucket``, sleeping as long as the rate requires; returns the wait."""
        if tokens <= 0:
            return 0.0
        limit = self.limit(bucket)
        capacity = limit.capacity * self._headroom
        rate = limit.rate * self._headroom
        with self._lock:
            balance, stamp, lag = self._refilled(bucket, capacity, rate)
            balance -= tokens
            self._state[bucket] = (balance, stamp)
            wait = lag - balance / rate if balance < 0 else 0.0
            self.waited_seconds += wait
        if wait > 0:
            self._sleep(wait)
        return wait

    def debit(self, bucket: str, tokens: int) -> None:
        """Record ``tokens`` requests that Graph throttled; never sleeps.

        The client re-sends a throttled request on its own, so Graph counts it again while its
        reservation was already spent: without this debit a pacer that promised a few tokens
        too many (another app of the tenant, a late first request) would keep promising them,
        and a steady stream of requests would be throttled a second each. Debited, every 429
        narrows the gap by one, and the reservations after it wait for the re-sends.
        """
        if tokens <= 0:
            return
        limit = self.limit(bucket)
        with self._lock:
            balance, stamp, _lag = self._refilled(bucket, limit.capacity * self._headroom, limit.rate * self._headroom)
            self._state[bucket] = (balance - tokens, stamp)

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
                balance, stamp, lag = self._refilled(bucket, capacity, rate)
                if balance >= needed:
                    self._state[bucket] = (balance - tokens, stamp)
                    return waited
                self._state[bucket] = (balance, stamp)
                wait = lag + (needed - balance) / rate
                self.waited_seconds += wait
            waited += wait
            self._sleep(wait)
