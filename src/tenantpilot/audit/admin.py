"""Read-only audit log in the platform admin: no add, change or delete."""

from __future__ import annotations

from django.contrib import admin

from tenantpilot.core.admin import ReadOnlyAdmin

from .models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "actor_label", "workspace", "environment", "target_type", "target_id")
    list_filter = ("action",)
    search_fields = ("actor_label", "target_id", "request_id")
    list_select_related = ("workspace", "environment")
