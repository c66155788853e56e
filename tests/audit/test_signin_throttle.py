"""Sign-in throttling: brute force is refused, briefly and boundedly, per (account, address) and per
address; the real owner from another address is never locked out; each lock is audited without
the password. The clock is controlled (no sleeps)."""

from __future__ import annotations

import datetime as dt
import json
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import RequestFactory
from django.urls import reverse

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog, SignInThrottle
from tenantpilot.audit.signin import client_address, lock_seconds_for, signin_lock, signin_record_failure
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
OWNER_HOME = "198.51.100.20"
WRONG = "wrong-password-canary-7f3a"


class Clock:
    """A controllable ``timezone.now``."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock():
    fake = Clock()
    with mock.patch("django.utils.timezone.now", fake):
        yield fake


def _login(client, username: str, password: str, address: str):
    client.logout()
    return client.post(reverse("console:login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def _signed_in(client) -> bool:
    return SESSION_KEY in client.session


def _hammer(client, clock, username: str, address: str, attempts: int = 30, within_seconds: float = 10) -> None:
    for _ in range(attempts):
        response = _login(client, username, WRONG, address)
        assert response.status_code == 200
        assert not _signed_in(client)
        clock.advance(within_seconds / attempts)


def test_thirty_wrong_passwords_then_the_right_one_is_refused(client, world, clock):
    owner = world.owner.username
    _hammer(client, clock, owner, ATTACKER)
    response = _login(client, owner, PASSWORD, ATTACKER)
    assert response.status_code == 200
    assert not _signed_in(client)
    body = response.content.decode()
    assert "Too many failed sign-in attempts" in body
    assert "Try again in" in body


def test_after_the_lock_window_the_right_password_is_accepted(client, world, clock):
    owner = world.owner.username
    _hammer(client, clock, owner, ATTACKER)
    lock = signin_lock(username=owner, address=ATTACKER)
    assert lock is not None
    assert lock.seconds <= 30  # the first lock is short
    clock.advance(lock.seconds + 1)
    response = _login(client, owner, PASSWORD, ATTACKER)
    assert response.status_code == 302
    assert _signed_in(client)


def test_the_owner_from_another_address_is_not_affected(client, world, clock):
    owner = world.owner.username
    _hammer(client, clock, owner, ATTACKER)
    assert _login(client, owner, PASSWORD, ATTACKER).status_code == 200  # the attacker's address: locked
    response = _login(client, owner, PASSWORD, OWNER_HOME)
    assert response.status_code == 302
    assert _signed_in(client)


def test_a_lock_writes_one_platform_audit_row_without_the_password(client, world, clock):
    owner = world.owner.username
    _hammer(client, clock, owner, ATTACKER)
    rows = list(AuditLog.objects.filter(action=AuditAction.SIGN_IN_THROTTLED))
    # One row per lock that started: the pair's lock; refused attempts during it write nothing.
    assert len(rows) == 1
    row = rows[0]
    assert row.workspace_id is None
    assert row.actor_id is None
    assert row.metadata == {
        "username": owner,
        "address": ATTACKER,
        "bucket": "account_address",
        "failures": 5,
        "locked_seconds": 30,
    }
    stored = json.dumps([row.metadata, row.actor_label, row.target_type, row.target_id, row.request_id])
    assert WRONG not in stored
    assert PASSWORD not in stored
    assert not AuditLog.objects.filter(metadata__icontains=WRONG).exists()


def test_refused_attempts_do_not_check_the_password(client, world, clock):
    owner = world.owner.username
    _hammer(client, clock, owner, ATTACKER, attempts=5)
    with mock.patch("django.contrib.auth.backends.ModelBackend.authenticate") as check:
        response = _login(client, owner, PASSWORD, ATTACKER)
    assert response.status_code == 200
    check.assert_not_called()


def test_locks_grow_exponentially_and_stay_bounded(world, clock):
    name = world.owner.username
    seen = []
    for _ in range(4):  # the free failures
        assert signin_record_failure(username=name, address=ATTACKER) is None
    for _ in range(12):
        lock = signin_record_failure(username=name, address=ATTACKER)
        assert lock is not None
        seen.append(lock.seconds)
        clock.advance(lock.seconds)  # wait the lock out, then fail again
    assert seen[:6] == [30, 60, 120, 240, 480, 900]
    assert set(seen[5:]) == {900}  # 15 minutes at most, however long the attack
    assert lock_seconds_for(10**6, 5) == 900


def test_a_success_clears_the_account_bucket(client, world, clock):
    owner = world.owner.username
    _hammer(client, clock, owner, OWNER_HOME, attempts=4)
    assert _login(client, owner, PASSWORD, OWNER_HOME).status_code == 302
    _hammer(client, clock, owner, OWNER_HOME, attempts=4)
    assert signin_lock(username=owner, address=OWNER_HOME) is None


def test_failures_are_forgotten_after_an_hour(world, clock):
    name = world.owner.username
    for _ in range(4):
        signin_record_failure(username=name, address=ATTACKER)
    clock.advance(3601)
    assert signin_record_failure(username=name, address=ATTACKER) is None  # counted from 1 again
    assert SignInThrottle.objects.get(bucket="account_address", address=ATTACKER).failures == 1


def test_password_spraying_from_one_address_locks_that_address_only(client, world, clock):
    for n in range(20):
        _login(client, f"guess{n}@alpha.test", WRONG, ATTACKER)
        clock.advance(0.2)
    response = _login(client, world.owner.username, PASSWORD, ATTACKER)
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert AuditLog.objects.filter(action=AuditAction.SIGN_IN_THROTTLED, metadata__bucket="address").count() == 1
    assert _login(client, world.owner.username, PASSWORD, OWNER_HOME).status_code == 302


def test_unknown_and_known_names_get_the_same_answer(client, world, clock):
    _hammer(client, clock, "nobody@alpha.test", ATTACKER, attempts=5)
    _hammer(client, clock, world.owner.username, "192.0.2.1", attempts=5)
    unknown = _login(client, "nobody@alpha.test", WRONG, ATTACKER).content.decode()
    known = _login(client, world.owner.username, WRONG, "192.0.2.1").content.decode()
    assert "Too many failed sign-in attempts" in unknown
    assert "Too many failed sign-in attempts" in known


def test_case_variants_of_a_name_share_the_bucket(client, world, clock):
    _hammer(client, clock, world.owner.username.upper(), ATTACKER, attempts=5)
    assert signin_lock(username=world.owner.username, address=ATTACKER) is not None


def test_the_platform_admin_login_is_throttled_too(client, world, clock):
    admin = world.owner
    admin.is_staff = admin.is_superuser = True
    admin.save()
    url = "/system/login/"
    for _ in range(5):
        client.post(url, {"username": admin.username, "password": WRONG}, REMOTE_ADDR=ATTACKER)
    client.post(url, {"username": admin.username, "password": PASSWORD}, REMOTE_ADDR=ATTACKER)
    assert not _signed_in(client)
    client.post(url, {"username": admin.username, "password": PASSWORD}, REMOTE_ADDR=OWNER_HOME)
    assert _signed_in(client)


def test_client_address_ignores_forwarded_for_unless_proxies_are_trusted(settings):
    factory = RequestFactory()
    request = factory.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    assert client_address(request) == "10.0.0.5"  # a spoofable header is not trusted by default
    settings.TENANTPILOT_TRUSTED_PROXY_HOPS = 1
    assert client_address(request) == "203.0.113.9"  # the address our one proxy saw
    settings.TENANTPILOT_TRUSTED_PROXY_HOPS = 3  # more hops than the header has: fall back
    assert client_address(request) == "10.0.0.5"


def test_client_address_buckets_ipv6_by_its_slash_64():
    factory = RequestFactory()
    one = client_address(factory.get("/", REMOTE_ADDR="2001:db8:1:2::1"))
    other = client_address(factory.get("/", REMOTE_ADDR="2001:db8:1:2:ffff::9"))
    assert one == other == "2001:db8:1:2::/64"
    assert client_address(factory.get("/", REMOTE_ADDR="::ffff:192.0.2.4")) == "192.0.2.4"
    assert client_address(factory.get("/", REMOTE_ADDR="not an address")) == "unknown"
