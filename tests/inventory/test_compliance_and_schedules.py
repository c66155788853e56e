"""Compliance snapshots against graphsim, and the scheduler tick."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from graphsim import fixtures_catalog as fx
from tenantpilot.audit.models import AuditLog
from tenantpilot.core.errors import Forbidden, ValidationFailed
from tenantpilot.inventory.models import ComplianceSnapshot, Schedule
from tenantpilot.inventory.services import schedule_update, schedules_run_due
from tenantpilot.operations.choices import OperationType, RunOutcome
from tenantpilot.operations.models import Notification, OperationRun
from tenantpilot.providers import services as provider_services
from tests.inventory.support import golden_environment, run_now
from tests.operations.helpers import queued_run

pytestmark = pytest.mark.django_db


def test_compliance_snapshot_records_summary_and_device_counts_that_agree(world, graph_settings):
    env = golden_environment(world)
    tenant = graph_settings.tenant(fx.GOLDEN_TENANT_ID)
    expected = tenant.compliance_summary()
    run = run_now(env, OperationType.COMPLIANCE_SNAPSHOT)
    assert run.outcome == RunOutcome.SUCCEEDED, run.message
    snap = ComplianceSnapshot.objects.get(environment=env)
    devices = tenant.items("deviceManagement/managedDevices")
    assert snap.device_total == len(devices) == sum(snap.by_state.values())
    assert snap.compliant_count == expected["compliantDeviceCount"] == snap.by_state.get("compliant", 0)
    assert snap.noncompliant_count == expected["nonCompliantDeviceCount"]
    assert run.summary_counts["devices"] == len(devices)
    assert AuditLog.objects.filter(action="compliance.snapshot_recorded", environment=env, actor=None).exists()


def test_compliance_snapshot_without_permission_fails_with_the_reason(world, graph_settings):
    env = golden_environment(
        world,
        tenant_id=fx.BROKEN_TENANT_ID,
        client_id=fx.BROKEN_PARTIAL_CLIENT_ID,
        secret=fx.BROKEN_PARTIAL_CLIENT_SECRET,
        name="Partial",
    )
    run = run_now(env, OperationType.COMPLIANCE_SNAPSHOT)
    assert run.outcome == RunOutcome.FAILED
    assert run.reason_code == "permission_missing"
    assert not ComplianceSnapshot.objects.filter(environment=env).exists()


def test_snapshots_are_immutable(world):
    from tenantpilot.inventory.models import ImmutableRecordError

    snap = ComplianceSnapshot.objects.create(workspace=world.a, environment=world.a1, captured_at=timezone.now())
    with pytest.raises(ImmutableRecordError):
        snap.save()
    with pytest.raises(ImmutableRecordError):
        ComplianceSnapshot.objects.filter(pk=snap.pk).update(device_total=3)
    with pytest.raises(ImmutableRecordError):
        snap.delete()


def _env_with_connection(world):
    provider_services.connection_create(
        actor=world.owner,
        environment=world.a1,
        display_name="Graph",
        entra_tenant_id=world.a1.tenant_id,
        client_id=fx.GOLDEN_CLIENT_ID,
        auth_type="client_secret",
        client_secret="schedule-secret",
    )
    return world.a1


def test_schedule_update_is_audited_and_due_at_once(world):
    now = timezone.now()
    schedule = schedule_update(
        actor=world.owner, environment=world.a1, operation_type="inventory.sync", frequency="daily", now=now
    )
    assert schedule.next_run_at == now
    row = AuditLog.objects.get(action="schedule.updated")
    assert row.metadata["to"] == "daily" and row.actor == world.owner
    schedule_update(actor=world.owner, environment=world.a1, operation_type="inventory.sync", frequency="off")
    assert Schedule.objects.get(pk=schedule.pk).next_run_at is None


def test_schedule_update_needs_manage_capability_and_valid_values(world):
    from tenantpilot.authz.roles import Role

    with pytest.raises(Forbidden):
        schedule_update(
            actor=world.members[Role.OPERATOR], environment=world.a1, operation_type="inventory.sync", frequency="daily"
        )
    with pytest.raises(ValidationFailed) as bad:
        schedule_update(actor=world.owner, environment=world.a1, operation_type="inventory.sync", frequency="weekly")
    assert bad.value.field == "frequency"
    assert not Schedule.objects.exists()


def test_due_schedule_starts_a_system_run_and_moves_on(world, django_capture_on_commit_callbacks):
    env = _env_with_connection(world)
    now = timezone.now()
    schedule = schedule_update(
        actor=world.owner, environment=env, operation_type="compliance.snapshot", frequency="hourly", now=now
    )
    results = schedules_run_due(now=now)
    assert [r.result for r in results] == ["started"]
    run = OperationRun.objects.get(pk=results[0].run_id)
    assert run.initiator is None and run.type == "compliance.snapshot"
    schedule.refresh_from_db()
    assert schedule.last_result == "started" and schedule.last_run_id == run.pk
    assert schedule.next_run_at == now + dt.timedelta(hours=1) and schedule.last_run_at == now
    assert schedules_run_due(now=now + dt.timedelta(minutes=30)) == []


def test_busy_scope_waits_and_skips_only_a_turn_blocked_for_a_whole_period(world):
    env = _env_with_connection(world)
    now = timezone.now()
    busy = queued_run(env, kind=OperationType.PROVIDER_HEALTH_CHECK)
    schedule = schedule_update(
        actor=world.owner, environment=env, operation_type="inventory.sync", frequency="daily", now=now
    )
    assert [r.result for r in schedules_run_due(now=now)] == ["waiting_for_scope"]
    schedule.refresh_from_db()
    assert schedule.next_run_at == now and not AuditLog.objects.filter(action="schedule.skipped").exists()
    results = schedules_run_due(now=now + dt.timedelta(days=1, minutes=1))
    assert [r.result for r in results] == ["scope_busy_skipped"]
    schedule.refresh_from_db()
    assert schedule.last_result == "scope_busy_skipped"
    assert schedule.next_run_at == now + dt.timedelta(days=1)  # the turn due now, still waiting
    assert OperationRun.objects.filter(environment=env).count() == 1
    skip = AuditLog.objects.get(action="schedule.skipped")
    assert skip.actor is None and skip.metadata["active_run_id"] == busy.pk


def test_schedule_without_usable_connection_skips(world):
    now = timezone.now()
    schedule_update(
        actor=world.owner, environment=world.a1, operation_type="inventory.sync", frequency="daily", now=now
    )
    assert [r.result for r in schedules_run_due(now=now)] == ["no_connection"]
    assert not OperationRun.objects.filter(environment=world.a1).exists()


@pytest.mark.django_db(transaction=True)
def test_scheduled_run_executes_and_notifies_no_one(world, graph_settings):
    env = golden_environment(world)
    schedule_update(actor=world.owner, environment=env, operation_type="inventory.sync", frequency="hourly")
    call_command("run-schedules")  # one tick; the immediate task backend runs the run inline
    run = OperationRun.objects.get(environment=env, type="inventory.sync")
    assert run.outcome == RunOutcome.SUCCEEDED
    assert not Notification.objects.exists()
