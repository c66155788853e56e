"""Sign-in throttling: failed password checks earn short, exponentially growing, bounded locks.

Two buckets count failures, in the database (so every web process and worker sharing it agrees,
unlike a per-process memory cache):

- **account + address**: one sign-in name from one client address. After
  ``TENANTPILOT_SIGNIN_ACCOUNT_FREE_FAILURES`` (5) failures the pair is locked for
  ``TENANTPILOT_SIGNIN_FIRST_LOCK_SECONDS`` (30 s); each further failure after a lock doubles
  it, up to ``TENANTPILOT_SIGNIN_MAX_LOCK_SECONDS`` (15 min). A successful sign-in clears it.
- **address**: one client address, any sign-in name (password spraying). Same growth after
  ``TENANTPILOT_SIGNIN_ADDRESS_FREE_FAILURES`` (20) failures; a success does not clear it (one
  valid account must not launder guesses against others).

A bucket forgets its failures ``TENANTPILOT_SIGNIN_FORGET_SECONDS`` (1 h) after the last one.
While a bucket is locked, attempts are refused *before* the password is checked and do not
count, so an attacker cannot lengthen the lock beyond the cap, only renew it slowly.

Why there is no lock on the account alone: anyone who knows a sign-in name could then lock the
real owner out from everywhere, indefinitely. Keyed by (account, address), an attacker locks
only themselves; the owner signing in from another address is never refused. The price is that
a distributed attacker gets a few guesses per address (5, then one per lock window), which the
password validators and the address bucket keep small. IPv6 clients are bucketed by their /64,
which one client typically owns whole.

Every lock that starts writes one audit row (``auth.sign_in_throttled``, platform-level: no
workspace) with the sign-in name as typed, the address, the bucket, the failure count and the
lock length — never the password. Refused attempts during a lock write nothing, so a flood
cannot flood the log.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from .actions import AuditAction
from .models import SignInThrottle
from .services import audit_record

logger = logging.getLogger("tenantpilot.signin")

REQUEST_ATTRIBUTE = "_tenantpilot_signin_lock"


@dataclass(frozen=True)
class SignInLock:
    """A refusal: the client must wait ``seconds`` (whole, at least 1) before trying again."""

    seconds: int

    @property
    def message(self) -> str:
        """The operator-facing explanation; the same whether or not the account exists."""
        wait = f"{self.seconds} seconds" if self.seconds < 120 else f"{math.ceil(self.seconds / 60)} minutes"
        return (
            f"Too many failed sign-in attempts from your address. Try again in {wait}. "
            "Attempts from other addresses are not affected."
        )


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def client_address(request: HttpRequest) -> str:
    """The client's address as the throttle keys it.

    ``REMOTE_ADDR`` unless ``TENANTPILOT_TRUSTED_PROXY_HOPS`` (N > 0) says N reverse proxies of
    ours sit in front: then the N-th address from the right of ``X-Forwarded-For`` (the one our
    outermost proxy saw; anything left of it is client-controlled). IPv6 addresses become their
    /64 network. Anything unparsable falls back to ``REMOTE_ADDR``, then to ``unknown``.
    """
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    candidate = remote
    hops = _setting("TENANTPILOT_TRUSTED_PROXY_HOPS", 0)
    if hops > 0:
        forwarded = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
    for value in (candidate, remote):
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            continue
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped is not None:
                return str(address.ipv4_mapped)
            return str(ipaddress.ip_network(f"{address}/64", strict=False))
        return str(address)
    return "unknown"


def _normalize_username(username: str) -> str:
    return str(username).strip().casefold()[:150]


def _bucket_keys(username: str, address: str) -> list[tuple[str, str, str]]:
    return [
        (SignInThrottle.Bucket.ACCOUNT_ADDRESS, _normalize_username(username), address),
        (SignInThrottle.Bucket.ADDRESS, "", address),
    ]


def _free_failures(bucket: str) -> int:
    if bucket == SignInThrottle.Bucket.ADDRESS:
        return _setting("TENANTPILOT_SIGNIN_ADDRESS_FREE_FAILURES", 20)
    return _setting("TENANTPILOT_SIGNIN_ACCOUNT_FREE_FAILURES", 5)


def lock_seconds_for(failures: int, free_failures: int) -> int:
    """The lock earned by the ``failures``-th failure: none below the free count, then
    FIRST · 2^(failures − free), capped at MAX."""
    if failures < free_failures:
        return 0
    first = _setting("TENANTPILOT_SIGNIN_FIRST_LOCK_SECONDS", 30)
    cap = _setting("TENANTPILOT_SIGNIN_MAX_LOCK_SECONDS", 900)
    exponent = min(failures - free_failures, 32)  # 2**32 · first is far past any cap
    return int(min(first * 2**exponent, cap))


def signin_lock(*, username: str, address: str) -> SignInLock | None:
    """The lock that refuses this (name, address) now, the longest of its buckets; else None."""
    now = timezone.now()
    longest: dt.datetime | None = None
    for bucket, name, addr in _bucket_keys(username, address):
        row = SignInThrottle.objects.filter(bucket=bucket, username=name, address=addr).only("locked_until").first()
        if row is not None and row.locked_until is not None and row.locked_until > now:
            longest = row.locked_until if longest is None else max(longest, row.locked_until)
    if longest is None:
        return None
    return SignInLock(seconds=max(1, math.ceil((longest - now).total_seconds())))


def signin_record_failure(*, username: str, address: str) -> SignInLock | None:
    """Count one failed password check in both buckets; start a lock where one is earned.

    Each lock that starts is audited in the same transaction. Returns the lock now in force
    (if any). Rows forgotten long ago are pruned on the way, so the table stays small.
    """
    now = timezone.now()
    forget = dt.timedelta(seconds=_setting("TENANTPILOT_SIGNIN_FORGET_SECONDS", 3600))
    with transaction.atomic():
        SignInThrottle.objects.filter(
            Q(locked_until__isnull=True) | Q(locked_until__lt=now), last_failure_at__lt=now - forget
        ).delete()
        for bucket, name, addr in _bucket_keys(username, address):
            row, _ = SignInThrottle.objects.select_for_update().get_or_create(
                bucket=bucket, username=name, address=addr, defaults={"last_failure_at": now}
            )
            if row.locked_until is not None and row.locked_until > now:
                continue  # already locked (the other bucket refused nothing): do not extend
            if row.failures and row.last_failure_at < now - forget:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            seconds = lock_seconds_for(row.failures, _free_failures(bucket))
            row.locked_until = now + dt.timedelta(seconds=seconds) if seconds else None
            row.save(update_fields=["failures", "last_failure_at", "locked_until"])
            if seconds:
                audit_record(
                    actor=None,
                    action=AuditAction.SIGN_IN_THROTTLED,
                    workspace=None,
                    target=row,
                    metadata={
                        "username": _normalize_username(username),
                        "address": address,
                        "bucket": bucket,
                        "failures": row.failures,
                        "locked_seconds": seconds,
                    },
                )
                logger.warning(
                    "sign-in locked",
                    extra={"bucket": str(bucket), "address": address, "failures": row.failures, "seconds": seconds},
                )
    return signin_lock(username=username, address=address)


def signin_record_success(*, username: str, address: str) -> None:
    """Clear the (account, address) bucket after a successful sign-in (the address bucket stays)."""
    SignInThrottle.objects.filter(
        bucket=SignInThrottle.Bucket.ACCOUNT_ADDRESS, username=_normalize_username(username), address=address
    ).delete()


def lock_for_request(request: HttpRequest | None) -> SignInLock | None:
    """The lock the authentication backend recorded on this request, if it refused or locked."""
    return getattr(request, REQUEST_ATTRIBUTE, None) if request is not None else None


class ThrottledModelBackend(ModelBackend):
    """Django's username/password backend behind the sign-in throttle.

    Every password sign-in with a request (the console's login, the platform admin's) goes
    through it. A locked bucket refuses before the password is checked (``PermissionDenied``
    stops Django's backend chain and fires ``user_login_failed``); a failed check is counted; a
    success clears the account bucket. The lock is left on the request for the form's message.
    Calls without a request (``createsuperuser``, shell) are not throttled.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if request is None or username is None or password is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        address = client_address(request)
        lock = signin_lock(username=username, address=address)
        if lock is not None:
            setattr(request, REQUEST_ATTRIBUTE, lock)
            raise PermissionDenied(lock.message)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            lock = signin_record_failure(username=username, address=address)
            if lock is not None:
                setattr(request, REQUEST_ATTRIBUTE, lock)
        else:
            signin_record_success(username=username, address=address)
        return user
