"""The start gate: a new run is audited and enqueued after commit; dedupe; scope busy; bad input."""

from __future__ import annotations

import pytest

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.core.errors import Conflict, ValidationFailed
from tenantpilot.operations.choices import OperationType, RunOutcome, RunStatus
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.services import ScopeBusy, StartResult, operation_start
from tenantpilot.providers.models import ProviderConnection
from tests.operations.conftest import succeed

pytestmark = pytest.mark.django_db

CANARY = "canary-Secret-6f1e2d"


def _connection(environment, name="Main"):
    return ProviderConnection.objects.create(
        workspace=environment.workspace,
        environment=environment,
        display_name=name,
        entra_tenant_id=environment.tenant_id,
        client_id="11111111-2222-3333-4444-555555555555",
        auth_type="client_secret",
    )


def _counts():
    return OperationRun.objects.count(), AuditLog.objects.count()


def test_start_creates_a_queued_run_with_scope_and_audit_row(world):
    connection = _connection(world.a1)
    result = operation_start(
        actor=world.owner,
        operation_type=OperationType.PROVIDER_HEALTH_CHECK,
        environment=world.a1,
        connection=connection,
        context={"trigger": "console"},
    )
    assert isinstance(result, StartResult) and result.deduped is False
    run = OperationRun.objects.get()
    assert (run.status, run.outcome, run.type) == (RunStatus.QUEUED, RunOutcome.PENDING, "provider.health_check")
    assert (run.workspace, run.environment, run.connection, run.initiator) == (
        world.a,
        world.a1,
        connection,
        world.owner,
    )
    assert run.scope_key == f"env:{world.a1.pk}"
    assert run.context == {"trigger": "console"}
    row = AuditLog.objects.get(action=AuditAction.OPERATION_STARTED)
    assert (row.actor, row.workspace, row.environment, row.target_id) == (world.owner, world.a, world.a1, str(run.pk))
    assert row.metadata["operation_type"] == "provider.health_check"


def test_same_operation_on_a_busy_scope_returns_the_active_run_and_writes_nothing(world):
    first = operation_start(actor=world.owner, operation_type=OperationType.INVENTORY_SYNC, environment=world.a1)
    before = _counts()
    again = operation_start(
        actor=world.members["operator"], operation_type=OperationType.INVENTORY_SYNC, environment=world.a1
    )
    assert again.deduped is True and again.run.pk == first.run.pk
    assert _counts() == before


def test_other_operation_on_a_busy_scope_is_refused_naming_and_linking_the_active_run(world):
    first = operation_start(actor=world.owner, operation_type=OperationType.INVENTORY_SYNC, environment=world.a1)
    before = _counts()
    with pytest.raises(ScopeBusy) as exc:
        operation_start(actor=world.owner, operation_type=OperationType.BASELINE_COMPARE, environment=world.a1)
    assert isinstance(exc.value, Conflict)
    assert exc.value.active_run.pk == first.run.pk
    assert f"#{first.run.pk}" in exc.value.message and "Inventory sync" in exc.value.message
    assert exc.value.active_run_url == f"/w/{world.a.slug}/operations/{first.run.pk}/"
    assert _counts() == before


def test_scopes_are_per_environment_and_workspace_runs_have_their_own(world):
    operation_start(actor=world.owner, operation_type=OperationType.INVENTORY_SYNC, environment=world.a1)
    other_env = operation_start(actor=world.owner, operation_type=OperationType.BASELINE_COMPARE, environment=world.a2)
    ws_run = operation_start(
        actor=None, operation_type=OperationType.BASELINE_CAPTURE, environment=None, workspace=world.a
    )
    assert other_env.deduped is False and ws_run.deduped is False
    assert ws_run.run.scope_key == f"ws:{world.a.pk}" and ws_run.run.environment is None
    assert ws_run.run.initiator is None and ws_run.run.initiator_label == "system"
    assert OperationRun.objects.active().count() == 3


def test_a_finished_run_frees_the_scope(world, django_capture_on_commit_callbacks, handlers):
    handlers(OperationType.INVENTORY_SYNC, succeed)
    with django_capture_on_commit_callbacks(execute=True):
        first = operation_start(actor=world.owner, operation_type=OperationType.INVENTORY_SYNC, environment=world.a1)
    first.run.refresh_from_db()
    assert first.run.status == RunStatus.COMPLETED
    second = operation_start(actor=world.owner, operation_type=OperationType.BASELINE_COMPARE, environment=world.a1)
    assert second.deduped is False and second.run.pk != first.run.pk


def test_enqueue_happens_only_after_commit(world, django_capture_on_commit_callbacks, handlers):
    calls = []

    def record(run, ctx):
        calls.append(run.pk)
        return succeed(run, ctx)

    handlers(OperationType.INVENTORY_SYNC, record)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = operation_start(actor=world.owner, operation_type=OperationType.INVENTORY_SYNC, environment=world.a1)
    assert calls == [] and len(callbacks) == 1  # nothing ran inside the transaction
    callbacks[0]()
    assert calls == [result.run.pk]
    result.run.refresh_from_db()
    assert result.run.outcome == RunOutcome.SUCCEEDED and result.run.task_id


def test_context_is_redacted(world):
    result = operation_start(
        actor=world.owner,
        operation_type=OperationType.INVENTORY_SYNC,
        environment=world.a1,
        context={"client_secret": CANARY, "nested": {"access_token": CANARY, "page": 2}, "note": CANARY},
    )
    stored = OperationRun.objects.filter(pk=result.run.pk).values_list("context", flat=True).get()
    assert CANARY not in str(stored)
    assert stored["nested"] == {"page": 2}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"operation_type": "inventory.explode"}, "operation_type"),
        ({"environment": None}, "environment"),
        ({"workspace": "b"}, "workspace"),
        ({"connection": "a2"}, "connection"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(world, kwargs, field):
    args = {"actor": world.owner, "operation_type": OperationType.INVENTORY_SYNC, "environment": world.a1}
    if kwargs.get("workspace") == "b":
        kwargs = {"workspace": world.b}
    if kwargs.get("connection") == "a2":
        kwargs = {"connection": _connection(world.a2)}
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        operation_start(**{**args, **kwargs})
    assert exc.value.field == field
    assert _counts() == before
