"""Rows for console tests, built directly (tests may; product code goes through the services)."""

from __future__ import annotations

from django.utils import timezone

from tenantpilot.operations.choices import OperationType, RunOutcome, RunStatus
from tenantpilot.operations.models import Notification, OperationRun


def queued_run(environment, *, kind=OperationType.INVENTORY_SYNC, initiator=None) -> OperationRun:
    """The environment's active run, or a new queued one (one active run per scope)."""
    active = OperationRun.objects.active().filter(scope_key=f"env:{environment.pk}").first()
    if active is not None:
        return active
    return OperationRun.objects.create(
        workspace=environment.workspace,
        environment=environment,
        type=kind,
        scope_key=f"env:{environment.pk}",
        initiator=initiator,
        initiator_label="test",
    )


def finished_run(environment, *, outcome=RunOutcome.SUCCEEDED, initiator=None, **fields) -> OperationRun:
    now = timezone.now()
    return OperationRun.objects.create(
        workspace=environment.workspace,
        environment=environment,
        type=fields.pop("type", OperationType.INVENTORY_SYNC),
        scope_key=f"env:{environment.pk}",
        status=RunStatus.COMPLETED,
        outcome=outcome,
        initiator=initiator,
        initiator_label="test",
        started_at=now,
        heartbeat_at=now,
        finished_at=now,
        **fields,
    )


def notification_for(user, environment, *, run=None) -> Notification:
    return Notification.objects.create(
        workspace=environment.workspace,
        environment=environment,
        user=user,
        run=run,
        title="Inventory sync succeeded",
        body=environment.display_name,
        level=Notification.Level.SUCCESS,
    )
