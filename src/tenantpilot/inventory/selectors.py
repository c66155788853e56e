"""Reads of inventory, versions, compliance snapshots and schedules, always inside one environment."""

from __future__ import annotations

import datetime as dt
import difflib
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.core.errors import NotFound
from tenantpilot.operations.choices import OperationType, RunOutcome
from tenantpilot.operations.models import OperationRun
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment

from . import policies
from .choices import PolicyType, ScheduleResult
from .content import SCRIPT_CONTENT_FIELDS, ReferenceNames, script_content_summary
from .models import ComplianceSnapshot, InventoryItem, PolicyVersion, Schedule


def _check(scope: Scope, environment: ManagedEnvironment) -> None:
    """The environment must be one the member may see (not only one of their workspace)."""
    scope.require_visible(environment)


def inventory_list(
    *,
    scope: Scope,
    environment: ManagedEnvironment,
    policy_type: str = "",
    search: str = "",
    include_gone: bool = False,
) -> QuerySet[InventoryItem]:
    """The environment's items, filtered by type and by a name or provider-id search.

    Only the row's own columns are loaded (never a version's payload).
    """
    scope.require(policies.VIEW_INVENTORY)
    _check(scope, environment)
    qs = (
        InventoryItem.objects.filter(environment=environment)
        .select_related("current_version")
        .only(
            "pk",
            "policy_type",
            "provider_object_id",
            "odata_type",
            "display_name",
            "metadata",
            "last_seen_at",
            "gone_at",
            "current_version__version_number",
        )
    )
    if policy_type:
        qs = qs.filter(policy_type=policy_type)
    if search:
        qs = qs.filter(Q(display_name__icontains=search) | Q(provider_object_id__iexact=search))
    if not include_gone:
        qs = qs.filter(gone_at__isnull=True)
    return qs.order_by("policy_type", "display_name", "pk")


def inventory_item_get(*, scope: Scope, environment: ManagedEnvironment, item_id: object) -> InventoryItem:
    """One item of the environment; ``NotFound`` when missing or elsewhere."""
    scope.require(policies.VIEW_INVENTORY)
    _check(scope, environment)
    pk = str(item_id)
    item = (
        InventoryItem.objects.filter(environment=environment, pk=int(pk)).select_related("current_version").first()
        if pk.isdigit()
        else None
    )
    if item is None:
        raise NotFound()
    return item


def version_list(*, item: InventoryItem) -> QuerySet[PolicyVersion]:
    """An item's versions, newest first, without their payloads."""
    return (
        PolicyVersion.objects.filter(item=item)
        .only("pk", "item_id", "version_number", "payload_hash", "captured_at", "operation_run_id")
        .order_by("-version_number")
    )


@dataclass(frozen=True)
class VersionDiff:
    """A unified diff between two versions' normalized, pretty-printed JSON."""

    old: PolicyVersion
    new: PolicyVersion
    lines: list[tuple[str, str]]  # (css class, text)

    @property
    def identical(self) -> bool:
        return self.old.payload_hash == self.new.payload_hash


