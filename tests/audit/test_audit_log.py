"""The audit log is append-only (ORM, admin and, on PostgreSQL, the database) and redacted."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AppendOnlyError, AuditLog
from tenantpilot.audit.redaction import SECRET_KEY_PATTERN, note_digest, redact
from tenantpilot.audit.services import audit_record

CANARY = "canary-SECRET-7f3a9c"


@pytest.fixture
def row(world):
    with transaction.atomic():
        return audit_record(
            actor=world.owner,
            action=AuditAction.ENVIRONMENT_UPDATED,
            workspace=world.a,
            environment=world.a1,
            target=world.a1,
        )


@pytest.mark.django_db
def test_audit_rows_cannot_be_updated_or_deleted_through_the_orm(row):
    row.actor_label = "someone else"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(pk=row.pk).update(actor_label="x")
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(pk=row.pk).delete()
    assert AuditLog.objects.get(pk=row.pk).actor_label != "someone else"


@pytest.mark.django_db
@pytest.mark.postgres
def test_database_trigger_refuses_update_and_delete_on_postgres(row):
    for sql in ("UPDATE audit_log SET actor_label = 'x' WHERE id = %s", "DELETE FROM audit_log WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [row.pk])
    assert AuditLog.objects.filter(pk=row.pk, actor_label=row.actor_label).exists()


@pytest.mark.django_db(transaction=True)
def test_audit_record_must_run_inside_a_transaction(world):
    with pytest.raises(RuntimeError):
        audit_record(actor=world.owner, action=AuditAction.ENVIRONMENT_UPDATED, workspace=world.a, target=world.a1)


@pytest.mark.django_db
def test_audit_record_refuses_an_environment_of_another_workspace(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError), transaction.atomic():
        audit_record(
            actor=world.owner,
            action=AuditAction.ENVIRONMENT_UPDATED,
            workspace=world.a,
            environment=world.b1,
            target=world.b1,
        )
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_audit_record_redacts_secrets_and_hashes_notes(world):
    with transaction.atomic():
        row = audit_record(
            actor=world.owner,
            action=AuditAction.ENVIRONMENT_UPDATED,
            workspace=world.a,
            target=world.a1,
            metadata={
                "client_secret": CANARY,
                "nested": {"password": CANARY, "ok": 1},
                "note": "call the customer first",
                "mode": "manual",
            },
        )
    stored = AuditLog.objects.get(pk=row.pk).metadata
    assert CANARY not in str(stored)
    assert stored["note"] == note_digest("call the customer first")
    assert stored["note"]["length"] == len("call the customer first")
    assert "call the customer" not in str(stored)
    assert stored["nested"] == {"ok": 1}
    assert stored["mode"] == "manual"


def test_redact_bounds_strings_and_depth():
    out = redact({"a": "x" * 1000, "b": {"c": {"d": {"e": {"f": {"g": 1}}}}}, "when": object()})
    assert len(out["a"]) == 256
    assert "[truncated]" in str(out["b"])
    assert isinstance(out["when"], str)


@given(
    st.dictionaries(
        st.sampled_from(
            ["secret", "client_secret", "Password", "access_token", "privateKey", "assertion", "name", "id", "mode"]
        ),
        st.text(min_size=1, max_size=20),
        max_size=9,
    )
)
def test_redact_never_keeps_a_value_under_a_secret_key(metadata):
    out = redact({**metadata, "inner": dict(metadata)})
    for key in list(out) + list(out.get("inner", {})):
        assert not SECRET_KEY_PATTERN.search(key)


@pytest.mark.django_db
def test_audit_record_refuses_an_unregistered_action(world):
    from django.core.exceptions import ValidationError

    with pytest.raises((ValidationError, ValueError)), transaction.atomic():
        audit_record(actor=world.owner, action="environment.teleported", workspace=world.a, target=world.a1)  # type: ignore[arg-type]
    row = AuditLog(action="environment.teleported", actor_label="x", workspace=world.a, target_type="t", target_id="1")
    with pytest.raises(ValidationError):
        row.full_clean()
    assert not AuditLog.objects.exists()
