"""Baseline profiles (workspace-owned), their snapshots, and profile ↔ environment assignments.

Isolation: every row carries its workspace. A snapshot and an assignment must belong to their
profile's workspace, and an environment they name to the same workspace; the models refuse a
mismatch on every database, and on PostgreSQL composite foreign keys refuse it too (see the
migration).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from tenantpilot.core.db import check_environment_workspace


def _check_profile_workspace(instance: Any) -> None:
    profile_id = getattr(instance, "profile_id", None)
    if profile_id is None:
        return
    profile_workspace = BaselineProfile.objects.filter(pk=profile_id).values_list("workspace_id", flat=True).first()
    if profile_workspace != instance.workspace_id:
        raise ValidationError({"profile": "The baseline profile belongs to another workspace."})


class BaselineProfileQuerySet(models.QuerySet["BaselineProfile"]):
    def for_workspace(self, workspace: object) -> BaselineProfileQuerySet:
        return self.filter(workspace=workspace)


class BaselineProfile(models.Model):
    """A named golden configuration of a workspace, applied to the environments assigned to it."""

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BaselineProfileQuerySet.as_manager()

    class Meta:
        db_table = "baseline_profiles"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="baseline_profile_unique_name"),
            # Target of the composite (profile_id, workspace_id) foreign keys.
            models.UniqueConstraint(fields=["id", "workspace"], name="baseline_profile_id_workspace_uniq"),
            models.CheckConstraint(condition=~Q(name=""), name="baseline_profile_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class BaselineSnapshot(models.Model):
    """One captured state of a profile, optionally taken from a golden environment of the same workspace."""

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    profile = models.ForeignKey(BaselineProfile, on_delete=models.PROTECT, related_name="snapshots")
    environment = models.ForeignKey(
        "tenancy.ManagedEnvironment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The golden environment the snapshot was captured from, if any.",
    )
    operation_run = models.ForeignKey(
        "operations.OperationRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    captured_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "baseline_snapshots"
        ordering = ["-captured_at", "-id"]
        indexes = [models.Index(fields=["profile", "-captured_at"], name="baseline_snapshot_profile_idx")]

    def __str__(self) -> str:
        return f"snapshot {self.pk} of profile {self.profile_id}"

    def clean(self) -> None:
        check_environment_workspace(self)
        _check_profile_workspace(self)


class BaselineAssignment(models.Model):
    """Applies a profile to one environment of the same workspace (at most once per pair)."""

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    profile = models.ForeignKey(BaselineProfile, on_delete=models.CASCADE, related_name="assignments")
    environment = models.ForeignKey(
        "tenancy.ManagedEnvironment", on_delete=models.CASCADE, related_name="baseline_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "baseline_assignments"
        ordering = ["profile", "environment"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "environment"], name="baseline_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"profile {self.profile_id} → environment {self.environment_id}"

    def clean(self) -> None:
        check_environment_workspace(self)
        _check_profile_workspace(self)


def snapshot_applies_to_environment(*, snapshot_id: int, workspace_id: int, environment_id: int) -> bool:
    """Whether the snapshot belongs to ``workspace_id`` and its profile is assigned to ``environment_id``."""
    return BaselineSnapshot.objects.filter(
        pk=snapshot_id,
        workspace_id=workspace_id,
        profile__assignments__environment_id=environment_id,
        profile__assignments__workspace_id=workspace_id,
    ).exists()
