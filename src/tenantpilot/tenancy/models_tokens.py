"""Personal API tokens: a member's key to the REST API of one workspace.

Only a keyed hash of the token is stored (HMAC-SHA256 under a key derived from ``SECRET_KEY``
with its own label): a leaked table names no usable token. The token itself is shown once,
at creation. A token carries no role of its own: every request acts with its owner's *current*
membership (role and environment restrictions) in the token's workspace.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    """Tokens, with the helpers the console lists use."""

    def for_workspace(self, workspace: Any) -> ApiTokenQuerySet:
        return self.filter(workspace=workspace)

    def usable(self) -> ApiTokenQuerySet:
        """Neither revoked nor expired (now)."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A personal API token of ``user`` for ``workspace`` (the token text itself is never stored)."""

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    digest = models.CharField(max_length=64, unique=True, help_text="HMAC-SHA256 of the token (hex).")
    hint = models.CharField(max_length=16, help_text="The token's first characters, to recognise it in a list.")
    read_only = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    # Fixed-window rate limit, counted in the database so every web process shares it.
    window_start = models.BigIntegerField(default=0)
    window_count = models.PositiveIntegerField(default=0)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        db_table = "api_tokens"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="api_token_name_not_empty"),
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="api_token_expires_later"),
        ]
        indexes = [models.Index(fields=["workspace", "user"], name="api_token_ws_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired
