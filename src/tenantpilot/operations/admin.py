"""Operation runs and notifications in the platform admin: visible, never edited."""

from __future__ import annotations

from django.contrib import admin

from tenantpilot.core.admin import ReadOnlyAdmin

from .models import Notification, OperationRun, WorkerHeartbeat


@admin.register(OperationRun)
class OperationRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "type", "status", "outcome", "workspace", "environment", "initiator_label", "created_at")
    list_filter = ("type", "status", "outcome")
    search_fields = ("scope_key", "worker_id", "task_id", "reason_code")
    list_select_related = ("workspace", "environment")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "title", "workspace", "created_at", "read_at")
    list_select_related = ("user", "workspace")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    """Which workers are alive (seen within the last minute counts for /readyz)."""

    list_display = ("worker_id", "hostname", "pid", "started_at", "seen_at")
    search_fields = ("worker_id", "hostname")
