"""The runner: handler results become outcomes; failures keep only registered codes and safe text."""

from __future__ import annotations

import logging
import time

import pytest
from django.utils import timezone

from tenantpilot.operations.choices import OperationType, RunOutcome, RunStatus, SummaryKey
from tenantpilot.operations.models import Notification, OperationRun
from tenantpilot.operations.registry import OperationFailed, RunResult, register_operation
from tenantpilot.operations.runner import GENERIC_FAILURE, run_operation
from tenantpilot.operations.services import IllegalTransition, OperationRunService, operation_start

CANARY = "canary-Secret-9a8b7c"
SYNC = OperationType.INVENTORY_SYNC


def _queued(world, actor=None, kind=SYNC):
    return operation_start(actor=actor or world.owner, operation_type=kind, environment=world.a1).run


def _run(world, handlers, fn, actor=None):
    handlers(SYNC, fn)
    run = _queued(world, actor)
    run_operation(run.pk, worker_id="worker-1")
    run.refresh_from_db()
    return run


@pytest.mark.django_db
def test_success_records_counts_times_worker_and_notifies_the_initiator_once(world, handlers):
    def handler(run, ctx):
        assert OperationRun.objects.get(pk=run.pk).status == RunStatus.RUNNING
        ctx.add_counts(**{SummaryKey.ITEMS: 2})
        ctx.add_counts(items=3, skipped=1)
        ctx.heartbeat()
        return RunResult(RunOutcome.SUCCEEDED, {SummaryKey.TOTAL: 5, SummaryKey.SKIPPED: 2})

    run = _run(world, handlers, handler)
    assert (run.status, run.outcome, run.reason_code) == (RunStatus.COMPLETED, RunOutcome.SUCCEEDED, "")
    assert run.summary_counts == {"items": 5, "skipped": 2, "total": 5}
    assert run.worker_id == "worker-1"
    assert run.created_at <= run.started_at <= run.heartbeat_at <= run.finished_at
    notification = Notification.objects.get()
    assert (notification.user, notification.run, notification.level) == (world.owner, run, "success")
    assert notification.title == "Inventory sync succeeded" and world.a1.display_name in notification.body


@pytest.mark.django_db
def test_partial_success_keeps_its_reason(world, handlers):
    run = _run(
        world,
        handlers,
        lambda run, ctx: RunResult(RunOutcome.PARTIALLY_SUCCEEDED, {"failed": 1}, "throttled", ""),
    )
    assert (run.outcome, run.reason_code) == (RunOutcome.PARTIALLY_SUCCEEDED, "throttled")
    assert "throttling" in run.message  # the code's default message fills an empty one
    assert Notification.objects.get(run=run).level == "warning"


@pytest.mark.django_db
def test_operation_failed_stores_the_code_and_a_sanitized_message(world, handlers):
    def handler(run, ctx):
        raise OperationFailed("auth_invalid_secret", f"AADSTS7000215 client_secret={CANARY} Bearer eyJabc.def.ghi")

    run = _run(world, handlers, handler)
    assert (run.outcome, run.reason_code) == (RunOutcome.FAILED, "auth_invalid_secret")
    assert CANARY not in run.message and "eyJabc" not in run.message and "AADSTS7000215" in run.message
    assert Notification.objects.get(run=run).level == "error"


@pytest.mark.django_db
def test_any_other_exception_is_internal_error_without_its_text_anywhere(world, handlers, caplog):
    def handler(run, ctx):
        raise RuntimeError(f"connection string password={CANARY}")

    with caplog.at_level(logging.DEBUG):
        run = _run(world, handlers, handler)
    assert (run.outcome, run.reason_code, run.message) == (RunOutcome.FAILED, "internal_error", GENERIC_FAILURE)
    assert "RuntimeError" in caplog.text and CANARY not in caplog.text
    assert CANARY not in str(OperationRun.objects.filter(pk=run.pk).values().get())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "handler",
    [
        lambda run, ctx: (_ for _ in ()).throw(OperationFailed("made_up_code", "x")),
        lambda run, ctx: RunResult(RunOutcome.SUCCEEDED, {"not_a_key": 1}),
        lambda run, ctx: RunResult(RunOutcome.SUCCEEDED, {"items": -1}),
        lambda run, ctx: RunResult(RunOutcome.CANCELLED),
        lambda run, ctx: RunResult(RunOutcome.FAILED, {}, "made_up_code"),
        lambda run, ctx: RunResult(RunOutcome.FAILED),
        lambda run, ctx: {"outcome": "succeeded"},
        lambda run, ctx: ctx.add_counts(bogus=1),
    ],
    ids=[
        "unregistered-raise",
        "unregistered-key",
        "negative-count",
        "handler-cancelled",
        "unregistered-result-code",
        "failed-without-code",
        "not-a-result",
        "bad-progress-key",
    ],
)
def test_contract_breaches_fail_as_internal_error(world, handlers, handler):
    run = _run(world, handlers, handler)
    assert (run.status, run.outcome, run.reason_code) == (RunStatus.COMPLETED, RunOutcome.FAILED, "internal_error")
    assert "not_a_key" not in run.summary_counts and "bogus" not in run.summary_counts


