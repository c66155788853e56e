"""Writing audit rows (called by every domain service, inside its own transaction) and checking
an operator's note against the keyed digest a row stores."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from tenantpilot.core.context import get_request_id
from tenantpilot.core.errors import NotFound, ValidationFailed

from .actions import AuditAction
from .models import AuditLog
from .redaction import DIGEST_FIELD, is_note_digest, note_matches, redact


def actor_label_for(actor: Any) -> str:
    """The readable copy of who acted (``system`` when nobody did)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "system"
    return str(actor.get_username())[:150]


def audit_record(
    *,
    actor: Any,
    action: AuditAction,
    workspace: Any,
    target: models.Model,
    environment: Any = None,
    metadata: Mapping[str, Any] | None = None,
) -> AuditLog:
    """Append one audit row. Must run inside the caller's atomic block (asserted)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the mutation's transaction")
    row = AuditLog(
        action=AuditAction(action),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label_for(actor),
        workspace=workspace,
        environment=environment,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        request_id=get_request_id() or "",
        metadata=redact(metadata),
    )
    row.full_clean()
    row.save(force_insert=True)
    return row


def audit_rows_bulk(
    *,
    actor: Any,
    action: AuditAction,
    workspace: Any,
    entries: Iterable[tuple[models.Model, Mapping[str, Any] | None]],
    environment: Any = None,
) -> list[AuditLog]:
    """Append one audit row per ``(target, metadata)`` entry with one ``INSERT`` per 500 rows.

    The rows are exactly what :func:`audit_record` writes for the same arguments (same action,
    actor, request id, redacted metadata); must run inside the caller's atomic block (asserted).
    Validation is the per-row field check without database look-ups: every row shares the one
    ``workspace``/``environment`` pair, checked once here.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_rows_bulk must be called inside the mutation's transaction")
    action = AuditAction(action)
    if environment is not None and environment.workspace_id != getattr(workspace, "pk", None):
        raise ValueError("the environment does not belong to the audit rows' workspace")
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = actor_label_for(actor)
    request_id = get_request_id() or ""
    rows = []
    for target, metadata in entries:
        row = AuditLog(
            action=action,
            actor=user,
            actor_label=label,
            workspace=workspace,
            environment=environment,
            target_type=target._meta.label_lower,
            target_id=str(target.pk),
            request_id=request_id,
            metadata=redact(metadata),
        )
        row.clean_fields(exclude=["actor", "workspace", "environment"])
        rows.append(row)
    return AuditLog.objects.bulk_create(rows, batch_size=500)


@dataclass(frozen=True)
class NoteCheck:
    """The outcome of checking a note against one digest of an audit row.

    ``path`` is where the digest sits in the row's metadata (``note``, ``changes.note``, …);
    ``legacy`` is true for a row written with the old unsalted SHA-256.
    """

    path: str
    matched: bool
    legacy: bool


def _note_digests(value: Any, prefix: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(value, Mapping):
        if is_note_digest(value):
            yield prefix or "(root)", value
            return
        for key, item in value.items():
            yield from _note_digests(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _note_digests(item, f"{prefix}[{index}]")


def audit_verify_note(*, audit_id: object, note: str) -> list[NoteCheck]:
    """Check ``note`` against every note digest stored in audit row ``audit_id``.

    For an operator who holds the note's text (e.g. the binding row's note, or a ticket): the
    audit row keeps only a keyed HMAC, and this recomputes it with the server's audit note key.
    ``NotFound`` when the row does not exist; ``ValidationFailed`` (``audit_id``) when it holds no
    note digest. Reads only.
    """
    pk = str(audit_id).strip()
    if not pk.isdigit():
        raise ValidationFailed("An audit id is a positive number.", field="audit_id")
    row = AuditLog.objects.filter(pk=int(pk)).only("metadata").first()
    if row is None:
        raise NotFound(f"There is no audit row {pk}.")
    checks = [
        NoteCheck(path=path, matched=note_matches(digest, note), legacy=DIGEST_FIELD not in digest)
        for path, digest in _note_digests(row.metadata)
    ]
    if not checks:
        raise ValidationFailed(f"Audit row {pk} holds no operator note.", field="audit_id")
    return checks
