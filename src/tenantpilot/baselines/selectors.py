"""Reads of the baselines domain, always inside one workspace scope.

Every function takes the member's ``scope`` and requires ``baselines.view``. Environments are
only ever reached through ``ManagedEnvironment.objects.visible_to(scope)``: an environment the
member cannot see is neither listed, counted nor named (a snapshot captured from one names no
source). Missing and not visible raise the same ``NotFound``.

The drift overview, the per-environment result and the cross-environment view of one subject
each run in a constant number of queries, whatever the number of subjects or environments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from tenantpilot.core.errors import NotFound, ValidationFailed
from tenantpilot.operations.choices import OperationType, RunStatus
from tenantpilot.operations.models import OperationRun
from tenantpilot.tenancy.authority import Scope, parse_environment_id
from tenantpilot.tenancy.models import ManagedEnvironment, ManagedEnvironmentQuerySet

from . import policies
from .choices import GOVERNED_POLICY_TYPES, CompareOutcome, SnapshotStatus
from .models import (
    BaselineAssignment,
    BaselineCompareItem,
    BaselineCompareResult,
    BaselineProfile,
    BaselineSnapshot,
    BaselineSnapshotItem,
    BindingReview,
)
from .services import InventoryEvidence, inventory_evidence

#: Outcomes that need an operator's attention (a result with none of them, on complete and fresh
#: evidence, is clean). ``unknown`` is here: evidence we do not have is never green.
ATTENTION_OUTCOMES: tuple[str, ...] = (
    CompareOutcome.DRIFT.value,
    CompareOutcome.MISSING.value,
    CompareOutcome.AMBIGUOUS_MATCH.value,
    CompareOutcome.UNEXPECTED.value,
    CompareOutcome.UNKNOWN.value,
)
#: Every outcome in the order the pages show them.
OUTCOME_ORDER: tuple[str, ...] = tuple(CompareOutcome.values)
_ACTIVE_RUN_STATES = (RunStatus.QUEUED, RunStatus.RUNNING)


def _require_view(scope: Scope) -> None:
    scope.require(policies.VIEW_BASELINES)


def _pk(raw: object) -> int:
    """A positive integer id, else ``NotFound`` (a bad id looks like a missing record)."""
    pk = parse_environment_id(raw)
    if pk is None:
        raise NotFound()
    return pk


def visible_environments(scope: Scope) -> ManagedEnvironmentQuerySet:
    """The environments of the workspace this member may see (the one scoping rule)."""
    return ManagedEnvironment.objects.visible_to(scope)


def _check_environment(scope: Scope, environment: ManagedEnvironment) -> None:
    if environment.workspace_id != scope.workspace.pk:
        raise NotFound()
    scope.require_visible(environment)


# --------------------------------------------------------------------------------------------
# Profiles


def profile_list(*, scope: Scope, include_archived: bool = False) -> QuerySet[BaselineProfile]:
    """The workspace's profiles by name, each annotated with ``visible_assignment_count`` (only
    environments the member may see are counted) and ``last_captured_at`` (newest complete snapshot)."""
    _require_view(scope)
    visible = visible_environments(scope).values("pk")
    newest = (
        BaselineSnapshot.objects.filter(profile=OuterRef("pk"), status=SnapshotStatus.COMPLETE)
        .order_by("-captured_at", "-pk")
        .values("captured_at")[:1]
    )
    qs = BaselineProfile.objects.for_workspace(scope.workspace).annotate(
        visible_assignment_count=Count("assignments", filter=Q(assignments__environment__in=visible), distinct=True),
        last_captured_at=Subquery(newest),
    )
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs.order_by("name", "pk")


def profile_get(*, scope: Scope, profile_id: object) -> BaselineProfile:
    """One profile of the workspace (archived included), else ``NotFound``."""
    _require_view(scope)
    profile = BaselineProfile.objects.for_workspace(scope.workspace).filter(pk=_pk(profile_id)).first()
    if profile is None:
        raise NotFound()
    return profile


# --------------------------------------------------------------------------------------------
# Snapshots


def snapshot_list(*, scope: Scope, profile: BaselineProfile) -> QuerySet[BaselineSnapshot]:
    """The profile's snapshots, newest first, with ``source_visible`` (the member may see the source)."""
    _require_view(scope)
    if profile.workspace_id != scope.workspace.pk:
        raise NotFound()
    return (
        BaselineSnapshot.objects.filter(workspace=scope.workspace, profile=profile)
        .select_related("environment")
        .annotate(source_visible=Exists(visible_environments(scope).filter(pk=OuterRef("environment_id"))))
        .order_by("-captured_at", "-pk")
    )


