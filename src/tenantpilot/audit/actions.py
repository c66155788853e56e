"""The registry of audit action ids. An audit row may only carry one of these."""

from __future__ import annotations

from django.db import models


class AuditAction(models.TextChoices):
    """What happened. ``<domain>.<verb>`` in the past tense."""

    WORKSPACE_CREATED = "workspace.created", "Workspace created"
    ENVIRONMENT_CREATED = "environment.created", "Environment created"
    ENVIRONMENT_UPDATED = "environment.updated", "Environment updated"
    ENVIRONMENT_ARCHIVED = "environment.archived", "Environment archived"
    ENVIRONMENT_RESTORED = "environment.restored", "Environment restored"
    MEMBER_ADDED = "membership.added", "Member added"
    MEMBER_ROLE_CHANGED = "membership.role_changed", "Member role changed"
    MEMBER_REMOVED = "membership.removed", "Member removed"
    MEMBER_ACCESS_CHANGED = "membership.access_changed", "Member environment access changed"
