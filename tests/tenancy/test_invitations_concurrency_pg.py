"""Single use under concurrency, proven on PostgreSQL: many tabs accepting one link at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.tenancy import services_invitations as inv
from tenantpilot.tenancy.models import WorkspaceMembership
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-and-unusual-passphrase-42"


def _race(n, fn):
    barrier = threading.Barrier(n)

    def worker(i):
        barrier.wait(timeout=30)
        try:
            return fn(i)
        except Exception as exc:  # collected and asserted on by the caller
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(worker, range(n)))


def test_ten_concurrent_new_login_accepts_of_one_link_join_exactly_once(world):
    created = inv.invitation_create(actor=world.owner, workspace=world.a, email="race@customer.test", role="operator")
    invitation = inv.invitation_for_link(workspace_slug=world.a.slug, token=created.token)
    results = _race(10, lambda i: inv.invitation_accept_new_login(invitation=invitation, password=PASSWORD))
    joined = [r for r in results if isinstance(r, WorkspaceMembership)]
    refused = [r for r in results if isinstance(r, inv.InvitationUnusable)]
    assert len(joined) == 1 and len(refused) == 9, results
    assert get_user_model().objects.filter(email="race@customer.test").count() == 1
    assert AuditLog.objects.filter(action=AuditAction.INVITATION_ACCEPTED).count() == 1


def test_ten_concurrent_signed_in_accepts_of_one_link_join_exactly_once(world):
    user = UserFactory(username="tab@customer.test")
    created = inv.invitation_create(
        actor=world.owner, workspace=world.a, email="tab@customer.test", role=Role.READONLY.value
    )
    invitation = inv.invitation_for_link(workspace_slug=world.a.slug, token=created.token)
    results = _race(10, lambda i: inv.invitation_accept_signed_in(invitation=invitation, user=user))
    assert sum(isinstance(r, WorkspaceMembership) for r in results) == 1, results
    assert all(isinstance(r, (WorkspaceMembership, inv.InvitationUnusable)) for r in results), results
    assert WorkspaceMembership.objects.filter(workspace=world.a, user=user).count() == 1