def snapshot_get(*, scope: Scope, profile: BaselineProfile, snapshot_id: object) -> BaselineSnapshot:
    """One snapshot of ``profile``, else ``NotFound``; ``source_visible`` as in :func:`snapshot_list`."""
    snapshot = snapshot_list(scope=scope, profile=profile).filter(pk=_pk(snapshot_id)).first()
    if snapshot is None:
        raise NotFound()
    return snapshot


def latest_snapshot(*, scope: Scope, profile: BaselineProfile) -> BaselineSnapshot | None:
    """The profile's newest complete snapshot (what the next compare compares against)."""
    return snapshot_list(scope=scope, profile=profile).filter(status=SnapshotStatus.COMPLETE).first()


def snapshot_items(
    *, scope: Scope, snapshot: BaselineSnapshot, policy_type: str = "", search: str = ""
) -> QuerySet[BaselineSnapshotItem]:
    """The snapshot's items by type and label (normalized payloads deferred), optionally filtered."""
    _require_view(scope)
    if snapshot.workspace_id != scope.workspace.pk:
        raise NotFound()
    if policy_type and policy_type not in GOVERNED_POLICY_TYPES:
        raise ValidationFailed(f"Unknown policy type {policy_type!r}.", field="type")
    qs = BaselineSnapshotItem.objects.filter(snapshot=snapshot).defer("normalized")
    if policy_type:
        qs = qs.filter(policy_type=policy_type)
    if search:
        qs = qs.filter(Q(display_label__icontains=search) | Q(canonical_subject_key__icontains=search))
    return qs.order_by("policy_type", "display_label", "pk")


def snapshot_item_get(*, scope: Scope, snapshot: BaselineSnapshot, item_id: object) -> BaselineSnapshotItem:
    """One item of the snapshot with its normalized payload, else ``NotFound``."""
    _require_view(scope)
    item = BaselineSnapshotItem.objects.filter(snapshot=snapshot, workspace=scope.workspace, pk=_pk(item_id)).first()
    if item is None:
        raise NotFound()
    return item


def source_evidence(*, scope: Scope, environment: ManagedEnvironment) -> InventoryEvidence:
    """What the environment's current inventory is worth as a capture source (three queries)."""
    _require_view(scope)
    _check_environment(scope, environment)
    return inventory_evidence(environment)


# --------------------------------------------------------------------------------------------
# Assignments


def assignment_list(*, scope: Scope, profile: BaselineProfile) -> QuerySet[BaselineAssignment]:
    """The profile's assignments to environments the member may see, by environment name."""
    _require_view(scope)
    if profile.workspace_id != scope.workspace.pk:
        raise NotFound()
    return (
        BaselineAssignment.objects.filter(
            workspace=scope.workspace,
            profile=profile,
            environment__in=visible_environments(scope).values("pk"),
        )
        .select_related("environment")
        .order_by("environment__display_name", "environment_id")
    )


def assignable_environments(*, scope: Scope, profile: BaselineProfile) -> QuerySet[ManagedEnvironment]:
    """Visible, active environments the profile is not assigned to yet."""
    _require_view(scope)
    assigned = BaselineAssignment.objects.filter(profile=profile).values("environment_id")
    return visible_environments(scope).active().exclude(pk__in=assigned).order_by("display_name", "pk")


