"""Invitations: an owner or manager asks someone, by e-mail, to join a workspace with a role.

Only a keyed hash of the invitation token is stored (HMAC-SHA256 under a key derived from
``SECRET_KEY`` with its own label, as for API tokens): a leaked table names no usable link. The
link is single-use (``accepted_at``), revocable (``revoked_at``) and expires (``expires_at``).
An invitation may carry an environment restriction, stored the way memberships store theirs:
``restricted_environments`` plus one grant row per environment; accepting copies both onto the
new membership.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenantpilot.authz.roles import Role
from tenantpilot.core.db import check_environment_workspace


class InvitationStatus(models.TextChoices):
    """Where an invitation stands (derived from its timestamps and the clock, never stored)."""

    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


class InvitationQuerySet(models.QuerySet["Invitation"]):
    """Invitations, with the helpers the members page and the services use."""

    def for_workspace(self, workspace: Any) -> InvitationQuerySet:
        return self.filter(workspace=workspace)

    def pending(self, now: Any = None) -> InvitationQuerySet:
        """Neither accepted, revoked nor expired at ``now`` (default: the current time)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class Invitation(models.Model):
    """An invitation of ``email`` to ``workspace`` with ``role`` (the link's token is never stored)."""

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=16, choices=Role.choices)
    restricted_environments = models.BooleanField(
        default=False, help_text="When set, the new member sees only the environments granted below."
    )
    digest = models.CharField(max_length=64, unique=True, help_text="HMAC-SHA256 of the link's token (hex).")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        db_table = "workspace_invitations"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(email=""), name="invitation_email_not_empty"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_known"),
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="invitation_expires_later"),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_not_accepted_and_revoked",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "email"], name="invitation_ws_email_idx")]

    def __str__(self) -> str:
        return f"{self.email} → {self.workspace_id} ({self.role})"

    def status_at(self, now: Any = None) -> InvitationStatus:
        """The invitation's status at ``now`` (default: the current time)."""
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def status(self) -> InvitationStatus:
        return self.status_at()


class InvitationEnvironment(models.Model):
    """Grants a restricted invitation one environment of the same workspace (copied on acceptance)."""

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.CASCADE, related_name="+")
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="environment_grants")
    environment = models.ForeignKey(
        "tenancy.ManagedEnvironment", on_delete=models.CASCADE, related_name="invitation_grants"
    )

    class Meta:
        db_table = "invitation_environments"
        constraints = [
            models.UniqueConstraint(fields=["invitation", "environment"], name="invitation_environment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.invitation_id} → {self.environment_id}"

    def clean(self) -> None:
        check_environment_workspace(self)
        if self.invitation_id and self.invitation.workspace_id != self.workspace_id:
            raise ValidationError({"invitation": "The invitation belongs to another workspace."})
