"""Pure retry arithmetic: Retry-After parsing, full-jitter backoff, and a bounded budget.

No I/O here; randomness, sleeping and the clock are passed in so tests control them.
"""

from __future__ import annotations

import math
import random as _random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RandomFn = Callable[[], float]
SleepFn = Callable[[float], None]
ClockFn = Callable[[], float]

# Statuses Graph documents as "wait and try again".
RETRYABLE_STATUSES: frozenset[int] = frozenset({429, 503, 504})
# Inside $batch every 5xx of an inner GET is retried too (the outer call succeeded).
RETRYABLE_INNER_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or ``None`` when absent or unreadable.

    Accepts delta-seconds, including fractional values Graph sends (``"2.128"``), and
    HTTP-dates (``"Wed, 21 Oct 2015 07:28:00 GMT"``, relative to ``now``; past dates give 0).
    Negative, infinite or NaN values are treated as unreadable.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        if math.isnan(seconds) or math.isinf(seconds) or seconds < 0:
            return None
        return seconds
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    reference = now if now is not None else datetime.now(UTC)
    return max(0.0, (when - reference).total_seconds())


def full_jitter_backoff(attempt: int, *, base: float, cap: float, random: RandomFn = _random.random) -> float:
    """Full-jitter exponential backoff: uniform in ``[0, min(cap, base * 2**(attempt-1))]``.

    ``attempt`` is the number of the attempt that just failed (1 for the first).
    """
    if attempt < 1:
        raise ValueError("attempt starts at 1")
    ceiling = min(cap, base * (2 ** min(attempt - 1, 64)))
    r = random()
    r = min(max(r, 0.0), 1.0)
    return r * ceiling


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: at most ``max_attempts`` requests per call; without ``Retry-After``,
    full-jitter backoff from ``base`` up to ``cap`` seconds; a server's ``Retry-After`` is
    honoured as sent, up to the time left in the budget. The budget is the run's
    :class:`Deadline` when the caller has one, else ``max_total_seconds`` per call."""

    max_attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    max_total_seconds: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base < 0 or self.cap < 0 or self.max_total_seconds < 0:
            raise ValueError("base, cap and max_total_seconds must not be negative")

    def delay(self, attempt: int, retry_after: float | None, *, random: RandomFn = _random.random) -> float:
        """Seconds to wait after failed ``attempt``: the Retry-After as sent, or jittered backoff
        (at most ``cap``). The budget, not this method, bounds a long Retry-After."""
        if retry_after is not None:
            return max(retry_after, 0.0)
        return full_jitter_backoff(attempt, base=self.base, cap=self.cap, random=random)

    def start(
        self,
        *,
        clock: ClockFn = time.monotonic,
        random: RandomFn = _random.random,
        deadline: Deadline | None = None,
    ) -> RetryBudget:
        """A fresh budget for one logical call (bounded by ``deadline`` when given)."""
        return RetryBudget(self, clock=clock, random=random, deadline=deadline)


class Deadline:
    """A point in time, on an injected monotonic clock, after which no more retry waits are
    planned: the retry budget of one run (or one client). ``remaining()`` never goes below 0.
    ``capped_waits`` counts the retry waits shortened to it (thread-safe), so a run can say so."""

    def __init__(self, seconds: float, *, clock: ClockFn = time.monotonic) -> None:
        if math.isnan(seconds) or seconds < 0:
            raise ValueError("a deadline needs a non-negative number of seconds")
        self.seconds = seconds
        self._clock = clock
        self._at = clock() + seconds
        self._capped_waits = 0
        self._lock = threading.Lock()

    @property
    def capped_waits(self) -> int:
        """How many retry waits were shortened to this deadline so far."""
        with self._lock:
            return self._capped_waits

    def record_capped_wait(self) -> None:
        """Count one retry wait shortened to this deadline."""
        with self._lock:
            self._capped_waits += 1

    def remaining(self) -> float:
        """Seconds left before the deadline (0 when it has passed)."""
        return max(0.0, self._at - self._clock())

    def __repr__(self) -> str:
        return f"Deadline(seconds={self.seconds!r}, remaining={self.remaining():.1f})"


@dataclass(frozen=True)
class PlannedWait:
    """The wait before the next attempt: ``seconds`` to sleep, the server's ``requested``
    Retry-After (None for backoff), and whether the wait was ``capped`` to the budget."""

    seconds: float
    requested: float | None = None
    capped: bool = False


class RetryBudget:
    """Tracks the attempts and elapsed time of one logical call against a :class:`RetryPolicy`.

    ``plan`` answers the wait before the next attempt, or ``None`` when the attempts or the
    budget are used up — the caller then gives up. The budget is the ``deadline``'s time
    left when there is one, else ``policy.max_total_seconds`` from the start of the call.
    A Retry-After longer than the time left is shortened to it (marked ``capped`` and counted
    on the deadline); a backoff that does not fit ends the call.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        clock: ClockFn = time.monotonic,
        random: RandomFn = _random.random,
        deadline: Deadline | None = None,
    ):
        self.policy = policy
        self._clock = clock
        self._random = random
        self._deadline = deadline
        self._started = clock()
        self.attempts = 0

    def begin_attempt(self) -> int:
        """Record that an attempt is being made; returns its number (1-based)."""
        self.attempts += 1
        return self.attempts

    @property
    def elapsed(self) -> float:
        """Seconds since the budget started, on the injected clock."""
        return self._clock() - self._started

    def remaining(self) -> float:
        """Seconds of budget left for waiting."""
        if self._deadline is not None:
            return self._deadline.remaining()
        return max(0.0, self.policy.max_total_seconds - self.elapsed)

    def plan(self, retry_after: float | None = None) -> PlannedWait | None:
        """The wait before another attempt, or None when the budget is exhausted."""
        if self.attempts >= self.policy.max_attempts:
            return None
        wait = self.policy.delay(max(self.attempts, 1), retry_after, random=self._random)
        left = self.remaining()
        if wait <= left:
            return PlannedWait(wait, retry_after)
        if retry_after is None or left <= 0:
            return None
        if self._deadline is not None:
            self._deadline.record_capped_wait()
        return PlannedWait(left, retry_after, capped=True)

    def next_delay(self, retry_after: float | None = None) -> float | None:
        """Seconds to wait before another attempt, or None when the budget is exhausted."""
        planned = self.plan(retry_after)
        return None if planned is None else planned.seconds
