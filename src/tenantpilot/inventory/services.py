"""Writes of the inventory domain: sync results, compliance snapshots, schedules, start actions.

Console-facing services authorize first and audit in the same transaction. The sync writers run
in workers (system writes: audited with actor None, once per run, not once per item).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import DataError, IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.services import audit_record
from tenantpilot.core.errors import Conflict, ValidationFailed
from tenantpilot.core.fingerprint import normalize_payload, normalized_fingerprint
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.services import ScopeBusy, StartResult, operation_start
from tenantpilot.providers.selectors import connection_for_operations
from tenantpilot.tenancy.authority import authorize
from tenantpilot.tenancy.models import ManagedEnvironment

from . import policies
from .choices import (
    METADATA_FIELDS,
    POLICY_TYPE_SPECS,
    ItemProblem,
    PolicyType,
    ScheduleFrequency,
    ScheduleResult,
)
from .fetch import FetchedItem
from .models import (
    LEGACY_PROVIDER_KEY,
    MAX_PROVIDER_OBJECT_ID_BYTES,
    ComplianceSnapshot,
    InventoryItem,
    PolicyVersion,
    Schedule,
)

logger = logging.getLogger("tenantpilot.inventory")

SCHEDULABLE_OPERATIONS: tuple[OperationType, ...] = (
    OperationType.PROVIDER_HEALTH_CHECK,
    OperationType.INVENTORY_SYNC,
    OperationType.COMPLIANCE_SNAPSHOT,
    OperationType.BASELINE_COMPARE,
)
_FREQUENCY_STEP = {ScheduleFrequency.HOURLY: dt.timedelta(hours=1), ScheduleFrequency.DAILY: dt.timedelta(days=1)}


# --------------------------------------------------------------------------------------------
# Inventory sync: applying what a worker read


#: How many skipped items a summary names (the count is always exact).
MAX_NAMED_PROBLEMS = 20


@dataclass(frozen=True)
class SkippedItem:
    """One listed object the sync could not store: its type, a short form of its id, and why."""

    policy_type: str
    object_id: str  # shortened for display (ids may be long); "" when the object had no id
    problem: ItemProblem

    def describe(self) -> str:
        ident = f"'{self.object_id}'" if self.object_id else "(no id)"
        return f"{policy_type_label(self.policy_type)} {ident}: {self.problem.label}"


def _short_id(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return value if len(value) <= 40 else value[:39] + "…"


@dataclass
class PageCounts:
    """What writing one page (or a whole sync) did; ``skipped`` names at most ``MAX_NAMED_PROBLEMS``."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unknown: int = 0
    reappeared: int = 0
    skipped: int = 0
    skipped_items: list[SkippedItem] = field(default_factory=list)

    def add(self, other: PageCounts) -> None:
        for name in ("created", "updated", "unchanged", "unknown", "reappeared", "skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        room = MAX_NAMED_PROBLEMS - len(self.skipped_items)
        self.skipped_items.extend(other.skipped_items[: max(0, room)])

    def skip(self, policy_type: str, object_id: object, problem: ItemProblem) -> None:
        self.skipped += 1
        if len(self.skipped_items) < MAX_NAMED_PROBLEMS:
            self.skipped_items.append(SkippedItem(policy_type, _short_id(object_id), problem))


def _display_name(policy_type: str, payload: Mapping[str, Any]) -> str:
    spec = POLICY_TYPE_SPECS[policy_type]
    for key in (spec.name_field, "displayName", "name"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value[:400]
    return ""


def item_metadata(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The whitelisted facts of a payload kept on the item row (lists of scalars and scalars only)."""
    meta: dict[str, Any] = {}
    for key in METADATA_FIELDS:
        value = payload.get(key)
        if isinstance(value, (str, int, bool)) or (
            isinstance(value, list) and all(isinstance(v, (str, int)) for v in value)
        ):
            meta[key] = value
    template = payload.get("templateReference")
    if isinstance(template, Mapping) and isinstance(template.get("templateId"), str) and template["templateId"]:
        meta["templateId"] = template["templateId"]
    assignments = payload.get("assignments")
    if isinstance(assignments, list):
        meta["assignmentCount"] = len(assignments)
    return meta


def _storable(payload: Any) -> bool:
    """Whether both databases can hold ``payload`` as JSON and text.

    JSON only (no NaN/infinity, string keys); no NUL character anywhere (PostgreSQL refuses it in
    text and jsonb) and no lone surrogate (not UTF-8 anywhere).
    """
    try:
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        return False
    # JSON always escapes NUL as \u0000: without that text there is none (the common case);
    # with it, it may be an escaped backslash followed by "u0000", so look properly.
    return "\\u0000" not in text or not _has_nul(payload)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


@dataclass
class _Prepared:
    fetched: FetchedItem
    normalized: Any = None
    digest: str = ""


def _prepare(policy_type: str, fetched: FetchedItem, counts: PageCounts) -> _Prepared | None:
    """Check one listed item; a problem item is counted as skipped and None is returned."""
    problem = fetched.problem
    object_id = fetched.object_id
    if problem is None and object_id is None:
        problem = ItemProblem.NO_ID
    if problem is None and len(str(object_id).encode("utf-8", "surrogatepass")) > MAX_PROVIDER_OBJECT_ID_BYTES:
        problem = ItemProblem.ID_TOO_LONG
    if problem is None and not _storable(fetched.payload):
        problem = ItemProblem.PAYLOAD_UNUSABLE
    prepared = _Prepared(fetched)
    if problem is None and fetched.complete:
        try:
            prepared.normalized = normalize_payload(fetched.payload)
            prepared.digest = normalized_fingerprint(prepared.normalized)
        except (TypeError, ValueError):
            problem = ItemProblem.PAYLOAD_UNUSABLE
    if problem is not None:
        counts.skip(policy_type, object_id, problem)
        logger.warning(
            "inventory item skipped type=%s problem=%s id=%r", policy_type, problem.value, _short_id(object_id)
        )
        return None
    return prepared


def _touchable_id(fetched: FetchedItem) -> str | None:
    """The id under which a skipped item may already be stored (so it is seen, not gone)."""
    object_id = fetched.object_id
    if object_id is None or len(object_id.encode("utf-8", "surrogatepass")) > MAX_PROVIDER_OBJECT_ID_BYTES:
        return None
    return object_id if _storable(object_id) else None


def inventory_apply_page(
    *,
    run: OperationRun,
    environment: ManagedEnvironment,
    policy_type: str,
    items: Iterable[FetchedItem],
    connection: Any | None = None,
    now: dt.datetime | None = None,
) -> PageCounts:
    """Upsert one listed page of ``policy_type`` (worker only; one transaction per page).

    A complete item whose normalized payload's hash differs from its current version gets a new
    immutable :class:`PolicyVersion`; an unchanged one is only marked seen. An *incomplete* item
    (a sub-resource read failed) is marked seen and keeps its previous version — partial evidence
    is never versioned. Identity is the provider object id, so a rename is a new version of the
    same row. New rows carry ``connection``'s provider key; every row written or seen records
    ``connection`` as the one that last synced it.

    One unusable item never fails the page: an item without a usable id, with an id over
    :data:`MAX_PROVIDER_OBJECT_ID_BYTES`, with content that cannot be normalized or stored, or
    that the database refuses on its own, is skipped and counted (``skipped``); if it is already
    stored under its id, that row is marked seen and keeps its previous version, so it is never
    marked gone because of the problem.
    """
    if policy_type not in POLICY_TYPE_SPECS:
        raise ValidationFailed("Unregistered policy type.", field="policy_type")
    now = now or timezone.now()
    counts = PageCounts()
    by_id: dict[str, _Prepared] = {}
    keep_ids: set[str] = set()
    for fetched in items:
        prepared = _prepare(policy_type, fetched, counts)
        if prepared is None:
            touchable = _touchable_id(fetched)
            if touchable is not None:
                keep_ids.add(touchable)
            continue
        by_id[str(fetched.object_id)] = prepared
    keep_ids -= set(by_id)
    if not by_id and not keep_ids:
        return counts
    write = _PageWrite(run, environment, policy_type, connection, now)
    try:
        with transaction.atomic():
            counts.add(write.apply(by_id))
            write.touch(keep_ids)
        return counts
    except (IntegrityError, DataError):
        # Something on the page was refused after all: find it by writing item by item.
        logger.warning("inventory page refused by the database type=%s; writing item by item", policy_type)
    for object_id, prepared in by_id.items():
        try:
            with transaction.atomic():
                counts.add(write.apply({object_id: prepared}))
        except (IntegrityError, DataError):
            counts.skip(policy_type, object_id, ItemProblem.PAYLOAD_UNUSABLE)
            logger.warning(
                "inventory item skipped type=%s problem=store_refused id=%r", policy_type, _short_id(object_id)
            )
            keep_ids.add(object_id)
    with transaction.atomic():
        write.touch(keep_ids)
    return counts


@dataclass
class _PageWrite:
    """The database side of :func:`inventory_apply_page` (call inside a transaction)."""

    run: OperationRun
    environment: ManagedEnvironment
    policy_type: str
    connection: Any | None
    now: dt.datetime

    @property
    def provider_key(self) -> str:
        key = getattr(self.connection, "provider_key", "")
        return str(key) if key else LEGACY_PROVIDER_KEY

    def touch(self, object_ids: set[str]) -> None:
        """Mark already-stored rows of ``object_ids`` seen by this run, keeping their version."""
        if object_ids:
            InventoryItem.objects.filter(
                environment=self.environment, policy_type=self.policy_type, provider_object_id__in=list(object_ids)
            ).update(last_seen_at=self.now, last_seen_run=self.run, gone_at=None, provider_connection=self.connection)

    def apply(self, by_id: Mapping[str, _Prepared]) -> PageCounts:
        run, environment, policy_type, now = self.run, self.environment, self.policy_type, self.now
        counts = PageCounts()
        if not by_id:
            return counts
        existing = {
            row[1]: row
            for row in InventoryItem.objects.filter(
                environment=environment, policy_type=policy_type, provider_object_id__in=list(by_id)
            ).values_list("pk", "provider_object_id", "payload_hash", "current_version__version_number", "gone_at")
        }
        new_items: list[InventoryItem] = []
        new_payloads: list[tuple[InventoryItem, Any, Any, str]] = []
        touched: list[int] = []
        changed: list[tuple[int, int, Any, Any, str]] = []
        for object_id, prepared in by_id.items():
            fetched = prepared.fetched
            row = existing.get(object_id)
            if row is not None and row[4] is not None:
                counts.reappeared += 1
            if not fetched.complete:
                counts.unknown += 1
                if row is not None:
                    touched.append(row[0])
                    continue
                # Listed but its content is unknown: record that it exists, version it later.
                new_items.append(self._new_item(fetched.payload, ""))
                continue
            normalized, digest = prepared.normalized, prepared.digest
            if row is None:
                item = self._new_item(fetched.payload, digest)
                new_items.append(item)
                new_payloads.append((item, fetched.payload, normalized, digest))
                counts.created += 1
            elif row[2] == digest:
                touched.append(row[0])
                counts.unchanged += 1
            else:
                changed.append((row[0], (row[3] or 0) + 1, fetched.payload, normalized, digest))
                counts.updated += 1

        if new_items:
            InventoryItem.objects.bulk_create(new_items)
        versions: list[PolicyVersion] = []
        for item, payload, normalized, digest in new_payloads:
            versions.append(_version(run, environment, item.pk, 1, payload, normalized, digest, now))
        for pk, number, payload, normalized, digest in changed:
            versions.append(_version(run, environment, pk, number, payload, normalized, digest, now))
        if versions:
            PolicyVersion.objects.bulk_create(versions)
        version_by_item = {v.item_id: v for v in versions}  # type: ignore[attr-defined]
        if new_payloads:
            # One UPDATE with a correlated subquery: bulk_update's CASE per row costs more to build
            # than the whole insert (first syncs create thousands of rows).
            InventoryItem.objects.filter(pk__in=[item.pk for item, *_ in new_payloads]).update(
                current_version=Subquery(
                    PolicyVersion.objects.filter(item=OuterRef("pk"), version_number=1).values("pk")[:1]
                )
            )
        if changed:
            updates = []
            for pk, _number, payload, _normalized, digest in changed:
                updates.append(
                    InventoryItem(
                        pk=pk,
                        odata_type=str(payload.get("@odata.type") or "")[:200],
                        display_name=_display_name(policy_type, payload),
                        payload_hash=digest,
                        metadata=item_metadata(payload),
                        last_seen_at=now,
                        last_seen_run=run,
                        gone_at=None,
                        current_version=version_by_item[pk],
                        provider_connection=self.connection,
                    )
                )
            InventoryItem.objects.bulk_update(
                updates,
                [
                    "odata_type",
                    "display_name",
                    "payload_hash",
                    "metadata",
                    "last_seen_at",
                    "last_seen_run",
                    "gone_at",
                    "current_version",
                    "provider_connection",
                ],
            )
        if touched:
            InventoryItem.objects.filter(pk__in=touched).update(
                last_seen_at=now, last_seen_run=run, gone_at=None, provider_connection=self.connection
            )
        return counts

    def _new_item(self, payload: Mapping[str, Any], digest: str) -> InventoryItem:
        return InventoryItem(
            workspace_id=self.environment.workspace_id,
            environment=self.environment,
            policy_type=self.policy_type,
            provider_object_id=str(payload["id"]),
            provider_key=self.provider_key,
            provider_connection=self.connection,
            odata_type=str(payload.get("@odata.type") or "")[:200],
            display_name=_display_name(self.policy_type, payload),
            payload_hash=digest,
            metadata=item_metadata(payload),
            first_seen_at=self.now,
            last_seen_at=self.now,
            last_seen_run=self.run,
        )


def _version(
    run: OperationRun,
    environment: ManagedEnvironment,
    item_id: int,
    number: int,
    payload: Any,
    normalized: Any,
    digest: str,
    now: dt.datetime,
) -> PolicyVersion:
    return PolicyVersion(
        workspace_id=environment.workspace_id,
        environment=environment,
        item_id=item_id,
        version_number=number,
        payload=payload,
        normalized=normalized,
        payload_hash=digest,
        captured_at=now,
        operation_run=run,
    )


@dataclass
class SyncSummary:
    """What a whole sync did, for the run's counts and the audit row."""

    completed_types: list[str] = field(default_factory=list)
    failed_types: dict[str, str] = field(default_factory=dict)  # type -> reason code
    # Items written per type (from the pages read), including types whose listing failed later.
    written: dict[str, int] = field(default_factory=dict)
    counts: PageCounts = field(default_factory=PageCounts)
    gone: int = 0

    @property
    def partial_types(self) -> list[str]:
        """Completely listed types in which some items were skipped (see :class:`ItemProblem`)."""
        return sorted({p.policy_type for p in self.counts.skipped_items} & set(self.completed_types))


def inventory_finish_sync(
    *, run: OperationRun, environment: ManagedEnvironment, summary: SyncSummary, now: dt.datetime | None = None
) -> int:
    """Mark gone what complete listings no longer contained and audit the sync (one transaction).

    Only types in ``summary.completed_types`` are touched: a type whose listing failed part-way
    marks nothing gone (the items of the pages it did read were already updated, the others keep
    their state). Returns the number of items marked gone.
    """
    now = now or timezone.now()
    with transaction.atomic():
        gone = 0
        if summary.completed_types:
            gone = (
                InventoryItem.objects.filter(
                    environment=environment, policy_type__in=summary.completed_types, gone_at__isnull=True
                )
                .exclude(last_seen_run=run)
                .update(gone_at=now)
            )
        summary.gone = gone
        audit_record(
            actor=None,
            action=AuditAction.INVENTORY_SYNC_RECORDED,
            workspace=environment.workspace,
            environment=environment,
            target=run,
            metadata={
                "run_id": run.pk,
                "types_completed": sorted(summary.completed_types),
                "types_failed": dict(sorted(summary.failed_types.items())),
                "created": summary.counts.created,
                "updated": summary.counts.updated,
                "unchanged": summary.counts.unchanged,
                "unknown": summary.counts.unknown,
                "skipped": summary.counts.skipped,
                "skipped_items": [p.describe() for p in summary.counts.skipped_items],
                "gone": gone,
            },
        )
    return gone


# --------------------------------------------------------------------------------------------
# Compliance snapshots


_SUMMARY_FIELDS = {
    "compliant_count": "compliantDeviceCount",
    "noncompliant_count": "nonCompliantDeviceCount",
    "unknown_count": "unknownDeviceCount",
    "in_grace_period_count": "inGracePeriodCount",
    "error_count": "errorDeviceCount",
    "conflict_count": "conflictDeviceCount",
    "not_applicable_count": "notApplicableDeviceCount",
}
SUMMARY_KEYS: tuple[str, ...] = (
    *_SUMMARY_FIELDS.values(),
    "configManagerCount",
    "remediatedDeviceCount",
)


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def compliance_snapshot_record(
    *,
    run: OperationRun | None,
    environment: ManagedEnvironment,
    summary: Mapping[str, Any],
    by_state: Mapping[str, int],
    device_total: int,
    now: dt.datetime | None = None,
) -> ComplianceSnapshot:
    """Store one compliance snapshot (worker only; audited with actor None)."""
    clean_summary = {key: _count(summary.get(key)) for key in SUMMARY_KEYS}
    snapshot = ComplianceSnapshot(
        workspace_id=environment.workspace_id,
        environment=environment,
        captured_at=now or timezone.now(),
        device_total=_count(device_total),
        summary=clean_summary,
        by_state={str(k)[:64]: _count(v) for k, v in by_state.items()},
        operation_run=run,
        **{name: clean_summary[key] for name, key in _SUMMARY_FIELDS.items()},
    )
    with transaction.atomic():
        snapshot.full_clean(exclude=["operation_run"])
        snapshot.save(force_insert=True)
        audit_record(
            actor=None,
            action=AuditAction.COMPLIANCE_SNAPSHOT_RECORDED,
            workspace=environment.workspace,
            environment=environment,
            target=snapshot,
            metadata={
                "run_id": run.pk if run else None,
                "device_total": snapshot.device_total,
                "compliant": snapshot.compliant_count,
                "noncompliant": snapshot.noncompliant_count,
            },
        )
    return snapshot


# --------------------------------------------------------------------------------------------
# Start actions (console)


def _require_enabled_default_connection(environment: ManagedEnvironment) -> Any:
    connection = connection_for_operations(environment)
    if connection is None:
        raise Conflict("This environment has no provider connection. Add one first.")
    if not connection.is_enabled:
        raise Conflict("The environment's default connection is disabled. Enable it first.")
    return connection


def inventory_sync_start(*, actor: Any, environment: ManagedEnvironment) -> StartResult:
    """Enqueue an inventory sync of ``environment`` (dedupes to an active sync; ``ScopeBusy`` otherwise)."""
    authorize(actor, policies.RUN_PROVIDER_OPERATIONS, environment)
    connection = _require_enabled_default_connection(environment)
    return operation_start(
        actor=actor, operation_type=OperationType.INVENTORY_SYNC, environment=environment, connection=connection
    )


def compliance_snapshot_start(*, actor: Any, environment: ManagedEnvironment) -> StartResult:
    """Enqueue a compliance snapshot of ``environment``."""
    authorize(actor, policies.RUN_PROVIDER_OPERATIONS, environment)
    connection = _require_enabled_default_connection(environment)
    return operation_start(
        actor=actor, operation_type=OperationType.COMPLIANCE_SNAPSHOT, environment=environment, connection=connection
    )


# --------------------------------------------------------------------------------------------
# Schedules


def next_run_after(frequency: str, moment: dt.datetime) -> dt.datetime | None:
    """When a schedule of ``frequency`` runs next after ``moment`` (None when off)."""
    step = _FREQUENCY_STEP.get(ScheduleFrequency(frequency))
    return moment + step if step is not None else None


def schedule_update(
    *,
    actor: Any,
    environment: ManagedEnvironment,
    operation_type: str,
    frequency: str,
    now: dt.datetime | None = None,
) -> Schedule:
    """Set how often ``operation_type`` runs by itself in ``environment`` (audited).

    Turning a schedule on (or changing its frequency) makes it due at once on the next tick;
    turning it off clears ``next_run_at``.
    """
    if operation_type not in [o.value for o in SCHEDULABLE_OPERATIONS]:
        raise ValidationFailed("This operation cannot be scheduled.", field="operation_type")
    if frequency not in ScheduleFrequency.values:
        raise ValidationFailed("Choose off, hourly or daily.", field="frequency")
    authorize(actor, policies.MANAGE_SCHEDULES, environment)
    now = now or timezone.now()
    with transaction.atomic():
        schedule = (
            Schedule.objects.select_for_update().filter(environment=environment, operation_type=operation_type).first()
        )
        if schedule is None:
            schedule = Schedule(
                workspace_id=environment.workspace_id, environment=environment, operation_type=operation_type
            )
        before = schedule.frequency if schedule.pk else ScheduleFrequency.OFF
        if schedule.pk and before == frequency:
            return schedule
        schedule.frequency = frequency
        schedule.next_run_at = None if frequency == ScheduleFrequency.OFF else now
        schedule.full_clean(exclude=["last_run"])
        schedule.save()
        audit_record(
            actor=actor,
            action=AuditAction.SCHEDULE_UPDATED,
            workspace=environment.workspace,
            environment=environment,
            target=schedule,
            metadata={"operation_type": operation_type, "from": str(before), "to": frequency},
        )
    return schedule


@dataclass(frozen=True)
class ScheduleTurn:
    """What a schedule runner did with one due turn of its schedule.

    ``done=False`` means the turn is not over (e.g. waiting for an inventory sync, or for the
    scope to be free for the next profile): ``next_run_at`` stays where it is, so the next tick
    tries again and the period is not lost.
    """

    result: ScheduleResult
    run: OperationRun | None = None
    done: bool = True


ScheduleRunner = Callable[[Schedule, dt.datetime], ScheduleTurn]
_SCHEDULE_RUNNERS: dict[str, ScheduleRunner] = {}


def register_schedule_runner(operation_type: OperationType) -> Callable[[ScheduleRunner], ScheduleRunner]:
    """Register how a due schedule of ``operation_type`` runs (instead of a plain ``operation_start``).

    The runner gets the locked schedule and the tick's time inside the tick's transaction. Due
    schedules with a runner are handled after every other due schedule of the same tick, so a
    baseline compare sees the inventory sync that tick started. A finished turn moves
    ``next_run_at`` on by one period from the time it was due (kept in step, not pushed back by
    the wait).
    """

    def decorator(runner: ScheduleRunner) -> ScheduleRunner:
        _SCHEDULE_RUNNERS[OperationType(operation_type).value] = runner
        return runner

    return decorator


@dataclass(frozen=True)
class TickResult:
    """What one scheduler tick did with one due schedule."""

    schedule_id: int
    operation_type: str
    result: str
    run_id: int | None


def schedules_run_due(*, now: dt.datetime | None = None, limit: int = 500) -> list[TickResult]:
    """Start every due schedule as a system run (no initiator, so no notification).

    Each due schedule is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL; plain
    locking elsewhere), so concurrent tickers never start the same schedule twice. A schedule
    that finds its environment busy (another operation due in the same tick, or running) is
    queued behind it: the turn stays due (``waiting_for_scope``, not audited) and a later tick
    starts it once the scope is free; due schedules are taken oldest first, so the waiting one
    goes before anything that fell due later. Only a turn that waited a whole period is given up
    (``scope_busy_skipped``, audited) and the turn due now takes its place, still in step. A
    missing/disabled connection skips (``no_connection``, audited). A finished turn moves
    ``next_run_at`` on by one period from when it was due (kept in step, not pushed back by a
    wait; from now when that is already past), so a skip does not fire again on every tick.
    Schedules with a registered runner
    (:func:`register_schedule_runner`: baseline compare) run after the others and may keep their
    turn open (waiting for a sync or a busy scope) without losing the period.
    """
    now = now or timezone.now()
    results: list[TickResult] = []
    due = list(Schedule.objects.due(now).order_by("next_run_at", "pk").values_list("pk", "operation_type")[:limit])
    # Schedules with a runner (baseline compare) come last: they build on what the others started.
    due_ids = [pk for pk, kind in due if kind not in _SCHEDULE_RUNNERS] + [
        pk for pk, kind in due if kind in _SCHEDULE_RUNNERS
    ]
    for schedule_id in due_ids:
        outcome = _run_one_schedule(schedule_id, now)
        if outcome is not None:
            results.append(outcome)
    return results


def _run_one_schedule(schedule_id: int, now: dt.datetime) -> TickResult | None:
    with transaction.atomic():
        schedule = (
            Schedule.objects.select_for_update(skip_locked=True)
            .select_related("environment__workspace")
            .filter(pk=schedule_id)
            .first()
        )
        if schedule is None or schedule.frequency == ScheduleFrequency.OFF:
            return None
        if schedule.next_run_at is None or schedule.next_run_at > now:
            return None  # another ticker handled it meanwhile
        environment = schedule.environment
        run: OperationRun | None = None
        runner = _SCHEDULE_RUNNERS.get(schedule.operation_type)
        due_at = schedule.next_run_at
        done = True
        next_turn: dt.datetime | None = None
        connection = connection_for_operations(environment)
        if environment.is_archived:
            result = ScheduleResult.ENVIRONMENT_ARCHIVED
        elif runner is not None:
            turn = runner(schedule, now)
            result, run, done = turn.result, turn.run, turn.done
        elif connection is None or not connection.is_enabled:
            result = ScheduleResult.NO_CONNECTION
        else:
            try:
                started = operation_start(
                    actor=None,
                    operation_type=schedule.operation_type,
                    environment=environment,
                    connection=connection,
                    context={"scheduled": True, "schedule_id": schedule.pk},
                )
            except ScopeBusy as busy:
                run = busy.active_run
                if _waited_a_whole_period(schedule.frequency, due_at, now):
                    # The turn lost its whole period to another run: say so (audited below) and
                    # go on with the turn that is due now, in step, still waiting for the scope.
                    result = ScheduleResult.SCOPE_BUSY_SKIPPED
                    next_turn = _current_turn(schedule.frequency, due_at, now)
                else:
                    # Queued behind the active run: the turn stays due and the next tick (every
                    # minute) starts it once the scope is free, so no period is lost.
                    result = ScheduleResult.WAITING_FOR_SCOPE
                    done = False
            else:
                run = started.run
                result = ScheduleResult.DEDUPED if started.deduped else ScheduleResult.STARTED
        if done and result not in (ScheduleResult.STARTED, ScheduleResult.DEDUPED):
            audit_record(
                actor=None,
                action=AuditAction.SCHEDULE_SKIPPED,
                workspace=environment.workspace,
                environment=environment,
                target=schedule,
                metadata={
                    "operation_type": schedule.operation_type,
                    "reason": result.value,
                    "active_run_id": run.pk if run is not None else None,
                },
            )
        schedule.last_run_at = now
        schedule.last_result = result.value
        if result in (ScheduleResult.STARTED, ScheduleResult.DEDUPED) and run is not None:
            schedule.last_run = run
        if done:  # else the turn goes on: still due, the next tick tries again
            schedule.next_run_at = next_turn or _next_turn(schedule.frequency, due_at, now)
        schedule.save(update_fields=["last_run_at", "last_result", "last_run", "next_run_at", "updated_at"])
    return TickResult(schedule.pk, schedule.operation_type, result.value, run.pk if run is not None else None)


def _waited_a_whole_period(frequency: str, due_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether the turn due at ``due_at`` has waited so long that the next one is due too."""
    following = next_run_after(frequency, due_at)
    return following is not None and following <= now


def _current_turn(frequency: str, due_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The latest turn in step with ``due_at`` that is due at ``now`` (``due_at`` itself at least)."""
    step = _FREQUENCY_STEP[ScheduleFrequency(frequency)]
    return due_at + step * ((now - due_at) // step)


def _next_turn(frequency: str, due_at: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    """One period after ``due_at`` (kept in step) when that is still ahead, else one period from now."""
    following = next_run_after(frequency, due_at) if due_at is not None else None
    return following if following is not None and following > now else next_run_after(frequency, now)


def policy_type_label(value: str) -> str:
    try:
        return str(PolicyType(value).label)
    except ValueError:
        return value
