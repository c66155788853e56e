"""Run state transitions: the ``OperationRunService``, the one code that changes a run's status,
outcome and summary counts, and the count-key check every write of counts goes through.

Kept apart from ``services`` (starting, cancelling, reaping runs) so that the runner and the
handler API in ``registry`` can drive transitions without importing the code that enqueues the
task that runs them: ``services → tasks → runner → registry → transitions``, no cycle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tenantpilot.core.errors import Conflict, NotFound, ValidationFailed
from tenantpilot.graph.errors import sanitize_message

from .choices import RunOutcome, RunStatus, SummaryKey, is_legal_transition
from .models import Notification, OperationRun
from .reasons import RunReason, is_registered_reason, reason_default_message, reason_label
from .signals import send_run_finished


class IllegalTransition(Conflict):
    """A status/outcome change the run state machine does not allow (the run is left unchanged)."""


def validate_counts(counts: Mapping[Any, Any]) -> dict[str, int]:
    """Flat ``{registered key: non-negative int}``; anything else raises ``ValueError`` naming the key."""
    out: dict[str, int] = {}
    for key, value in counts.items():
        name = str(key.value if isinstance(key, SummaryKey) else key)
        if name not in SummaryKey.values:
            raise ValueError(f"summary count key {name!r} is not a registered SummaryKey")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"summary count {name!r} must be a non-negative integer")
        out[name] = value
    return out


def _clean_reason(reason_code: str, message: str) -> tuple[str, str]:
    code = str(reason_code or "")
    if code and not is_registered_reason(code):
        raise ValidationFailed(f"Unregistered reason code {code!r}.", field="reason_code")
    text = sanitize_message(message) if message else ""
    if code and not text:
        text = reason_default_message(code)
    return code, text


class OperationRunService:
    """The only code that changes a run's status or outcome. Every change is checked against the
    state machine (``choices.LEGAL_TRANSITIONS``) on the locked row; an illegal one raises
    ``IllegalTransition`` and changes nothing. A terminal change notifies the initiator once."""

    @staticmethod
    def _locked(run_id: int) -> OperationRun:
        run = OperationRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            raise NotFound()
        return run

    @classmethod
    def transition(
        cls,
        run_id: int,
        *,
        to_status: RunStatus,
        to_outcome: RunOutcome = RunOutcome.PENDING,
        reason_code: str = "",
        message: str = "",
        summary_counts: Mapping[Any, int] | None = None,
        worker_id: str = "",
        now: dt.datetime | None = None,
    ) -> OperationRun:
        """Move the run to ``to_status``/``to_outcome`` or raise ``IllegalTransition``."""
        now = now or timezone.now()
        code, text = _clean_reason(reason_code, message)
        if to_outcome == RunOutcome.FAILED and not code:
            raise ValidationFailed("A failed run needs a reason code.", field="reason_code")
        counts = validate_counts(summary_counts or {})
        with transaction.atomic():
            run = cls._locked(run_id)
            if not is_legal_transition(run.status, to_status, to_outcome):
                raise IllegalTransition(
                    f"Run #{run.pk} cannot go from {run.status}/{run.outcome} to {to_status}/{to_outcome}."
                )
            fields = ["status", "outcome"]
            run.status, run.outcome = to_status, to_outcome
            if to_status == RunStatus.RUNNING:
                run.started_at = run.heartbeat_at = now
                run.worker_id = worker_id[:64]
                fields += ["started_at", "heartbeat_at", "worker_id"]
            else:
                run.finished_at = now
                run.summary_counts = {**run.summary_counts, **counts}
                run.reason_code, run.message = code, text
                fields += ["finished_at", "summary_counts", "reason_code", "message"]
            run.save(update_fields=fields)
            if run.status == RunStatus.COMPLETED:
                _notify_initiator(run)
                send_run_finished(run)
        return run

    @classmethod
    def start(cls, run_id: int, *, worker_id: str = "") -> OperationRun:
        """``queued → running`` (a worker took the run)."""
        return cls.transition(run_id, to_status=RunStatus.RUNNING, worker_id=worker_id)

    @classmethod
    def complete(
        cls,
        run_id: int,
        *,
        outcome: RunOutcome,
        summary_counts: Mapping[Any, int] | None = None,
        reason_code: str = "",
        message: str = "",
    ) -> OperationRun:
        """``running → completed`` with the handler's outcome (counts merge into progress counts)."""
        return cls.transition(
            run_id,
            to_status=RunStatus.COMPLETED,
            to_outcome=outcome,
            summary_counts=summary_counts,
            reason_code=reason_code,
            message=message,
        )

    @classmethod
    def fail(cls, run_id: int, *, reason_code: str, message: str = "", now: dt.datetime | None = None) -> OperationRun:
        """``queued|running → completed/failed`` with a registered reason."""
        return cls.transition(
            run_id,
            to_status=RunStatus.COMPLETED,
            to_outcome=RunOutcome.FAILED,
            reason_code=reason_code,
            message=message,
            now=now,
        )

    @classmethod
    def cancel(cls, run_id: int, *, message: str = "") -> OperationRun:
        """``queued → completed/cancelled``. A running run is not cancellable (IllegalTransition)."""
        with transaction.atomic():
            run = cls._locked(run_id)
            if run.status != RunStatus.QUEUED:
                raise IllegalTransition("Only a queued run can be cancelled.")
            return cls.transition(
                run_id,
                to_status=RunStatus.COMPLETED,
                to_outcome=RunOutcome.CANCELLED,
                reason_code=RunReason.CANCELLED,
                message=message,
            )

    @classmethod
    def heartbeat(
        cls, run_id: int, *, now: dt.datetime | None = None, progress: Mapping[Any, int] | None = None
    ) -> bool:
        """Record that the run's worker is alive. Only a running run beats; returns whether it did.

        ``progress`` (running totals, registered keys) is merged into the summary counts in the
        same write, so a run whose worker dies later keeps the counts of its last beat.
        """
        now = now or timezone.now()
        totals = validate_counts(progress or {})
        if not totals:
            updated = OperationRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(heartbeat_at=now)
            return updated == 1
        with transaction.atomic():
            run = OperationRun.objects.select_for_update().filter(pk=run_id, status=RunStatus.RUNNING).first()
            if run is None:
                return False
            run.summary_counts = {**run.summary_counts, **totals}
            run.heartbeat_at = now
            run.save(update_fields=["summary_counts", "heartbeat_at"])
        return True

    @classmethod
    def add_counts(cls, run_id: int, counts: Mapping[Any, int]) -> dict[str, int]:
        """Add progress counts to a running run; returns the new totals."""
        increments = validate_counts(counts)
        with transaction.atomic():
            run = cls._locked(run_id)
            if run.status != RunStatus.RUNNING:
                raise IllegalTransition("Counts can only be added while the run is running.")
            totals = dict(run.summary_counts)
            for key, value in increments.items():
                totals[key] = int(totals.get(key, 0)) + value
            run.summary_counts = totals
            run.heartbeat_at = timezone.now()
            run.save(update_fields=["summary_counts", "heartbeat_at"])
        return totals

    @staticmethod
    def record_task(run_id: int, task_id: str) -> None:
        """Remember which queued task carries the run (first one wins)."""
        OperationRun.objects.filter(pk=run_id, task_id="").update(task_id=task_id[:64])


def _notify_initiator(run: OperationRun) -> Notification | None:
    """The initiator's one terminal notification (system runs notify no one). Same transaction."""
    if run.initiator_id is None:
        return None
    outcome = RunOutcome(run.outcome)
    level = {
        RunOutcome.SUCCEEDED: Notification.Level.SUCCESS,
        RunOutcome.PARTIALLY_SUCCEEDED: Notification.Level.WARNING,
        RunOutcome.CANCELLED: Notification.Level.INFO,
    }.get(outcome, Notification.Level.ERROR)
    title = f"{run.type_label} {outcome.label.lower()}"
    environment_name = run.environment.display_name if run.environment is not None else ""
    body = " · ".join(p for p in (environment_name, reason_label(run.reason_code) if run.reason_code else "") if p)
    try:
        with transaction.atomic():
            return Notification.objects.create(
                workspace_id=run.workspace_id,
                environment_id=run.environment_id,
                user_id=run.initiator_id,
                run=run,
                level=level,
                title=title[:200],
                body=body[:400],
            )
    except IntegrityError:
        return None  # already notified: the unique constraint on the run keeps it to one
