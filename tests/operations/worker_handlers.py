"""Operation handlers loaded only by worker subprocesses in the worker tests.

The worker imports this module through ``TENANTPILOT_OPERATION_MODULES``; the test process never
does (pytest does not collect it). The handler records each execution (run id, worker pid) in the
file named by ``TENANTPILOT_TEST_EXEC_LOG``, records ``run.context["progress"]`` items as progress
(saved by the heartbeat) and sleeps for ``run.context["sleep"]`` seconds.
"""

from __future__ import annotations

import os
import time

from tenantpilot.operations.choices import OperationType, RunOutcome, SummaryKey
from tenantpilot.operations.registry import RunResult, register_operation


@register_operation(OperationType.INVENTORY_SYNC, replace=True)
def traced_sleep(run, ctx):
    with open(os.environ["TENANTPILOT_TEST_EXEC_LOG"], "a") as log:
        log.write(f"{run.pk} {os.getpid()}\n")
    if "progress" in run.context:
        ctx.set_progress({SummaryKey.ITEMS: int(run.context["progress"])})
    time.sleep(float(run.context.get("sleep", 0)))
    return RunResult(RunOutcome.SUCCEEDED, {SummaryKey.PROCESSED: 1})
