"""On PostgreSQL, a connection deleted while a binding is being created is a field error, never a 500."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.db import connection, transaction

from tenantpilot.core.errors import ValidationFailed
from tenantpilot.providers import services as provider_services
from tenantpilot.providers.models import ProviderConnection
from tenantpilot.resources import services
from tenantpilot.resources.models import ProviderResourceBinding
from tenantpilot.resources.selectors import inventory_item_descriptor
from tests.baselines import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
NOTE = "Confirmed with the customer (ticket 4711)."


def _wait_for_a_lock_waiter(timeout: float = 60.0) -> None:
    """Poll (a condition, not a fixed sleep) until some backend of this database waits on a row lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("no backend ever waited on the row lock")


def test_a_connection_deleted_during_binding_create_is_a_field_error(world):
    item = f.inventory_item(world.a1)
    descriptor = inventory_item_descriptor(item)
    graph = provider_services.connection_create(
        actor=world.owner,
        environment=world.a1,
        display_name="Graph",
        entra_tenant_id=world.a1.tenant_id,
        client_id=str(uuid.uuid4()),
        auth_type="client_secret",
        client_secret="binding-race-secret",
    )
    deleted, commit = threading.Event(), threading.Event()
    outcome: dict[str, BaseException | object] = {}

    def delete_connection() -> None:
        try:
            with transaction.atomic():
                # A delete that got in first (built directly: the service cannot be paused midway).
                ProviderConnection.objects.filter(pk=graph.pk).delete()
                deleted.set()
                assert commit.wait(60)
        finally:
            connection.close()

    def create_binding() -> None:
        try:
            outcome["result"] = services.binding_create_manual(
                actor=world.owner,
                environment=world.a1,
                descriptor=descriptor,
                note=NOTE,
                provider_connection_id=graph.pk,
            )
        except BaseException as exc:  # asserted on below
            outcome["result"] = exc
        finally:
            connection.close()

    deleter = threading.Thread(target=delete_connection)
    deleter.start()
    assert deleted.wait(60)
    creator = threading.Thread(target=create_binding)
    creator.start()
    _wait_for_a_lock_waiter()  # the creator now waits for the deleter's row lock
    commit.set()
    deleter.join(60)
    creator.join(60)
    error = outcome["result"]
    assert isinstance(error, ValidationFailed), error
    assert error.field == "provider_connection"
    assert not ProviderResourceBinding.objects.exists()
