"""The task that sends one alert delivery (django.tasks on the django-tasks-db queue), its retries
as deferred tasks, and the workers' periodic pick-up of due deliveries without a live task."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.tasks import default_task_backend, task

from tenantpilot.operations.registry import register_periodic

from .choices import DeliveryStatus
from .delivery import deliveries_due, delivery_attempt

logger = logging.getLogger("tenantpilot.alerts.tasks")


@task()
def alert_delivery_task(delivery_id: int) -> None:
    """Attempt the delivery ``delivery_id`` if it is pending and due; queue its retry when one is due later."""
    delivery = delivery_attempt(delivery_id)
    if delivery is not None and delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at is not None:
        enqueue_delivery(delivery.pk, run_after=delivery.next_attempt_at)


def enqueue_delivery(delivery_id: int, *, run_after: dt.datetime | None = None) -> None:
    """Hand a delivery to the task queue, deferred to ``run_after`` when the backend can defer.

    Without deferral (the inline test backend), a retry is left to the periodic job. A delivery
    that cannot be queued is logged and picked up by the periodic job too.
    """
    try:
        if run_after is None:
            alert_delivery_task.enqueue(delivery_id)
        elif default_task_backend.supports_defer:
            alert_delivery_task.using(run_after=run_after).enqueue(delivery_id)
    except Exception as exc:  # noqa: BLE001 - whatever the backend raised, the periodic job retries it
        logger.error("alert delivery %s could not be enqueued: %s", delivery_id, type(exc).__name__)


@register_periodic("alerts.deliveries_due", interval_seconds=30)
def deliveries_due_job() -> list[int]:
    """Every worker, about every 30 s: attempt deliveries that are due and have no live task.

    With a queue that defers tasks (django-tasks-db) each retry is its own deferred task, so only
    deliveries overdue by ``TENANTPILOT_ALERT_DUE_GRACE_SECONDS`` are picked up here; without
    one, every due retry is.
    """
    grace = float(settings.TENANTPILOT_ALERT_DUE_GRACE_SECONDS) if default_task_backend.supports_defer else 0.0
    return deliveries_due(grace_seconds=grace)
