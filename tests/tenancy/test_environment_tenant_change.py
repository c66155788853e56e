"""An environment's tenant id never changes under its connections, inventory or bindings."""

from __future__ import annotations

import uuid

import pytest

from graphsim import fixtures_catalog as fx
from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.core.errors import ValidationFailed
from tenantpilot.tenancy import services
from tenantpilot.tenancy.models import ManagedEnvironment
from tests.baselines import factories as f
from tests.providers.support import environment_for, secret_connection

pytestmark = pytest.mark.django_db


def _refused_change(world, environment):
    before = (ManagedEnvironment.objects.get(pk=environment.pk).tenant_id, AuditLog.objects.count())
    with pytest.raises(ValidationFailed) as exc:
        services.environment_update(actor=world.owner, environment=environment, tenant_id=str(uuid.uuid4()))
    assert exc.value.field == "tenant_id"
    assert "Archive this environment and create a new one" in exc.value.message
    assert (ManagedEnvironment.objects.get(pk=environment.pk).tenant_id, AuditLog.objects.count()) == before
    return exc.value.message


def test_tenant_change_is_refused_while_the_environment_has_a_connection(world):
    connection = secret_connection(world)
    message = _refused_change(world, connection.environment)
    assert "connections" in message
    connection.refresh_from_db()
    assert connection.entra_tenant_id == ManagedEnvironment.objects.get(pk=connection.environment_id).tenant_id


def test_tenant_change_is_refused_while_the_environment_has_inventory(world):
    environment = environment_for(world)
    f.inventory_item(environment)
    assert "inventory" in _refused_change(world, environment)


def test_other_fields_still_change_while_data_exists(world):
    connection = secret_connection(world)
    updated = services.environment_update(
        actor=world.owner, environment=connection.environment, display_name="Renamed", tenant_id=fx.GOLDEN_TENANT_ID
    )
    assert updated.display_name == "Renamed" and updated.tenant_id == fx.GOLDEN_TENANT_ID
    row = AuditLog.objects.get(action=AuditAction.ENVIRONMENT_UPDATED)
    assert row.metadata["changed_fields"] == ["display_name"]


def test_an_empty_environment_may_still_correct_its_tenant_id(world):
    environment = environment_for(world)
    new = str(uuid.uuid4())
    assert services.environment_update(actor=world.owner, environment=environment, tenant_id=new).tenant_id == new
