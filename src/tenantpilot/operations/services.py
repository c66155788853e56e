"""Writes of the operations domain: the start gate, every run transition, notifications, the reaper.

``operation_start`` is the one way to create a run; ``OperationRunService`` is the one place that
changes a run's status or outcome (and refuses illegal transitions); a terminal transition writes
the initiator's notification in the same transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.redaction import redact
from tenantpilot.audit.services import actor_label_for, audit_record
from tenantpilot.core.errors import Conflict, NotFound, ValidationFailed
from tenantpilot.tenancy.authority import authorize

from . import policies
from .choices import ACTIVE_STATUSES, OperationType, RunStatus
from .models import Notification, OperationRun, scope_key_for
from .reasons import RunReason
from .tasks import operation_run_task
from .transitions import IllegalTransition, OperationRunService

logger = logging.getLogger("tenantpilot.operations")

START_ATTEMPTS = 5


@dataclass(frozen=True)
class StartResult:
    """The run a start request produced: a new one, or the active run of the same operation on the
    same target (``deduped``)."""

    run: OperationRun
    deduped: bool


class ScopeBusy(Conflict):
    """Another run is active on the scope; ``active_run`` is that run (name it, link it).

    Raised for another operation type, and for the same type on another target (a health check
    of connection B while connection A's check runs): the scope runs one thing at a time.
    """

    def __init__(self, active_run: OperationRun) -> None:
        self.active_run = active_run
        state = RunStatus(active_run.status).label.lower()
        where = "environment" if active_run.environment_id is not None else "workspace"
        super().__init__(
            f"Scope busy: {describe_run(active_run)} (run #{active_run.pk}) is {state} for this {where}. "
            "Wait for it to finish, then start again."
        )

    @property
    def active_run_url(self) -> str:
        return self.active_run.get_absolute_url()


def describe_run(run: OperationRun) -> str:
    """The run's type and, when it targets a connection, which one (for messages)."""
    connection = run.connection if run.connection_id is not None else None
    if connection is None:
        return run.type_label
    return f"{run.type_label} of “{connection.display_name}”"


# --------------------------------------------------------------------------------------------
# Starting a run


def operation_start(
    *,
    actor: Any,
    operation_type: OperationType | str,
    environment: Any,
    connection: Any = None,
    context: Mapping[str, Any] | None = None,
    workspace: Any = None,
) -> StartResult:
    """Start ``operation_type`` on the environment (or, with ``environment=None``, the workspace).

    The caller authorizes first. One active run per scope, enforced by a partial unique index:
    the same operation on the same target (type and connection) returns the active run
    (``deduped``, nothing written); anything else on a busy scope — another type, or the same
    type on another connection — raises ``ScopeBusy`` naming and linking the active run. The
    decision is taken on the run the database kept: a start that loses the insert race retries
    and compares with the winner. A new run is audited (``operation.started``) in the same
    transaction and enqueued only after that transaction commits. ``context`` is redacted.
    """
    if operation_type not in OperationType.values:
        raise ValidationFailed("Unknown operation type.", field="operation_type")
    kind = OperationType(operation_type)
    if environment is None and workspace is None:
        raise ValidationFailed("Choose an environment (or a workspace for a workspace-level run).", field="environment")
    if environment is not None:
        if workspace is not None and workspace.pk != environment.workspace_id:
            raise ValidationFailed("The environment does not belong to this workspace.", field="workspace")
        workspace = environment.workspace
    if connection is not None and (environment is None or connection.environment_id != environment.pk):
        raise ValidationFailed("The connection does not belong to this environment.", field="connection")
    safe_context = redact(context)
    scope_key = scope_key_for(workspace_id=workspace.pk, environment_id=environment.pk if environment else None)

    for _attempt in range(START_ATTEMPTS):
        with transaction.atomic():
            active = _active_run(scope_key)
            if active is not None:
                return _dedupe_or_refuse(active, kind, connection.pk if connection is not None else None)
            run = OperationRun(
                workspace=workspace,
                environment=environment,
                connection=connection,
                type=kind.value,
                scope_key=scope_key,
                initiator=actor if getattr(actor, "is_authenticated", False) else None,
                initiator_label=actor_label_for(actor),
                context=safe_context,
            )
            try:
                run.full_clean(validate_constraints=False)
            except ValidationError as exc:
                raise ValidationFailed.from_django(exc) from None
            try:
                with transaction.atomic():
                    run.save(force_insert=True)
            except IntegrityError:
                # Lost the race for the scope: another start committed its active run first.
                continue
            audit_record(
                actor=actor,
                action=AuditAction.OPERATION_STARTED,
                workspace=workspace,
                environment=environment,
                target=run,
                metadata={
                    "operation_type": kind.value,
                    "connection_id": connection.pk if connection is not None else None,
                    "scope_key": scope_key,
                },
            )
            transaction.on_commit(partial(_enqueue, run.pk))
            return StartResult(run=run, deduped=False)
    raise Conflict("The scope changed while starting the operation. Try again.")


def _active_run(scope_key: str) -> OperationRun | None:
    return (
        OperationRun.objects.active()
        .filter(scope_key=scope_key)
        .select_related("workspace", "environment", "connection")
        .first()
    )


def _dedupe_or_refuse(active: OperationRun, kind: OperationType, connection_id: int | None) -> StartResult:
    """The active run when it is the same operation on the same target; ``ScopeBusy`` otherwise."""
    if active.type == kind.value and active.connection_id == connection_id:
        return StartResult(run=active, deduped=True)
    raise ScopeBusy(active)


def _enqueue(run_id: int) -> None:
    """Hand the run to the task backend (after commit). A run that cannot be queued fails at once."""
    try:
        result = operation_run_task.enqueue(run_id)
    except Exception as exc:  # noqa: BLE001 - whatever the backend raised, the run must not stay queued
        logger.error("operation run %s could not be enqueued: %s", run_id, type(exc).__name__)
        with contextlib.suppress(IllegalTransition):
            OperationRunService.fail(
                run_id, reason_code=RunReason.INTERNAL_ERROR, message="The run could not be queued."
            )
        return
    OperationRunService.record_task(run_id, str(result.id))


# --------------------------------------------------------------------------------------------
# Operator actions


def operation_cancel(*, actor: Any, run: OperationRun) -> OperationRun:
    """Cancel a queued run (audited). A running or finished run raises ``Conflict``."""
    authorize(actor, policies.CANCEL_RUN, run)
    with transaction.atomic():
        cancelled = OperationRunService.cancel(run.pk, message=f"Cancelled by {actor_label_for(actor)}.")
        audit_record(
            actor=actor,
            action=AuditAction.OPERATION_CANCELLED,
            workspace=run.workspace,
            environment=run.environment,
            target=cancelled,
            metadata={"operation_type": cancelled.type},
        )
    return cancelled


def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    """Mark the actor's own notification read (their own state: not audited)."""
    if notification.user_id != getattr(actor, "pk", None):
        raise NotFound()
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notification_mark_all_read(*, actor: Any, workspace: Any) -> int:
    """Mark all of the actor's unread notifications in ``workspace`` read; returns how many."""
    return Notification.objects.filter(user=actor, workspace=workspace, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --------------------------------------------------------------------------------------------
# The reaper


class WorkerLost(Exception):
    """Recorded on a queue task row whose worker died: the reaper settled the task as failed."""


def operations_reap(*, now: dt.datetime | None = None, stale_seconds: float | None = None) -> list[int]:
    """Fail runs whose worker is gone, so nothing stays active forever; returns their ids.

    - ``running`` with no heartbeat for ``TENANTPILOT_RUN_STALE_SECONDS``: the worker died.
    - ``queued`` for that long while its task is no longer waiting (claimed by a worker that
      died before starting it, or never enqueued because the process died right after commit).
    Both fail with ``worker_lost`` and keep the progress counts their last heartbeat saved.
    Each is re-checked on the locked row, so a heartbeat that arrives meanwhile wins and
    concurrent reapers never fail a run twice. The run's queue task row (django-tasks-db),
    which a killed worker leaves ``RUNNING`` forever, is settled ``FAILED`` in the same
    transaction; so is any task row a dead worker left ``RUNNING`` after its run had ended.
    """
    now = now or timezone.now()
    stale = float(stale_seconds if stale_seconds is not None else settings.TENANTPILOT_RUN_STALE_SECONDS)
    cutoff = now - dt.timedelta(seconds=stale)
    reaped: list[int] = []
    running = OperationRun.objects.filter(status=RunStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    for run_id in list(running.values_list("pk", flat=True)):
        if _reap_one(run_id, cutoff, now, "The worker running this operation stopped sending heartbeats."):
            reaped.append(run_id)
    for run_id in _lost_queued_run_ids(cutoff):
        if _reap_one(run_id, cutoff, now, "The run was never picked up by a live worker."):
            reaped.append(run_id)
    if reaped:
        logger.warning("reaped %d operation run(s) whose worker was lost", len(reaped))
    settled = _settle_orphaned_tasks(cutoff, now)
    if settled:
        logger.warning("settled %d queue task(s) left running by a lost worker", settled)
    return reaped


def _settle_task(task_id: str, now: dt.datetime, detail: str) -> bool:
    """Mark the run's queue task failed if it is still ``RUNNING`` (what ``DBTaskResult.set_failed``
    writes, as one conditional update: a worker that finishes it meanwhile wins)."""
    key = _as_uuid(task_id) if task_id else None
    if key is None:
        return False
    error = WorkerLost(detail)
    updated = DBTaskResult.objects.filter(pk=key, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        return_value=None,
        exception_class_path=f"{type(error).__module__}.{type(error).__qualname__}",
        traceback="".join(traceback.format_exception_only(error)),
    )
    return updated == 1


def _settle_orphaned_tasks(cutoff: dt.datetime, now: dt.datetime) -> int:
    """Task rows claimed before ``cutoff`` and still ``RUNNING`` whose run ended before ``cutoff``
    (or no longer exists): their worker died between finishing the run and recording the task."""
    orphans = list(
        DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING, started_at__lt=cutoff, task_path=operation_run_task.module_path
        ).values_list("pk", flat=True)[:500]
    )
    if not orphans:
        return 0
    runs = {
        task_id: (status, finished_at)
        for task_id, status, finished_at in OperationRun.objects.filter(
            task_id__in=[str(pk) for pk in orphans]
        ).values_list("task_id", "status", "finished_at")
    }
    settled = 0
    for pk in orphans:
        run = runs.get(str(pk))
        if run is not None and (run[0] in ACTIVE_STATUSES or run[1] is None or run[1] >= cutoff):
            continue  # its run is still active (the reaper decides about it) or only just ended
        if _settle_task(str(pk), now, "The worker was lost after its run had ended."):
            settled += 1
    return settled


def _lost_queued_run_ids(cutoff: dt.datetime) -> list[int]:
    """Queued runs older than ``cutoff`` that no live worker will ever start.

    Lost: never enqueued (no task id), a task that no longer exists or already finished, or a task
    a worker claimed before ``cutoff`` without starting the run. A task still waiting in the queue
    (a busy queue) or claimed only just now is not lost.
    """
    candidates = list(
        OperationRun.objects.filter(status=RunStatus.QUEUED, created_at__lt=cutoff).values_list("pk", "task_id")
    )
    if not candidates:
        return []
    task_ids = {task_id: _as_uuid(task_id) for _, task_id in candidates if task_id}
    tasks = {
        pk: (status, started_at)
        for pk, status, started_at in DBTaskResult.objects.filter(
            pk__in=[u for u in task_ids.values() if u]
        ).values_list("pk", "status", "started_at")
    }
    lost = []
    for pk, task_id in candidates:
        key = task_ids.get(task_id) if task_id else None
        task = tasks.get(key) if key is not None else None
        if task is None or _task_abandoned(*task, cutoff=cutoff):
            lost.append(pk)
    return lost


def _task_abandoned(status: str, started_at: dt.datetime | None, *, cutoff: dt.datetime) -> bool:
    """A task that finished without starting its run, or was claimed before ``cutoff`` and never started it."""
    if status in ("SUCCESSFUL", "FAILED"):
        return True
    return status == "RUNNING" and started_at is not None and started_at < cutoff


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _reap_one(run_id: int, cutoff: dt.datetime, now: dt.datetime, message: str) -> bool:
    with transaction.atomic():
        run = OperationRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in ACTIVE_STATUSES:
            return False
        if run.status == RunStatus.RUNNING and (run.heartbeat_at or run.started_at or now) >= cutoff:
            return False  # it beat meanwhile
        OperationRunService.fail(run_id, reason_code=RunReason.WORKER_LOST, message=message, now=now)
        _settle_task(run.task_id, now, f"Operation run {run_id} was reaped: {message}")
    return True
