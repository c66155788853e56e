"""``ProviderResourceBinding``: a durable, audited decision about which provider resource is which.

Seed 381 narrows seed 380's table: every row is environment-scoped (non-null workspace and
environment, kept consistent by the model and, on PostgreSQL, by the composite foreign key
``(environment_id, workspace_id) → managed_environments(id, workspace_id)``); ``binding_status``
is the only "in force" truth (no ``is_active`` mirror, no validity windows); at most one
``active`` row exists per (workspace, environment, provider, canonical subject key) — a partial
unique index on both databases. Rows are written only by :mod:`tenantpilot.resources.services`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from tenantpilot.core.db import check_environment_workspace
from tenantpilot.providers.models import ProviderConnection

from .choices import BindingStatus, ResolutionMode, SubjectClass, SupportLevel

#: Operator notes (and end notes) are bounded; the services say so in their error.
NOTE_MAX_LENGTH = 2000
CANONICAL_KEY_MAX_LENGTH = 1024

# Modes whose rows always carry an operator note (the database refuses them without one).
NOTE_REQUIRED_MODES: tuple[str, ...] = (
    ResolutionMode.MANUAL_BINDING.value,
    ResolutionMode.EXCLUDED_NON_GOVERNED.value,
    ResolutionMode.ACCEPTED_LIMITATION.value,
)
_ACTIVE = BindingStatus.ACTIVE.value


class ProviderResourceBindingQuerySet(models.QuerySet["ProviderResourceBinding"]):
    def for_workspace(self, workspace: Any) -> ProviderResourceBindingQuerySet:
        return self.filter(workspace=workspace)

    def for_environment(self, environment: Any) -> ProviderResourceBindingQuerySet:
        return self.filter(workspace_id=environment.workspace_id, environment=environment)

    def active(self) -> ProviderResourceBindingQuerySet:
        return self.filter(binding_status=BindingStatus.ACTIVE)


class ProviderResourceBinding(models.Model):
    """One binding decision: governed subject (canonical key) → provider resource, with its meaning.

    The *subject* is ``canonical_subject_key`` (plus class, type, domain and the optional legacy,
    display-name-derived key it replaces). The *resource* is the ``provider_resource_*`` columns
    and ``resource_descriptor`` (a :class:`~.descriptors.ProviderResourceDescriptor` in its
    versioned JSON form; never a raw provider payload). Either may stand alone: a
    ``missing_expected`` row has no resource.

    Lifecycle: ``active`` → ``superseded`` (by ``superseded_by``) or ``revoked``; ``ended_at`` is
    set exactly when the row is no longer active (a check constraint).
    """

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    environment = models.ForeignKey(
        "tenancy.ManagedEnvironment", on_delete=models.PROTECT, related_name="resource_bindings"
    )
    provider_key = models.CharField(max_length=64)
    provider_connection = models.ForeignKey(
        "providers.ProviderConnection", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # -- the governed subject ---------------------------------------------------------------
    subject_domain = models.CharField(max_length=64)
    subject_class = models.CharField(max_length=32, choices=SubjectClass.choices())
    subject_type = models.CharField(max_length=128)
    legacy_subject_key = models.CharField(max_length=512, blank=True)
    canonical_subject_key = models.CharField(max_length=CANONICAL_KEY_MAX_LENGTH)

    # -- the provider resource (descriptor columns) ------------------------------------------
    provider_resource_type = models.CharField(max_length=128, blank=True)
    provider_resource_id = models.CharField(max_length=512, blank=True)
    provider_resource_external_id = models.CharField(max_length=512, blank=True)
    provider_resource_discriminator = models.CharField(max_length=512, blank=True)
    provider_resource_fingerprint = models.CharField(max_length=64, blank=True)
    provider_resource_label = models.CharField(max_length=400, blank=True)
    support_level = models.CharField(max_length=32, choices=SupportLevel.choices(), blank=True)
    resource_descriptor = models.JSONField(null=True, blank=True)

    # -- the decision --------------------------------------------------------------------------
    binding_status = models.CharField(max_length=16, choices=BindingStatus.choices(), default=_ACTIVE)
    resolution_mode = models.CharField(max_length=32, choices=ResolutionMode.choices())
    resolution_reason = models.CharField(max_length=64, blank=True)
    operator_note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)

    # -- where the decision came from --------------------------------------------------------------
    source_operation_run = models.ForeignKey(
        "operations.OperationRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_baseline_snapshot = models.ForeignKey(
        "baselines.BaselineSnapshot", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_inventory_item = models.ForeignKey(
        "inventory.InventoryItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_policy_version = models.ForeignKey(
        "inventory.PolicyVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # -- who and when ----------------------------------------------------------------------------
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by_label = models.CharField(max_length=150)
    decided_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_by_label = models.CharField(max_length=150, blank=True)
    end_note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)
    superseded_by = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="supersedes"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProviderResourceBindingQuerySet.as_manager()

    class Meta:
        db_table = "provider_resource_bindings"
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "environment", "provider_key", "canonical_subject_key"],
                condition=Q(binding_status=_ACTIVE),
                name="provider_resource_binding_one_active",
            ),
            models.CheckConstraint(
                condition=Q(binding_status__in=BindingStatus.values()), name="prb_binding_status_known"
            ),
            models.CheckConstraint(
                condition=Q(resolution_mode__in=ResolutionMode.values()), name="prb_resolution_mode_known"
            ),
            models.CheckConstraint(
                condition=Q(subject_class__in=SubjectClass.values()), name="prb_subject_class_known"
            ),
            models.CheckConstraint(
                condition=Q(support_level="") | Q(support_level__in=SupportLevel.values()),
                name="prb_support_level_known",
            ),
            models.CheckConstraint(
                condition=~Q(canonical_subject_key="") & ~Q(provider_key="") & ~Q(subject_type=""),
                name="prb_subject_not_empty",
            ),
            models.CheckConstraint(
                condition=(Q(binding_status=_ACTIVE) & Q(ended_at__isnull=True))
                | (~Q(binding_status=_ACTIVE) & Q(ended_at__isnull=False)),
                name="prb_ended_iff_not_active",
            ),
            models.CheckConstraint(
                condition=~Q(resolution_mode__in=NOTE_REQUIRED_MODES) | ~Q(operator_note=""),
                name="prb_operator_note_required",
            ),
        ]
        indexes = [
            models.Index(
                fields=["workspace", "environment", "provider_key", "canonical_subject_key", "binding_status"],
                name="prb_lookup_idx",
            ),
            models.Index(fields=["environment", "binding_status", "-decided_at"], name="prb_env_status_idx"),
            # The bindings list: one environment's rows, newest decision first.
            models.Index(fields=["workspace", "environment", "-decided_at"], name="prb_ws_env_decided_idx"),
            models.Index(fields=["environment", "resolution_mode"], name="prb_env_mode_idx"),
            models.Index(fields=["canonical_subject_key"], name="prb_canonical_key_idx"),
            models.Index(fields=["provider_key"], name="prb_provider_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.canonical_subject_key} ({self.resolution_mode}, {self.binding_status})"

    @property
    def is_in_force(self) -> bool:
        """Whether this row is the active decision for its subject (read from ``binding_status``)."""
        return self.binding_status == BindingStatus.ACTIVE

    @property
    def subject_label(self) -> str:
        """What people call the subject: the resource's label if known, else the canonical key."""
        return self.provider_resource_label or self.canonical_subject_key

    def get_status_display_label(self) -> str:
        return BindingStatus(self.binding_status).label

    def get_mode_display_label(self) -> str:
        return ResolutionMode(self.resolution_mode).label

    def get_subject_class_display_label(self) -> str:
        return SubjectClass(self.subject_class).label

    def clean(self) -> None:
        check_environment_workspace(self)
        if self.provider_connection_id is not None:
            row = (
                ProviderConnection.objects.filter(pk=self.provider_connection_id)
                .values("environment_id", "workspace_id", "provider_key")
                .first()
            )
            if row is None or row["environment_id"] != self.environment_id or row["workspace_id"] != self.workspace_id:
                raise ValidationError(
                    {"provider_connection": "The provider connection belongs to another environment."}
                )
            if row["provider_key"] != self.provider_key:
                raise ValidationError(
                    {"provider_connection": "The provider connection is for another provider than the binding."}
                )
