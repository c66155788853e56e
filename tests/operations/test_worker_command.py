"""``tenantpilot worker`` in-process (the real django-tasks-db worker loop), on every database lane."""

from __future__ import annotations

import datetime as dt
import signal

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tenantpilot.operations.choices import OperationType, RunOutcome, RunStatus
from tenantpilot.operations.management.commands.worker import default_worker_id
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.services import OperationRunService, operation_start
from tests.factories import EnvironmentFactory
from tests.operations.conftest import succeed

pytestmark = pytest.mark.django_db(transaction=True)
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def keep_signals():
    """The worker installs SIGINT/SIGTERM handlers; give pytest its own back."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def _worker(*args):
    call_command("worker", "--batch", "--no-startup-delay", "--interval", "0", "--verbosity", "0", *args)


def test_batch_worker_runs_every_queued_run_once(world, settings, handlers, keep_signals):
    settings.TASKS = DB_TASKS
    handlers(OperationType.INVENTORY_SYNC, succeed)
    runs = [
        operation_start(actor=world.owner, operation_type=OperationType.INVENTORY_SYNC, environment=env).run
        for env in (world.a1, world.a2, EnvironmentFactory(workspace=world.a))
    ]
    assert set(OperationRun.objects.values_list("status", flat=True)) == {RunStatus.QUEUED}
    _worker("--worker-id", "worker-under-test")
    for run in runs:
        run.refresh_from_db()
        assert (run.status, run.outcome, run.worker_id) == (
            RunStatus.COMPLETED,
            RunOutcome.SUCCEEDED,
            "worker-under-test",
        )
        assert run.summary_counts == {"processed": 1}
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert DBTaskResult.objects.count() == 3


def test_worker_reaps_lost_runs_when_it_starts(world, settings, keep_signals):
    settings.TASKS = DB_TASKS
    run = operation_start(actor=world.owner, operation_type=OperationType.INVENTORY_SYNC, environment=world.a1).run
    DBTaskResult.objects.all().delete()  # as if a dead worker had taken it off the queue
    OperationRunService.start(run.pk, worker_id="dead-worker")
    OperationRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    _worker()
    run.refresh_from_db()
    assert (run.outcome, run.reason_code) == (RunOutcome.FAILED, "worker_lost")


def test_default_worker_id_names_host_and_process_and_fits_the_column():
    import os

    first, second = default_worker_id(), default_worker_id()
    assert str(os.getpid()) in first and first != second and len(first) <= 64


def test_worker_housekeeping_includes_the_reaper_and_the_schedule_tick():
    from tenantpilot.inventory.services import schedules_run_due
    from tenantpilot.operations.management.commands.worker import housekeeping_jobs
    from tenantpilot.operations.services import operations_reap

    jobs = {job.name: job for job in housekeeping_jobs(30)}
    assert jobs["reaper"].func is operations_reap and jobs["reaper"].interval_seconds == 30
    assert jobs["schedules"].func is schedules_run_due and jobs["schedules"].interval_seconds == 60
    assert "reaper" not in {job.name for job in housekeeping_jobs(0)}


@pytest.mark.django_db(transaction=True)
def test_a_batch_worker_starts_due_schedules(world, settings, graph_settings):
    from django.core.management import call_command
    from django.utils import timezone

    from tenantpilot.inventory.models import Schedule
    from tenantpilot.operations.models import OperationRun
    from tests.providers.support import secret_connection

    connection = secret_connection(world)
    schedule = Schedule.objects.create(
        workspace=world.a,
        environment=connection.environment,
        operation_type="compliance.snapshot",
        frequency="hourly",
        next_run_at=timezone.now() - timezone.timedelta(minutes=1),
    )
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    call_command("worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    run = OperationRun.objects.get(type="compliance.snapshot")
    assert run.initiator_id is None
    assert (run.status, run.outcome) == ("completed", "succeeded"), run.reason_code
    schedule.refresh_from_db()
    assert schedule.last_run_id == run.pk and schedule.next_run_at > timezone.now()
