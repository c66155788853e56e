"""A credential the key ring can no longer open: a registered reason and an actionable message,
recorded on the connection by a health check, and never an internal error for any run."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet

from tenantpilot.inventory.services import compliance_snapshot_start, inventory_sync_start
from tenantpilot.operations.models import OperationRun
from tenantpilot.providers import services
from tenantpilot.providers.choices import ConnectionHealth
from tenantpilot.providers.credentials import UNDECRYPTABLE_MESSAGE, CredentialUnavailable, credential_material
from tenantpilot.providers.health import check_connection
from tenantpilot.providers.models import ProviderCredential
from tests.providers.support import CANARY_SECRET, secret_connection

pytestmark = pytest.mark.django_db
REASON = "credential_unavailable"


@pytest.fixture
def lost_key(settings, tmp_path, graph_settings):
    """Connections are created with the key file's key; ``lose()`` swaps the ring for a foreign key."""
    settings.VAR_DIR = tmp_path
    settings.TENANTPILOT_CREDENTIAL_KEYS = ""

    def lose() -> None:
        from tenantpilot.providers.gateway import clear_token_cache

        settings.TENANTPILOT_CREDENTIAL_KEYS = Fernet.generate_key().decode()
        clear_token_cache()  # a fresh worker: nothing decrypted is cached

    return lose


def test_the_check_reports_credential_unavailable_without_any_call(world, lost_key, simulator):
    connection = secret_connection(world, secret=CANARY_SECRET)
    lost_key()
    simulator.clear_requests()
    report = check_connection(connection)
    assert report.health == ConnectionHealth.UNHEALTHY
    assert report.reason_code == REASON
    assert report.message == UNDECRYPTABLE_MESSAGE
    assert "restore the key or enter the secret again" in report.message
    assert simulator.requests == []  # nothing was sent to Microsoft


def test_the_health_check_run_fails_with_the_reason_and_marks_the_connection_unhealthy(
    world, lost_key, django_capture_on_commit_callbacks, caplog
):
    connection = secret_connection(world, secret=CANARY_SECRET)
    lost_key()
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        services.connection_check_start(actor=world.owner, connection=connection)
    run = OperationRun.objects.get()
    assert (run.status, run.outcome, run.reason_code) == ("completed", "failed", REASON)
    assert run.message == UNDECRYPTABLE_MESSAGE
    connection.refresh_from_db()
    assert connection.health == ConnectionHealth.UNHEALTHY
    assert connection.last_reason_code == REASON and connection.last_message == UNDECRYPTABLE_MESSAGE
    assert connection.last_checked_at is not None
    assert CANARY_SECRET not in caplog.text


def test_the_connection_page_shows_the_actionable_finding(world, lost_key, client, django_capture_on_commit_callbacks):
    from django.urls import reverse

    connection = secret_connection(world, secret=CANARY_SECRET)
    lost_key()
    with django_capture_on_commit_callbacks(execute=True):
        services.connection_check_start(actor=world.owner, connection=connection)
    client.force_login(world.owner)
    page = client.get(
        reverse(
            "console:connection-detail",
            kwargs={
                "workspace": world.a.slug,
                "environment_id": connection.environment_id,
                "connection_id": connection.pk,
            },
        )
    ).content.decode()
    assert REASON in page and "restore the key or enter the secret again" in page
    assert CANARY_SECRET not in page


@pytest.mark.parametrize("start", [inventory_sync_start, compliance_snapshot_start], ids=["inventory", "compliance"])
def test_any_run_that_loads_the_credential_fails_with_the_reason_not_internal_error(
    world, lost_key, django_capture_on_commit_callbacks, start
):
    connection = secret_connection(world, secret=CANARY_SECRET)
    lost_key()
    with django_capture_on_commit_callbacks(execute=True):
        start(actor=world.owner, environment=connection.environment)
    run = OperationRun.objects.get()
    assert (run.outcome, run.reason_code) == ("failed", REASON)
    assert "restore the key" in run.message


def test_a_corrupted_credential_document_is_unavailable_not_a_crash(world, settings, tmp_path):
    from tenantpilot.providers.credentials import key_ring

    settings.VAR_DIR = tmp_path
    settings.TENANTPILOT_CREDENTIAL_KEYS = ""
    connection = secret_connection(world, secret=CANARY_SECRET)
    ProviderCredential.objects.filter(connection=connection).update(
        ciphertext=key_ring().encrypt(b'{"kind": "certificate", "private_key_pem": "x"}').decode()
    )
    with pytest.raises(CredentialUnavailable) as exc:
        credential_material(connection)
    assert exc.value.reason_code == REASON and "enter the secret again" in str(exc.value)


def test_a_missing_credential_row_is_unavailable(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.TENANTPILOT_CREDENTIAL_KEYS = ""
    connection = secret_connection(world)
    ProviderCredential.objects.filter(connection=connection).delete()
    with pytest.raises(CredentialUnavailable) as exc:
        credential_material(connection)
    assert exc.value.reason_code == REASON
