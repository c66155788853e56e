"""Operation runs (everything long or outbound) and the notifications that report their end."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from tenantpilot.core.db import check_environment_workspace

from .choices import ACTIVE_STATUSES, OperationType, RunOutcome, RunStatus, SummaryKey
from .reasons import reason_label

_ACTIVE = [s.value for s in sorted(ACTIVE_STATUSES)]


def scope_key_for(*, workspace_id: int, environment_id: int | None) -> str:
    """The concurrency scope of a run: the environment (one Entra tenant), else the workspace."""
    return f"env:{environment_id}" if environment_id is not None else f"ws:{workspace_id}"


class OperationRunQuerySet(models.QuerySet["OperationRun"]):
    def for_workspace(self, workspace: Any) -> OperationRunQuerySet:
        return self.filter(workspace=workspace)

    def active(self) -> OperationRunQuerySet:
        return self.filter(status__in=_ACTIVE)


class OperationRun(models.Model):
    """One execution of an operation in one scope, from start request to outcome.

    Guarantees: at most one active (queued or running) run per ``scope_key`` — a partial unique
    index, so the database refuses a second one whatever the Python code does; ``outcome`` is
    ``pending`` exactly while the run is active (a check constraint); status and outcome change
    only through ``OperationRunService``; ``summary_counts`` is flat ``{SummaryKey: int}``;
    ``context`` went through the audit redaction; a failure carries a registered reason code and
    a sanitized message.
    """

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    environment = models.ForeignKey(
        "tenancy.ManagedEnvironment", on_delete=models.PROTECT, null=True, blank=True, related_name="operation_runs"
    )
    connection = models.ForeignKey(
        "providers.ProviderConnection", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Validated against OperationType in the service; no ``choices`` so a new type needs no migration.
    type = models.CharField(max_length=64)
    scope_key = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    outcome = models.CharField(max_length=32, choices=RunOutcome.choices, default=RunOutcome.PENDING)
    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    initiator_label = models.CharField(max_length=150)
    summary_counts = models.JSONField(default=dict, blank=True)
    reason_code = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=300, blank=True)
    context = models.JSONField(default=dict, blank=True)
    worker_id = models.CharField(max_length=64, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = OperationRunQuerySet.as_manager()

    class Meta:
        db_table = "operation_runs"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="oprun_ws_created_idx"),
            models.Index(fields=["workspace", "environment", "-created_at"], name="oprun_ws_env_created_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="oprun_status_heartbeat_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["scope_key"], condition=Q(status__in=_ACTIVE), name="operation_run_one_active_per_scope"
            ),
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="operation_run_status_known"),
            models.CheckConstraint(condition=Q(outcome__in=RunOutcome.values), name="operation_run_outcome_known"),
            models.CheckConstraint(
                condition=(Q(status__in=_ACTIVE) & Q(outcome=RunOutcome.PENDING))
                | (Q(status=RunStatus.COMPLETED) & ~Q(outcome=RunOutcome.PENDING) & Q(finished_at__isnull=False)),
                name="operation_run_outcome_matches_status",
            ),
            models.CheckConstraint(condition=~Q(scope_key=""), name="operation_run_scope_key_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.type_label} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("console:operation-detail", kwargs={"workspace": self.workspace.slug, "run_id": self.pk})

    @property
    def type_label(self) -> str:
        try:
            return str(OperationType(self.type).label)
        except ValueError:
            return self.type

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def reason_label(self) -> str:
        return reason_label(self.reason_code) if self.reason_code else ""

    def summary_items(self) -> list[tuple[str, int]]:
        """The counts as (label, value) in registry order, for display."""
        labels = dict(SummaryKey.choices)
        order = {key: i for i, key in enumerate(SummaryKey.values)}
        return [
            (str(labels.get(k, k)), v)
            for k, v in sorted(self.summary_counts.items(), key=lambda kv: order.get(kv[0], len(order)))
        ]

    def clean(self) -> None:
        if self.type not in OperationType.values:
            raise ValidationError({"type": "Unregistered operation type."})
        check_environment_workspace(self)
        if self.connection_id is not None:
            # Looked up by label, like the foreign key itself: operations stays below providers.
            connections = apps.get_model("providers", "ProviderConnection")._default_manager
            env_id = connections.filter(pk=self.connection_id).values_list("environment_id", flat=True)
            if self.environment_id is None or env_id.first() != self.environment_id:
                raise ValidationError({"connection": "The connection does not belong to this environment."})


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-console message to one user. For a run: exactly one, to its initiator, when it ends.

    "Exactly one" is a unique constraint on ``run``; a user only ever sees their own.
    """

    class Level(models.TextChoices):
        SUCCESS = "success", "Success"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"
        INFO = "info", "Info"

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    environment = models.ForeignKey(
        "tenancy.ManagedEnvironment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    run = models.ForeignKey(OperationRun, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications")
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.INFO)
    title = models.CharField(max_length=200)
    body = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        db_table = "notifications"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "workspace", "read_at"], name="notification_user_unread_idx"),
            # The notifications list: one user's rows in one workspace, newest first.
            models.Index(fields=["user", "workspace", "-created_at"], name="notification_user_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["run"], name="notification_one_per_run"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def clean(self) -> None:
        check_environment_workspace(self)


class WorkerHeartbeat(models.Model):
    """A ``tenantpilot worker`` process that is alive: its housekeeping thread refreshes ``seen_at``
    every few seconds (``operations.heartbeats``), and removes the row when the worker stops.

    ``/readyz`` answers ready only while some row was seen within the last minute, so a web node
    whose runs would never be picked up is taken out of rotation. Rows of workers that died
    without saying goodbye are pruned after a day. No tenant data: platform-level, no workspace.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "worker_heartbeats"
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return self.worker_id
