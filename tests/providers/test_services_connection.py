"""Connection services: explicit environment, one default, write-only credential, audited."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, transaction
from django.db import connection as db_connection

from graphsim import fixtures_catalog as fx
from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tenantpilot.providers import services
from tenantpilot.providers.choices import ConnectionHealth, ConnectionStatus
from tenantpilot.providers.models import ProviderConnection, ProviderCredential
from tests.providers.support import CANARY_SECRET, environment_for, make_certificate, secret_connection

pytestmark = pytest.mark.django_db


def _counts():
    return ProviderConnection.objects.count(), ProviderCredential.objects.count(), AuditLog.objects.count()


def _create(world, environment, **overrides):
    kwargs = {
        "actor": world.owner,
        "environment": environment,
        "display_name": "Graph",
        "entra_tenant_id": environment.tenant_id,
        "client_id": fx.GOLDEN_CLIENT_ID,
        "auth_type": "client_secret",
        "client_secret": CANARY_SECRET,
        **overrides,
    }
    return services.connection_create(**kwargs)


def test_connection_create_records_audit_without_secret(world):
    env = environment_for(world)
    connection = _create(world, env)
    assert connection.is_default and connection.health == ConnectionHealth.UNKNOWN
    row = AuditLog.objects.get(action=AuditAction.CONNECTION_CREATED)
    assert (row.workspace, row.environment, row.target_id) == (world.a, env, str(connection.pk))
    assert row.metadata["client_id"] == fx.GOLDEN_CLIENT_ID
    assert CANARY_SECRET not in str(row.metadata)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"entra_tenant_id": "not-a-guid"}, "entra_tenant_id"),
        ({"entra_tenant_id": fx.DRIFTED_TENANT_ID}, "entra_tenant_id"),
        ({"client_id": "app"}, "client_id"),
        ({"client_secret": ""}, "client_secret"),
        ({"client_secret": "   "}, "client_secret"),
        ({"display_name": " "}, "display_name"),
        ({"auth_type": "password"}, "auth_type"),
        ({"auth_type": "certificate", "certificate": b"garbage"}, "certificate"),
    ],
)
def test_connection_create_refuses_bad_input_and_writes_nothing(world, overrides, field):
    env = environment_for(world)
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        _create(world, env, **overrides)
    assert exc.value.field == field
    assert CANARY_SECRET not in exc.value.message
    assert _counts() == before


def test_connection_create_authorizes_from_the_environment(world):
    env = environment_for(world)
    before = _counts()
    with pytest.raises(Forbidden):
        _create(world, env, actor=world.members[Role.OPERATOR])
    with pytest.raises(NotFound):
        _create(world, env, actor=world.other)
    with pytest.raises(NotFound):
        _create(world, env, actor=world.restricted)
    assert _counts() == before


def test_archived_environment_takes_no_new_connection(world):
    env = environment_for(world)
    from tenantpilot.tenancy.services import environment_set_archived

    environment_set_archived(actor=world.owner, environment=env, archived=True)
    env.refresh_from_db()
    with pytest.raises(Conflict):
        _create(world, env)


def test_certificate_connection_stores_thumbprint_and_expiry(world):
    bundle, _, thumbprint = make_certificate()
    connection = _create(world, environment_for(world), auth_type="certificate", client_secret=None, certificate=bundle)
    credential = ProviderCredential.objects.get(connection=connection)
    assert credential.certificate_thumbprint == thumbprint and credential.certificate_expires_at is not None
    assert AuditLog.objects.get(action=AuditAction.CONNECTION_CREATED).metadata["certificate_thumbprint"] == thumbprint


def test_exactly_one_default_while_connections_exist(world):
    env = environment_for(world)
    first = _create(world, env, display_name="First")
    second = _create(world, env, display_name="Second")
    third = _create(world, env, display_name="Third")
    assert [c.is_default for c in (first, second, third)] == [True, False, False]
    services.connection_set_default(actor=world.owner, connection=second)
    assert list(ProviderConnection.objects.filter(is_default=True)) == [second]
    row = AuditLog.objects.get(action=AuditAction.CONNECTION_DEFAULT_CHANGED)
    assert row.metadata["previous_default_id"] == first.pk
    services.connection_delete(actor=world.owner, connection=second)
    assert list(ProviderConnection.objects.filter(is_default=True).values_list("pk", flat=True)) == [first.pk]
    services.connection_delete(actor=world.owner, connection=first)
    services.connection_delete(actor=world.owner, connection=third)
    assert not ProviderConnection.objects.exists() and not ProviderCredential.objects.exists()


def test_database_refuses_a_second_default(world):
    env = environment_for(world)
    _create(world, env)
    other = _create(world, env, display_name="Second")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProviderConnection.objects.filter(pk=other.pk).update(is_default=True)


def test_deleting_the_default_prefers_an_enabled_successor(world):
    env = environment_for(world)
    first = _create(world, env, display_name="A")
    disabled = _create(world, env, display_name="B")
    enabled = _create(world, env, display_name="C")
    services.connection_set_enabled(actor=world.owner, connection=disabled, enabled=False)
    services.connection_delete(actor=world.owner, connection=first)
    assert ProviderConnection.objects.get(is_default=True) == enabled


def test_replace_credential_is_write_only_and_resets_health(world):
    connection = secret_connection(world)
    services.connection_record_health(
        connection=connection, health="healthy", reason_code="", message="", permissions={}
    )
    services.connection_replace_credential(
        actor=world.owner, connection=connection, auth_type="client_secret", client_secret=CANARY_SECRET
    )
    connection.refresh_from_db()
    assert connection.health == ConnectionHealth.UNKNOWN
    row = AuditLog.objects.get(action=AuditAction.CONNECTION_CREDENTIAL_REPLACED)
    assert CANARY_SECRET not in str(row.metadata)
    with pytest.raises(ValidationFailed) as exc:
        services.connection_replace_credential(
            actor=world.owner, connection=connection, auth_type="client_secret", client_secret=""
        )
    assert exc.value.field == "client_secret"


def test_enable_disable_and_idempotence(world):
    connection = secret_connection(world)
    services.connection_set_enabled(actor=world.owner, connection=connection, enabled=False)
    assert ProviderConnection.objects.get(pk=connection.pk).status == ConnectionStatus.DISABLED
    with pytest.raises(Conflict):
        services.connection_set_enabled(actor=world.owner, connection=connection, enabled=False)
    services.connection_set_enabled(actor=world.owner, connection=connection, enabled=True)
    actions = list(
        AuditLog.objects.filter(action__startswith="provider_connection.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == [AuditAction.CONNECTION_DISABLED, AuditAction.CONNECTION_ENABLED]


def test_update_renames_and_refuses_duplicates(world):
    env = environment_for(world)
    first = _create(world, env, display_name="A")
    _create(world, env, display_name="B")
    with pytest.raises(ValidationFailed) as exc:
        services.connection_update(actor=world.owner, connection=first, display_name="B", client_id=first.client_id)
    assert exc.value.field == "display_name"
    services.connection_update(actor=world.owner, connection=first, display_name="Renamed", client_id=first.client_id)
    assert AuditLog.objects.get(action=AuditAction.CONNECTION_UPDATED).metadata["changed_fields"] == ["display_name"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_set_default_keeps_exactly_one_default_on_postgres(world):
    env = environment_for(world)
    connections = [_create(world, env, display_name=f"C{i}") for i in range(6)]
    errors: list[BaseException] = []

    def promote(target):
        try:
            services.connection_set_default(actor=world.owner, connection=target)
        except BaseException as exc:
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=promote, args=(c,)) for c in connections]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert ProviderConnection.objects.filter(environment=env, is_default=True).count() == 1
