"""Baseline rows in the platform admin: visible, never edited."""

from __future__ import annotations

from django.contrib import admin

from tenantpilot.core.admin import ReadOnlyAdmin

from .models import BaselineAssignment, BaselineProfile, BaselineSnapshot


@admin.register(BaselineProfile)
class BaselineProfileAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "workspace", "created_at")
    list_select_related = ("workspace",)
    search_fields = ("name",)


@admin.register(BaselineSnapshot)
class BaselineSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("id", "profile", "workspace", "environment", "captured_at")
    list_select_related = ("profile", "workspace", "environment")


@admin.register(BaselineAssignment)
class BaselineAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("id", "profile", "environment", "workspace", "created_at")
    list_select_related = ("profile", "environment", "workspace")
