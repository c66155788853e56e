"""The append-only audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from tenantpilot.core.db import check_environment_workspace

from .actions import PLATFORM_ACTIONS, AuditAction


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
    history outlives the user; ``actor_label`` is the copy that stays readable. ``workspace``
    is empty only for platform-level events that belong to no workspace (a sign-in lock): those
    rows never appear in a workspace's console audit log, only in the platform admin.
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
    workspace = models.ForeignKey(
        "tenancy.Workspace", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
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
        if self.workspace_id is None and self.action not in PLATFORM_ACTIONS:
            raise ValidationError({"workspace": "Only platform-level actions may have no workspace."})
        check_environment_workspace(self)

    @property
    def action_label(self) -> str:
        """The registered label of the action (the raw id for an action no longer registered)."""
        try:
            return str(AuditAction(self.action).label)
        except ValueError:
            return self.action


class SignInThrottle(models.Model):
    """Recent failed sign-ins of one bucket, and the lock they earned (``audit.signin``).

    A bucket is either one (account, client address) pair or one client address across all
    accounts. ``failures`` counts failed password checks since the bucket was last forgotten
    (no failure for ``TENANTPILOT_SIGNIN_FORGET_SECONDS``) or, for an account bucket, since a
    successful sign-in. ``locked_until`` is when the current lock ends. Rows hold no password
    and are pruned once forgotten; they are bookkeeping, not history (the audit log keeps that).
    """

    class Bucket(models.TextChoices):
        ACCOUNT_ADDRESS = "account_address", "Account from one address"
        ADDRESS = "address", "One address, any account"

    bucket = models.CharField(max_length=16, choices=Bucket.choices)
    # The sign-in name as typed, case-folded; empty for an address bucket. Never identity.
    username = models.CharField(max_length=150, blank=True)
    address = models.CharField(max_length=64)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "sign_in_throttles"
        constraints = [
            models.UniqueConstraint(fields=["bucket", "username", "address"], name="sign_in_throttle_bucket_uniq"),
        ]
        indexes = [models.Index(fields=["last_failure_at"], name="sign_in_throttle_last_idx")]

    def __str__(self) -> str:
        return f"{self.bucket} {self.username}@{self.address}: {self.failures}"
