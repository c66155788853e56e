"""Scheduled baseline compare: fresh inventory first, every assigned profile, no period lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tenantpilot.audit.models import AuditLog
from tenantpilot.baselines import services
from tenantpilot.baselines.models import BaselineCompareResult
from tenantpilot.inventory.choices import ScheduleResult
from tenantpilot.inventory.models import Schedule
from tenantpilot.inventory.services import SCHEDULABLE_OPERATIONS, schedule_update, schedules_run_due
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.runner import run_operation
from tenantpilot.operations.services import ScopeBusy
from tests.baselines.support import captured_profile, contoso, fabrikam, synced

pytestmark = pytest.mark.django_db


def _compare_schedule(world, environment, now, frequency="hourly") -> Schedule:
    return schedule_update(
        actor=world.owner, environment=environment, operation_type="baseline.compare", frequency=frequency, now=now
    )


def _assigned(world, profile, environment):
    services.profile_assign(actor=world.owner, profile=profile, environment=environment)
    return profile


def _by_type(results) -> dict[str, str]:
    return {r.operation_type: r.result for r in results}


def _compares(environment) -> list[OperationRun]:
    return list(OperationRun.objects.filter(environment=environment, type="baseline.compare").order_by("pk"))


def test_baseline_compare_is_schedulable():
    assert OperationType.BASELINE_COMPARE in SCHEDULABLE_OPERATIONS


def test_compare_waits_for_the_sync_started_in_the_same_tick_and_keeps_its_period(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = _assigned(world, captured_profile(world, golden), drifted)
    now = timezone.now()
    schedule_update(actor=world.owner, environment=drifted, operation_type="inventory.sync", frequency="daily", now=now)
    compare = _compare_schedule(world, drifted, now)

    first = schedules_run_due(now=now)
    assert _by_type(first) == {"inventory.sync": "started", "baseline.compare": "waiting_for_sync"}
    compare.refresh_from_db()
    assert compare.next_run_at == now, "a waiting compare keeps its turn"
    assert _compares(drifted) == []
    assert not AuditLog.objects.filter(action="schedule.skipped").exists()

    # Still running on the next tick: still waiting, the turn still open.
    later = now + dt.timedelta(minutes=1)
    assert _by_type(schedules_run_due(now=later)) == {"baseline.compare": "waiting_for_sync"}

    sync = OperationRun.objects.get(pk=first[0].run_id)
    run_operation(sync.pk)
    sync.refresh_from_db()
    assert sync.outcome == "succeeded"

    much_later = now + dt.timedelta(minutes=7)
    after = schedules_run_due(now=much_later)
    assert _by_type(after) == {"baseline.compare": "started"}
    (run,) = _compares(drifted)
    assert run.context["profile_id"] == profile.pk and run.initiator is None
    compare.refresh_from_db()
    # One period after the turn was due, not after the wait.
    assert compare.next_run_at == now + dt.timedelta(hours=1)
    assert compare.last_result == "started" and compare.last_run_id == run.pk

    run_operation(run.pk)
    result = BaselineCompareResult.objects.get(operation_run=run)
    assert result.evidence_run_id == sync.pk, "the scheduled compare ran on the fresh inventory"
    assert result.counts["drift"] >= 1


def test_compare_waits_for_an_active_sync_started_by_an_operator(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    _assigned(world, captured_profile(world, golden), drifted)
    now = timezone.now()
    _compare_schedule(world, drifted, now)
    OperationRun.objects.create(
        workspace=drifted.workspace,
        environment=drifted,
        type=OperationType.INVENTORY_SYNC,
        scope_key=f"env:{drifted.pk}",
        initiator_label="test",
    )
    assert _by_type(schedules_run_due(now=now)) == {"baseline.compare": "waiting_for_sync"}
    assert Schedule.objects.get(operation_type="baseline.compare").next_run_at == now


def test_two_profiles_are_compared_one_after_the_other_without_losing_either(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    first = _assigned(world, captured_profile(world, golden, name="Windows baseline"), drifted)
    second = _assigned(world, captured_profile(world, golden, name="Apps baseline"), drifted)
    now = timezone.now()
    schedule = _compare_schedule(world, drifted, now, frequency="daily")

    assert _by_type(schedules_run_due(now=now)) == {"baseline.compare": "started"}
    (run_a,) = _compares(drifted)
    assert run_a.context["profile_id"] == first.pk
    schedule.refresh_from_db()
    assert schedule.next_run_at == now, "the second profile is still to do in this turn"

    # The first compare is still queued: the environment is busy, the turn waits.
    tick2 = now + dt.timedelta(minutes=1)
    assert _by_type(schedules_run_due(now=tick2)) == {"baseline.compare": "waiting_for_scope"}
    assert len(_compares(drifted)) == 1

    run_operation(run_a.pk)
    tick3 = now + dt.timedelta(minutes=2)
    assert _by_type(schedules_run_due(now=tick3)) == {"baseline.compare": "started"}
    run_a2, run_b = _compares(drifted)
    assert run_a2.pk == run_a.pk and run_b.context["profile_id"] == second.pk
    schedule.refresh_from_db()
    assert schedule.next_run_at == now + dt.timedelta(days=1)
    assert schedule.last_run_id == run_b.pk

    # The turn is over: nothing is due until the next period.
    run_operation(run_b.pk)
    assert schedules_run_due(now=now + dt.timedelta(hours=2)) == []
    assert {r.profile_id for r in BaselineCompareResult.objects.filter(environment=drifted)} == {first.pk, second.pk}

    # The next period compares both again.
    next_turn = schedules_run_due(now=now + dt.timedelta(days=1))
    assert _by_type(next_turn) == {"baseline.compare": "started"}
    assert _compares(drifted)[-1].context["profile_id"] == first.pk


def test_another_profiles_active_compare_makes_the_start_scope_busy_not_a_dedupe(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    first = _assigned(world, captured_profile(world, golden, name="Windows baseline"), drifted)
    second = _assigned(world, captured_profile(world, golden, name="Apps baseline"), drifted)
    active = services.baseline_compare_start_system(profile=first, environment=drifted)
    again = services.baseline_compare_start(actor=world.owner, profile=first, environment=drifted)
    assert again.deduped and again.run.pk == active.run.pk
    with pytest.raises(ScopeBusy) as busy:
        services.baseline_compare_start_system(profile=second, environment=drifted)
    assert busy.value.active_run.pk == active.run.pk
    with pytest.raises(ScopeBusy):
        services.baseline_compare_start(actor=world.owner, profile=second, environment=drifted)
    assert _compares(drifted) == [active.run]


def test_another_profiles_active_capture_makes_a_capture_scope_busy(world, graph_settings):
    golden = synced(contoso(world))
    first = services.profile_create(actor=world.owner, workspace=world.a, name="Windows baseline")
    second = services.profile_create(actor=world.owner, workspace=world.a, name="Apps baseline")
    active = services.baseline_capture_start(actor=world.owner, profile=first, source_environment=golden)
    with pytest.raises(ScopeBusy):
        services.baseline_capture_start(actor=world.owner, profile=second, source_environment=golden)
    again = services.baseline_capture_start(actor=world.owner, profile=first, source_environment=golden)
    assert again.deduped and again.run.pk == active.run.pk


def test_compare_schedule_without_a_captured_profile_skips_and_moves_on(world, graph_settings):
    drifted = synced(fabrikam(world))
    profile = services.profile_create(actor=world.owner, workspace=world.a, name="Never captured")
    _assigned(world, profile, drifted)
    now = timezone.now()
    schedule = _compare_schedule(world, drifted, now)
    assert _by_type(schedules_run_due(now=now)) == {"baseline.compare": ScheduleResult.NO_BASELINE.value}
    schedule.refresh_from_db()
    assert schedule.next_run_at == now + dt.timedelta(hours=1)
    skip = AuditLog.objects.get(action="schedule.skipped")
    assert skip.metadata["reason"] == "no_baseline" and skip.metadata["operation_type"] == "baseline.compare"
    assert _compares(drifted) == []


def test_a_late_tick_moves_the_next_turn_from_now_not_into_the_past(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    _assigned(world, captured_profile(world, golden), drifted)
    due = timezone.now()
    schedule = _compare_schedule(world, drifted, due)
    late = due + dt.timedelta(hours=3)
    assert _by_type(schedules_run_due(now=late)) == {"baseline.compare": "started"}
    schedule.refresh_from_db()
    assert schedule.next_run_at == late + dt.timedelta(hours=1)
