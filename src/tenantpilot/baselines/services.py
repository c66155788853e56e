"""Writes of the baselines domain: profiles, assignments, capture/compare starts, worker results.

Operator writes authorize first (``baselines.manage``; starting a compare is a run:
``provider.run``), validate, write and audit in one transaction. Worker writes (a captured
snapshot, a compare result) are system writes, audited once per run with ``actor=None``.
Capture and compare are operation runs (``operation_start``): the same operation on a busy
environment dedupes to the active run, another one is refused as scope busy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.audit.services import audit_record
from tenantpilot.core.errors import Conflict, NotFound, ValidationFailed
from tenantpilot.operations.choices import OperationType, RunOutcome, RunStatus
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.services import ScopeBusy, StartResult, operation_start
from tenantpilot.resources.choices import BindingStatus, ResolutionMode
from tenantpilot.resources.models import NOTE_MAX_LENGTH, ProviderResourceBinding
from tenantpilot.tenancy.authority import authorize
from tenantpilot.tenancy.models import ManagedEnvironment, Workspace

from . import policies
from .choices import GOVERNED_POLICY_TYPES, SnapshotStatus
from .models import (
    MAX_EVIDENCE_AGE_HOURS_LIMIT,
    BaselineAssignment,
    BaselineCompareItem,
    BaselineCompareResult,
    BaselineProfile,
    BaselineSnapshot,
    BaselineSnapshotItem,
    BindingReview,
)
from .signals import send_compare_recorded

#: Rows per INSERT when a snapshot or a compare result is stored.
BULK_BATCH_SIZE = 1000
#: Modes whose bindings may carry a review-by date.
REVIEWABLE_MODES = frozenset({ResolutionMode.ACCEPTED_LIMITATION.value, ResolutionMode.EXCLUDED_NON_GOVERNED.value})
_PROFILE_FIELDS = ("name", "description", "policy_types", "ignored_fields", "max_evidence_age_hours")


# --------------------------------------------------------------------------------------------
# Evidence: what an environment's inventory is worth right now


@dataclass(frozen=True)
class InventoryEvidence:
    """An environment's latest inventory sync, as evidence for a capture or a compare.

    ``run`` is the newest completed sync that stored anything (succeeded or partially
    succeeded), ``at`` when it finished; ``last_outcome`` is the outcome of the newest completed
    sync of any kind; ``complete_types`` the types that sync listed completely.
    """

    run: OperationRun | None
    at: dt.datetime | None
    last_outcome: str | None
    complete_types: frozenset[str] = field(default_factory=frozenset)

    def is_stale(self, max_age_hours: int, now: dt.datetime) -> bool:
        return self.at is None or now - self.at > dt.timedelta(hours=max_age_hours)

    def incomplete_types(self, governed: Iterable[str]) -> list[str]:
        """Governed types this evidence does not cover completely (failed, partial, or never synced)."""
        return [t for t in governed if t not in self.complete_types]

    def refusal(self, max_age_hours: int, now: dt.datetime) -> str | None:
        """Why this evidence must not be captured from without ``force`` (None when it is fine)."""
        if self.run is None:
            return "The source environment has no inventory yet. Sync its inventory first."
        if self.last_outcome != RunOutcome.SUCCEEDED:
            return "The source's last inventory sync did not complete. Sync again, or capture anyway with a note."
        if self.is_stale(max_age_hours, now):
            return f"The source's inventory is older than {max_age_hours} hour(s). Sync again, or capture anyway with a note."
        return None


def inventory_evidence(environment: ManagedEnvironment) -> InventoryEvidence:
    """The evidence of ``environment``'s inventory (three queries, whatever its size)."""
    syncs = OperationRun.objects.filter(
        environment=environment, type=OperationType.INVENTORY_SYNC, status=RunStatus.COMPLETED
    ).order_by("-finished_at", "-pk")
    last = syncs.values_list("outcome", flat=True).first()
    run = syncs.filter(outcome__in=[RunOutcome.SUCCEEDED, RunOutcome.PARTIALLY_SUCCEEDED]).first()
    if run is None:
        return InventoryEvidence(run=None, at=None, last_outcome=last)
    # The sync's own audit row names the types it listed completely (``inventory_finish_sync``).
    metadata = (
        AuditLog.objects.filter(
            action=AuditAction.INVENTORY_SYNC_RECORDED, target_type="operations.operationrun", target_id=str(run.pk)
        )
        .values_list("metadata", flat=True)
        .first()
    )
    completed = metadata.get("types_completed") if isinstance(metadata, dict) else None
    if isinstance(completed, list):
        complete_types = frozenset(str(t) for t in completed)
    elif run.outcome == RunOutcome.SUCCEEDED:
        complete_types = frozenset(GOVERNED_POLICY_TYPES) | {"roleScopeTags", "assignmentFilters", "groups"}
    else:
        complete_types = frozenset()
    return InventoryEvidence(run=run, at=run.finished_at, last_outcome=last, complete_types=complete_types)


