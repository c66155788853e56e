"""Provider resource bindings in the platform admin: visible, never edited."""

from __future__ import annotations

from django.contrib import admin

from tenantpilot.core.admin import ReadOnlyAdmin

from .models import ProviderResourceBinding


@admin.register(ProviderResourceBinding)
class ProviderResourceBindingAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "canonical_subject_key",
        "resolution_mode",
        "binding_status",
        "provider_key",
        "workspace",
        "environment",
        "decided_by_label",
        "decided_at",
    )
    list_filter = ("binding_status", "resolution_mode", "subject_class", "provider_key")
    search_fields = ("canonical_subject_key", "legacy_subject_key", "provider_resource_id")
    list_select_related = ("workspace", "environment")
