"""Invitation services: create (authority, restrictions, hashed token), accept, expire, reuse, revoke."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tenantpilot.tenancy import services_invitations as inv
from tenantpilot.tenancy.models import EnvironmentAccess, WorkspaceMembership
from tenantpilot.tenancy.models_invitations import Invitation, InvitationEnvironment, InvitationStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-unusual-passphrase-42"


def _invite(world, *, actor=None, email="new.person@customer.test", role=Role.OPERATOR, **kwargs):
    return inv.invitation_create(actor=actor or world.owner, workspace=world.a, email=email, role=role.value, **kwargs)


def _writes(fn, *args, **kwargs):
    """Run ``fn`` and return (result or exception, audit rows written, memberships written)."""
    audit_before, members_before = AuditLog.objects.count(), WorkspaceMembership.objects.count()
    users_before = get_user_model().objects.count()
    try:
        outcome = fn(*args, **kwargs)
    except Exception as error:
        outcome = error
    return (
        outcome,
        AuditLog.objects.count() - audit_before,
        WorkspaceMembership.objects.count() - members_before,
        get_user_model().objects.count() - users_before,
    )


def test_invitation_create_stores_only_a_hash_and_audits_without_the_token(world):
    created = _invite(world, email="  New.Person@Customer.TEST ")
    invitation = Invitation.objects.get(pk=created.invitation.pk)
    assert created.token.startswith(inv.TOKEN_PREFIX) and len(created.token) > 40
    assert invitation.email == "new.person@customer.test"
    assert invitation.digest == inv.invitation_digest(created.token)
    assert created.token not in invitation.digest
    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=inv.DEFAULT_EXPIRY_DAYS)
    row = AuditLog.objects.get(action=AuditAction.INVITATION_CREATED)
    assert row.workspace_id == world.a.pk and row.actor_id == world.owner.pk
    assert row.metadata["role"] == Role.OPERATOR.value and row.metadata["email"] == invitation.email
    assert created.token not in str(row.metadata) and invitation.digest not in str(row.metadata)


def test_manager_cannot_invite_above_their_own_role(world):
    outcome, audits, _, _ = _writes(_invite, world, actor=world.members[Role.MANAGER], role=Role.OWNER)
    assert isinstance(outcome, Forbidden)
    assert audits == 0 and not Invitation.objects.exists()
    assert _invite(world, actor=world.members[Role.MANAGER], role=Role.MANAGER).invitation.role == Role.MANAGER


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.READONLY])
def test_member_without_manage_members_cannot_invite(world, role):
    with pytest.raises(Forbidden):
        _invite(world, actor=world.members[role])


def test_non_member_cannot_invite(world):
    with pytest.raises(NotFound):
        _invite(world, actor=world.other)


def test_invite_refuses_bad_email_existing_member_and_duplicate_pending(world):
    with pytest.raises(ValidationFailed) as bad:
        _invite(world, email="not-an-address")
    assert bad.value.field == "email"
    with pytest.raises(ValidationFailed) as member:
        _invite(world, email=world.members[Role.READONLY].email.upper())
    assert member.value.field == "email"
    _invite(world)
    with pytest.raises(ValidationFailed) as duplicate:
        _invite(world)
    assert duplicate.value.field == "email"
    assert Invitation.objects.count() == 1


def test_invite_refuses_expiry_out_of_range(world):
    for days in ("0", "31", "soon"):
        with pytest.raises(ValidationFailed) as error:
            _invite(world, expires_in_days=days)
        assert error.value.field == "expires_in_days"


def test_restricted_inviter_cannot_grant_all_or_hidden_environments(world):
    # ``restricted`` is an owner who sees only a2.
    with pytest.raises(ValidationFailed) as all_envs:
        _invite(world, actor=world.restricted)
    assert all_envs.value.field == "restricted"
    with pytest.raises(ValidationFailed) as hidden:
        _invite(world, actor=world.restricted, restricted=True, environment_ids=[world.a1.pk])
    assert hidden.value.field == "environments"
    with pytest.raises(ValidationFailed) as foreign:
        _invite(world, restricted=True, environment_ids=[world.b1.pk])
    assert foreign.value.field == "environments"
    created = _invite(world, actor=world.restricted, restricted=True, environment_ids=[world.a2.pk])
    assert list(created.invitation.environment_grants.values_list("environment_id", flat=True)) == [world.a2.pk]


def test_accept_new_login_creates_the_login_and_restricted_membership(world):
    created = _invite(world, role=Role.READONLY, restricted=True, environment_ids=[world.a2.pk])
    invitation = inv.invitation_for_link(workspace_slug=world.a.slug, token=created.token)
    membership = inv.invitation_accept_new_login(invitation=invitation, password=PASSWORD)
    user = membership.user
    assert user.username == user.email == "new.person@customer.test"
    assert user.check_password(PASSWORD)
    assert membership.workspace == world.a and membership.role == Role.READONLY
    assert membership.restricted_environments is True
    assert list(EnvironmentAccess.objects.filter(membership=membership).values_list("environment_id", flat=True)) == [
        world.a2.pk
    ]
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED and invitation.accepted_by == user
    actions = set(AuditLog.objects.filter(actor=user).values_list("action", flat=True))
    assert actions == {AuditAction.LOGIN_CREATED, AuditAction.MEMBER_ADDED, AuditAction.INVITATION_ACCEPTED}
    assert PASSWORD not in str(list(AuditLog.objects.values_list("metadata", flat=True)))


def test_accept_weak_password_writes_nothing(world):
    created = _invite(world)
    invitation = inv.invitation_for_link(workspace_slug=world.a.slug, token=created.token)
    outcome, audits, members, users = _writes(inv.invitation_accept_new_login, invitation=invitation, password="abc")
    assert isinstance(outcome, ValidationFailed) and outcome.field == "new_password1"
    assert (audits, members, users) == (0, 0, 0)
    assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.PENDING


def test_accept_as_signed_in_login_with_the_invited_address(world):
    existing = UserFactory(username="already@customer.test")
    created = _invite(world, email="Already@Customer.test", role=Role.MANAGER)
    invitation = inv.invitation_for_link(workspace_slug=world.a.slug, token=created.token)
    membership = inv.invitation_accept_signed_in(invitation=invitation, user=existing)
    assert membership.user == existing and membership.role == Role.MANAGER
    assert membership.restricted_environments is False
    assert existing.check_password("correct-horse-battery-staple"), "the existing password is untouched"


def test_accept_as_another_login_is_refused_and_writes_nothing(world):
    created = _invite(world)
    invitation = inv.invitation_for_link(workspace_slug=world.a.slug, token=created.token)
    outcome, audits, members, _ = _writes(inv.invitation_accept_signed_in, invitation=invitation, user=world.outsider)
    assert isinstance(outcome, Forbidden) and (audits, members) == (0, 0)


def test_new_login_refused_when_a_login_uses_the_address(world):
    UserFactory(username="taken@customer.test")
    created = _invite(world, email="taken@customer.test")
    invitation = inv.invitation_for_link(workspace_slug=world.a.slug, token=created.token)
    outcome, audits, members, users = _writes(inv.invitation_accept_new_login, invitation=invitation, password=PASSWORD)
    assert isinstance(outcome, Conflict) and (audits, members, users) == (0, 0, 0)


def test_link_is_single_use(world):
    created = _invite(world)
    invitation = inv.invitation_for_link(workspace_slug=world.a.slug, token=created.token)
    inv.invitation_accept_new_login(invitation=invitation, password=PASSWORD)
    again = inv.invitation_for_link(workspace_slug=world.a.slug, token=created.token)
    outcome, audits, members, users = _writes(inv.invitation_accept_new_login, invitation=again, password=PASSWORD)
    assert isinstance(outcome, inv.InvitationUnusable) and outcome.status == InvitationStatus.ACCEPTED
    assert (audits, members, users) == (0, 0, 0)
    # A stale copy of the row (another tab) is re-checked under the lock too.
    outcome, audits, members, _ = _writes(inv.invitation_accept_signed_in, invitation=invitation, user=world.outsider)
    assert isinstance(outcome, inv.InvitationUnusable) and (audits, members) == (0, 0)


def test_link_expires_after_seven_days_with_a_controlled_clock(world):
    start = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=start):
        created = _invite(world)
    invitation = inv.invitation_for_link(workspace_slug=world.a.slug, token=created.token)
    almost = start + dt.timedelta(days=7) - dt.timedelta(seconds=1)
    assert invitation.status_at(almost) == InvitationStatus.PENDING
    late = start + dt.timedelta(days=7)
    with mock.patch("django.utils.timezone.now", return_value=late):
        assert invitation.status == InvitationStatus.EXPIRED
        outcome, audits, members, users = _writes(
            inv.invitation_accept_new_login, invitation=invitation, password=PASSWORD
        )
    assert isinstance(outcome, inv.InvitationUnusable) and outcome.status == InvitationStatus.EXPIRED
    assert (audits, members, users) == (0, 0, 0)
    # Once expired, the address may be invited again.
    with mock.patch("django.utils.timezone.now", return_value=late):
        assert _invite(world).invitation.pk != invitation.pk


def test_revoked_link_stops_working_and_revoke_is_audited(world):
    created = _invite(world)
    inv.invitation_revoke(actor=world.members[Role.MANAGER], invitation=created.invitation)
    row = AuditLog.objects.get(action=AuditAction.INVITATION_REVOKED)
    assert row.actor_id == world.members[Role.MANAGER].pk and created.token not in str(row.metadata)
    invitation = inv.invitation_for_link(workspace_slug=world.a.slug, token=created.token)
    outcome, audits, members, users = _writes(inv.invitation_accept_new_login, invitation=invitation, password=PASSWORD)
    assert isinstance(outcome, inv.InvitationUnusable) and outcome.status == InvitationStatus.REVOKED
    assert (audits, members, users) == (0, 0, 0)
    with pytest.raises(Conflict):
        inv.invitation_revoke(actor=world.owner, invitation=invitation)


def test_manager_cannot_revoke_an_owner_invitation_and_outsiders_get_404(world):
    created = _invite(world, role=Role.OWNER)
    with pytest.raises(Forbidden):
        inv.invitation_revoke(actor=world.members[Role.MANAGER], invitation=created.invitation)
    with pytest.raises(NotFound):
        inv.invitation_revoke(actor=world.other, invitation=created.invitation)
    assert Invitation.objects.get(pk=created.invitation.pk).revoked_at is None


def test_link_under_another_workspace_or_forged_is_not_found(world):
    created = _invite(world)
    with pytest.raises(NotFound):
        inv.invitation_for_link(workspace_slug=world.b.slug, token=created.token)
    for token in ("", created.token[:-1] + ("A" if created.token[-1] != "A" else "B"), "x" * 500, None):
        with pytest.raises(NotFound):
            inv.invitation_for_link(workspace_slug=world.a.slug, token=token)


def test_invitation_grant_of_another_workspace_is_refused(world):
    invitation = _invite(world, restricted=True).invitation
    with pytest.raises(ValidationError):
        InvitationEnvironment(workspace=world.a, invitation=invitation, environment=world.b1).full_clean()


@pytest.mark.postgres
def test_database_refuses_invitation_grant_of_another_workspace_on_postgres(world):
    """The composite FK (environment_id, workspace_id) → managed_environments(id, workspace_id)."""
    invitation = _invite(world, restricted=True).invitation
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO invitation_environments (workspace_id, invitation_id, environment_id) VALUES (%s, %s, %s)",
            [world.a.pk, invitation.pk, world.b1.pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
