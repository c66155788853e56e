"""Shared pieces of the platform admin (``/system/``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Domain rows are written only by their services (authorized, validated, audited).

    The platform admin therefore shows them but never adds, changes or deletes them.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SystemAdminSite(admin.AdminSite):
    """The platform admin ("system plane"), mounted at ``/system/``: superusers only."""

    site_header = "TenantPilot system"
    site_title = "TenantPilot system"
    index_title = "Platform administration"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)
