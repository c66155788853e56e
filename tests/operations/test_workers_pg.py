"""Real django-tasks-db workers (``tenantpilot worker`` subprocesses) against PostgreSQL.

Two workers racing on one queue run every run exactly once; a worker killed mid-run leaves a run
the reaper fails with ``worker_lost``, after which the scope takes a new run.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tenantpilot.operations.choices import OperationType, RunOutcome, RunStatus
from tenantpilot.operations.models import Notification, OperationRun
from tenantpilot.operations.services import operation_start, operations_reap
from tests.factories import EnvironmentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _worker_env(tmp_path: Path, log: Path, **extra: str) -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tenantpilot.settings.base",
        "DATABASE_URL": url,
        "TENANTPILOT_VAR_DIR": str(tmp_path),
        "TENANTPILOT_SECRET_KEY": "worker-test-secret-key-0123456789-0123456789",
        "TENANTPILOT_OPERATION_MODULES": "tests.operations.worker_handlers",
        "TENANTPILOT_TEST_EXEC_LOG": str(log),
        "TENANTPILOT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        **extra,
    }


def _spawn(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tenantpilot.cli", "worker", "--no-startup-delay", "--interval", "0.05", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop(proc: subprocess.Popen[bytes]) -> str:
    if proc.poll() is None:
        proc.kill()
    out, _ = proc.communicate(timeout=30)
    return out.decode(errors="replace")


def test_two_workers_racing_on_one_queue_run_each_run_exactly_once(world, settings, tmp_path):
    settings.TASKS = DB_TASKS
    environments = [world.a1, world.a2, *(EnvironmentFactory(workspace=world.a) for _ in range(6))]
    runs = [
        operation_start(
            actor=world.owner, operation_type=OperationType.INVENTORY_SYNC, environment=env, context={"sleep": 0.4}
        ).run
        for env in environments
    ]
    log = tmp_path / "executions.log"
    env = _worker_env(tmp_path, log)
    workers = [_spawn(env, "--batch") for _ in range(2)]
    try:
        for proc in workers:
            proc.wait(timeout=60)
    finally:
        outputs = [_stop(proc) for proc in workers]
    assert [p.returncode for p in workers] == [0, 0], outputs

    executions = [line.split() for line in log.read_text().splitlines()]
    per_run = Counter(int(run_id) for run_id, _ in executions)
    assert per_run == {run.pk: 1 for run in runs}
    assert len({pid for _, pid in executions}) == 2, "both workers should have taken runs"
    finished = OperationRun.objects.filter(pk__in=[r.pk for r in runs])
    assert {(r.status, r.outcome) for r in finished} == {(RunStatus.COMPLETED, RunOutcome.SUCCEEDED)}
    assert len({r.worker_id for r in finished}) == 2
    assert all(r.summary_counts == {"processed": 1} for r in finished)
    assert Notification.objects.filter(user=world.owner).count() == len(runs)


def test_a_worker_killed_mid_run_is_reaped_as_worker_lost_and_the_scope_frees(world, settings, tmp_path):
    settings.TASKS = DB_TASKS
    run = operation_start(
        actor=world.owner,
        operation_type=OperationType.INVENTORY_SYNC,
        environment=world.a1,
        context={"sleep": 60, "progress": 5},
    ).run
    env = _worker_env(tmp_path, tmp_path / "executions.log", TENANTPILOT_RUN_HEARTBEAT_SECONDS="0.2")
    worker = _spawn(env, "--reap-interval", "0")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status == RunStatus.RUNNING and run.summary_counts == {"items": 5}:
                break  # running, and the heartbeat thread of the real worker saved the progress
            assert worker.poll() is None, _stop(worker)
            time.sleep(0.1)
        else:
            pytest.fail(f"the worker never ran the run with a heartbeat: {_stop(worker)}")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        _stop(worker)

    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING  # nobody finished it: the worker is gone
    task = DBTaskResult.objects.get(pk=run.task_id)
    assert task.status == "RUNNING"  # what a SIGKILL leaves in the queue table
    assert (
        operations_reap(now=run.heartbeat_at + dt.timedelta(seconds=settings.TENANTPILOT_RUN_STALE_SECONDS - 1)) == []
    )
    assert operations_reap(now=timezone.now() + dt.timedelta(seconds=settings.TENANTPILOT_RUN_STALE_SECONDS + 1)) == [
        run.pk
    ]
    run.refresh_from_db()
    assert (run.status, run.outcome, run.reason_code) == (RunStatus.COMPLETED, RunOutcome.FAILED, "worker_lost")
    assert run.summary_counts == {"items": 5}  # the progress its last heartbeat saved
    task.refresh_from_db()
    assert task.status == "FAILED" and task.exception_class_path.endswith("WorkerLost")
    assert Notification.objects.get(run=run).user == world.owner
    fresh = operation_start(actor=world.owner, operation_type=OperationType.INVENTORY_SYNC, environment=world.a1)
    assert fresh.deduped is False and fresh.run.pk != run.pk
