"""No list selector returns a record of an environment hidden from the member.

Every selector that lists or counts environments, or lists records carrying an environment, is
called with the scope of members restricted to ``a2`` while ``a1`` (hidden) and ``a2`` both hold
one record of each kind. Workspace-level selectors must leave ``a1``'s records out; selectors
that take an environment must refuse ``a1`` with ``NotFound`` themselves (not only through the
view decorator).
"""

from __future__ import annotations

import uuid

import pytest

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.audit.selectors import audit_list, audit_rows_for_viewer
from tenantpilot.authz.roles import Role
from tenantpilot.core.errors import NotFound
from tenantpilot.inventory import selectors as inventory_selectors
from tenantpilot.operations import selectors as operation_selectors
from tenantpilot.providers import selectors as provider_selectors
from tenantpilot.providers import services as provider_services
from tenantpilot.resources import selectors as resource_selectors
from tenantpilot.resources import services as resource_services
from tenantpilot.resources.selectors import inventory_item_descriptor
from tenantpilot.tenancy import services as tenancy_services
from tenantpilot.tenancy.authority import scope_for_workspace
from tenantpilot.tenancy.models import ManagedEnvironment, restrict_to_visible_environments
from tenantpilot.tenancy.selectors import environment_list, membership_list, workspace_list_for_user
from tests.baselines import factories as baseline_factories
from tests.factories import MembershipFactory, UserFactory, grant_environment
from tests.inventory.factories import make_item
from tests.operations.helpers import finished_run, notification_for

pytestmark = pytest.mark.django_db


def _seed(world, environment, readers):
    """One record of each kind in ``environment``; a notification for each of ``readers``."""
    provider_services.connection_create(
        actor=world.owner,
        environment=environment,
        display_name=f"Graph {environment.display_name}",
        entra_tenant_id=environment.tenant_id,
        client_id=str(uuid.uuid4()),
        auth_type="client_secret",
        client_secret="visibility-secret-value",
    )
    make_item(environment)
    resource_services.binding_create_manual(
        actor=world.owner,
        environment=environment,
        descriptor=inventory_item_descriptor(baseline_factories.inventory_item(environment)),
        note="Visibility test.",
    )
    finished_run(environment)
    for user in readers:
        notification_for(user, environment)
    tenancy_services.environment_update(actor=world.owner, environment=environment, default_domain="seen.example.com")


@pytest.fixture
def restricted_scopes(world):
    """A scope per role, each member restricted to a2; a1 and a2 both hold records of every kind."""
    users = {}
    for role in Role:
        user = UserFactory(username=f"vis-{role.value}@alpha.test")
        grant_environment(MembershipFactory(workspace=world.a, user=user, role=role), world.a2)
        users[role] = user
    for environment in (world.a1, world.a2):
        _seed(world, environment, users.values())
    return {role: scope_for_workspace(user, world.a) for role, user in users.items()}


def _environment_ids(rows):
    return {row.environment_id for row in rows}


def test_workspace_level_list_selectors_leave_hidden_records_out(world, restricted_scopes):
    for role, scope in restricted_scopes.items():
        listed = {
            "environments": {e.pk for e in environment_list(scope=scope, include_archived=True)},
            "operation runs": _environment_ids(operation_selectors.operation_run_list(scope=scope)),
            "notifications": _environment_ids(operation_selectors.notification_list(scope=scope)),
            "audit rows": _environment_ids(audit_list(scope=scope)) - {None},
        }
        for what, environment_ids in listed.items():
            assert environment_ids == {world.a2.pk}, f"{role.value}: {what} of {environment_ids}, expected a2 only"
        assert operation_selectors.notification_unread_count(scope=scope) == 1


def test_environment_list_selectors_refuse_a_hidden_environment_themselves(world, restricted_scopes):
    scope = restricted_scopes[Role.OWNER]
    calls = {
        "connections": lambda env: list(provider_selectors.connection_list(scope=scope, environment=env)),
        "inventory": lambda env: list(inventory_selectors.inventory_list(scope=scope, environment=env)),
        "compliance": lambda env: inventory_selectors.compliance_history(scope=scope, environment=env),
        "schedules": lambda env: inventory_selectors.schedule_list(scope=scope, environment=env),
        "bindings": lambda env: list(resource_selectors.binding_list(scope=scope, environment=env)),
    }
    for what, call in calls.items():
        visible = call(world.a2)
        assert visible is not None, what
        with pytest.raises(NotFound):
            call(world.a1)
        if isinstance(visible, list):
            assert all(getattr(row, "environment_id", world.a2.pk) == world.a2.pk for row in visible), what
    assert len(list(provider_selectors.connection_list(scope=scope, environment=world.a2))) == 1
    assert len(list(resource_selectors.binding_list(scope=scope, environment=world.a2))) == 1