@pytest.mark.django_db
def test_missing_handler_fails_the_run(world):
    run = _queued(world, kind=OperationType.BASELINE_CAPTURE)
    from tenantpilot.operations.registry import override_handler

    with override_handler(OperationType.BASELINE_CAPTURE, None):  # type: ignore[arg-type]
        run_operation(run.pk)
    run.refresh_from_db()
    assert (run.outcome, run.reason_code) == (RunOutcome.FAILED, "internal_error")


@pytest.mark.django_db
def test_a_second_delivery_does_not_run_the_handler_again(world, handlers):
    calls = []
    handlers(SYNC, lambda run, ctx: calls.append(run.pk) or RunResult())
    run = _queued(world)
    run_operation(run.pk)
    run_operation(run.pk)
    assert calls == [run.pk]
    assert Notification.objects.filter(run=run).count() == 1


@pytest.mark.django_db
def test_a_cancelled_queued_run_is_never_executed(world, handlers):
    calls = []
    handlers(SYNC, lambda run, ctx: calls.append(run.pk) or RunResult())
    run = _queued(world)
    OperationRunService.cancel(run.pk)
    run_operation(run.pk)
    run.refresh_from_db()
    assert calls == [] and (run.outcome, run.reason_code) == (RunOutcome.CANCELLED, "cancelled")


@pytest.mark.django_db
def test_a_running_run_cannot_be_cancelled(world):
    run = _queued(world)
    OperationRunService.start(run.pk)
    with pytest.raises(IllegalTransition):
        OperationRunService.cancel(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


@pytest.mark.django_db
def test_system_runs_notify_no_one(world, handlers):
    handlers(SYNC, lambda run, ctx: RunResult())
    run = operation_start(actor=None, operation_type=SYNC, environment=world.a1).run
    run_operation(run.pk)
    run.refresh_from_db()
    assert run.outcome == RunOutcome.SUCCEEDED
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_a_late_result_after_the_reaper_is_discarded(world, handlers):
    from tenantpilot.operations.services import operations_reap

    def handler(run, ctx):
        operations_reap(now=timezone.now() + timezone.timedelta(hours=1))  # the worker "went silent"
        return RunResult(RunOutcome.SUCCEEDED, {"items": 9})

    run = _run(world, handlers, handler)
    assert (run.outcome, run.reason_code) == (RunOutcome.FAILED, "worker_lost")
    assert run.summary_counts == {}
    assert Notification.objects.filter(run=run).count() == 1


@pytest.mark.django_db
def test_register_operation_refuses_a_second_handler_for_a_type():
    from tenantpilot.operations.registry import handler_for

    existing = handler_for(OperationType.PROVIDER_HEALTH_CHECK)

    def other(run, ctx):
        return RunResult()

    assert existing is not None, "the providers app registers the health check handler"
    with pytest.raises(RuntimeError, match="already has a handler"):
        register_operation(OperationType.PROVIDER_HEALTH_CHECK)(other)
    assert handler_for(OperationType.PROVIDER_HEALTH_CHECK) is existing


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_while_the_handler_works(world, handlers, settings):
    settings.TENANTPILOT_RUN_HEARTBEAT_SECONDS = 0.05
    seen = []

    def slow(run, ctx):
        started = OperationRun.objects.get(pk=run.pk).heartbeat_at
        # Generous: on a loaded CI machine the heartbeat thread may wait long for a core; the
        # loop ends at the first beat, so a quiet machine pays nothing for the margin.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            beat = OperationRun.objects.get(pk=run.pk).heartbeat_at
            if beat > started:
                seen.append(beat)
                break
            time.sleep(0.02)
        return RunResult()

    run = _run(world, handlers, slow)
    assert seen, "no heartbeat arrived while the handler was running"
    assert run.outcome == RunOutcome.SUCCEEDED
