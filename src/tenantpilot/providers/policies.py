"""Which capability each provider action needs (seed 061: view / manage / run)."""

from __future__ import annotations

from tenantpilot.authz.capabilities import Capability
from tenantpilot.tenancy.authority import Scope

VIEW_CONNECTIONS = Capability.PROVIDER_VIEW
MANAGE_CONNECTIONS = Capability.PROVIDER_MANAGE
RUN_CONNECTION_OPERATIONS = Capability.PROVIDER_RUN


def can_manage_connections(scope: Scope) -> bool:
    return scope.can(MANAGE_CONNECTIONS)


def can_run_connection_operations(scope: Scope) -> bool:
    return scope.can(RUN_CONNECTION_OPERATIONS)