def redact_scripts(value: Any) -> Any:
    """``value`` with every script body replaced by its ``script content: <sha256>, N bytes`` summary.

    Script bodies are customer secrets in practice: stored like any payload, never shown.
    """
    if isinstance(value, dict):
        return {
            k: script_content_summary(v) if k in SCRIPT_CONTENT_FIELDS and isinstance(v, str) else redact_scripts(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_scripts(v) for v in value]
    return value


def pretty(normalized: Any) -> list[str]:
    """A stored payload as pretty JSON lines for a page, script bodies shown only by hash and size."""
    return json.dumps(redact_scripts(normalized), indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def version_diff(*, item: InventoryItem, old_number: int, new_number: int) -> VersionDiff:
    """The diff of two versions of ``item`` (``NotFound`` when either does not exist)."""
    rows = {
        v.version_number: v
        for v in PolicyVersion.objects.filter(item=item, version_number__in=[old_number, new_number])
    }
    if old_number not in rows or new_number not in rows:
        raise NotFound()
    old, new = rows[old_number], rows[new_number]
    lines: list[tuple[str, str]] = []
    diff = difflib.unified_diff(
        pretty(old.normalized), pretty(new.normalized), f"v{old_number}", f"v{new_number}", lineterm="", n=3
    )
    for line in diff:
        if line.startswith(("---", "+++")):
            css = "meta"
        elif line.startswith("@@"):
            css = "hunk"
        elif line.startswith("+"):
            css = "add"
        elif line.startswith("-"):
            css = "del"
        else:
            css = "ctx"
        lines.append((css, line))
    return VersionDiff(old, new, lines)


def compliance_snapshots(*, scope: Scope, environment: ManagedEnvironment) -> QuerySet[ComplianceSnapshot]:
    """The environment's compliance snapshots, newest first (a stable order: ties by id)."""
    scope.require(policies.VIEW_INVENTORY)
    _check(scope, environment)
    return ComplianceSnapshot.objects.filter(environment=environment).order_by("-captured_at", "-pk")


def compliance_history(*, scope: Scope, environment: ManagedEnvironment, limit: int = 10) -> list[ComplianceSnapshot]:
    """The environment's latest compliance snapshots, newest first."""
    return list(compliance_snapshots(scope=scope, environment=environment)[:limit])


def schedule_list(*, scope: Scope, environment: ManagedEnvironment) -> dict[str, Schedule]:
    """The environment's schedules by operation type."""
    scope.require(policies.VIEW_SCHEDULES)
    _check(scope, environment)
    return {s.operation_type: s for s in Schedule.objects.filter(environment=environment).select_related("last_run")}


@dataclass(frozen=True)
class ScheduleEvent:
    """One recent thing the scheduler did in an environment: a scheduled run (with its outcome
    and reason) or a skipped turn (with why). Safe to render: ids, codes and labels only."""

    at: dt.datetime
    operation_type: str
    operation_label: str
    status: str
    reason_code: str
    reason_label: str
    run_id: int | None
    is_problem: bool


def schedule_history(*, scope: Scope, environment: ManagedEnvironment, limit: int = 10) -> list[ScheduleEvent]:
    """The environment's latest scheduled runs and skipped turns, newest first (two queries).

    A failed or partial scheduled run carries its registered reason; a skipped turn carries the
    scheduler's reason (from its audit row), so neither is lost when a later turn succeeds.
    """
    scope.require(policies.VIEW_SCHEDULES)
    _check(scope, environment)
    runs = (
        OperationRun.objects.filter(environment=environment, initiator__isnull=True, context__has_key="schedule_id")
        .only("pk", "type", "status", "outcome", "reason_code", "created_at")
        .order_by("-created_at", "-pk")[:limit]
    )
    skips = (
        AuditLog.objects.filter(environment=environment, action=AuditAction.SCHEDULE_SKIPPED)
        .only("created_at", "metadata")
        .order_by("-created_at", "-pk")[:limit]
    )
    events = [
        ScheduleEvent(
            at=run.created_at,
            operation_type=run.type,
            operation_label=_operation_label(run.type),
            status=run.get_outcome_display() if not run.is_active else run.get_status_display(),
            reason_code=run.reason_code,
            reason_label=run.reason_label,
            run_id=run.pk,
            is_problem=run.outcome in (RunOutcome.FAILED, RunOutcome.PARTIALLY_SUCCEEDED),
        )
        for run in runs
    ]
    for row in skips:
        reason = str(row.metadata.get("reason", ""))
        kind = str(row.metadata.get("operation_type", ""))
        active = row.metadata.get("active_run_id")
        events.append(
            ScheduleEvent(
                at=row.created_at,
                operation_type=kind,
                operation_label=_operation_label(kind),
                status="Skipped",
                reason_code=reason,
                reason_label=str(ScheduleResult(reason).label) if reason in ScheduleResult.values else reason,
                run_id=active if isinstance(active, int) else None,
                is_problem=True,
            )
        )
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:limit]


def _operation_label(value: str) -> str:
    try:
        return str(OperationType(value).label)
    except ValueError:
        return value


def inventory_reference_names(*, environment_id: int) -> ReferenceNames:
    """The environment's reference data as id → display name maps, in one query (system code).

    From the items currently present (never gone ones) of the reference types: Entra groups,
    assignment filters and scope tags (the built-in Default tag keeps its id ``"0"``), plus the
    names of notification message templates and apps (referenced by compliance actions and app
    configurations). Compare
    uses it to turn tenant-specific ids in assignments into portable names; an id missing here is
    one the last sync did not see. Items without a name are left out (never mapped to "").
    """
    kinds = {
        PolicyType.GROUPS.value: "groups",
        PolicyType.ASSIGNMENT_FILTERS.value: "filters",
        PolicyType.ROLE_SCOPE_TAGS.value: "scope_tags",
        PolicyType.NOTIFICATION_MESSAGE_TEMPLATES.value: "notification_templates",
        PolicyType.MOBILE_APPS.value: "apps",
    }
    names: dict[str, dict[str, str]] = {kind: {} for kind in kinds.values()}
    rows = InventoryItem.objects.filter(
        environment_id=environment_id, policy_type__in=list(kinds), gone_at__isnull=True
    ).values_list("policy_type", "provider_object_id", "display_name")
    for policy_type, object_id, display_name in rows.iterator(chunk_size=5000):
        if display_name:
            names[kinds[policy_type]][object_id] = display_name
    return ReferenceNames(
        groups=names["groups"],
        filters=names["filters"],
        scope_tags=names["scope_tags"],
        notification_templates=names["notification_templates"],
        apps=names["apps"],
    )