# --------------------------------------------------------------------------------------------
# Profiles


def _clean_profile(profile: BaselineProfile) -> None:
    try:
        profile.full_clean(exclude=["workspace"])
    except ValidationError as exc:
        raise ValidationFailed.from_django(exc) from None
    duplicate = (
        BaselineProfile.objects.filter(workspace_id=profile.workspace_id, name=profile.name)
        .exclude(pk=profile.pk)
        .exists()
    )
    if duplicate:
        raise ValidationFailed("A baseline profile with this name already exists.", field="name")


def _profile_values(
    *,
    name: object,
    description: object,
    policy_types: object,
    ignored_fields: object,
    max_evidence_age_hours: object,
) -> dict[str, Any]:
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed("Give the profile a name.", field="name")
    if not isinstance(description, str):
        raise ValidationFailed("The description must be text.", field="description")
    types = list(GOVERNED_POLICY_TYPES) if policy_types is None else policy_types
    if not isinstance(types, (list, tuple)) or not types:
        raise ValidationFailed("Choose at least one governed policy type.", field="policy_types")
    ignored = {} if ignored_fields is None else ignored_fields
    if isinstance(max_evidence_age_hours, bool) or not isinstance(max_evidence_age_hours, int):
        raise ValidationFailed("The maximum evidence age is a whole number of hours.", field="max_evidence_age_hours")
    if not 1 <= max_evidence_age_hours <= MAX_EVIDENCE_AGE_HOURS_LIMIT:
        raise ValidationFailed(
            f"The maximum evidence age is between 1 and {MAX_EVIDENCE_AGE_HOURS_LIMIT} hours.",
            field="max_evidence_age_hours",
        )
    return {
        "name": name.strip(),
        "description": description.strip(),
        "policy_types": list(types),
        "ignored_fields": ignored,
        "max_evidence_age_hours": max_evidence_age_hours,
    }


def _profile_audit(profile: BaselineProfile, **extra: Any) -> dict[str, Any]:
    return {
        "profile_id": profile.pk,
        "name": profile.name,
        "policy_types": list(profile.policy_types),
        "ignored_field_types": sorted(profile.ignored_fields),
        "max_evidence_age_hours": profile.max_evidence_age_hours,
        **extra,
    }


def profile_create(
    *,
    actor: Any,
    workspace: Workspace,
    name: str,
    description: str = "",
    policy_types: Sequence[str] | None = None,
    ignored_fields: Mapping[str, list[str]] | None = None,
    max_evidence_age_hours: int = 24,
) -> BaselineProfile:
    """Create a baseline profile in ``workspace`` (audited). ``policy_types`` defaults to every governed type."""
    authorize(actor, policies.MANAGE_BASELINES, workspace)
    values = _profile_values(
        name=name,
        description=description,
        policy_types=policy_types,
        ignored_fields=dict(ignored_fields) if ignored_fields is not None else None,
        max_evidence_age_hours=max_evidence_age_hours,
    )
    profile = BaselineProfile(workspace=workspace, **values)
    with transaction.atomic():
        _clean_profile(profile)
        profile.save(force_insert=True)
        audit_record(
            actor=actor,
            action=AuditAction.BASELINE_PROFILE_CREATED,
            workspace=workspace,
            target=profile,
            metadata=_profile_audit(profile),
        )
    return profile


