"""An inventory sync reports its running totals page by page, so a run whose worker dies and is
reaped keeps the counts of what it wrote (instead of empty counts)."""

from __future__ import annotations

import datetime as dt

import pytest

from tenantpilot.inventory.models import InventoryItem, PolicyVersion
from tenantpilot.operations.choices import OperationType, RunOutcome
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.registry import RunContext, handler_for
from tenantpilot.operations.services import OperationRunService, operation_start, operations_reap
from tenantpilot.providers.selectors import connection_for_operations
from tests.inventory.support import golden_environment

pytestmark = pytest.mark.django_db


def test_a_reaped_sync_keeps_the_counts_of_what_it_wrote(world, graph_settings):
    environment = golden_environment(world)
    run = operation_start(
        actor=world.owner,
        operation_type=OperationType.INVENTORY_SYNC,
        environment=environment,
        connection=connection_for_operations(environment),
    ).run
    OperationRunService.start(run.pk, worker_id="about-to-die")
    run.refresh_from_db()
    ctx = RunContext(run.pk)

    # The worker's code path up to the handler's return; then the process "dies": no completion.
    handler_for(OperationType.INVENTORY_SYNC)(run, ctx)
    assert ctx.heartbeat() is True  # the heartbeat thread's next beat saves the progress

    written = InventoryItem.objects.filter(last_seen_run=run).count()
    versions = PolicyVersion.objects.filter(operation_run=run).count()
    assert written > 0
    run.refresh_from_db()
    assert run.summary_counts["items"] == written
    assert run.summary_counts["versions_created"] == versions == run.summary_counts["created"]

    assert operations_reap(now=run.heartbeat_at + dt.timedelta(hours=1), stale_seconds=120) == [run.pk]
    reaped = OperationRun.objects.get(pk=run.pk)
    assert (reaped.outcome, reaped.reason_code) == (RunOutcome.FAILED, "worker_lost")
    assert reaped.summary_counts["items"] == written and reaped.summary_counts["versions_created"] == versions
    per_type = {k: v for k, v in reaped.summary_counts.items() if k.startswith("items.")}
    assert sum(per_type.values()) == written
