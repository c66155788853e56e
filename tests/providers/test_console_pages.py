"""Connection pages: explicit environment, field errors, no secret ever rendered, no Graph call."""

from __future__ import annotations

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from graphsim import fixtures_catalog as fx
from tenantpilot.audit.models import AuditLog
from tenantpilot.operations.choices import OperationType, RunStatus
from tenantpilot.operations.models import OperationRun
from tenantpilot.providers.models import ProviderConnection
from tests.providers.support import CANARY_SECRET, environment_for, make_certificate, secret_connection

pytestmark = pytest.mark.django_db


def url(name, world, env, **kwargs):
    return reverse(name, kwargs={"workspace": world.a.slug, "environment_id": env.pk, **kwargs})


def _post_create(client, world, env, **overrides):
    data = {
        "display_name": "Graph",
        "entra_tenant_id": env.tenant_id,
        "client_id": fx.GOLDEN_CLIENT_ID,
        "auth_type": "client_secret",
        "client_secret": CANARY_SECRET,
        **overrides,
    }
    return client.post(url("console:connection-create", world, env), data)


def test_create_prefills_the_environments_tenant_and_saves(client, world):
    env = environment_for(world)
    client.force_login(world.owner)
    assert env.tenant_id in client.get(url("console:connection-create", world, env)).content.decode()
    response = _post_create(client, world, env)
    connection = ProviderConnection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("console:connection-detail", world, env, connection_id=connection.pk)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"entra_tenant_id": fx.DRIFTED_TENANT_ID}, "not the environment&#x27;s tenant id"),
        ({"client_id": "nope"}, "application (client) id as a GUID"),
        ({"client_secret": ""}, "Enter the client secret"),
        ({"auth_type": "certificate"}, "Upload a PEM file"),
    ],
)
def test_create_errors_name_the_field_never_echo_the_secret_and_write_nothing(client, world, overrides, message):
    env = environment_for(world)
    client.force_login(world.owner)
    before = (ProviderConnection.objects.count(), AuditLog.objects.count())
    response = _post_create(client, world, env, **overrides)
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert CANARY_SECRET not in body
    assert (ProviderConnection.objects.count(), AuditLog.objects.count()) == before


def test_certificate_upload_creates_a_certificate_connection(client, world):
    env = environment_for(world)
    bundle, _, thumbprint = make_certificate()
    client.force_login(world.owner)
    response = client.post(
        url("console:connection-create", world, env),
        {
            "display_name": "Cert",
            "entra_tenant_id": env.tenant_id,
            "client_id": fx.GOLDEN_CLIENT_ID,
            "auth_type": "certificate",
            "certificate": SimpleUploadedFile("app.pem", bundle, content_type="application/x-pem-file"),
        },
    )
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert thumbprint in detail
    assert "PRIVATE KEY" not in detail


def test_a_remembered_environment_cannot_stand_in_for_an_explicit_one(client, world):
    env = environment_for(world)
    client.force_login(world.restricted)
    session = client.session
    session["environment_id"] = env.pk
    session.save()
    assert client.get(url("console:connection-create", world, env)).status_code == 404
    assert _post_create(client, world, env).status_code == 404
    assert not ProviderConnection.objects.exists()


def test_connection_of_another_environment_is_not_found_through_this_environment(client, world):
    connection = secret_connection(world)
    client.force_login(world.owner)
    response = client.get(url("console:connection-detail", world, world.a1, connection_id=connection.pk))
    assert response.status_code == 404


def test_check_only_enqueues_and_renders_without_any_outbound_call(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    connection = secret_connection(world)
    client.force_login(world.members["operator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("console:connection-check", world, connection.environment, connection_id=connection.pk)
        )
    run = OperationRun.objects.get()
    assert (run.type, run.status) == (OperationType.PROVIDER_HEALTH_CHECK, RunStatus.QUEUED)
    assert response.status_code == 302 and response["Location"].endswith(f"/operations/{run.pk}/")
    assert client.get(response["Location"]).status_code == 200
    again = client.post(url("console:connection-check", world, connection.environment, connection_id=connection.pk))
    assert again["Location"] == response["Location"]
    assert OperationRun.objects.count() == 1


def test_disabled_connection_cannot_be_checked(client, world):
    from tenantpilot.providers import services

    connection = secret_connection(world)
    services.connection_set_enabled(actor=world.owner, connection=connection, enabled=False)
    client.force_login(world.owner)
    response = client.post(
        url("console:connection-check", world, connection.environment, connection_id=connection.pk), follow=True
    )
    assert "disabled" in response.content.decode()
    assert not OperationRun.objects.exists()


def test_canary_secret_never_appears_in_pages_audit_runs_or_logs(
    client, world, graph_settings, caplog, django_capture_on_commit_callbacks
):
    """Create with a canary secret, check the connection (it fails: wrong secret), then sweep."""
    caplog.set_level(logging.DEBUG)
    env = environment_for(world)
    client.force_login(world.owner)
    _post_create(client, world, env)
    connection = ProviderConnection.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("console:connection-check", world, env, connection_id=connection.pk))
    run = OperationRun.objects.get()
    assert run.reason_code == "auth_invalid_secret"
    pages = [
        url("console:connections", world, env),
        url("console:connection-detail", world, env, connection_id=connection.pk),
        url("console:connection-edit", world, env, connection_id=connection.pk),
        url("console:connection-credential", world, env, connection_id=connection.pk),
        reverse("console:audit", kwargs={"workspace": world.a.slug}),
        reverse("console:operations", kwargs={"workspace": world.a.slug}),
        reverse("console:operation-detail", kwargs={"workspace": world.a.slug, "run_id": run.pk}),
        reverse("console:notifications", kwargs={"workspace": world.a.slug}),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert CANARY_SECRET not in response.content.decode(), page
    stored = [
        str(list(AuditLog.objects.values())),
        str(list(OperationRun.objects.values())),
        str(list(ProviderConnection.objects.values())),
    ]
    assert all(CANARY_SECRET not in text for text in stored)
    assert all(
        CANARY_SECRET not in record.getMessage() and CANARY_SECRET not in str(record.args) for record in caplog.records
    )


def test_connection_list_query_count_is_independent_of_row_count(client, world):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from tests.providers.support import make_certificate

    env = environment_for(world)
    client.force_login(world.owner)
    target = url("console:connections", world, env)

    def add(n, start):
        for i in range(start, start + n):
            if i % 2:
                secret_connection(world, env, name=f"Secret {i}")
            else:
                from tenantpilot.providers import services

                services.connection_create(
                    actor=world.owner,
                    environment=env,
                    display_name=f"Cert {i}",
                    entra_tenant_id=env.tenant_id,
                    client_id=fx.GOLDEN_CLIENT_ID,
                    auth_type="certificate",
                    certificate=make_certificate()[0],
                )

    def count():
        with CaptureQueriesContext(db) as ctx:
            assert client.get(target).status_code == 200
        return len(ctx.captured_queries)

    add(2, 0)
    few = count()
    add(10, 2)
    assert count() == few
