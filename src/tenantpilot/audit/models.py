"""The append-only audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from tenantpilot.core.db import check_environment_workspace

from .actions import AuditAction


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit row."""


class AuditLogQuerySet(models.QuerySet["AuditLog"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit rows cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit rows cannot be deleted.")

    def for_workspace(self, workspace: Any) -> AuditLogQuerySet:
        return self.filter(workspace=workspace)


class AuditLog(models.Model):
    """One thing that happened, who did it, in which scope, with redacted metadata.

    Rows are written only by ``audit.services.audit_record`` inside the transaction of the
    mutation they describe. They are never updated or deleted: the ORM refuses, and on
    PostgreSQL a trigger refuses too. ``actor`` keeps no database constraint so that the
    history outlives the user; ``actor_label`` is the copy that stays readable.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Validated against the AuditAction registry in clean(); deliberately not ``choices`` so that
    # registering a new action needs no migration.
    action = models.CharField(max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150)
    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    environment = models.ForeignKey(
        "tenancy.ManagedEnvironment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    request_id = models.CharField(max_length=64, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        db_table = "audit_log"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="audit_ws_created_idx"),
            models.Index(fields=["workspace", "environment", "-created_at"], name="audit_ws_env_created_idx"),
            # The audit log's action and actor filters, each kept in created_at order.
            models.Index(fields=["workspace", "action", "-created_at"], name="audit_ws_action_created_idx"),
            models.Index(fields=["workspace", "actor", "-created_at"], name="audit_ws_actor_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Audit rows cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit rows cannot be deleted.")

    def clean(self) -> None:
        if self.action not in AuditAction.values:
            raise ValidationError({"action": "Unregistered audit action."})
        check_environment_workspace(self)

    @property
    def action_label(self) -> str:
        """The registered label of the action (the raw id for an action no longer registered)."""
        try:
            return str(AuditAction(self.action).label)
        except ValueError:
            return self.action
