"""Records the API tests act on (built through the services where one exists)."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone

from tenantpilot.baselines.models import BaselineCompareResult
from tenantpilot.providers import services as provider_services
from tenantpilot.providers.models import ProviderConnection
from tests.baselines import factories as bf

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
