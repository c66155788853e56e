"""Environment services: authorized, validated, audited; refused input writes nothing."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tenantpilot.tenancy import services
from tenantpilot.tenancy.models import EnvironmentAccess, ManagedEnvironment
from tests.factories import EnvironmentFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _counts():
    return ManagedEnvironment.objects.count(), AuditLog.objects.count()


def test_environment_create_records_audit_in_the_same_scope(world):
    tenant = str(uuid.uuid4())
    env = services.environment_create(
        actor=world.owner,
        workspace=world.a,
        display_name="  Contoso  ",
        tenant_id=tenant.upper(),
        default_domain="Contoso.OnMicrosoft.com",
    )
    assert (env.display_name, env.tenant_id, env.default_domain) == ("Contoso", tenant, "contoso.onmicrosoft.com")
    row = AuditLog.objects.get(action=AuditAction.ENVIRONMENT_CREATED)
    assert (row.workspace, row.environment, row.actor, row.actor_label) == (
        world.a,
        env,
        world.owner,
        world.owner.username,
    )
    assert row.target_id == str(env.pk)
    assert row.metadata == {"tenant_id": tenant}


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("tenant_id", {"tenant_id": "not-a-guid"}),
        ("tenant_id", {"tenant_id": "00000000-0000-0000-0000-000000000000"}),
        ("tenant_id", {"tenant_id": "{" + str(uuid.uuid4()) + "}"}),
        ("display_name", {"display_name": "   "}),
        ("display_name", {"display_name": "x" * 121}),
        ("default_domain", {"default_domain": "not a domain"}),
    ],
)
def test_environment_create_refuses_bad_input_naming_the_field_and_writes_nothing(world, field, values):
    before = _counts()
    kwargs = {"display_name": "Contoso", "tenant_id": str(uuid.uuid4()), "default_domain": "", **values}
    with pytest.raises(ValidationFailed) as exc:
        services.environment_create(actor=world.owner, workspace=world.a, **kwargs)
    assert exc.value.field == field
    assert _counts() == before


def test_duplicate_tenant_id_in_a_workspace_is_refused_but_allowed_across_workspaces(world):
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        services.environment_create(
            actor=world.owner, workspace=world.a, display_name="Dup", tenant_id=world.a1.tenant_id
        )
    assert exc.value.field == "tenant_id"
    assert _counts() == before
    other = services.environment_create(
        actor=world.other, workspace=world.b, display_name="Same tenant", tenant_id=world.a1.tenant_id
    )
    assert other.workspace == world.b


def test_database_refuses_duplicate_tenant_id_in_a_workspace(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        ManagedEnvironment.objects.create(workspace=world.a, display_name="Raw", tenant_id=world.a1.tenant_id)


def test_environment_create_needs_manage_capability_and_membership(world):
    before = _counts()
    for role in (Role.OPERATOR, Role.READONLY):
        with pytest.raises(Forbidden):
            services.environment_create(
                actor=world.members[role], workspace=world.a, display_name="X", tenant_id=str(uuid.uuid4())
            )
    with pytest.raises(NotFound):
        services.environment_create(actor=world.other, workspace=world.a, display_name="X", tenant_id=str(uuid.uuid4()))
    assert _counts() == before


@pytest.mark.parametrize("tenant_of", ["new", "hidden", "visible"])
def test_restricted_member_cannot_create_environments_whatever_the_tenant_id(world, tenant_of):
    """One answer for a fresh tenant id, a hidden environment's and a visible one's: no existence oracle."""
    tenant = {"new": str(uuid.uuid4()), "hidden": world.a1.tenant_id, "visible": world.a2.tenant_id}[tenant_of]
    before = _counts()
    with pytest.raises(Forbidden) as refused:
        services.environment_create(actor=world.restricted, workspace=world.a, display_name="Mine", tenant_id=tenant)
    assert "tenant id" not in refused.value.message
    assert _counts() == before


@pytest.mark.parametrize("tenant_of", ["new", "hidden"])
def test_restricted_member_cannot_change_a_tenant_id_whatever_the_value(world, tenant_of):
    tenant = {"new": str(uuid.uuid4()), "hidden": world.a1.tenant_id}[tenant_of]
    with pytest.raises(ValidationFailed) as refused:
        services.environment_update(actor=world.restricted, environment=world.a2, tenant_id=tenant)
    assert refused.value.field == "tenant_id"
    assert "already" not in refused.value.message
    world.a2.refresh_from_db()
    assert world.a2.tenant_id != tenant


def test_restricted_member_may_still_rename_a_visible_environment(world):
    services.environment_update(actor=world.restricted, environment=world.a2, display_name="Alpha Two B")
    world.a2.refresh_from_db()
    assert world.a2.display_name == "Alpha Two B"


def test_environment_update_audits_changed_fields_only(world):
    services.environment_update(actor=world.owner, environment=world.a1, display_name="Alpha Renamed")
    row = AuditLog.objects.get(action=AuditAction.ENVIRONMENT_UPDATED)
    assert row.metadata["changed_fields"] == ["display_name"]
    services.environment_update(actor=world.owner, environment=world.a1, display_name="Alpha Renamed")
    assert AuditLog.objects.filter(action=AuditAction.ENVIRONMENT_UPDATED).count() == 1


def test_environment_update_refuses_duplicate_tenant_and_unknown_fields(world):
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        services.environment_update(actor=world.owner, environment=world.a1, tenant_id=world.a2.tenant_id)
    assert exc.value.field == "tenant_id"
    with pytest.raises(ValidationFailed) as exc:
        services.environment_update(actor=world.owner, environment=world.a1, workspace_id=world.b.pk)  # type: ignore[arg-type]
    assert exc.value.field == "workspace_id"
    world.a1.refresh_from_db()
    assert world.a1.workspace == world.a
    assert _counts() == before


def test_archive_and_restore_are_audited_and_idempotence_is_a_conflict(world):
    env = services.environment_set_archived(actor=world.owner, environment=world.a1, archived=True)
    assert env.is_archived
    with pytest.raises(Conflict):
        services.environment_set_archived(actor=world.owner, environment=world.a1, archived=True)
    services.environment_set_archived(actor=world.owner, environment=world.a1, archived=False)
    actions = list(AuditLog.objects.order_by("id").values_list("action", flat=True))
    assert actions == [AuditAction.ENVIRONMENT_ARCHIVED, AuditAction.ENVIRONMENT_RESTORED]


def test_workspace_create_makes_the_creator_owner_and_audits(user_factory):
    owner = user_factory()
    ws = services.workspace_create(actor=owner, name="Gamma MSP", owner=owner)
    assert ws.slug == "gamma-msp"
    assert ws.memberships.get().role == Role.OWNER
    assert AuditLog.objects.get(action=AuditAction.WORKSPACE_CREATED).workspace == ws
    with pytest.raises(ValidationFailed) as exc:
        services.workspace_create(actor=owner, name="Gamma MSP", owner=owner)
    assert exc.value.field == "slug"


def test_model_refuses_environment_access_across_workspaces(world):
    from django.core.exceptions import ValidationError

    membership = MembershipFactory(workspace=world.a, role=Role.READONLY)
    grant = EnvironmentAccess(workspace=world.a, membership=membership, environment=world.b1)
    with pytest.raises(ValidationError):
        grant.full_clean()


@pytest.mark.postgres
def test_database_refuses_environment_workspace_mismatch_on_postgres(world):
    """The composite FK (environment_id, workspace_id) → managed_environments(id, workspace_id)."""
    membership = MembershipFactory(workspace=world.a, role=Role.READONLY)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO environment_access (workspace_id, membership_id, environment_id) VALUES (%s, %s, %s)",
            [world.a.pk, membership.pk, world.b1.pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_log (created_at, action, actor_label, workspace_id, environment_id, target_type, target_id, request_id, metadata)"
            " VALUES (now(), 'environment.updated', 'x', %s, %s, 't', '1', '', '{}')",
            [world.a.pk, world.b1.pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.postgres
def test_database_accepts_matching_environment_and_workspace_on_postgres(world):
    env = EnvironmentFactory(workspace=world.a)
    membership = MembershipFactory(workspace=world.a, role=Role.READONLY)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO environment_access (workspace_id, membership_id, environment_id) VALUES (%s, %s, %s)",
            [world.a.pk, membership.pk, env.pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert EnvironmentAccess.objects.filter(environment=env).exists()
