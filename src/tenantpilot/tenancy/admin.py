"""Platform-admin views of tenancy (superusers only, at /system/; read-only, see ReadOnlyAdmin)."""

from __future__ import annotations

from django.contrib import admin

from tenantpilot.core.admin import ReadOnlyAdmin

from .models import EnvironmentAccess, ManagedEnvironment, Workspace, WorkspaceMembership


@admin.register(Workspace)
class WorkspaceAdmin(ReadOnlyAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")


@admin.register(ManagedEnvironment)
class ManagedEnvironmentAdmin(ReadOnlyAdmin):
    list_display = ("display_name", "workspace", "tenant_id", "default_domain", "archived_at")
    list_filter = ("workspace",)
    search_fields = ("display_name", "tenant_id", "default_domain")
    list_select_related = ("workspace",)


@admin.register(WorkspaceMembership)
class WorkspaceMembershipAdmin(ReadOnlyAdmin):
    list_display = ("user", "workspace", "role", "restricted_environments")
    list_filter = ("role", "workspace")
    list_select_related = ("user", "workspace")


@admin.register(EnvironmentAccess)
class EnvironmentAccessAdmin(ReadOnlyAdmin):
    list_display = ("membership", "environment", "workspace")
    list_select_related = ("membership__user", "environment", "workspace")
