"""Operator notes in audit rows: a keyed HMAC (not a guessable plain hash), verifiable with the text."""

from __future__ import annotations

import hashlib
import hmac
from io import StringIO

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.audit.redaction import HKDF_INFO, note_digest, note_matches
from tenantpilot.audit.services import audit_record, audit_verify_note
from tenantpilot.core.errors import NotFound, ValidationFailed

NOTE = "ok"  # short notes are the ones a plain hash gives away


def _row(world, metadata):
    with transaction.atomic():
        return audit_record(
            actor=world.owner,
            action=AuditAction.ENVIRONMENT_UPDATED,
            workspace=world.a,
            target=world.a1,
            metadata=metadata,
        )


def test_note_digest_is_an_hmac_under_the_configured_key(settings):
    settings.TENANTPILOT_AUDIT_HMAC_KEY = "audit-key-one"
    digest = note_digest(NOTE)
    assert digest == {
        "hmac_sha256": hmac.new(b"audit-key-one", NOTE.encode(), hashlib.sha256).hexdigest(),
        "length": 2,
    }
    assert hashlib.sha256(NOTE.encode()).hexdigest() not in str(digest)
    settings.TENANTPILOT_AUDIT_HMAC_KEY = "audit-key-two"
    assert note_digest(NOTE) != digest, "another key gives another digest"


def test_without_a_configured_key_the_key_is_derived_from_secret_key_with_a_label(settings):
    settings.TENANTPILOT_AUDIT_HMAC_KEY = ""
    settings.SECRET_KEY = "a-django-secret-key-for-this-test-only-0123456789"
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(settings.SECRET_KEY.encode())
    assert note_digest(NOTE)["hmac_sha256"] == hmac.new(derived, NOTE.encode(), hashlib.sha256).hexdigest()
    # Domain separation: the raw SECRET_KEY is not the HMAC key.
    raw = hmac.new(settings.SECRET_KEY.encode(), NOTE.encode(), hashlib.sha256).hexdigest()
    assert note_digest(NOTE)["hmac_sha256"] != raw


def test_note_matches_checks_text_and_length_and_reads_legacy_rows():
    assert note_matches(note_digest("per ticket 4711"), "per ticket 4711")
    assert not note_matches(note_digest("per ticket 4711"), "per ticket 4712")
    legacy = {"sha256": hashlib.sha256(b"old note").hexdigest(), "length": 8}
    assert note_matches(legacy, "old note") and not note_matches(legacy, "old notes")
    assert not note_matches({"sha256": "x", "length": 8, "extra": 1}, "old note")


@pytest.mark.django_db
def test_audit_verify_note_finds_nested_digests(world):
    row = _row(world, {"note": "call first", "changes": {"operator_note": "second note"}, "mode": "manual"})
    checks = {c.path: c for c in audit_verify_note(audit_id=row.pk, note="second note")}
    assert set(checks) == {"note", "changes.operator_note"}
    assert checks["changes.operator_note"].matched and not checks["note"].matched
    assert not checks["note"].legacy


@pytest.mark.django_db
def test_audit_verify_note_refuses_missing_rows_and_rows_without_notes(world):
    row = _row(world, {"mode": "manual"})
    with pytest.raises(ValidationFailed) as exc:
        audit_verify_note(audit_id=row.pk, note="x")
    assert exc.value.field == "audit_id"
    with pytest.raises(NotFound):
        audit_verify_note(audit_id=row.pk + 1000, note="x")
    with pytest.raises(ValidationFailed):
        audit_verify_note(audit_id="1; drop", note="x")


@pytest.mark.django_db
def test_cli_verifies_a_note_from_stdin(world):
    row = _row(world, {"note": NOTE})
    out = StringIO()
    call_command("audit-verify-note", str(row.pk), stdin=StringIO(NOTE + "\n"), stdout=out)
    assert "note: match (hmac-sha256)" in out.getvalue()
    with pytest.raises(CommandError, match="does not match"):
        call_command("audit-verify-note", str(row.pk), stdin=StringIO("ko"), stdout=StringIO())
    with pytest.raises(CommandError, match="no audit row"):
        call_command("audit-verify-note", "999999", stdin=StringIO(NOTE), stdout=StringIO())
    assert AuditLog.objects.get(pk=row.pk).metadata["note"]["length"] == 2
