"""Inventory items, their immutable policy versions, compliance snapshots and schedules."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from tenantpilot.core.db import check_environment_workspace

from .choices import PolicyType, ScheduleFrequency

#: The longest provider object id stored, in UTF-8 bytes. Graph does not bound its ids, but a
#: unique btree index row on PostgreSQL is limited to ~2.7 kB: 1024 bytes of id plus the
#: environment and type keep every identity row far below that, on SQLite and PostgreSQL alike.
#: A longer id is a per-item problem of the sync (skipped, counted, named), never a cut-off id.
MAX_PROVIDER_OBJECT_ID_BYTES = 1024

#: The provider of rows written before items carried their own provider key.
LEGACY_PROVIDER_KEY = "microsoft"


class ImmutableRecordError(Exception):
    """Raised on any attempt to change or remove an immutable record (a version, a snapshot)."""


class _AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableRecordError(f"{self.model.__name__} rows cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError(f"{self.model.__name__} rows cannot be deleted.")

    def for_workspace(self, workspace: Any) -> Any:
        return self.filter(workspace=workspace)


class _AppendOnlyModel(models.Model):
    """Rows that are written once and never changed: the ORM refuses, PostgreSQL refuses too."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ImmutableRecordError(f"{type(self).__name__} rows cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError(f"{type(self).__name__} rows cannot be deleted.")


class InventoryItemQuerySet(models.QuerySet["InventoryItem"]):
    def for_workspace(self, workspace: Any) -> InventoryItemQuerySet:
        return self.filter(workspace=workspace)

    def for_environment(self, environment: Any) -> InventoryItemQuerySet:
        return self.filter(environment=environment)

    def present(self) -> InventoryItemQuerySet:
        return self.filter(gone_at__isnull=True)


