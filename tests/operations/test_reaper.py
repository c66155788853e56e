"""The reaper: runs whose worker died fail with ``worker_lost``; live runs and waiting runs are left alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tenantpilot.operations.choices import OperationType, RunOutcome, RunStatus
from tenantpilot.operations.models import Notification
from tenantpilot.operations.services import OperationRunService, operation_start, operations_reap

pytestmark = pytest.mark.django_db
SYNC = OperationType.INVENTORY_SYNC


def _running(world, environment=None):
    run = operation_start(actor=world.owner, operation_type=SYNC, environment=environment or world.a1).run
    OperationRunService.start(run.pk, worker_id="w")
    run.refresh_from_db()
    return run


def test_running_run_without_heartbeat_past_the_limit_fails_with_worker_lost(world, settings):
    settings.TENANTPILOT_RUN_STALE_SECONDS = 120
    run = _running(world)
    assert operations_reap(now=run.heartbeat_at + dt.timedelta(seconds=119)) == []
    later = run.heartbeat_at + dt.timedelta(seconds=121)
    assert operations_reap(now=later) == [run.pk]
    run.refresh_from_db()
    assert (run.status, run.outcome, run.reason_code) == (RunStatus.COMPLETED, RunOutcome.FAILED, "worker_lost")
    assert run.finished_at == later and "heartbeat" in run.message
    assert Notification.objects.get(run=run).user == world.owner
    assert operations_reap(now=later + dt.timedelta(hours=1)) == []  # reaping twice changes nothing


def test_a_fresh_heartbeat_keeps_a_long_run_alive(world):
    run = _running(world)
    later = run.heartbeat_at + dt.timedelta(seconds=300)
    OperationRunService.heartbeat(run.pk, now=later - dt.timedelta(seconds=5))
    assert operations_reap(now=later, stale_seconds=120) == []
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


def test_after_reaping_a_new_run_can_start_on_the_scope(world):
    run = _running(world)
    operations_reap(now=run.heartbeat_at + dt.timedelta(days=1))
    result = operation_start(actor=world.owner, operation_type=OperationType.BASELINE_COMPARE, environment=world.a1)
    assert result.deduped is False and result.run.status == RunStatus.QUEUED


def _task(status, started_at=None):
    return DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="x.y",
        backend_name="default",
        status=status,
        started_at=started_at,
    )


def test_queued_runs_are_reaped_only_when_their_task_is_no_longer_waiting(world):
    now = timezone.now() + dt.timedelta(hours=1)
    waiting = operation_start(actor=world.owner, operation_type=SYNC, environment=world.a1).run
    claimed = operation_start(actor=world.owner, operation_type=SYNC, environment=world.a2).run
    never_enqueued = operation_start(actor=None, operation_type=SYNC, environment=None, workspace=world.a).run
    OperationRunService.record_task(waiting.pk, str(_task("READY").pk))
    OperationRunService.record_task(claimed.pk, str(_task("RUNNING", started_at=timezone.now()).pk))
    assert operations_reap(now=timezone.now(), stale_seconds=120) == []  # too young
    assert sorted(operations_reap(now=now, stale_seconds=120)) == sorted([claimed.pk, never_enqueued.pk])
    waiting.refresh_from_db()
    assert waiting.status == RunStatus.QUEUED


def test_garbage_task_ids_do_not_break_the_reaper(world):
    run = operation_start(actor=world.owner, operation_type=SYNC, environment=world.a1).run
    OperationRunService.record_task(run.pk, "not-a-uuid")
    assert operations_reap(now=timezone.now() + dt.timedelta(hours=1)) == [run.pk]


def test_reap_runs_command(world, capsys):
    run = _running(world)
    run.__class__.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    call_command("reap-runs", "--stale-seconds", "60")
    assert f"Reaped 1 run(s): {run.pk}" in capsys.readouterr().out
    call_command("reap-runs")
    assert "Reaped 0 run(s)." in capsys.readouterr().out
    with pytest.raises(CommandError, match="stale-seconds"):
        call_command("reap-runs", "--stale-seconds", "-1")


def test_a_run_claimed_just_now_after_a_long_wait_in_the_queue_is_not_reaped(world):
    run = operation_start(actor=world.owner, operation_type=SYNC, environment=world.a1).run
    now = timezone.now() + dt.timedelta(hours=1)  # it waited an hour in a busy queue
    OperationRunService.record_task(run.pk, str(_task("RUNNING", started_at=now - dt.timedelta(seconds=1)).pk))
    assert operations_reap(now=now, stale_seconds=120) == []
    finished = operation_start(actor=world.owner, operation_type=SYNC, environment=world.a2).run
    OperationRunService.record_task(finished.pk, str(_task("FAILED").pk))  # the task died before the run started
    assert operations_reap(now=now, stale_seconds=120) == [finished.pk]
