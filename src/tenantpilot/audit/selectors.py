"""Reads of the audit log, always inside one workspace and the member's visible environments."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from tenantpilot.authz.authority import Scope
from tenantpilot.authz.capabilities import Capability

from .models import AuditLog


def audit_list(
    *,
    scope: Scope,
    environment_id: int | None = None,
    actor_id: int | None = None,
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditLog]:
    """Audit rows of the workspace the member may see, newest first, with optional filters.

    Rows about an environment the member cannot see are never listed; workspace-level rows
    (no environment) are. ``environment_id`` must name a visible environment (else NotFound).
    """
    scope.require(Capability.AUDIT_VIEW)
    qs = AuditLog.objects.filter(workspace=scope.workspace).select_related("environment")
    if scope.membership.restricted_environments:
        qs = qs.filter(Q(environment__isnull=True) | Q(environment__in=scope.environments()))
    if environment_id is not None:
        qs = qs.filter(environment=scope.environment(environment_id))
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    if action:
        qs = qs.filter(action=action)
    if date_from is not None:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.order_by("-created_at", "-id")
