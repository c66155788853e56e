"""A connection targets its environment's tenant: at creation, and in every health check."""

from __future__ import annotations

import uuid

import pytest

from tenantpilot.core.errors import ValidationFailed
from tenantpilot.operations.reasons import RunReason
from tenantpilot.providers import services
from tenantpilot.providers.choices import ConnectionHealth
from tenantpilot.providers.health import check_connection
from tenantpilot.providers.models import ProviderConnection
from tenantpilot.tenancy.models import ManagedEnvironment
from tests.providers.support import environment_for, secret_connection

pytestmark = pytest.mark.django_db


def test_health_check_compares_with_the_environments_tenant_id(world, graph_settings):
    connection = secret_connection(world)
    # A row left from before the tenant-change guard: the environment now names another customer.
    ManagedEnvironment.objects.filter(pk=connection.environment_id).update(tenant_id=str(uuid.uuid4()))
    connection = ProviderConnection.objects.select_related("environment").get(pk=connection.pk)
    report = check_connection(connection)
    assert (report.health, report.reason_code) == (ConnectionHealth.UNHEALTHY, RunReason.TENANT_MISMATCH.value)
    assert "different tenant than its environment" in report.message


def test_connection_create_checks_the_tenant_under_the_environment_lock(world, graph_settings):
    environment = environment_for(world)
    stale = ManagedEnvironment.objects.get(pk=environment.pk)
    ManagedEnvironment.objects.filter(pk=environment.pk).update(tenant_id=str(uuid.uuid4()))
    with pytest.raises(ValidationFailed) as exc:
        # The caller's copy still shows the old tenant id, which the connection names.
        secret_connection(world, stale)
    assert exc.value.field == "entra_tenant_id"
    assert not ProviderConnection.objects.exists()


def test_connection_create_refuses_another_tenant_id(world):
    environment = environment_for(world)
    with pytest.raises(ValidationFailed) as exc:
        services.connection_create(
            actor=world.owner,
            environment=environment,
            display_name="Other",
            entra_tenant_id=str(uuid.uuid4()),
            client_id=str(uuid.uuid4()),
            auth_type="client_secret",
            client_secret="s3cret-value",
        )
    assert exc.value.field == "entra_tenant_id"
