"""Any run that cannot open the stored credential — not only the health check — marks the
connection unhealthy with ``credential_unavailable`` and the actionable message (once, audited
once), and the run fails with that reason, never ``internal_error``."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from tenantpilot.audit.models import AuditLog
from tenantpilot.inventory.services import inventory_sync_start
from tenantpilot.operations.models import OperationRun
from tenantpilot.providers.choices import ConnectionHealth
from tenantpilot.providers.credentials import UNDECRYPTABLE_MESSAGE
from tenantpilot.providers.gateway import clear_token_cache
from tests.providers.support import CANARY_SECRET, secret_connection

pytestmark = pytest.mark.django_db
REASON = "credential_unavailable"


def test_an_inventory_sync_with_a_lost_key_marks_the_connection_unhealthy(
    world, settings, tmp_path, graph_settings, django_capture_on_commit_callbacks
):
    settings.VAR_DIR = tmp_path
    settings.TENANTPILOT_CREDENTIAL_KEYS = ""
    connection = secret_connection(world, secret=CANARY_SECRET)
    # The key ring loses the key the secret was sealed with (e.g. a new host without the old key).
    settings.TENANTPILOT_CREDENTIAL_KEYS = Fernet.generate_key().decode()
    clear_token_cache()
    for _ in range(2):  # a second failing run in a row changes nothing more
        with django_capture_on_commit_callbacks(execute=True):
            inventory_sync_start(actor=world.owner, environment=connection.environment)
    runs = list(OperationRun.objects.order_by("pk"))
    assert [(r.outcome, r.reason_code) for r in runs] == [("failed", REASON), ("failed", REASON)]
    assert all(r.message == UNDECRYPTABLE_MESSAGE for r in runs)
    connection.refresh_from_db()
    assert connection.health == ConnectionHealth.UNHEALTHY
    assert (connection.last_reason_code, connection.last_message) == (REASON, UNDECRYPTABLE_MESSAGE)
    recorded = AuditLog.objects.filter(action="provider_connection.health_recorded")
    assert recorded.count() == 1
    assert CANARY_SECRET not in str(list(recorded.values()))
