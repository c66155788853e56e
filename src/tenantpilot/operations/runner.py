"""Runs one operation run inside a worker: start it, beat while the handler works, record the end.

Guarantees: a run is executed at most once (the ``queued → running`` transition is taken on the
locked row, so a second delivery of the same task finds it running or finished and does
nothing); whatever the handler does, the run ends ``completed`` with a registered reason when it
did not succeed; an unexpected exception is logged by type only and stored as ``internal_error``
with a generic message, because its text may carry a secret.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from django.conf import settings
from django.db import DatabaseError, connection

from .choices import RunOutcome
from .reasons import RunReason, is_registered_reason
from .registry import OperationFailed, RunContext, handler_for, validate_result
from .transitions import IllegalTransition, OperationRunService

logger = logging.getLogger("tenantpilot.operations.runner")

GENERIC_FAILURE = "The operation failed because of an internal error. Retry; report it if it persists."


class Heartbeat:
    """A daemon thread that beats for the run every ``interval`` seconds, saving the handler's
    progress totals (``RunContext.set_progress``) with each beat.

    It uses its own database connection (closed when it stops). A failed beat — whatever the
    error — is logged by type and retried at the next tick, so the thread never dies silently;
    if beats keep failing the reaper eventually fails the run, which is the right answer for a
    worker that cannot reach the database.
    """

    def __init__(self, ctx: RunContext, interval: float) -> None:
        self.ctx = ctx
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-run-{ctx.run_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=max(self.interval, 5.0))

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    if not self.ctx.heartbeat():
                        return  # the run ended (or was reaped): nothing left to keep alive
                except DatabaseError as exc:
                    logger.warning("heartbeat of run %s failed: %s", self.ctx.run_id, type(exc).__name__)
                    with contextlib.suppress(Exception):  # a broken connection is reopened next beat
                        connection.close()
                except Exception as exc:  # noqa: BLE001 - a beat must never end the thread
                    logger.error("heartbeat of run %s raised %s", self.ctx.run_id, type(exc).__name__)
        finally:
            connection.close()


def run_operation(run_id: int, *, worker_id: str = "") -> None:
    """Execute the run ``run_id`` (called by the task). Never raises for a handler's failure."""
    try:
        run = OperationRunService.start(run_id, worker_id=worker_id)
    except IllegalTransition:
        logger.info("run %s is no longer queued; skipping it", run_id)
        return
    handler = handler_for(run.type)
    if handler is None:
        logger.error("no handler registered for operation type %s (run %s)", run.type, run_id)
        _finish(run_id, RunOutcome.FAILED, {}, RunReason.INTERNAL_ERROR, "No handler is registered for this operation.")
        return

    ctx = RunContext(run_id)
    outcome, code, message = RunOutcome.FAILED, RunReason.INTERNAL_ERROR.value, GENERIC_FAILURE
    counts: dict[str, int] = {}
    with Heartbeat(ctx, float(settings.TENANTPILOT_RUN_HEARTBEAT_SECONDS)):
        try:
            result = validate_result(handler(run, ctx))
        except OperationFailed as failure:
            if is_registered_reason(failure.reason_code):
                code, message = failure.reason_code, failure.message
            else:
                logger.error("run %s failed with unregistered reason code %r", run_id, failure.reason_code)
        except Exception as exc:  # noqa: BLE001 - any handler bug must end the run, not the worker
            # Only the type: the exception's text may carry a secret.
            logger.error("run %s: handler raised %s", run_id, type(exc).__name__)
        else:
            outcome, counts = RunOutcome(result.outcome), dict(result.summary_counts)
            code, message = result.reason_code, result.message
            if code and not is_registered_reason(code):
                logger.error("run %s reported unregistered reason code %r", run_id, code)
                code, message = RunReason.INTERNAL_ERROR.value, GENERIC_FAILURE
            if outcome == RunOutcome.FAILED and not code:
                code = RunReason.INTERNAL_ERROR.value
    # The handler's final counts win; progress it recorded but did not report (a failure
    # half-way) is kept, so a failed run still says how far it got.
    _finish(run_id, outcome, {**ctx.progress(), **counts}, code, message)


def _finish(run_id: int, outcome: RunOutcome, counts: dict[str, int], code: str, message: str) -> None:
    try:
        OperationRunService.complete(run_id, outcome=outcome, summary_counts=counts, reason_code=code, message=message)
    except IllegalTransition:
        # The reaper failed the run while this worker was silent; its late result is discarded.
        logger.warning("run %s was already finished (reaped?); discarding this worker's result", run_id)
