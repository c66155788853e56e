"""Run alerts: one per state change of a run's target, to owners and managers who see it."""

from __future__ import annotations

import pytest

from tenantpilot.alerts.choices import AlertKind
from tenantpilot.alerts.models import Alert, AlertSettings
from tenantpilot.authz.roles import Role
from tenantpilot.operations.choices import OperationType, RunOutcome
from tenantpilot.operations.models import Notification
from tenantpilot.operations.reasons import RunReason
from tenantpilot.operations.registry import OperationFailed, RunResult
from tenantpilot.operations.runner import run_operation
from tenantpilot.operations.services import operation_cancel, operation_start
from tests.factories import MembershipFactory, UserFactory, grant_environment

pytestmark = pytest.mark.django_db

SYNC = OperationType.INVENTORY_SYNC


def fail(run, ctx):
    raise OperationFailed(RunReason.NO_CONNECTION, "No connection.")


def partial(run, ctx):
    return RunResult(RunOutcome.PARTIALLY_SUCCEEDED, {"processed": 1}, "internal_error", "Half of it.")


def succeed(run, ctx):
    return RunResult(RunOutcome.SUCCEEDED, {"processed": 1})


def run_once(environment, handlers, handler, *, actor=None):
    handlers(SYNC, handler)
    run = operation_start(actor=actor, operation_type=SYNC, environment=environment).run
    run_operation(run.pk)
    run.refresh_from_db()
    return run


def kinds(environment=None):
    qs = Alert.objects.order_by("pk")
    if environment is not None:
        qs = qs.filter(environment=environment)
    return [a.kind for a in qs]


def test_a_scheduled_run_failing_five_times_in_a_row_alerts_once(world, handlers):
    for _ in range(5):
        assert run_once(world.a1, handlers, fail).outcome == RunOutcome.FAILED
    assert kinds() == [AlertKind.RUN_FAILED]
    # System runs used to notify no one: now the owners and managers who see a1 are told, once.
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {world.owner.username, world.members[Role.MANAGER].username}
    assert "no connection" in Notification.objects.first().body.lower()


def test_success_after_failure_alerts_recovered_once_and_partial_is_its_own_change(world, handlers):
    run_once(world.a1, handlers, fail)
    run_once(world.a1, handlers, partial)
    run_once(world.a1, handlers, partial)
    run_once(world.a1, handlers, succeed)
    run_once(world.a1, handlers, succeed)
    assert kinds() == [AlertKind.RUN_FAILED, AlertKind.RUN_PARTIAL, AlertKind.RUN_RECOVERED]


def test_successes_alone_alert_nothing(world, handlers):
    for _ in range(3):
        run_once(world.a1, handlers, succeed)
    assert kinds() == []
    assert not Notification.objects.exists()


def test_each_environment_keeps_its_own_state(world, handlers):
    run_once(world.a1, handlers, fail)
    run_once(world.a2, handlers, fail)
    run_once(world.a1, handlers, fail)
    assert kinds(world.a1) == [AlertKind.RUN_FAILED]
    assert kinds(world.a2) == [AlertKind.RUN_FAILED]


def test_the_initiator_keeps_exactly_one_notification_for_their_run(world, handlers):
    run = run_once(world.a1, handlers, fail, actor=world.owner)
    assert Notification.objects.filter(user=world.owner).count() == 1
    assert Notification.objects.get(user=world.owner).run_id == run.pk
    manager = world.members[Role.MANAGER]
    assert Notification.objects.filter(user=manager, run__isnull=True).count() == 1


def test_members_restricted_away_from_the_environment_and_lesser_roles_are_not_told(world, handlers):
    restricted_manager = UserFactory(username="rm@alpha.test")
    grant_environment(MembershipFactory(workspace=world.a, user=restricted_manager, role=Role.MANAGER), world.a2)
    run_once(world.a1, handlers, fail)
    told = set(Notification.objects.values_list("user_id", flat=True))
    assert world.restricted.pk not in told  # an owner restricted to a2
    assert restricted_manager.pk not in told
    assert world.members[Role.OPERATOR].pk not in told and world.members[Role.READONLY].pk not in told
    run_once(world.a2, handlers, fail)
    assert Notification.objects.filter(user=restricted_manager, environment=world.a2).count() == 1
    assert Notification.objects.filter(user=world.restricted, environment=world.a2).count() == 1


def test_recovery_alerts_can_be_turned_off(world, handlers):
    AlertSettings.objects.create(workspace=world.a, notify_recovery=False)
    run_once(world.a1, handlers, fail)
    run_once(world.a1, handlers, succeed)
    run_once(world.a1, handlers, fail)
    assert kinds() == [AlertKind.RUN_FAILED, AlertKind.RUN_FAILED]


def test_a_cancelled_run_changes_no_state(world, handlers):
    run_once(world.a1, handlers, fail)
    queued = operation_start(actor=world.owner, operation_type=SYNC, environment=world.a1).run
    operation_cancel(actor=world.owner, run=queued)
    run_once(world.a1, handlers, fail)
    assert kinds() == [AlertKind.RUN_FAILED]
