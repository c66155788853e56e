"""Member management: roles only at or below one's own, never without an owner, always audited."""

from __future__ import annotations

import pytest

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tenantpilot.tenancy import services
from tenantpilot.tenancy.models import WorkspaceMembership
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_membership_add_by_username_or_email_is_audited(world):
    user = UserFactory(username="newbie", email="newbie@corp.test")
    m = services.membership_add(
        actor=world.owner, workspace=world.a, user_identifier="NEWBIE@corp.test", role=Role.OPERATOR
    )
    assert (m.user, m.role) == (user, Role.OPERATOR)
    row = AuditLog.objects.get(action=AuditAction.MEMBER_ADDED)
    assert row.metadata == {"user_id": user.pk, "role": "operator", "restricted": False}


@pytest.mark.parametrize(
    ("identifier", "role", "field"),
    [
        ("", Role.READONLY, "user"),
        ("ghost@nowhere.test", Role.READONLY, "user"),
        ("owner@alpha.test", Role.READONLY, "user"),
        ("x", "superhero", "role"),
    ],
)
def test_membership_add_refuses_bad_input_and_writes_nothing(world, identifier, role, field):
    before = (WorkspaceMembership.objects.count(), AuditLog.objects.count())
    with pytest.raises(ValidationFailed) as exc:
        services.membership_add(actor=world.owner, workspace=world.a, user_identifier=identifier, role=role)
    assert exc.value.field == field
    assert (WorkspaceMembership.objects.count(), AuditLog.objects.count()) == before


def test_manager_cannot_grant_owner(world):
    user = UserFactory()
    with pytest.raises(Forbidden):
        services.membership_add(
            actor=world.members[Role.MANAGER], workspace=world.a, user_identifier=user.username, role=Role.OWNER
        )
    owner_m = world.memberships[Role.OWNER]
    with pytest.raises(Forbidden):
        services.membership_change_role(actor=world.members[Role.MANAGER], membership=owner_m, role=Role.READONLY)
    with pytest.raises(Forbidden):
        services.membership_remove(actor=world.members[Role.MANAGER], membership=owner_m)
    assert WorkspaceMembership.objects.get(pk=owner_m.pk).role == Role.OWNER


def test_operator_cannot_manage_members(world):
    with pytest.raises(Forbidden):
        services.membership_change_role(
            actor=world.members[Role.OPERATOR], membership=world.memberships[Role.READONLY], role=Role.OPERATOR
        )


def test_outsider_gets_not_found(world):
    with pytest.raises(NotFound):
        services.membership_remove(actor=world.other, membership=world.memberships[Role.READONLY])


def test_last_owner_can_be_neither_demoted_nor_removed(world_single_owner):
    _ws, owner_m = world_single_owner
    before = AuditLog.objects.count()
    with pytest.raises(Forbidden):  # nobody changes their own role, last owner or not
        services.membership_change_role(actor=owner_m.user, membership=owner_m, role=Role.MANAGER)
    with pytest.raises(Conflict):
        services.membership_remove(actor=owner_m.user, membership=owner_m)
    owner_m.refresh_from_db()
    assert owner_m.role == Role.OWNER
    assert AuditLog.objects.count() == before


def test_an_owner_can_be_stepped_down_by_another_owner(world_single_owner):
    ws, owner_m = world_single_owner
    second = MembershipFactory(workspace=ws, role=Role.OWNER)
    services.membership_change_role(actor=second.user, membership=owner_m, role=Role.READONLY)
    assert WorkspaceMembership.objects.get(pk=owner_m.pk).role == Role.READONLY
    row = AuditLog.objects.get(action=AuditAction.MEMBER_ROLE_CHANGED)
    assert row.metadata == {"user_id": owner_m.user_id, "from_role": "owner", "to_role": "readonly"}
    assert second.role == Role.OWNER


def test_membership_remove_is_audited_and_removes_access(world):
    m = world.memberships[Role.READONLY]
    services.membership_remove(actor=world.owner, membership=m)
    assert not WorkspaceMembership.objects.filter(pk=m.pk).exists()
    assert AuditLog.objects.get(action=AuditAction.MEMBER_REMOVED).metadata["user_id"] == m.user_id


def test_environment_access_is_restricted_to_this_workspace(world):
    m = world.memberships[Role.READONLY]
    before = AuditLog.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.membership_set_environment_access(
            actor=world.owner, membership=m, restricted=True, environment_ids=[world.b1.pk]
        )
    assert exc.value.field == "environments"
    m.refresh_from_db()
    assert not m.restricted_environments
    assert AuditLog.objects.count() == before
    services.membership_set_environment_access(
        actor=world.owner, membership=m, restricted=True, environment_ids=[world.a1.pk]
    )
    m.refresh_from_db()
    assert m.restricted_environments
    assert list(m.environment_grants.values_list("environment_id", flat=True)) == [world.a1.pk]
    services.membership_set_environment_access(
        actor=world.owner, membership=m, restricted=False, environment_ids=[world.a1.pk]
    )
    assert not m.environment_grants.exists()


@pytest.fixture
def world_single_owner(db):
    owner_m = MembershipFactory(role=Role.OWNER)
    return owner_m.workspace, owner_m
