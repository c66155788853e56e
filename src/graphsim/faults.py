"""Fault injection rules and the token buckets that model Intune's throttling."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["status", "reset", "malformed", "latency"]
HostName = Literal["graph", "login"]


@dataclass(frozen=True)
class FaultRule:
    """One injected fault.

    A rule matches a request when every set condition holds: ``host`` ("graph", "login" or
    None for both), ``tenant_id`` (the token's tenant on Graph, the resolved tenant on the
    login host) and ``path_contains`` (a substring of the request path including its query
    string, e.g. ``"/beta/deviceManagement/configurationPolicies"``). ``times`` is how many
    matching requests it affects (None = forever).

    Kinds: ``status`` answers ``status`` with ``retry_after`` sent verbatim as the
    Retry-After header (None = no header); ``reset`` closes the connection without an
    answer; ``malformed`` answers 200 with a truncated JSON body; ``latency`` sleeps
    ``latency_ms`` and then serves the request normally.
    """

    tenant_id: str | None = None
    path_contains: str | None = None
    host: HostName | None = "graph"
    kind: FaultKind = "status"
    status: int = 429
    retry_after: str | None = "1"
    times: int | None = 1
    latency_ms: int = 0
    applies_inside_batch: bool = True


@dataclass
class _Entry:
    rule: FaultRule
    remaining: int | None


class FaultBook:
    """The active rules and how many more requests each may affect (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []

    def add(self, rule: FaultRule) -> FaultRule:
        """Register a rule (rules are tried in the order added)."""
        with self._lock:
            self._entries.append(_Entry(rule, rule.times))
        return rule

    def clear(self) -> None:
        """Forget every rule."""
        with self._lock:
            self._entries.clear()

    def match(
        self, *, host: HostName, tenant_id: str | None, path: str, inside_batch: bool = False
    ) -> tuple[int, FaultRule | None]:
        """Consume the matching rules: (total latency in ms, the first non-latency rule or None)."""
        latency = 0
        with self._lock:
            for entry in self._entries:
                rule, remaining = entry.rule, entry.remaining
                if remaining is not None and remaining <= 0:
                    continue
                if rule.host is not None and rule.host != host:
                    continue
                if inside_batch and not rule.applies_inside_batch:
                    continue
                if rule.tenant_id is not None and (tenant_id or "").lower() != rule.tenant_id.lower():
                    continue
                if rule.path_contains is not None and rule.path_contains not in path:
                    continue
                if remaining is not None:
                    entry.remaining = remaining - 1
                if rule.kind == "latency":
                    latency += rule.latency_ms
                    continue
                return latency, rule
        return latency, None


# graph-fidelity.md 4.1: requests per window (seconds) per app per tenant.
DEFAULT_LIMITS: dict[str, tuple[int, float]] = {
    "deviceConfiguration": (1000, 20.0),
    "deviceConfigV2": (1000, 20.0),
    "enrollment": (1000, 20.0),
    "rbac": (1000, 20.0),
    "managedApps": (1000, 20.0),
    "devices": (2000, 20.0),
    "directory": (3500, 10.0),
}


class TokenBuckets:
    """Per-app-per-tenant buckets, plus a per-tenant bucket at twice the rate (all apps).

    Buckets refill continuously from ``clock`` (seconds; ``time.monotonic`` unless a test
    injects its own), so a test that controls the clock gets exact answers however long its
    requests take.
    """

    def __init__(
        self, limits: Mapping[str, tuple[int, float]] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = dict(DEFAULT_LIMITS)
        if limits:
            self.limits.update(limits)
        self._clock = clock
        self._lock = threading.Lock()
        self._state: dict[tuple[str, ...], tuple[float, float]] = {}

    @property
    def clock(self) -> Callable[[], float]:
        """The time source the buckets refill from."""
        return self._clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        # Stamps taken from another clock are meaningless against this one: refill everything.
        with self._lock:
            self._clock = clock
            self._state.clear()

    def reset(self) -> None:
        """Refill every bucket."""
        with self._lock:
            self._state.clear()

    def _take(self, key: tuple[str, ...], capacity: int, window: float, now: float) -> float | None:
        tokens, stamp = self._state.get(key, (float(capacity), now))
        rate = capacity / window
        tokens = min(float(capacity), tokens + (now - stamp) * rate)
        if tokens >= 1.0:
            self._state[key] = (tokens - 1.0, now)
            return None
        self._state[key] = (tokens, now)
        return (1.0 - tokens) / rate

    def take(self, bucket: str, tenant_id: str, client_id: str) -> tuple[float, str] | None:
        """Take one request; None if allowed, else (seconds to wait, throttle scope)."""
        capacity, window = self.limits.get(bucket, DEFAULT_LIMITS["deviceConfiguration"])
        with self._lock:
            # Read under the lock: a reading taken before another thread's later stamp would
            # refill backwards and cost tokens Graph never takes (seen as spurious 429s).
            now = self._clock()
            wait = self._take((bucket, tenant_id, client_id), capacity, window, now)
            if wait is not None:
                return wait, f"Tenant_Application/ReadOnly/{tenant_id}/{client_id}"
            wait = self._take((bucket, tenant_id), capacity * 2, window, now)
            if wait is not None:
                return wait, f"Tenant/ReadOnly/{tenant_id}"
        return None


def retry_after_header(seconds: float) -> str:
    """Whole seconds, at least 1, as Graph sends it."""
    return str(max(1, math.ceil(seconds)))
