"""Which capability each inventory, compliance and schedule action needs."""

from __future__ import annotations

from tenantpilot.authz.capabilities import Capability
from tenantpilot.tenancy.authority import Scope

VIEW_INVENTORY = Capability.INVENTORY_VIEW
RUN_PROVIDER_OPERATIONS = Capability.PROVIDER_RUN
MANAGE_SCHEDULES = Capability.PROVIDER_MANAGE
VIEW_SCHEDULES = Capability.PROVIDER_VIEW


def can_run_operations(scope: Scope) -> bool:
    return scope.can(RUN_PROVIDER_OPERATIONS)


def can_manage_schedules(scope: Scope) -> bool:
    return scope.can(MANAGE_SCHEDULES)