class InventoryItem(models.Model):
    """One provider object last observed in an environment, identified by its provider object id.

    Guarantees: one row per (environment, policy type, provider object id) — the display name is
    never identity, so a rename keeps the row; the provider object id is stored verbatim at its
    real length (at most :data:`MAX_PROVIDER_OBJECT_ID_BYTES`), never cut; ``provider_key`` is the
    provider the row was read from, fixed when the row is created — identity never depends on
    which connection is the environment's default today; ``current_version`` points at the newest
    :class:`PolicyVersion`; ``gone_at`` is set only when a *complete* listing of the type no longer
    contained the object, and cleared when it reappears. Items are never deleted.
    """

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    environment = models.ForeignKey(
        "tenancy.ManagedEnvironment", on_delete=models.PROTECT, related_name="inventory_items"
    )
    # Validated against PolicyType in clean(); no ``choices`` so a new type needs no migration.
    policy_type = models.CharField(max_length=64)
    provider_object_id = models.TextField()
    # Which provider's object this is (e.g. "microsoft"); set from the syncing connection.
    provider_key = models.CharField(max_length=64, default=LEGACY_PROVIDER_KEY)
    # The connection whose sync last saw the object (kept when the default connection changes).
    provider_connection = models.ForeignKey(
        "providers.ProviderConnection", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    odata_type = models.CharField(max_length=200, blank=True)
    display_name = models.CharField(max_length=400, blank=True)
    payload_hash = models.CharField(max_length=64)
    metadata = models.JSONField(default=dict, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    gone_at = models.DateTimeField(null=True, blank=True)
    last_seen_run = models.ForeignKey(
        "operations.OperationRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    current_version = models.ForeignKey(
        "inventory.PolicyVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = InventoryItemQuerySet.as_manager()

    class Meta:
        db_table = "inventory_items"
        ordering = ["policy_type", "display_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "policy_type", "provider_object_id"], name="inventory_item_identity"
            ),
            models.CheckConstraint(condition=~Q(provider_object_id=""), name="inventory_item_id_not_empty"),
            # Characters, not bytes (portable); the writer enforces the byte bound before this.
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("provider_object_id"), MAX_PROVIDER_OBJECT_ID_BYTES),
                name="inventory_item_id_bounded",
            ),
            models.CheckConstraint(condition=~Q(provider_key=""), name="inventory_item_provider_not_empty"),
        ]
        indexes = [
            models.Index(fields=["environment", "policy_type", "display_name"], name="inv_item_env_type_name_idx"),
            models.Index(fields=["environment", "gone_at"], name="inv_item_env_gone_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.provider_object_id

    @property
    def policy_type_label(self) -> str:
        try:
            return str(PolicyType(self.policy_type).label)
        except ValueError:
            return self.policy_type

    @property
    def is_gone(self) -> bool:
        return self.gone_at is not None

    def clean(self) -> None:
        if self.policy_type not in PolicyType.values:
            raise ValidationError({"policy_type": "Unregistered policy type."})
        check_environment_workspace(self)


class PolicyVersionQuerySet(_AppendOnlyQuerySet):
    pass


class PolicyVersion(_AppendOnlyModel):
    """One immutable observation of an item's content: the payload as Graph returned it.

    Guarantees: ``version_number`` counts 1, 2, … per item (unique); a new version exists only
    when the normalized payload's hash differs from the previous version's; rows are never
    updated or deleted (ORM and, on PostgreSQL, a trigger).
    """

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    environment = models.ForeignKey("tenancy.ManagedEnvironment", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(InventoryItem, on_delete=models.CASCADE, related_name="versions")
    version_number = models.PositiveIntegerField()
    payload = models.JSONField()
    normalized = models.JSONField()
    payload_hash = models.CharField(max_length=64)
    captured_at = models.DateTimeField()
    operation_run = models.ForeignKey(
        "operations.OperationRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        db_table = "policy_versions"
        ordering = ["item", "-version_number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "version_number"], name="policy_version_unique_number"),
            models.CheckConstraint(condition=Q(version_number__gte=1), name="policy_version_number_positive"),
        ]

    def __str__(self) -> str:
        return f"v{self.version_number}"

    def clean(self) -> None:
        check_environment_workspace(self)


class ComplianceSnapshotQuerySet(_AppendOnlyQuerySet):
    pass


class ComplianceSnapshot(_AppendOnlyModel):
    """Managed-device compliance counts of one environment at one time (immutable).

    ``summary`` holds Graph's ``deviceCompliancePolicyDeviceStateSummary`` counts as returned;
    ``device_total`` and ``by_state`` come from streaming ``managedDevices``; both are kept so a
    disagreement stays visible.
    """

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    environment = models.ForeignKey(
        "tenancy.ManagedEnvironment", on_delete=models.PROTECT, related_name="compliance_snapshots"
    )
    captured_at = models.DateTimeField()
    device_total = models.PositiveIntegerField(default=0)
    compliant_count = models.PositiveIntegerField(default=0)
    noncompliant_count = models.PositiveIntegerField(default=0)
    unknown_count = models.PositiveIntegerField(default=0)
    in_grace_period_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    conflict_count = models.PositiveIntegerField(default=0)
    not_applicable_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    by_state = models.JSONField(default=dict, blank=True)
    operation_run = models.ForeignKey(
        "operations.OperationRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ComplianceSnapshotQuerySet.as_manager()

    class Meta:
        db_table = "compliance_snapshots"
        ordering = ["-captured_at", "-id"]
        indexes = [models.Index(fields=["environment", "-captured_at"], name="compliance_env_captured_idx")]

    def __str__(self) -> str:
        return f"Compliance snapshot {self.captured_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        check_environment_workspace(self)


class ScheduleQuerySet(models.QuerySet["Schedule"]):
    def for_environment(self, environment: Any) -> ScheduleQuerySet:
        return self.filter(environment=environment)

    def due(self, now: Any) -> ScheduleQuerySet:
        return self.exclude(frequency=ScheduleFrequency.OFF).filter(next_run_at__lte=now)


class Schedule(models.Model):
    """When one operation runs by itself in one environment (off / hourly / daily).

    Guarantees: one row per (environment, operation type); ``next_run_at`` is set exactly while
    the schedule is on; a due tick moves it forward once the turn is over (started, or skipped
    with a reason); a turn waiting for a busy environment stays due, so no period is lost.
    """

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    environment = models.ForeignKey("tenancy.ManagedEnvironment", on_delete=models.PROTECT, related_name="schedules")
    # An OperationType value (validated in the service); no ``choices`` so new types need no migration.
    operation_type = models.CharField(max_length=64)
    frequency = models.CharField(max_length=16, choices=ScheduleFrequency.choices, default=ScheduleFrequency.OFF)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=32, blank=True)
    last_run = models.ForeignKey(
        "operations.OperationRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScheduleQuerySet.as_manager()

    class Meta:
        db_table = "operation_schedules"
        ordering = ["environment", "operation_type"]
        constraints = [
            models.UniqueConstraint(fields=["environment", "operation_type"], name="schedule_unique_per_operation"),
            models.CheckConstraint(
                condition=Q(frequency__in=ScheduleFrequency.values), name="schedule_frequency_known"
            ),
        ]
        indexes = [models.Index(fields=["frequency", "next_run_at"], name="schedule_due_idx")]

    def __str__(self) -> str:
        return f"{self.operation_type} {self.frequency}"

    def clean(self) -> None:
        check_environment_workspace(self)


class InventoryTypeSelection(models.Model):
    """Which policy types one environment's inventory sync reads (absent row: every type).

    Guarantees: at most one row per environment; ``policy_types`` is a non-empty list of
    registered :class:`.choices.PolicyType` values (validated in the service), so the sync and the
    health check derive the same set of Graph reads and permissions from it.
    """

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    environment = models.OneToOneField(
        "tenancy.ManagedEnvironment", on_delete=models.PROTECT, related_name="inventory_type_selection"
    )
    policy_types = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "inventory_type_selections"

    def __str__(self) -> str:
        return f"{len(self.policy_types)} types"

    def clean(self) -> None:
        check_environment_workspace(self)