def test_a_hidden_connection_is_not_found_even_by_its_own_id(world, restricted_scopes):
    scope = restricted_scopes[Role.MANAGER]
    connection = provider_selectors.connection_list(
        scope=scope_for_workspace(world.owner, world.a), environment=world.a1
    ).first()
    assert connection is not None
    with pytest.raises(NotFound):
        provider_selectors.connection_get(scope=scope, environment=world.a1, connection_id=connection.pk)


def test_visible_to_is_the_one_rule_for_every_role(world, restricted_scopes):
    for scope in restricted_scopes.values():
        assert set(ManagedEnvironment.objects.visible_to(scope)) == {world.a2}
        assert set(scope.environments()) == {world.a2}
        assert scope.can_access_environment(world.a2) and not scope.can_access_environment(world.a1)
    unrestricted = scope_for_workspace(world.owner, world.a)
    assert set(ManagedEnvironment.objects.visible_to(unrestricted)) == {world.a1, world.a2}
    # Never another workspace's, whatever the grants say.
    assert world.b1 not in set(ManagedEnvironment.objects.visible_to(unrestricted))


def test_restrict_to_visible_environments_can_drop_workspace_level_rows(world, restricted_scopes):
    tenancy_services.membership_add(
        actor=world.owner, workspace=world.a, user_identifier=UserFactory().username, role=Role.READONLY
    )  # a workspace-level row
    scope = restricted_scopes[Role.READONLY]
    with_workspace_rows = restrict_to_visible_environments(AuditLog.objects.all(), scope)
    without = restrict_to_visible_environments(AuditLog.objects.all(), scope, workspace_level=False)
    assert with_workspace_rows.filter(environment__isnull=True).exists()
    assert not without.filter(environment__isnull=True).exists()
    assert set(without.values_list("environment_id", flat=True)) == {world.a2.pk}


def test_picker_and_member_list_count_only_what_the_viewer_sees(world, restricted_scopes):
    scope = restricted_scopes[Role.MANAGER]
    picker = {ws.slug: ws.environment_count for ws in workspace_list_for_user(user=scope.user)}
    assert picker == {"alpha": 1}
    assert {ws.slug: ws.environment_count for ws in workspace_list_for_user(user=world.owner)} == {"alpha": 2}
    both = MembershipFactory(workspace=world.a, role=Role.READONLY)
    grant_environment(both, world.a1, world.a2)
    counts = {m.pk: m.grant_count for m in membership_list(scope=scope)}
    assert counts[both.pk] == 1
    assert {m.pk: m.grant_count for m in membership_list(scope=scope_for_workspace(world.owner, world.a))}[both.pk] == 2


def test_audit_rows_name_no_hidden_environment_id(world, restricted_scopes):
    bystander = MembershipFactory(workspace=world.a, role=Role.READONLY)
    tenancy_services.membership_set_environment_access(
        actor=world.owner, membership=bystander, restricted=True, environment_ids=[world.a1.pk, world.a2.pk]
    )
    scope = restricted_scopes[Role.READONLY]
    rows = audit_rows_for_viewer(scope=scope, rows=audit_list(scope=scope, action=AuditAction.MEMBER_ACCESS_CHANGED))
    assert [row.metadata["environment_ids"] for row in rows] == [[world.a2.pk]]
    # The log itself is unchanged: an unrestricted auditor still reads both.
    owner_scope = scope_for_workspace(world.owner, world.a)
    full = audit_rows_for_viewer(
        scope=owner_scope, rows=audit_list(scope=owner_scope, action=AuditAction.MEMBER_ACCESS_CHANGED)
    )
    assert [row.metadata["environment_ids"] for row in full] == [sorted([world.a1.pk, world.a2.pk])]
