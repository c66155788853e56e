"""Capture and compare report running totals, so a run whose worker dies and is reaped keeps the
counts of what it had done (like an inventory sync)."""

from __future__ import annotations

import datetime as dt

import pytest

from tenantpilot.baselines import services
from tenantpilot.baselines.models import BaselineCompareItem, BaselineSnapshot
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.operations.choices import OperationType, RunOutcome
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.registry import RunContext, handler_for
from tenantpilot.operations.services import OperationRunService, operations_reap
from tests.baselines.support import captured_profile, contoso, fabrikam, synced

pytestmark = pytest.mark.django_db


def _run_then_die(run: OperationRun) -> OperationRun:
    """The worker's code path up to the handler's return and one heartbeat; then no completion."""
    OperationRunService.start(run.pk, worker_id="about-to-die")
    run.refresh_from_db()
    ctx = RunContext(run.pk)
    handler_for(run.type)(run, ctx)
    assert ctx.heartbeat() is True
    assert operations_reap(now=_an_hour_after_the_last_beat(run), stale_seconds=120) == [run.pk]
    reaped = OperationRun.objects.get(pk=run.pk)
    assert (reaped.outcome, reaped.reason_code) == (RunOutcome.FAILED, "worker_lost")
    return reaped


def _an_hour_after_the_last_beat(run: OperationRun) -> dt.datetime:
    run.refresh_from_db()
    return run.heartbeat_at + dt.timedelta(hours=1)


def test_a_reaped_capture_keeps_its_counts(world, graph_settings):
    golden = synced(contoso(world))
    profile = services.profile_create(actor=world.owner, workspace=world.a, name="Contoso baseline")
    run = services.baseline_capture_start(actor=world.owner, profile=profile, source_environment=golden).run
    reaped = _run_then_die(run)
    snapshot = BaselineSnapshot.objects.get(operation_run=run)
    assert snapshot.item_count > 0
    assert reaped.summary_counts["subjects"] == snapshot.item_count
    governed = InventoryItem.objects.present().filter(environment=golden, policy_type__in=profile.governed_types())
    assert reaped.summary_counts["items"] == governed.count()


def test_a_reaped_compare_keeps_its_outcome_counts(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    services.profile_assign(actor=world.owner, profile=profile, environment=drifted)
    run = services.baseline_compare_start(actor=world.owner, profile=profile, environment=drifted).run
    assert run.type == OperationType.BASELINE_COMPARE
    reaped = _run_then_die(run)
    items = BaselineCompareItem.objects.filter(result__operation_run=run)
    assert reaped.summary_counts["outcome.drift"] == items.filter(outcome="drift").count() >= 1
    assert reaped.summary_counts["outcome.missing"] == items.filter(outcome="missing").count()
    assert reaped.summary_counts["identities_recorded"] > 0
    assert reaped.summary_counts["subjects"] > 0
