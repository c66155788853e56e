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
    CONNECTION_CREATED = "provider_connection.created", "Provider connection created"
    CONNECTION_UPDATED = "provider_connection.updated", "Provider connection updated"
    CONNECTION_CREDENTIAL_REPLACED = (
        "provider_connection.credential_replaced",
        "Provider connection credential replaced",
    )
    CONNECTION_DEFAULT_CHANGED = "provider_connection.default_changed", "Default provider connection changed"
    CONNECTION_ENABLED = "provider_connection.enabled", "Provider connection enabled"
    CONNECTION_DISABLED = "provider_connection.disabled", "Provider connection disabled"
    CONNECTION_DELETED = "provider_connection.deleted", "Provider connection deleted"
    CONNECTION_HEALTH_RECORDED = "provider_connection.health_recorded", "Provider connection health recorded"
    CREDENTIAL_KEYS_ROTATED = "provider_credentials.rotated", "Provider credentials re-encrypted"
    OPERATION_STARTED = "operation.started", "Operation started"
    OPERATION_CANCELLED = "operation.cancelled", "Operation cancelled"
    INVENTORY_SYNC_RECORDED = "inventory.sync_recorded", "Inventory sync recorded"
    COMPLIANCE_SNAPSHOT_RECORDED = "compliance.snapshot_recorded", "Compliance snapshot recorded"
    SCHEDULE_UPDATED = "schedule.updated", "Schedule updated"
    INVENTORY_TYPES_UPDATED = "inventory.types_updated", "Inventory types chosen"
    SCHEDULE_SKIPPED = "schedule.skipped", "Scheduled run skipped"
    RESOURCE_BINDING_CREATED = "resource_binding.created", "Provider resource binding created"
    RESOURCE_BINDING_SUPERSEDED = "resource_binding.superseded", "Provider resource binding superseded"
    RESOURCE_BINDING_REVOKED = "resource_binding.revoked", "Provider resource binding revoked"
    BASELINE_PROFILE_CREATED = "baseline_profile.created", "Baseline profile created"
    BASELINE_PROFILE_UPDATED = "baseline_profile.updated", "Baseline profile updated"
    BASELINE_PROFILE_ARCHIVED = "baseline_profile.archived", "Baseline profile archived"
    BASELINE_PROFILE_ASSIGNED = "baseline_profile.assigned", "Baseline profile assigned to an environment"
    BASELINE_PROFILE_UNASSIGNED = "baseline_profile.unassigned", "Baseline profile unassigned from an environment"
    BASELINE_CAPTURE_REQUESTED = "baseline.capture_requested", "Baseline capture requested"
    BASELINE_SNAPSHOT_CAPTURED = "baseline.snapshot_captured", "Baseline snapshot captured"
    BASELINE_COMPARE_RECORDED = "baseline.compare_recorded", "Baseline compare recorded"
    BASELINE_REVIEW_SET = "baseline.review_set", "Binding review date set"
    SIGN_IN_THROTTLED = "auth.sign_in_throttled", "Sign-in locked after failed attempts"
    API_TOKEN_CREATED = "api_token.created", "API token created"
    API_TOKEN_REVOKED = "api_token.revoked", "API token revoked"
    API_TOKEN_USED_AFTER_REVOKE = "api_token.used_after_revoke", "Revoked API token presented"
    ALERT_PREFERENCE_UPDATED = "alert_preference.updated", "Alert e-mail preference changed"
    ALERT_SETTINGS_UPDATED = "alert_settings.updated", "Alert settings changed"
    ALERT_WEBHOOK_SECRET_ROTATED = "alert_webhook.secret_rotated", "Alert webhook secret replaced"
    ALERT_WEBHOOK_REMOVED = "alert_webhook.removed", "Alert webhook removed"
    ALERT_WEBHOOK_TESTED = "alert_webhook.tested", "Alert webhook test sent"
    INVITATION_CREATED = "invitation.created", "Invitation sent"
    INVITATION_REVOKED = "invitation.revoked", "Invitation revoked"
    INVITATION_ACCEPTED = "invitation.accepted", "Invitation accepted"
    LOGIN_CREATED = "auth.login_created", "Login created"


# Platform-level actions: rows without a workspace (shown in the platform admin only).
PLATFORM_ACTIONS = frozenset({AuditAction.SIGN_IN_THROTTLED.value})
