"""Records the API tests act on (built through the services where one exists)."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone

from tenantpilot.authz.roles import Role
from tenantpilot.baselines.models import BaselineCompareResult
from tenantpilot.providers import services as provider_services
from tenantpilot.providers.models import ProviderConnection
from tenantpilot.resources import services as binding_services
from tenantpilot.resources.selectors import inventory_item_descriptor
from tenantpilot.tenancy.authority import scope_for_workspace
from tenantpilot.tenancy.services_tokens import api_token_create
from tests.baselines import factories as bf
from tests.baselines.resolution_support import build_scenario
from tests.inventory.factories import make_item, make_snapshot
from tests.operations.helpers import finished_run, notification_for

CANARY_SECRET = "canary-SECRET-7f3a9e2b-never-returned"


def connection(world: Any, environment: Any = None, *, secret: str = CANARY_SECRET) -> ProviderConnection:
    """A client-secret connection of ``environment`` (default ``a1``) whose secret is the canary."""
    environment = environment or world.a1
    return provider_services.connection_create(
        actor=world.owner,
        environment=environment,
        display_name=f"Graph {uuid.uuid4().hex[:8]}",
        entra_tenant_id=environment.tenant_id,
        client_id=str(uuid.uuid4()),
        auth_type="client_secret",
        client_secret=secret,
    )


def compare_result(environment: Any) -> BaselineCompareResult:
    """A stored compare result of a new assigned profile against ``environment``."""
    snapshot = bf.assigned_snapshot(environment)
    return BaselineCompareResult.objects.create(
        workspace_id=environment.workspace_id,
        environment=environment,
        profile=snapshot.profile,
        snapshot=snapshot,
        counts={"match": 1},
        created_at=timezone.now(),
    )


def seed_path_records(world: Any) -> dict[str, Any]:
    """One existing record of workspace A for every path parameter of the API (a1's connection
    carries the canary secret), as ``{parameter name: value}``."""
    conn = connection(world)
    item = make_item(world.a1, payloads=[{"a": 1}, {"a": 2}])
    make_snapshot(world.a1)
    made = binding_services.binding_create_manual(
        actor=world.owner,
        environment=world.a1,
        descriptor=inventory_item_descriptor(bf.inventory_item(world.a1)),
        note="seeded binding",
    )
    rows = build_scenario(world.a1)
    run = finished_run(world.a1, connection=conn)
    owner_notification = notification_for(world.owner, world.a1, run=run)
    notification_for(world.members[Role.READONLY], world.a1)
    return {
        "workspace": world.a.slug,
        "environment_id": world.a1.pk,
        "connection_id": conn.pk,
        "item_id": item.pk,
        "version_number": 1,
        "binding_id": made.pk,
        "profile_id": rows.profile.pk,
        "snapshot_id": rows.snapshot.pk,
        "row_id": rows.drift.pk,
        "run_id": run.pk,
        "notification_id": owner_notification.pk,
        "membership_id": world.memberships[Role.READONLY].pk,
        "token_id": api_token_create(
            scope=scope_for_workspace(world.members[Role.OPERATOR], world.a), name="seeded"
        ).token.pk,
    }