def assigned_environment(*, scope: Scope, profile: BaselineProfile, environment: ManagedEnvironment) -> bool:
    """Whether ``profile`` is assigned to the (visible) ``environment``."""
    _require_view(scope)
    _check_environment(scope, environment)
    return BaselineAssignment.objects.filter(profile=profile, environment=environment).exists()


# --------------------------------------------------------------------------------------------
# Drift overview


@dataclass
class DriftRow:
    """One assigned environment in the drift overview (or one profile on an environment's page)."""

    environment: ManagedEnvironment
    profile: BaselineProfile
    result: BaselineCompareResult | None
    active_run: OperationRun | None = None
    latest_snapshot_id: int | None = None
    now: dt.datetime = field(default_factory=timezone.now)

    @property
    def counts(self) -> dict[str, int]:
        stored = self.result.counts if self.result is not None else {}
        return {outcome: int(stored.get(outcome, 0) or 0) for outcome in OUTCOME_ORDER}

    @property
    def outcome_counts(self) -> list[tuple[str, str, int]]:
        """``(outcome, label, n)`` for every outcome, in page order."""
        counts = self.counts
        return [(o, CompareOutcome(o).label, counts[o]) for o in OUTCOME_ORDER]

    @property
    def attention(self) -> int:
        counts = self.counts
        return sum(counts[o] for o in ATTENTION_OUTCOMES)

    @property
    def compared_at(self) -> dt.datetime | None:
        return self.result.created_at if self.result is not None else None

    @property
    def evidence_at(self) -> dt.datetime | None:
        return self.result.evidence_at if self.result is not None else None

    @property
    def stale(self) -> bool:
        """The result's evidence was stale when compared, or is older than the profile allows now."""
        if self.result is None:
            return False
        if self.result.evidence_stale or self.result.evidence_at is None:
            return True
        return self.now - self.result.evidence_at > dt.timedelta(hours=self.profile.max_evidence_age_hours)

    @property
    def incomplete_types(self) -> list[str]:
        return list(self.result.incomplete_types) if self.result is not None else []

    @property
    def outdated_snapshot(self) -> bool:
        """The result compared an older snapshot than the profile's newest."""
        return (
            self.result is not None
            and self.latest_snapshot_id is not None
            and self.result.snapshot_id != self.latest_snapshot_id
        )

    @property
    def state(self) -> str:
        """``not_compared``, ``attention``, ``unverified`` (clean counts on evidence we lack) or ``clean``."""
        if self.result is None:
            return "not_compared"
        if self.attention:
            return "attention"
        if self.stale or self.incomplete_types or self.outdated_snapshot:
            return "unverified"
        return "clean"


