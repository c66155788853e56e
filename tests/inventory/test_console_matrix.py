"""Every inventory, compliance and schedule route passes the authorization matrix."""

from __future__ import annotations

import pytest

from tenantpilot.audit.actions import AuditAction
from tenantpilot.authz.capabilities import Capability as C
from tenantpilot.providers import services
from tenantpilot.providers.models import ProviderConnection
from tests.inventory.factories import make_item
from tests.support.matrix import RouteCase, run_matrix


def env(world):
    return {"environment_id": world.a1.pk}


def env_with_connection(world):
    if not ProviderConnection.objects.filter(environment=world.a1).exists():
        services.connection_create(
            actor=world.owner,
            environment=world.a1,
            display_name="Graph",
            entra_tenant_id=world.a1.tenant_id,
            client_id="a1111111-0000-4000-8000-000000000001",
            auth_type="client_secret",
            client_secret="matrix-secret-value",
        )
    return env(world)


def item(world):
    return {"environment_id": world.a1.pk, "item_id": make_item(world.a1).pk}


ENV = {"environment_scoped": True}
CASES = [
    RouteCase("console:inventory", C.INVENTORY_VIEW, kwargs=env, **ENV),
    RouteCase("console:inventory-item", C.INVENTORY_VIEW, kwargs=item, **ENV),
    RouteCase(
        "console:inventory-sync",
        C.PROVIDER_RUN,
        "POST",
        kwargs=env_with_connection,
        data=lambda w: {},
        audit_action=AuditAction.OPERATION_STARTED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase("console:compliance", C.INVENTORY_VIEW, kwargs=env, **ENV),
    RouteCase(
        "console:compliance-snapshot",
        C.PROVIDER_RUN,
        "POST",
        kwargs=env_with_connection,
        data=lambda w: {},
        audit_action=AuditAction.OPERATION_STARTED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase("console:inventory-types", C.PROVIDER_VIEW, kwargs=env, **ENV),
    RouteCase(
        "console:inventory-types-edit",
        C.PROVIDER_MANAGE,
        "POST",
        kwargs=env,
        data=lambda w: {"policy_types": ["deviceConfigurations", "groups", "assignmentFilters", "roleScopeTags"]},
        audit_action=AuditAction.INVENTORY_TYPES_UPDATED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase("console:schedules", C.PROVIDER_VIEW, kwargs=env, **ENV),
    RouteCase(
        "console:schedule-edit",
        C.PROVIDER_MANAGE,
        "POST",
        kwargs=env,
        data=lambda w: {"operation_type": "inventory.sync", "frequency": "daily"},
        audit_action=AuditAction.SCHEDULE_UPDATED,
        ok_status=(302,),
        **ENV,
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=str)
def test_inventory_route_passes_authorization_matrix(client, world, case):
    run_matrix(client, world, case)
