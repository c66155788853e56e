"""Dedupe compares the operation's target too: a check of connection B never returns A's check."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenantpilot.operations.choices import OperationType, RunStatus
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.services import ScopeBusy, operation_start
from tenantpilot.providers import services as provider_services
from tests.providers.support import environment_for, secret_connection

pytestmark = pytest.mark.django_db
CHECK = OperationType.PROVIDER_HEALTH_CHECK


def _two_connections(world):
    environment = environment_for(world)
    a = secret_connection(world, environment, name="A")
    b = secret_connection(world, environment, name="B")
    return environment, a, b


def test_a_check_of_the_same_connection_dedupes_to_the_active_check(world):
    _, a, _ = _two_connections(world)
    first = provider_services.connection_check_start(actor=world.owner, connection=a)
    again = provider_services.connection_check_start(actor=world.members["operator"], connection=a)
    assert again.deduped is True and again.run.pk == first.run.pk
    assert OperationRun.objects.count() == 1


def test_a_check_of_another_connection_is_scope_busy_naming_the_running_check(world):
    _, a, b = _two_connections(world)
    first = provider_services.connection_check_start(actor=world.owner, connection=a).run
    with pytest.raises(ScopeBusy) as exc:
        provider_services.connection_check_start(actor=world.owner, connection=b)
    busy = exc.value
    assert busy.active_run.pk == first.pk and busy.active_run.connection_id == a.pk
    assert f"#{first.pk}" in busy.message and "“A”" in busy.message
    assert busy.message.count("Wait for it to finish") == 1
    assert OperationRun.objects.count() == 1  # B's check was not silently folded into A's


def test_check_of_b_can_start_once_a_is_finished(world):
    from tenantpilot.operations.services import OperationRunService

    _, a, b = _two_connections(world)
    first = provider_services.connection_check_start(actor=world.owner, connection=a).run
    OperationRunService.cancel(first.pk)
    second = provider_services.connection_check_start(actor=world.owner, connection=b)
    assert second.deduped is False and second.run.connection_id == b.pk and second.run.status == RunStatus.QUEUED


def test_same_type_without_a_connection_still_dedupes(world):
    first = operation_start(actor=world.owner, operation_type=OperationType.BASELINE_COMPARE, environment=world.a1)
    again = operation_start(actor=world.owner, operation_type=OperationType.BASELINE_COMPARE, environment=world.a1)
    assert again.deduped is True and again.run.pk == first.run.pk


def test_same_type_on_another_connection_is_refused_for_any_operation(world):
    environment, a, b = _two_connections(world)
    operation_start(
        actor=world.owner, operation_type=OperationType.INVENTORY_SYNC, environment=environment, connection=a
    )
    with pytest.raises(ScopeBusy):
        operation_start(
            actor=world.owner, operation_type=OperationType.INVENTORY_SYNC, environment=environment, connection=b
        )


def test_console_check_of_b_while_a_runs_says_busy_once_and_links_the_active_run(client, world):
    environment, a, b = _two_connections(world)
    first = provider_services.connection_check_start(actor=world.owner, connection=a).run
    client.force_login(world.members["operator"])
    check_b = reverse(
        "console:connection-check",
        kwargs={"workspace": world.a.slug, "environment_id": environment.pk, "connection_id": b.pk},
    )
    response = client.post(check_b)
    assert response.status_code == 302 and response["Location"].endswith(f"/operations/{first.pk}/")
    body = client.get(response["Location"]).content.decode()
    assert "Scope busy" in body and "Wait for it to finish" in body
    assert body.count("Wait for it to finish") == 1
    assert OperationRun.objects.count() == 1
