"""The key-rotation audit row says how many credentials were re-encrypted (it used to be empty)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tests.providers.support import CANARY_SECRET, secret_connection

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_key_file(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.TENANTPILOT_CREDENTIAL_KEYS = ""


def test_rotation_audit_row_counts_the_reencrypted_credentials_per_workspace(world):
    secret_connection(world, secret=CANARY_SECRET)
    call_command("rotate-credential-key", stdout=StringIO())
    row = AuditLog.objects.get(action=AuditAction.CREDENTIAL_KEYS_ROTATED)
    assert row.workspace == world.a
    assert row.metadata == {"reencrypted_count": 1}
    assert CANARY_SECRET not in str(row.metadata)
