"""The run state machine: the legal transitions, and every illegal one refused by the service."""

from __future__ import annotations

import itertools

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tenantpilot.operations.choices import LEGAL_TRANSITIONS, RunOutcome, RunStatus, is_legal_transition
from tenantpilot.operations.models import Notification, OperationRun
from tenantpilot.operations.services import IllegalTransition, OperationRunService

# Every reachable state of a run: (status, outcome) pairs the check constraint allows.
STATES = [(RunStatus.QUEUED, RunOutcome.PENDING), (RunStatus.RUNNING, RunOutcome.PENDING)] + [
    (RunStatus.COMPLETED, o) for o in RunOutcome if o != RunOutcome.PENDING
]
TARGETS = list(itertools.product(RunStatus, RunOutcome))
LEGAL = {
    (RunStatus.QUEUED, RunStatus.RUNNING, RunOutcome.PENDING),
    (RunStatus.QUEUED, RunStatus.COMPLETED, RunOutcome.FAILED),
    (RunStatus.QUEUED, RunStatus.COMPLETED, RunOutcome.CANCELLED),
    *((RunStatus.RUNNING, RunStatus.COMPLETED, o) for o in RunOutcome if o != RunOutcome.PENDING),
}
ILLEGAL = [(fs, fo, ts, to) for (fs, fo), (ts, to) in itertools.product(STATES, TARGETS) if (fs, ts, to) not in LEGAL]


def test_the_legal_table_is_exactly_the_documented_one():
    table = {(f, t, o) for (f, t), outcomes in LEGAL_TRANSITIONS.items() for o in outcomes}
    assert table == LEGAL


@pytest.mark.parametrize(("from_status", "to_status", "to_outcome"), sorted(LEGAL))
def test_legal_transitions_are_allowed(from_status, to_status, to_outcome):
    assert is_legal_transition(from_status, to_status, to_outcome)


def test_unknown_values_are_never_legal():
    assert not is_legal_transition("queued", "running", "bogus")
    assert not is_legal_transition("paused", "running", "pending")


def _run_in(world, status, outcome, user=None):
    now = timezone.now()
    done = status == RunStatus.COMPLETED
    return OperationRun.objects.create(
        workspace=world.a,
        environment=world.a1,
        type="inventory.sync",
        # A completed run keeps its scope key; active ones need a scope of their own.
        scope_key=f"env:{world.a1.pk}",
        status=status,
        outcome=outcome,
        initiator=user,
        initiator_label="t",
        started_at=now if status != RunStatus.QUEUED else None,
        finished_at=now if done else None,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("from_status", "from_outcome", "to_status", "to_outcome"), ILLEGAL, ids=lambda v: str(v.value)
)
def test_service_refuses_every_illegal_transition_and_changes_nothing(
    world, from_status, from_outcome, to_status, to_outcome
):
    run = _run_in(world, from_status, from_outcome, user=world.owner)
    before = OperationRun.objects.filter(pk=run.pk).values().get()
    with pytest.raises(IllegalTransition):
        OperationRunService.transition(run.pk, to_status=to_status, to_outcome=to_outcome, reason_code="internal_error")
    assert OperationRun.objects.filter(pk=run.pk).values().get() == before
    assert not Notification.objects.filter(run=run).exists()


@pytest.mark.django_db
def test_failed_without_reason_is_refused(world):
    run = _run_in(world, RunStatus.RUNNING, RunOutcome.PENDING)
    from tenantpilot.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        OperationRunService.transition(run.pk, to_status=RunStatus.COMPLETED, to_outcome=RunOutcome.FAILED)
    assert exc.value.field == "reason_code"
    with pytest.raises(ValidationFailed) as exc:
        OperationRunService.fail(run.pk, reason_code="not_a_code")
    assert exc.value.field == "reason_code"
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


@pytest.mark.django_db
def test_database_refuses_an_outcome_that_contradicts_the_status(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        OperationRun.objects.create(
            workspace=world.a,
            environment=world.a1,
            type="inventory.sync",
            scope_key="env:x",
            status=RunStatus.RUNNING,
            outcome=RunOutcome.SUCCEEDED,
            initiator_label="t",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        OperationRun.objects.create(
            workspace=world.a,
            environment=world.a1,
            type="inventory.sync",
            scope_key="env:y",
            status=RunStatus.COMPLETED,
            outcome=RunOutcome.PENDING,
            initiator_label="t",
            finished_at=timezone.now(),
        )


@pytest.mark.django_db
def test_database_refuses_a_second_active_run_on_one_scope(world):
    _run_in(world, RunStatus.QUEUED, RunOutcome.PENDING)
    with pytest.raises(IntegrityError), transaction.atomic():
        _run_in(world, RunStatus.RUNNING, RunOutcome.PENDING)
    # Finished runs do not occupy the scope.
    _run_in(world, RunStatus.COMPLETED, RunOutcome.SUCCEEDED)
    assert OperationRun.objects.count() == 2
