"""Reads of operation runs and notifications, always inside one workspace and the member's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tenantpilot.core.errors import NotFound
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import restrict_to_visible_environments

from . import policies
from .models import Notification, OperationRun


def _visible(qs: QuerySet[Any], scope: Scope) -> QuerySet[Any]:
    """Rows about an environment the member cannot see are never shown; workspace-level rows are."""
    return restrict_to_visible_environments(qs, scope)


def operation_run_list(
    *,
    scope: Scope,
    operation_type: str = "",
    status: str = "",
    outcome: str = "",
    environment_id: int | None = None,
) -> QuerySet[OperationRun]:
    """The workspace's runs the member may see, newest first, with optional filters."""
    scope.require(policies.VIEW_RUNS)
    qs = _visible(OperationRun.objects.all(), scope).select_related("environment")
    if environment_id is not None:
        qs = qs.filter(environment=scope.environment(environment_id))
    if operation_type:
        qs = qs.filter(type=operation_type)
    if status:
        qs = qs.filter(status=status)
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("-created_at", "-id")


def operation_run_get(*, scope: Scope, run_id: int) -> OperationRun:
    """One run, authorized from the record: its workspace, and its environment must be visible."""
    scope.require(policies.VIEW_RUNS)
    run = (
        _visible(OperationRun.objects.all(), scope)
        .select_related("workspace", "environment", "connection")
        .filter(pk=run_id)
        .first()
    )
    if run is None:
        raise NotFound()
    return run


def notification_list(*, scope: Scope) -> QuerySet[Notification]:
    """The member's own notifications in this workspace, newest first."""
    return (
        _visible(Notification.objects.filter(user=scope.user), scope)
        .select_related("run")
        .order_by("-created_at", "-id")
    )


def notification_get(*, scope: Scope, notification_id: int) -> Notification:
    """The member's own notification (another user's, or a missing one: ``NotFound``)."""
    notification = notification_list(scope=scope).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound()
    return notification


def notification_unread_count(*, scope: Scope) -> int:
    """How many of the member's notifications in this workspace are unread (one query)."""
    return notification_list(scope=scope).filter(read_at__isnull=True).count()