def drift_overview(*, scope: Scope, profile: BaselineProfile, now: dt.datetime | None = None) -> list[DriftRow]:
    """One row per environment the profile is assigned to and the member may see (four queries).

    Each row carries the latest compare result of (profile, environment) — its stored counts per
    outcome, evidence time, stale and incomplete flags — and the active compare run, if any.
    """
    now = now or timezone.now()
    latest = (
        BaselineCompareResult.objects.filter(profile=OuterRef("profile"), environment=OuterRef("environment"))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    assignments = list(assignment_list(scope=scope, profile=profile).annotate(latest_result_id=Subquery(latest)))
    env_ids = [a.environment_id for a in assignments]
    result_ids = [a.latest_result_id for a in assignments if a.latest_result_id]  # type: ignore[attr-defined]
    results = {r.pk: r for r in BaselineCompareResult.objects.filter(pk__in=result_ids)} if result_ids else {}
    runs: dict[int, OperationRun] = {}
    if env_ids:
        for run in OperationRun.objects.filter(
            environment_id__in=env_ids, type=OperationType.BASELINE_COMPARE, status__in=_ACTIVE_RUN_STATES
        ):
            if run.environment_id is not None and (run.context or {}).get("profile_id") == profile.pk:
                runs[run.environment_id] = run
    newest = latest_snapshot(scope=scope, profile=profile)
    return [
        DriftRow(
            environment=a.environment,
            profile=profile,
            result=results.get(a.latest_result_id),  # type: ignore[attr-defined]
            active_run=runs.get(a.environment_id),
            latest_snapshot_id=newest.pk if newest is not None else None,
            now=now,
        )
        for a in assignments
    ]


def environment_drift_summary(
    *, scope: Scope, environment: ManagedEnvironment, now: dt.datetime | None = None
) -> list[DriftRow]:
    """For an environment's page: one row per (active) profile assigned to it, with its latest result."""
    _require_view(scope)
    _check_environment(scope, environment)
    now = now or timezone.now()
    latest = (
        BaselineCompareResult.objects.filter(profile=OuterRef("profile"), environment=OuterRef("environment"))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    assignments = list(
        BaselineAssignment.objects.filter(
            workspace=scope.workspace, environment=environment, profile__archived_at__isnull=True
        )
        .select_related("profile")
        .annotate(latest_result_id=Subquery(latest))
        .order_by("profile__name", "profile_id")
    )
    result_ids = [a.latest_result_id for a in assignments if a.latest_result_id]  # type: ignore[attr-defined]
    results = {r.pk: r for r in BaselineCompareResult.objects.filter(pk__in=result_ids)} if result_ids else {}
    return [
        DriftRow(
            environment=environment,
            profile=a.profile,
            result=results.get(a.latest_result_id),  # type: ignore[attr-defined]
            now=now,
        )
        for a in assignments
    ]


# --------------------------------------------------------------------------------------------
# One environment's result


def result_get(
    *,
    scope: Scope,
    profile: BaselineProfile,
    environment: ManagedEnvironment,
    result_id: object = None,
) -> BaselineCompareResult | None:
    """The latest result of (profile, environment), or the given one of that pair.

    ``None`` when the pair was never compared; ``NotFound`` for a ``result_id`` that is not a
    result of this pair (or an environment the member may not see).
    """
    _require_view(scope)
    _check_environment(scope, environment)
    if profile.workspace_id != scope.workspace.pk:
        raise NotFound()
    qs = BaselineCompareResult.objects.filter(
        workspace=scope.workspace, profile=profile, environment=environment
    ).select_related("snapshot")
    if result_id not in (None, ""):
        result = qs.filter(pk=_pk(result_id)).first()
        if result is None:
            raise NotFound()
        return result
    return qs.order_by("-created_at", "-pk").first()


def result_history(
    *, scope: Scope, profile: BaselineProfile, environment: ManagedEnvironment, limit: int = 10
) -> list[BaselineCompareResult]:
    """The pair's latest results, newest first (for the result page's "earlier compares")."""
    _require_view(scope)
    _check_environment(scope, environment)
    return list(
        BaselineCompareResult.objects.filter(workspace=scope.workspace, profile=profile, environment=environment)
        .only("pk", "created_at", "counts", "evidence_stale", "incomplete_types", "snapshot_id")
        .order_by("-created_at", "-pk")[:limit]
    )


def result_items(
    *, scope: Scope, result: BaselineCompareResult, outcome: str = "", policy_type: str = ""
) -> QuerySet[BaselineCompareItem]:
    """The result's rows (outcomes needing attention first), filtered by outcome and policy type.

    An unknown filter value raises ``ValidationFailed`` naming the filter (``outcome`` / ``type``).
    """
    _require_view(scope)
    if result.workspace_id != scope.workspace.pk:
        raise NotFound()
    scope.require_visible(result.environment)
    if outcome and outcome not in CompareOutcome.values:
        raise ValidationFailed(f"Unknown outcome {outcome!r}.", field="outcome")
    if policy_type and policy_type not in GOVERNED_POLICY_TYPES:
        raise ValidationFailed(f"Unknown policy type {policy_type!r}.", field="type")
    qs = (
        BaselineCompareItem.objects.filter(result=result)
        .select_related("snapshot_item")
        .defer("snapshot_item__normalized")
    )
    if outcome:
        qs = qs.filter(outcome=outcome)
    if policy_type:
        qs = qs.filter(policy_type=policy_type)
    return qs.order_by("outcome", "policy_type", "baseline_label", "target_label", "pk")


def result_type_counts(*, scope: Scope, result: BaselineCompareResult) -> dict[str, int]:
    """Rows per policy type of the result (one grouped query)."""
    _require_view(scope)
    rows = BaselineCompareItem.objects.filter(result=result).values("policy_type").annotate(n=Count("pk"))
    return {row["policy_type"]: row["n"] for row in rows.order_by()}


# --------------------------------------------------------------------------------------------
# One subject across environments


@dataclass(frozen=True)
class SubjectRow:
    """One assigned, visible environment's view of a baseline subject (its latest result's row)."""

    environment: ManagedEnvironment
    result: BaselineCompareResult | None
    item: BaselineCompareItem | None


def subject_across_environments(
    *, scope: Scope, profile: BaselineProfile, canonical_subject_key: str
) -> tuple[BaselineSnapshotItem | None, list[SubjectRow]]:
    """The subject in the profile's newest snapshot, and its row in every visible assigned
    environment's latest result (``item`` is ``None`` where that result has no such row). Four queries."""
    if not canonical_subject_key:
        raise ValidationFailed("Name a subject key.", field="key")
    latest = (
        BaselineCompareResult.objects.filter(profile=OuterRef("profile"), environment=OuterRef("environment"))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    assignments = list(assignment_list(scope=scope, profile=profile).annotate(latest_result_id=Subquery(latest)))
    result_ids = [a.latest_result_id for a in assignments if a.latest_result_id]  # type: ignore[attr-defined]
    results = {r.pk: r for r in BaselineCompareResult.objects.filter(pk__in=result_ids)} if result_ids else {}
    items: dict[int, BaselineCompareItem] = {}
    if result_ids:
        for item in BaselineCompareItem.objects.filter(
            result_id__in=result_ids, canonical_subject_key=canonical_subject_key
        ).order_by("pk"):
            items.setdefault(item.result_id, item)
    newest = latest_snapshot(scope=scope, profile=profile)
    subject = (
        BaselineSnapshotItem.objects.filter(snapshot=newest, canonical_subject_key=canonical_subject_key)
        .defer("normalized")
        .first()
        if newest is not None
        else None
    )
    rows = []
    for a in assignments:
        rid = a.latest_result_id  # type: ignore[attr-defined]
        rows.append(SubjectRow(environment=a.environment, result=results.get(rid), item=items.get(rid)))
    return subject, rows


def assigned_profile_names(environment: ManagedEnvironment) -> list[str]:
    """Names of the active (not archived) baseline profiles assigned to ``environment``.

    Not scoped by an actor: the environment is already resolved by the caller's authority, and
    the names are the environment's own workspace's. Inventory uses it (registered in
    ``BaselinesConfig.ready``) to keep the reference data a compare needs.
    """
    rows = BaselineAssignment.objects.filter(
        environment=environment, workspace_id=environment.workspace_id, profile__archived_at__isnull=True
    ).values_list("profile__name", flat=True)
    return sorted(rows)


def result_list(
    *, scope: Scope, profile: BaselineProfile, environment: ManagedEnvironment
) -> QuerySet[BaselineCompareResult]:
    """Every result of (profile, environment), newest first (the API's paged history of a pair)."""
    _require_view(scope)
    _check_environment(scope, environment)
    if profile.workspace_id != scope.workspace.pk:
        raise NotFound()
    return BaselineCompareResult.objects.filter(
        workspace=scope.workspace, profile=profile, environment=environment
    ).order_by("-created_at", "-pk")


def binding_review_dates(*, scope: Scope, binding_ids: list[int]) -> dict[int, dt.date]:
    """``{binding id: review-by date}`` of the given bindings of the workspace that carry one (one query).

    The callers have already scoped the bindings; this only adds the review date to each.
    """
    if not binding_ids:
        return {}
    rows = BindingReview.objects.filter(workspace=scope.workspace, binding_id__in=binding_ids).values_list(
        "binding_id", "review_by"
    )
    return dict(rows)
