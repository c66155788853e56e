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

from .choices import GOVERNED_POLICY_TYPES, CompareOutcome, CompareReason, SnapshotStatus

#: Canonical subject keys are bounded like the bindings' (``resources.models``).
SUBJECT_KEY_MAX_LENGTH = 1024
MAX_EVIDENCE_AGE_HOURS_LIMIT = 24 * 365


class ImmutableSnapshotError(Exception):
    """Raised on any attempt to change a complete snapshot or its items."""


def validate_policy_types(value: object) -> None:
    """A non-empty list of distinct governed policy types."""
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one policy type.")
    for item in value:
        if item not in GOVERNED_POLICY_TYPES:
            raise ValidationError(f"{item!r} is not a governed policy type.")
    if len(set(value)) != len(value):
        raise ValidationError("Each policy type may be listed once.")


def validate_ignored_fields(value: object) -> None:
    """``{governed policy type: [field name, …]}`` with non-empty field names of at most 200 characters."""
    if not isinstance(value, dict):
        raise ValidationError("Ignored fields must map a policy type to a list of field names.")
    for policy_type, names in value.items():
        if policy_type not in GOVERNED_POLICY_TYPES:
            raise ValidationError(f"{policy_type!r} is not a governed policy type.")
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() and len(n) <= 200 for n in names):
            raise ValidationError(f"Ignored fields of {policy_type} must be a list of field names.")


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
    policy_types = models.JSONField(default=list, blank=True, validators=[validate_policy_types])
    ignored_fields = models.JSONField(default=dict, blank=True, validators=[validate_ignored_fields])
    max_evidence_age_hours = models.PositiveIntegerField(default=24)
    archived_at = models.DateTimeField(null=True, blank=True)
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
            models.CheckConstraint(
                condition=Q(max_evidence_age_hours__gte=1)
                & Q(max_evidence_age_hours__lte=MAX_EVIDENCE_AGE_HOURS_LIMIT),
                name="baseline_profile_evidence_age_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def governed_types(self) -> tuple[str, ...]:
        """The profile's governed types in registry order (all governed types when none are listed)."""
        chosen = set(self.policy_types or GOVERNED_POLICY_TYPES)
        return tuple(t for t in GOVERNED_POLICY_TYPES if t in chosen)

    def ignored_fields_for(self, policy_type: str) -> frozenset[str]:
        return frozenset((self.ignored_fields or {}).get(policy_type, ()))


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
    status = models.CharField(max_length=16, choices=SnapshotStatus.choices, default=SnapshotStatus.COMPLETE)
    # -- capture evidence: which inventory the snapshot was taken from, and how fresh it was ---
    source_inventory_run = models.ForeignKey(
        "operations.OperationRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    evidence_at = models.DateTimeField(null=True, blank=True)
    captured_anyway = models.BooleanField(
        default=False, help_text="Captured from stale or partial evidence on an operator's explicit request."
    )
    item_count = models.PositiveIntegerField(default=0)
    policy_types = models.JSONField(default=list, blank=True)
    provider_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "baseline_snapshots"
        ordering = ["-captured_at", "-id"]
        indexes = [models.Index(fields=["profile", "-captured_at"], name="baseline_snapshot_profile_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SnapshotStatus.values), name="baseline_snapshot_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"snapshot {self.pk} of profile {self.profile_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Refuse to change a snapshot that was already complete when loaded from the database."""
        if self.pk is not None and not kwargs.get("force_insert"):
            stored = BaselineSnapshot.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == SnapshotStatus.COMPLETE:
                raise ImmutableSnapshotError("A complete baseline snapshot cannot be changed.")
        super().save(*args, **kwargs)

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


class BaselineSnapshotItem(models.Model):
    """One governed subject of a snapshot: its identity, label and normalized (portable) content.

    Written once, in bulk, by the capture handler; never changed (the snapshot is immutable).
    ``canonical_subject_key`` is the provider adapter's key (never a display name); ``match_key``
    only *proposes* candidates (a normalized display name for tenant-owned subjects, the canonical
    key for built-ins and virtual targets).
    """

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    snapshot = models.ForeignKey(BaselineSnapshot, on_delete=models.CASCADE, related_name="items")
    policy_type = models.CharField(max_length=64)
    subject_class = models.CharField(max_length=32)
    canonical_subject_key = models.CharField(max_length=SUBJECT_KEY_MAX_LENGTH)
    match_key = models.CharField(max_length=SUBJECT_KEY_MAX_LENGTH, blank=True)
    source_object_id = models.TextField()
    source_inventory_item = models.ForeignKey(
        "inventory.InventoryItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_policy_version = models.ForeignKey(
        "inventory.PolicyVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    display_label = models.CharField(max_length=400, blank=True)
    normalized = models.JSONField()
    content_hash = models.CharField(max_length=64)

    class Meta:
        db_table = "baseline_snapshot_items"
        ordering = ["snapshot", "policy_type", "display_label", "id"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "canonical_subject_key"], name="baseline_snapshot_item_key"),
        ]
        indexes = [
            models.Index(fields=["snapshot", "policy_type"], name="baseline_snap_item_type_idx"),
        ]

    def __str__(self) -> str:
        return self.display_label or self.canonical_subject_key


class BaselineCompareResult(models.Model):
    """One compare of a profile's snapshot against one target environment (written by the compare run).

    Evidence is part of the result: which inventory sync it read, when that inventory was taken,
    whether it was older than the profile allows (``evidence_stale``) and which types were not
    (completely) synced (``incomplete_types`` — their subjects are ``unknown``, never ``missing``).
    ``counts`` holds ``{outcome: n}`` for every outcome.
    """

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    environment = models.ForeignKey("tenancy.ManagedEnvironment", on_delete=models.PROTECT, related_name="+")
    profile = models.ForeignKey(BaselineProfile, on_delete=models.PROTECT, related_name="compare_results")
    snapshot = models.ForeignKey(BaselineSnapshot, on_delete=models.PROTECT, related_name="compare_results")
    operation_run = models.ForeignKey(
        "operations.OperationRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    provider_key = models.CharField(max_length=64, blank=True)
    evidence_run = models.ForeignKey(
        "operations.OperationRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    evidence_at = models.DateTimeField(null=True, blank=True)
    evidence_stale = models.BooleanField(default=False)
    incomplete_types = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "baseline_compare_results"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["environment", "profile", "-created_at"], name="baseline_result_env_prof_idx"),
            models.Index(fields=["profile", "-created_at"], name="baseline_result_profile_idx"),
        ]

    def __str__(self) -> str:
        return f"compare {self.pk} of profile {self.profile_id} in environment {self.environment_id}"

    @property
    def evidence_incomplete(self) -> bool:
        return bool(self.incomplete_types)

    @property
    def evidence_note(self) -> str:
        """Why the result cannot be read as all-green, in words ("" when the evidence is fine)."""
        parts = []
        if self.evidence_at is None:
            parts.append("no inventory has been synced")
        elif self.evidence_stale:
            parts.append("the inventory is older than the profile allows")
        if self.incomplete_types:
            parts.append("not synced completely: " + ", ".join(self.incomplete_types))
        return "; ".join(parts)

    def clean(self) -> None:
        check_environment_workspace(self)
        _check_profile_workspace(self)


class BaselineCompareItem(models.Model):
    """The outcome of one baseline subject (or one unexpected resource) in one compare result."""

    result = models.ForeignKey(BaselineCompareResult, on_delete=models.CASCADE, related_name="items")
    policy_type = models.CharField(max_length=64)
    canonical_subject_key = models.CharField(max_length=SUBJECT_KEY_MAX_LENGTH)
    snapshot_item = models.ForeignKey(
        BaselineSnapshotItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_item = models.ForeignKey(
        "inventory.InventoryItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_object_id = models.TextField(blank=True)
    target_content_hash = models.CharField(max_length=64, blank=True)
    baseline_label = models.CharField(max_length=400, blank=True)
    target_label = models.CharField(max_length=400, blank=True)
    outcome = models.CharField(max_length=32, choices=CompareOutcome.choices)
    reason = models.CharField(max_length=32, choices=CompareReason.choices)
    binding = models.ForeignKey(
        "resources.ProviderResourceBinding", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    binding_mode = models.CharField(max_length=32, blank=True)
    renamed = models.BooleanField(default=False)
    changed_since_accepted = models.BooleanField(default=False)
    changes = models.JSONField(default=list, blank=True)  # [{path, baseline, target}]
    candidates = models.JSONField(default=list, blank=True)  # [{item_id, object_id, label}]

    class Meta:
        db_table = "baseline_compare_items"
        ordering = ["result", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=CompareOutcome.values), name="baseline_item_outcome_known"),
            models.CheckConstraint(condition=Q(reason__in=CompareReason.values), name="baseline_item_reason_known"),
        ]
        indexes = [
            models.Index(fields=["result", "outcome", "policy_type"], name="baseline_item_outcome_idx"),
            models.Index(fields=["result", "policy_type"], name="baseline_item_type_idx"),
            models.Index(fields=["canonical_subject_key"], name="baseline_item_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.canonical_subject_key}: {self.outcome}"

    @property
    def label(self) -> str:
        return self.baseline_label or self.target_label or self.canonical_subject_key


class BindingReview(models.Model):
    """An optional review-by date on an accepted limitation or exclusion (the binding stays the truth).

    Lives here because the binding table belongs to ``resources``; one row per binding. A review
    is *overdue* while its binding is still active and ``review_by`` has passed.
    """

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    environment = models.ForeignKey("tenancy.ManagedEnvironment", on_delete=models.PROTECT, related_name="+")
    binding = models.OneToOneField(
        "resources.ProviderResourceBinding", on_delete=models.CASCADE, related_name="baseline_review"
    )
    review_by = models.DateField()
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "baseline_binding_reviews"
        ordering = ["review_by", "id"]
        indexes = [models.Index(fields=["workspace", "review_by"], name="baseline_review_due_idx")]

    def __str__(self) -> str:
        return f"review binding {self.binding_id} by {self.review_by}"

    def clean(self) -> None:
        check_environment_workspace(self)


def snapshot_applies_to_environment(*, snapshot_id: int, workspace_id: int, environment_id: int) -> bool:
    """Whether the snapshot belongs to ``workspace_id`` and its profile is assigned to ``environment_id``."""
    return BaselineSnapshot.objects.filter(
        pk=snapshot_id,
        workspace_id=workspace_id,
        profile__assignments__environment_id=environment_id,
        profile__assignments__workspace_id=workspace_id,
    ).exists()
