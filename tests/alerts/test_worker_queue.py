"""On the real django-tasks-db queue and the real worker loop: a failed run's webhook delivery is
sent by the worker (never by the request that started the run) and its retry is a deferred task."""

from __future__ import annotations

import signal

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from tenantpilot.alerts import services
from tenantpilot.alerts.choices import DeliveryStatus
from tenantpilot.alerts.delivery import backoff_seconds
from tenantpilot.alerts.models import AlertDelivery
from tenantpilot.alerts.tasks import alert_delivery_task
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.reasons import RunReason
from tenantpilot.operations.registry import OperationFailed
from tenantpilot.operations.services import operation_start
from tenantpilot.tenancy.authority import scope_for_workspace

pytestmark = pytest.mark.django_db(transaction=True)
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def keep_signals():
    """The worker installs SIGINT/SIGTERM handlers; give pytest its own back."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def fail(run, ctx):
    raise OperationFailed(RunReason.NO_CONNECTION, "No connection.")


def test_the_worker_sends_the_webhook_and_defers_its_retry(world, settings, receiver, handlers, keep_signals):
    settings.TASKS = DB_TASKS
    services.alert_settings_update(
        scope=scope_for_workspace(world.owner, world.a),
        notify_recovery=True,
        webhook_enabled=True,
        webhook_format="json",
        webhook_url=receiver.url,
    )
    handlers(OperationType.INVENTORY_SYNC, fail)
    receiver.statuses = [503]
    operation_start(actor=None, operation_type=OperationType.INVENTORY_SYNC, environment=world.a1)
    assert receiver.requests == []  # starting only queued the run
    call_command("worker", "--batch", "--no-startup-delay", "--interval", "0", "--verbosity", "0")
    assert len(receiver.requests) == 1
    delivery = AlertDelivery.objects.get(channel="webhook")
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 503)
    retry = DBTaskResult.objects.get(task_path=alert_delivery_task.module_path, status="READY")
    assert retry.args_kwargs["args"] == [delivery.pk]
    assert retry.run_after == delivery.next_attempt_at
    assert (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds() == backoff_seconds(1)
