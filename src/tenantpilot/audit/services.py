"""Writing audit rows. Called by every domain service, inside its own transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models, transaction

from tenantpilot.core.context import get_request_id

from .actions import AuditAction
from .models import AuditLog
from .redaction import redact


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