def profile_update(*, actor: Any, profile: BaselineProfile, **changes: Any) -> BaselineProfile:
    """Change a profile's name, description, governed types, ignored fields or evidence age (audited).

    Snapshots already captured keep what they captured; the change applies to the next capture
    and compare. Unknown keyword names are refused (``field`` names them).
    """
    authorize(actor, policies.MANAGE_BASELINES, profile)
    for key in changes:
        if key not in _PROFILE_FIELDS:
            raise ValidationFailed(f"{key!r} cannot be changed.", field=key)
    with transaction.atomic():
        locked = BaselineProfile.objects.select_for_update().get(pk=profile.pk)
        if locked.is_archived:
            raise Conflict("The profile is archived.")
        current = {name: getattr(locked, name) for name in _PROFILE_FIELDS}
        values = _profile_values(**{**current, **changes})
        changed = sorted(name for name in _PROFILE_FIELDS if values[name] != current[name])
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, values[name])
        _clean_profile(locked)
        locked.save()
        audit_record(
            actor=actor,
            action=AuditAction.BASELINE_PROFILE_UPDATED,
            workspace=locked.workspace,
            target=locked,
            metadata=_profile_audit(locked, changed=changed),
        )
    return locked


def profile_archive(*, actor: Any, profile: BaselineProfile) -> BaselineProfile:
    """Archive a profile (its snapshots and results stay readable; no new capture or compare)."""
    authorize(actor, policies.MANAGE_BASELINES, profile)
    with transaction.atomic():
        locked = BaselineProfile.objects.select_for_update().get(pk=profile.pk)
        if locked.is_archived:
            return locked
        locked.archived_at = timezone.now()
        locked.save(update_fields=["archived_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.BASELINE_PROFILE_ARCHIVED,
            workspace=locked.workspace,
            target=locked,
            metadata={"profile_id": locked.pk, "name": locked.name},
        )
    return locked


def _visible_environment(actor: Any, profile: BaselineProfile, environment: ManagedEnvironment) -> None:
    """Only environments of the profile's workspace that the actor may see (404 otherwise)."""
    if environment.workspace_id != profile.workspace_id:
        raise NotFound()
    authorize(actor, policies.MANAGE_BASELINES, environment)


def profile_assign(*, actor: Any, profile: BaselineProfile, environment: ManagedEnvironment) -> BaselineAssignment:
    """Assign ``profile`` to ``environment`` (idempotent; audited when it creates the assignment)."""
    authorize(actor, policies.MANAGE_BASELINES, profile)
    _visible_environment(actor, profile, environment)
    if profile.is_archived:
        raise Conflict("The profile is archived.")
    if environment.is_archived:
        raise Conflict("The environment is archived.")
    with transaction.atomic():
        existing = BaselineAssignment.objects.filter(profile=profile, environment=environment).first()
        if existing is not None:
            return existing
        assignment = BaselineAssignment(
            workspace_id=profile.workspace_id,
            profile=profile,
            environment=environment,
            assigned_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        try:
            assignment.full_clean(validate_constraints=False)
        except ValidationError as exc:
            raise ValidationFailed.from_django(exc) from None
        assignment.save(force_insert=True)
        audit_record(
            actor=actor,
            action=AuditAction.BASELINE_PROFILE_ASSIGNED,
            workspace=profile.workspace,
            environment=environment,
            target=assignment,
            metadata={"profile_id": profile.pk, "environment_id": environment.pk},
        )
    return assignment


def profile_unassign(*, actor: Any, profile: BaselineProfile, environment: ManagedEnvironment) -> bool:
    """Remove the assignment (results stay readable); True when one was removed (then audited)."""
    authorize(actor, policies.MANAGE_BASELINES, profile)
    _visible_environment(actor, profile, environment)
    with transaction.atomic():
        assignment = (
            BaselineAssignment.objects.select_for_update().filter(profile=profile, environment=environment).first()
        )
        if assignment is None:
            return False
        assignment_id = assignment.pk
        audit_record(
            actor=actor,
            action=AuditAction.BASELINE_PROFILE_UNASSIGNED,
            workspace=profile.workspace,
            environment=environment,
            target=assignment,
            metadata={"profile_id": profile.pk, "environment_id": environment.pk, "assignment_id": assignment_id},
        )
        assignment.delete()
    return True


# --------------------------------------------------------------------------------------------
# Starting capture and compare runs


def _same_profile_or_busy(started: StartResult, profile: BaselineProfile) -> StartResult:
    """A dedupe is only a dedupe for the same profile: the start gate compares operation type and
    target (connection), and capture/compare runs carry their profile in ``context`` instead, so an
    active run of another profile on the environment makes this start scope busy, not a dedupe."""
    if started.deduped and (started.run.context or {}).get("profile_id") != profile.pk:
        raise ScopeBusy(started.run)
    return started


def baseline_capture_start(
    *,
    actor: Any,
    profile: BaselineProfile,
    source_environment: ManagedEnvironment,
    force: bool = False,
    note: str = "",
    now: dt.datetime | None = None,
) -> StartResult:
    """Enqueue a ``baseline.capture`` run of ``profile`` from ``source_environment``'s current inventory.

    Refused (``ValidationFailed`` naming ``source_environment``) when the source has no inventory,
    when its last sync was partial or failed, or when its inventory is older than the profile's
    ``max_evidence_age_hours`` — unless ``force`` with a ``note`` (the note is audited as hash +
    length only). Dedupe and scope busy come from ``operation_start``.
    """
    authorize(actor, policies.MANAGE_BASELINES, profile)
    if source_environment.workspace_id != profile.workspace_id:
        raise NotFound()
    authorize(actor, policies.MANAGE_BASELINES, source_environment)
    if profile.is_archived:
        raise Conflict("The profile is archived.")
    if source_environment.is_archived:
        raise Conflict("The source environment is archived.")
    now = now or timezone.now()
    evidence = inventory_evidence(source_environment)
    refusal = evidence.refusal(profile.max_evidence_age_hours, now)
    text = (note or "").strip() if isinstance(note, str) else ""
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationFailed(f"The note may hold at most {NOTE_MAX_LENGTH} characters.", field="note")
    if refusal is not None:
        if evidence.run is None:
            raise ValidationFailed(refusal, field="source_environment")
        if not force:
            raise ValidationFailed(refusal, field="source_environment")
        if not text:
            raise ValidationFailed("Capturing anyway needs a note saying why.", field="note")
    forced = refusal is not None
    assert evidence.run is not None  # refused above otherwise
    with transaction.atomic():
        started = operation_start(
            actor=actor,
            operation_type=OperationType.BASELINE_CAPTURE,
            environment=source_environment,
            context={"profile_id": profile.pk, "force": forced, "evidence_run_id": evidence.run.pk},
        )
        started = _same_profile_or_busy(started, profile)
        if not started.deduped:
            audit_record(
                actor=actor,
                action=AuditAction.BASELINE_CAPTURE_REQUESTED,
                workspace=profile.workspace,
                environment=source_environment,
                target=started.run,
                metadata={
                    "profile_id": profile.pk,
                    "run_id": started.run.pk,
                    "evidence_run_id": evidence.run.pk,
                    "captured_anyway": forced,
                    "refusal": refusal or "",
                    # ``redact`` stores this only as a keyed hash + length.
                    "note": text,
                },
            )
    return started


def baseline_compare_start(*, actor: Any, profile: BaselineProfile, environment: ManagedEnvironment) -> StartResult:
    """Enqueue a ``baseline.compare`` run of ``profile``'s latest snapshot against ``environment``.

    The environment must be assigned to the profile and the profile must have a complete
    snapshot (``ValidationFailed`` naming ``environment`` / ``profile`` otherwise). Stale or
    incomplete evidence does not refuse: the result says so.
    """
    authorize(actor, policies.RUN_COMPARE, environment)
    if environment.workspace_id != profile.workspace_id:
        raise NotFound()
    authorize(actor, policies.VIEW_BASELINES, profile)
    if profile.is_archived:
        raise Conflict("The profile is archived.")
    if not BaselineAssignment.objects.filter(profile=profile, environment=environment).exists():
        raise ValidationFailed("The profile is not assigned to this environment.", field="environment")
    if not BaselineSnapshot.objects.filter(profile=profile, status=SnapshotStatus.COMPLETE).exists():
        raise ValidationFailed("The profile has no snapshot yet. Capture one first.", field="profile")
    started = operation_start(
        actor=actor,
        operation_type=OperationType.BASELINE_COMPARE,
        environment=environment,
        context={"profile_id": profile.pk},
    )
    return _same_profile_or_busy(started, profile)


def baseline_compare_start_system(
    *, profile: BaselineProfile, environment: ManagedEnvironment, context: Mapping[str, Any] | None = None
) -> StartResult:
    """Start a compare as the system (schedules, the demo): same checks, no actor, no notification.

    ``context`` adds bookkeeping keys to the run's context (a schedule names itself and its turn).
    An active compare of another profile on the environment raises ``ScopeBusy``.
    """
    if (
        profile.is_archived
        or not BaselineSnapshot.objects.filter(profile=profile, status=SnapshotStatus.COMPLETE).exists()
    ):
        raise ValidationFailed("The profile has no usable snapshot.", field="profile")
    started = operation_start(
        actor=None,
        operation_type=OperationType.BASELINE_COMPARE,
        environment=environment,
        context={**(context or {}), "profile_id": profile.pk, "scheduled": True},
    )
    return _same_profile_or_busy(started, profile)


# --------------------------------------------------------------------------------------------
# Review-by dates on accepted limitations and exclusions


def binding_review_set(
    *, actor: Any, binding: ProviderResourceBinding, review_by: dt.date | None
) -> BindingReview | None:
    """Set (or with ``None`` clear) the review-by date of an active accepted limitation or exclusion."""
    authorize(actor, policies.MANAGE_BASELINES, binding)
    if binding.binding_status != BindingStatus.ACTIVE:
        raise ValidationFailed("Only an active binding can be reviewed.", field="binding")
    if binding.resolution_mode not in REVIEWABLE_MODES:
        raise ValidationFailed("Only accepted limitations and exclusions carry a review date.", field="binding")
    if review_by is not None and not isinstance(review_by, dt.date):
        raise ValidationFailed("The review date must be a date.", field="review_by")
    with transaction.atomic():
        review = BindingReview.objects.select_for_update().filter(binding=binding).first()
        before = review.review_by.isoformat() if review is not None else None
        if review_by is None:
            if review is None:
                return None
            target: Any = review
            review.delete()
            result = None
        else:
            if review is None:
                review = BindingReview(
                    workspace_id=binding.workspace_id, environment_id=binding.environment_id, binding=binding
                )
            review.review_by = review_by
            review.set_by = actor if getattr(actor, "is_authenticated", False) else None
            review.save()
            target = review
            result = review
        audit_record(
            actor=actor,
            action=AuditAction.BASELINE_REVIEW_SET,
            workspace=binding.workspace,
            environment=binding.environment,
            target=binding,
            metadata={
                "binding_id": binding.pk,
                "review_id": getattr(target, "pk", None),
                "from": before,
                "to": review_by.isoformat() if review_by is not None else None,
            },
        )
    return result


# --------------------------------------------------------------------------------------------
# Worker writes


def snapshot_record(
    *,
    run: OperationRun,
    profile: BaselineProfile,
    environment: ManagedEnvironment,
    evidence: InventoryEvidence,
    captured_anyway: bool,
    provider_key: str,
    policy_types: Sequence[str],
    items: Sequence[BaselineSnapshotItem],
    now: dt.datetime | None = None,
) -> BaselineSnapshot:
    """Store a complete, immutable snapshot with its items (one transaction; audited as the system)."""
    now = now or timezone.now()
    with transaction.atomic():
        snapshot = BaselineSnapshot(
            workspace_id=profile.workspace_id,
            profile=profile,
            environment=environment,
            operation_run=run,
            captured_at=now,
            status=SnapshotStatus.BUILDING,
            source_inventory_run=evidence.run,
            evidence_at=evidence.at,
            captured_anyway=captured_anyway,
            policy_types=list(policy_types),
            provider_key=provider_key,
        )
        snapshot.full_clean(exclude=["operation_run", "source_inventory_run"])
        snapshot.save(force_insert=True)
        for item in items:
            item.snapshot = snapshot
            item.workspace_id = profile.workspace_id
        BaselineSnapshotItem.objects.bulk_create(items, batch_size=BULK_BATCH_SIZE)
        snapshot.status = SnapshotStatus.COMPLETE
        snapshot.item_count = len(items)
        snapshot.save(update_fields=["status", "item_count"])
        audit_record(
            actor=None,
            action=AuditAction.BASELINE_SNAPSHOT_CAPTURED,
            workspace=profile.workspace,
            environment=environment,
            target=snapshot,
            metadata={
                "profile_id": profile.pk,
                "snapshot_id": snapshot.pk,
                "run_id": run.pk,
                "evidence_run_id": evidence.run.pk if evidence.run else None,
                "captured_anyway": captured_anyway,
                "items": len(items),
            },
        )
    return snapshot


def compare_result_record(
    *,
    run: OperationRun,
    profile: BaselineProfile,
    snapshot: BaselineSnapshot,
    environment: ManagedEnvironment,
    evidence: InventoryEvidence,
    evidence_stale: bool,
    incomplete_types: Sequence[str],
    provider_key: str,
    counts: Mapping[str, int],
    items: Sequence[BaselineCompareItem],
    now: dt.datetime | None = None,
) -> BaselineCompareResult:
    """Store one compare result with its items (one transaction; audited as the system)."""
    now = now or timezone.now()
    with transaction.atomic():
        result = BaselineCompareResult(
            workspace_id=environment.workspace_id,
            environment=environment,
            profile=profile,
            snapshot=snapshot,
            operation_run=run,
            provider_key=provider_key,
            evidence_run=evidence.run,
            evidence_at=evidence.at,
            evidence_stale=evidence_stale,
            incomplete_types=list(incomplete_types),
            counts=dict(counts),
            created_at=now,
        )
        result.save(force_insert=True)
        for item in items:
            item.result = result
        BaselineCompareItem.objects.bulk_create(items, batch_size=BULK_BATCH_SIZE)
        audit_record(
            actor=None,
            action=AuditAction.BASELINE_COMPARE_RECORDED,
            workspace=environment.workspace,
            environment=environment,
            target=result,
            metadata={
                "profile_id": profile.pk,
                "snapshot_id": snapshot.pk,
                "result_id": result.pk,
                "run_id": run.pk,
                "evidence_run_id": evidence.run.pk if evidence.run else None,
                "evidence_stale": evidence_stale,
                "incomplete_types": list(incomplete_types),
                "counts": {k: v for k, v in counts.items() if v},
            },
        )
        send_compare_recorded(result)
    return result
