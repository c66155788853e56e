"""Reads of alerting, always inside one workspace and the member's environment scope."""

from __future__ import annotations

from django.db.models import QuerySet

from tenantpilot.tenancy.authority import Scope

from . import policies
from .models import AlertDelivery, AlertPreference


def alert_preference_get(*, scope: Scope) -> bool:
    """Whether the member receives alert e-mails in this workspace."""
    return bool(
        AlertPreference.objects.filter(workspace=scope.workspace, user=scope.user)
        .values_list("email_enabled", flat=True)
        .first()
    )


def receives_alerts(*, scope: Scope) -> bool:
    """Whether the member's role is one that alerts go to (owners and managers)."""
    return scope.role in policies.recipient_roles()


def delivery_list(*, scope: Scope, status: str = "", channel: str = "") -> QuerySet[AlertDelivery]:
    """The delivery log: deliveries about environments the member sees (and workspace-level ones), newest first."""
    scope.require(policies.MANAGE_ALERTS)
    qs = scope.visible_rows(AlertDelivery.objects.all()).select_related("alert", "environment")
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    return qs.order_by("-created_at", "-id")
