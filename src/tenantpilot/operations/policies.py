"""Authorization rules of operation runs and notifications (pure: no queries beyond the scope)."""

from __future__ import annotations

from typing import Any

from tenantpilot.authz.capabilities import Capability
from tenantpilot.tenancy.authority import Scope

from .choices import RunStatus

VIEW_RUNS = Capability.OPERATIONS_VIEW
CANCEL_RUN = Capability.PROVIDER_RUN
VIEW_NOTIFICATIONS = Capability.WORKSPACE_VIEW


def can_view_runs(scope: Scope) -> bool:
    return scope.can(VIEW_RUNS)


def can_cancel_run(scope: Scope, run: Any) -> bool:
    """Only a queued run can be cancelled (a running handler cannot be stopped safely)."""
    return scope.can(CANCEL_RUN) and run.status == RunStatus.QUEUED
