"""Helpers of the inventory tests: an environment wired to a simulator tenant, runs executed inline."""

from __future__ import annotations

from graphsim import fixtures_catalog as fx
from graphsim.generator import GENERATED_CLIENT_SECRET
from tenantpilot.inventory.models import InventoryItem, PolicyVersion
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.runner import run_operation
from tenantpilot.operations.services import operation_start
from tests.providers.support import environment_for, secret_connection


def golden_environment(
    world,
    *,
    tenant_id: str = fx.GOLDEN_TENANT_ID,
    client_id: str = fx.GOLDEN_CLIENT_ID,
    secret: str = fx.GOLDEN_CLIENT_SECRET,
    name: str = "Golden",
):
    environment = environment_for(world, tenant_id, name=name)
    secret_connection(world, environment, client_id=client_id, secret=secret)
    return environment


def generated_environment(world, sim, doc, *, name: str = "Generated"):
    """An environment for a ``generate_tenant`` document already added to ``sim``."""
    client_id = doc["apps"][0]["clientId"]
    return golden_environment(
        world, tenant_id=doc["tenantId"], client_id=client_id, secret=GENERATED_CLIENT_SECRET, name=name
    )


def run_now(environment, kind: OperationType = OperationType.INVENTORY_SYNC) -> OperationRun:
    """Start a system run the real way and execute it on this thread (the worker's code path)."""
    from tenantpilot.providers.selectors import connection_for_operations

    started = operation_start(
        actor=None, operation_type=kind, environment=environment, connection=connection_for_operations(environment)
    )
    run_operation(started.run.pk)
    return OperationRun.objects.get(pk=started.run.pk)


def item(environment, policy_type: str, object_id: str) -> InventoryItem:
    return InventoryItem.objects.get(environment=environment, policy_type=policy_type, provider_object_id=object_id)


def versions(environment, policy_type: str, object_id: str) -> list[PolicyVersion]:
    return list(PolicyVersion.objects.filter(item=item(environment, policy_type, object_id)).order_by("version_number"))
