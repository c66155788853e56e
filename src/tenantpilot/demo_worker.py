"""The demo's embedded worker: the first-start chain, one readable line per run, quiet logs.

Only the demo's worker imports this module (``tenantpilot demo`` names it in
``TENANTPILOT_OPERATION_MODULES``), so production workers never run any of it:

- a periodic job advances :func:`tenantpilot.demo.demo_advance` (sync, capture, compare); once
  the chain is done the job does nothing for the rest of the worker's life;
- each operation run logs one line when it starts and one when it ends (outcome, reason code);
- with ``TENANTPILOT_DEMO_HUMAN_LOGS=1`` (set by ``tenantpilot demo``) the console gets short
  human lines with warnings and errors only, instead of one JSON line per Graph request.
"""

from __future__ import annotations

import logging
import logging.config
import os
from typing import Any

from django.conf import settings
from django.tasks.signals import task_finished, task_started

from tenantpilot.core.logging import human_logging_config
from tenantpilot.demo import DEMO_LOUD_LOGGERS, DEMO_QUIET_LOGGERS, HUMAN_LOGS_ENV, demo_advance
from tenantpilot.operations.choices import OperationType, RunOutcome
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.registry import register_periodic

DEMO_CHAIN_INTERVAL_SECONDS = 2.0

logger = logging.getLogger("tenantpilot.demo")

_finished = False


@register_periodic("demo-chain", interval_seconds=DEMO_CHAIN_INTERVAL_SECONDS)
def demo_chain_tick() -> bool:
    """Advance the demo chain by what is ready; returns whether the chain is done."""
    global _finished  # one flag per worker process; a restart re-derives the state from the database
    if not _finished:
        _finished = demo_advance().done
    return _finished


def _run_of(task_result: Any) -> OperationRun | None:
    args = getattr(task_result, "args", None) or []
    if not args or not isinstance(args[0], int):
        return None
    return OperationRun.objects.select_related("environment").filter(pk=args[0]).first()


def _describe(run: OperationRun) -> str:
    try:
        label = str(OperationType(run.type).label)
    except ValueError:
        label = run.type
    where = f" of {run.environment.display_name}" if run.environment is not None else ""
    return f"run {run.pk} {label}{where}"


def run_line(run: OperationRun, *, started: bool) -> str:
    """The demo's one line for a run starting or ending, e.g.
    ``run 7 Inventory sync of Fabrikam (drifted): failed (auth_secret_expired)``."""
    if started:
        return f"{_describe(run)}: started"
    outcome = run.outcome if run.status == "completed" else run.status
    reason = f" ({run.reason_code})" if run.reason_code else ""
    return f"{_describe(run)}: {outcome}{reason}"


def _log_start(sender: Any, task_result: Any, **kwargs: Any) -> None:
    try:
        run = _run_of(task_result)
        if run is not None:
            logger.info(run_line(run, started=True))
    except Exception:  # noqa: BLE001, S110 - a log line must never fail the task that is about to run
        pass


def _log_end(sender: Any, task_result: Any, **kwargs: Any) -> None:
    try:
        run = _run_of(task_result)
        if run is None:
            return
        ok = run.outcome in (RunOutcome.SUCCEEDED, RunOutcome.PENDING)
        logger.log(logging.INFO if ok else logging.WARNING, run_line(run, started=False))
    except Exception:  # noqa: BLE001, S110 - see _log_start
        pass


task_started.connect(_log_start, dispatch_uid="tenantpilot.demo_worker.start")
task_finished.connect(_log_end, dispatch_uid="tenantpilot.demo_worker.end")

if os.environ.get(HUMAN_LOGS_ENV):
    logging.config.dictConfig(
        human_logging_config(settings.LOGGING, loud_loggers=DEMO_LOUD_LOGGERS, quiet_loggers=DEMO_QUIET_LOGGERS)
    )
