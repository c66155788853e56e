"""Race-safety proven on PostgreSQL: the start gate, terminal notifications, the composite FK."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, connection, transaction
from django_tasks_db.models import DBTaskResult

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.operations.choices import OperationType, RunOutcome, RunStatus
from tenantpilot.operations.models import Notification, OperationRun
from tenantpilot.operations.services import (
    IllegalTransition,
    OperationRunService,
    ScopeBusy,
    operation_start,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _race(n, fn):
    barrier = threading.Barrier(n)

    def worker(i):
        barrier.wait(timeout=10)
        try:
            return fn(i)
        except Exception as exc:  # collected and asserted on by the caller
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(worker, range(n)))


def test_twenty_concurrent_starts_of_one_operation_produce_exactly_one_run(world, settings):
    settings.TASKS = DB_TASKS
    results = _race(
        20,
        lambda i: operation_start(actor=world.owner, operation_type=OperationType.INVENTORY_SYNC, environment=world.a1),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert OperationRun.objects.count() == 1
    run = OperationRun.objects.get()
    assert {r.run.pk for r in results} == {run.pk}
    assert sum(not r.deduped for r in results) == 1
    assert AuditLog.objects.filter(action=AuditAction.OPERATION_STARTED).count() == 1
    assert DBTaskResult.objects.count() == 1  # enqueued once, after the one commit


def test_twenty_concurrent_starts_of_two_operations_produce_one_run_and_scope_busy(world, settings):
    settings.TASKS = DB_TASKS
    kinds = [OperationType.INVENTORY_SYNC, OperationType.BASELINE_COMPARE]
    results = _race(20, lambda i: operation_start(actor=world.owner, operation_type=kinds[i % 2], environment=world.a1))
    run = OperationRun.objects.get()
    for i, result in enumerate(results):
        if kinds[i % 2] == run.type:
            assert not isinstance(result, Exception) and result.run.pk == run.pk
        else:
            assert isinstance(result, ScopeBusy) and result.active_run.pk == run.pk
    assert AuditLog.objects.filter(action=AuditAction.OPERATION_STARTED).count() == 1


def test_concurrent_completions_finish_a_run_once_with_one_notification(world, settings):
    settings.TASKS = DB_TASKS
    run = operation_start(actor=world.owner, operation_type=OperationType.INVENTORY_SYNC, environment=world.a1).run
    OperationRunService.start(run.pk)
    outcomes = [RunOutcome.SUCCEEDED, RunOutcome.FAILED] * 5
    results = _race(
        10,
        lambda i: OperationRunService.complete(
            run.pk, outcome=outcomes[i], reason_code="internal_error" if outcomes[i] == RunOutcome.FAILED else ""
        ),
    )
    winners = [r for r in results if isinstance(r, OperationRun)]
    assert len(winners) == 1
    assert all(isinstance(r, IllegalTransition) for r in results if r not in winners)
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.outcome == winners[0].outcome
    assert Notification.objects.filter(run=run).count() == 1


def test_database_refuses_a_second_notification_for_a_run_and_a_cross_workspace_run(world):
    run = operation_start(actor=None, operation_type=OperationType.INVENTORY_SYNC, environment=world.a1).run
    Notification.objects.create(workspace=world.a, user=world.owner, run=run, title="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(workspace=world.a, user=world.owner, run=run, title="y")
    with pytest.raises(IntegrityError), transaction.atomic():
        OperationRun.objects.create(
            workspace=world.b, environment=world.a1, type="inventory.sync", scope_key="env:other", initiator_label="x"
        )


def test_concurrent_checks_of_two_connections_produce_one_run_and_scope_busy_for_the_other(world, settings):
    from tenantpilot.providers.models import ProviderConnection

    settings.TASKS = DB_TASKS
    connections = [
        ProviderConnection.objects.create(
            workspace=world.a,
            environment=world.a1,
            display_name=name,
            entra_tenant_id=world.a1.tenant_id,
            client_id="11111111-2222-3333-4444-555555555555",
            auth_type="client_secret",
        )
        for name in ("A", "B")
    ]
    results = _race(
        20,
        lambda i: operation_start(
            actor=world.owner,
            operation_type=OperationType.PROVIDER_HEALTH_CHECK,
            environment=world.a1,
            connection=connections[i % 2],
        ),
    )
    run = OperationRun.objects.get()
    for i, result in enumerate(results):
        if connections[i % 2].pk == run.connection_id:
            assert not isinstance(result, Exception) and result.run.pk == run.pk
        else:
            assert isinstance(result, ScopeBusy) and result.active_run.pk == run.pk
    assert AuditLog.objects.filter(action=AuditAction.OPERATION_STARTED).count() == 1
