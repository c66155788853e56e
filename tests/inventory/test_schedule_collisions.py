"""Schedules that do not lose work: collisions in one tick, a busy environment, failures shown.

The clock is the ``now`` each tick is given (no sleeps); runs execute on this thread against
graphsim, the way a worker runs them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from graphsim import fixtures_catalog as fx
from tenantpilot.audit.models import AuditLog
from tenantpilot.inventory.models import Schedule
from tenantpilot.inventory.services import schedule_update, schedules_run_due
from tenantpilot.operations.choices import OperationType, RunOutcome
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.runner import run_operation
from tenantpilot.operations.services import operation_cancel
from tests.inventory.support import golden_environment
from tests.operations.helpers import queued_run

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def _schedule(world, env, kind: OperationType, frequency: str = "hourly") -> Schedule:
    return schedule_update(actor=world.owner, environment=env, operation_type=kind.value, frequency=frequency, now=T0)


def _tick(at: dt.datetime) -> dict[str, str]:
    return {r.operation_type: r.result for r in schedules_run_due(now=at)}


def _page(client, world, env) -> str:
    client.force_login(world.owner)
    url = reverse("console:schedules", kwargs={"workspace": world.a.slug, "environment_id": env.pk})
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_two_schedules_due_in_one_tick_both_run_one_after_the_other(world, graph_settings, client):
    env = golden_environment(world)
    sync = _schedule(world, env, OperationType.INVENTORY_SYNC)
    snapshot = _schedule(world, env, OperationType.COMPLIANCE_SNAPSHOT)

    first = _tick(T0)
    assert first == {"inventory.sync": "started", "compliance.snapshot": "waiting_for_scope"}
    snapshot.refresh_from_db()
    assert snapshot.next_run_at == T0  # still due: queued behind the sync, not pushed a period on
    assert "Waiting: environment busy, trying again" in _page(client, world, env)

    # While the sync is still queued, the snapshot keeps waiting and nothing is skipped.
    assert _tick(T0 + MINUTE) == {"compliance.snapshot": "waiting_for_scope"}
    assert not AuditLog.objects.filter(action="schedule.skipped").exists()

    sync_run = OperationRun.objects.get(environment=env, type=OperationType.INVENTORY_SYNC)
    run_operation(sync_run.pk)
    assert _tick(T0 + 2 * MINUTE) == {"compliance.snapshot": "started"}
    snapshot_run = OperationRun.objects.get(environment=env, type=OperationType.COMPLIANCE_SNAPSHOT)
    run_operation(snapshot_run.pk)

    runs = OperationRun.objects.filter(environment=env).order_by("pk")
    assert [(r.type, r.outcome) for r in runs] == [
        ("inventory.sync", RunOutcome.SUCCEEDED),
        ("compliance.snapshot", RunOutcome.SUCCEEDED),
    ]
    sync.refresh_from_db()
    snapshot.refresh_from_db()
    # Both keep their period in step with when they were due, not with when they could start.
    assert sync.next_run_at == snapshot.next_run_at == T0 + dt.timedelta(hours=1)
    assert snapshot.last_run_id == snapshot_run.pk and snapshot.last_result == "started"
    assert _tick(T0 + 30 * MINUTE) == {}


def test_a_schedule_waits_for_an_operator_run_and_starts_when_the_scope_is_free(world, graph_settings):
    env = golden_environment(world)
    busy = queued_run(env, kind=OperationType.PROVIDER_HEALTH_CHECK, initiator=world.owner)
    schedule = _schedule(world, env, OperationType.INVENTORY_SYNC, frequency="daily")

    for minute in range(3):
        assert _tick(T0 + minute * MINUTE) == {"inventory.sync": "waiting_for_scope"}
    schedule.refresh_from_db()
    assert schedule.next_run_at == T0 and schedule.last_run is None

    operation_cancel(actor=world.owner, run=busy)
    assert _tick(T0 + 3 * MINUTE) == {"inventory.sync": "started"}
    schedule.refresh_from_db()
    assert schedule.next_run_at == T0 + dt.timedelta(days=1)
    assert schedule.last_run is not None and schedule.last_run.type == OperationType.INVENTORY_SYNC
    assert not AuditLog.objects.filter(action="schedule.skipped").exists()


def test_a_turn_blocked_for_a_whole_period_is_skipped_once_and_shown_with_its_reason(world, graph_settings, client):
    env = golden_environment(world)
    busy = queued_run(env, kind=OperationType.PROVIDER_HEALTH_CHECK, initiator=world.owner)
    schedule = _schedule(world, env, OperationType.INVENTORY_SYNC)

    assert _tick(T0 + 59 * MINUTE) == {"inventory.sync": "waiting_for_scope"}
    assert _tick(T0 + 61 * MINUTE) == {"inventory.sync": "scope_busy_skipped"}
    schedule.refresh_from_db()
    assert schedule.next_run_at == T0 + dt.timedelta(hours=1)  # the turn due now takes its place
    # The next ticks wait for that turn: one skip per lost period, never one per tick.
    assert _tick(T0 + 62 * MINUTE) == {"inventory.sync": "waiting_for_scope"}
    skips = AuditLog.objects.filter(action="schedule.skipped")
    assert skips.count() == 1
    assert skips.get().metadata["reason"] == "scope_busy_skipped"
    assert skips.get().metadata["active_run_id"] == busy.pk

    page = _page(client, world, env)
    assert "Skipped: environment busy" in page and "scope_busy_skipped" in page
    assert f"run #{busy.pk}" in page


def test_a_failed_scheduled_run_is_shown_with_its_reason_on_the_schedules_page(world, graph_settings, client):
    env = golden_environment(
        world,
        tenant_id=fx.BROKEN_TENANT_ID,
        client_id=fx.BROKEN_PARTIAL_CLIENT_ID,
        secret=fx.BROKEN_PARTIAL_CLIENT_SECRET,
        name="Partial",
    )
    _schedule(world, env, OperationType.COMPLIANCE_SNAPSHOT)
    assert _tick(T0) == {"compliance.snapshot": "started"}
    run = OperationRun.objects.get(environment=env, type=OperationType.COMPLIANCE_SNAPSHOT)
    run_operation(run.pk)
    run.refresh_from_db()
    assert run.outcome == RunOutcome.FAILED and run.reason_code == "permission_missing"

    # A later successful-looking tick (the next turn starts) must not hide the failure.
    assert _tick(T0 + dt.timedelta(hours=1)) == {"compliance.snapshot": "started"}
    page = _page(client, world, env)
    assert "Recent scheduled runs and skipped turns" in page
    row = page[page.index(f"run #{run.pk}</a></td>") - 600 : page.index(f"run #{run.pk}</a></td>")]
    assert "Failed" in row and "permission_missing" in row and run.reason_label in row


def test_the_schedule_history_shows_nothing_of_another_environment(world, graph_settings, client):
    env = golden_environment(world)
    other = golden_environment(
        world,
        tenant_id=fx.BROKEN_TENANT_ID,
        client_id=fx.BROKEN_PARTIAL_CLIENT_ID,
        secret=fx.BROKEN_PARTIAL_CLIENT_SECRET,
        name="Other",
    )
    queued_run(other, kind=OperationType.PROVIDER_HEALTH_CHECK, initiator=world.owner)
    _schedule(world, other, OperationType.INVENTORY_SYNC)
    _tick(T0 + 61 * MINUTE)
    assert AuditLog.objects.filter(action="schedule.skipped", environment=other).exists()
    page = _page(client, world, env)
    assert "No scheduled run or skipped turn yet." in page and "scope_busy_skipped" not in page
