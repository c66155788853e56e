"""The reaper settles everything a dead worker left behind: the run keeps the counts of its last
heartbeat, and the queue's task row (django-tasks-db) no longer stays ``RUNNING`` forever."""

from __future__ import annotations

import datetime as dt

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from tenantpilot.operations.choices import OperationType, RunOutcome, RunStatus, SummaryKey
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.registry import RunContext, RunResult
from tenantpilot.operations.runner import run_operation
from tenantpilot.operations.services import OperationRunService, WorkerLost, operation_start, operations_reap
from tenantpilot.operations.tasks import operation_run_task

pytestmark = pytest.mark.django_db
SYNC = OperationType.INVENTORY_SYNC


def _claimed_task(started_at):
    return DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path=operation_run_task.module_path,
        backend_name="default",
        status=TaskResultStatus.RUNNING,
        started_at=started_at,
        run_after=get_date_max(),
        worker_ids=["dead-worker"],
    )


def _running_with_task(world, environment=None):
    run = operation_start(actor=world.owner, operation_type=SYNC, environment=environment or world.a1).run
    task = _claimed_task(timezone.now())
    OperationRunService.record_task(run.pk, str(task.pk))
    OperationRunService.start(run.pk, worker_id="dead-worker")
    run.refresh_from_db()
    return run, task


def test_heartbeat_progress_is_saved_and_a_reaped_run_keeps_it(world):
    run, _ = _running_with_task(world)
    ctx = RunContext(run.pk)
    ctx.set_progress(items=40, created=12)
    assert ctx.heartbeat() is True
    ctx.set_progress({SummaryKey.ITEMS: 75})  # running totals: the newest value wins, others stay
    assert ctx.heartbeat() is True
    assert ctx.unsaved_progress() is None  # saved: the next beat writes only the timestamp
    run.refresh_from_db()
    assert run.summary_counts == {"items": 75, "created": 12}

    reaped_at = run.heartbeat_at + dt.timedelta(hours=1)
    assert operations_reap(now=reaped_at, stale_seconds=120) == [run.pk]
    run.refresh_from_db()
    assert (run.outcome, run.reason_code) == (RunOutcome.FAILED, "worker_lost")
    assert run.summary_counts == {"items": 75, "created": 12}


def test_progress_counts_are_validated_when_recorded():
    ctx = RunContext(0)
    with pytest.raises(ValueError, match="not a registered"):
        ctx.set_progress(bogus=1)
    with pytest.raises(ValueError, match="non-negative"):
        ctx.set_progress(items=-1)
    assert ctx.progress() == {}


def test_reaping_a_run_settles_its_running_task_row_as_failed(world, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    run, task = _running_with_task(world)
    reaped_at = run.heartbeat_at + dt.timedelta(hours=1)
    assert operations_reap(now=reaped_at, stale_seconds=120) == [run.pk]
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED and task.finished_at == reaped_at
    assert task.exception_class_path == f"{WorkerLost.__module__}.WorkerLost"
    assert f"run {run.pk} was reaped" in task.traceback
    result = task.task_result  # the backend still reads the row
    assert result.status == TaskResultStatus.FAILED and result.errors[0].exception_class_path.endswith("WorkerLost")
    assert operations_reap(now=reaped_at + dt.timedelta(hours=1), stale_seconds=120) == []


def test_a_live_run_keeps_its_running_task(world):
    run, task = _running_with_task(world)
    assert operations_reap(now=run.heartbeat_at + dt.timedelta(seconds=30), stale_seconds=120) == []
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING


def test_a_task_left_running_after_its_run_ended_is_settled_only_once_the_run_is_stale(world, handlers):
    handlers(SYNC, lambda run, ctx: RunResult(RunOutcome.SUCCEEDED, {"processed": 1}))
    run = operation_start(actor=world.owner, operation_type=SYNC, environment=world.a1).run
    task = _claimed_task(timezone.now())
    OperationRunService.record_task(run.pk, str(task.pk))
    run_operation(run.pk, worker_id="dead-worker")  # the run ends; the worker dies before recording its task
    run.refresh_from_db()
    assert run.outcome == RunOutcome.SUCCEEDED

    operations_reap(now=run.finished_at + dt.timedelta(seconds=30), stale_seconds=120)
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING  # a live worker may still be about to record it
    operations_reap(now=run.finished_at + dt.timedelta(hours=1), stale_seconds=120)
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    run.refresh_from_db()
    assert run.outcome == RunOutcome.SUCCEEDED  # the run's own result is untouched


def test_a_finished_task_is_never_rewritten(world):
    run, task = _running_with_task(world)
    DBTaskResult.objects.filter(pk=task.pk).update(status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now())
    operations_reap(now=run.heartbeat_at + dt.timedelta(hours=1), stale_seconds=120)
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert OperationRun.objects.get(pk=run.pk).reason_code == "worker_lost"


def test_a_handler_failing_half_way_keeps_its_recorded_progress(world, handlers):
    def handler(run, ctx):
        ctx.set_progress(items=7)
        raise RuntimeError("a bug half-way")

    handlers(SYNC, handler)
    run = operation_start(actor=world.owner, operation_type=SYNC, environment=world.a1).run
    run_operation(run.pk, worker_id="w")
    run.refresh_from_db()
    assert (run.status, run.outcome, run.reason_code) == (RunStatus.COMPLETED, RunOutcome.FAILED, "internal_error")
    assert run.summary_counts == {"items": 7}


def test_final_counts_win_over_progress(world, handlers):
    def handler(run, ctx):
        ctx.set_progress(items=7, created=2)
        return RunResult(RunOutcome.SUCCEEDED, {"items": 9})

    handlers(SYNC, handler)
    run = operation_start(actor=world.owner, operation_type=SYNC, environment=world.a1).run
    run_operation(run.pk, worker_id="w")
    run.refresh_from_db()
    assert run.summary_counts == {"items": 9, "created": 2}
