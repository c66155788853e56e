"""Reads of the workspace landing page: what is unhealthy, where drift is, what runs, what failed.

Everything comes from the database (no Graph call) and through the member's scope: environments
only through ``ManagedEnvironment.objects.visible_to`` (``scope.environments()``), runs only
through ``restrict_to_visible_environments``. A section the member lacks the view capability for
is left out (``None``). The page runs in a constant number of queries whatever the number of
environments, profiles, runs or snapshots: per-environment facts are subquery annotations on the
one page query, trends are one windowed query each over the page's environments.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from tenantpilot.authz.capabilities import Capability
from tenantpilot.baselines.models import BaselineAssignment, BaselineCompareResult
from tenantpilot.baselines.selectors import ATTENTION_OUTCOMES
from tenantpilot.inventory.models import ComplianceSnapshot
from tenantpilot.operations.choices import ACTIVE_STATUSES, OperationType, RunOutcome, RunStatus
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.reasons import RunReason, reason_label
from tenantpilot.providers.choices import ConnectionHealth
from tenantpilot.providers.models import ProviderConnection
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment, restrict_to_visible_environments

from . import charts

#: Inventory older than this is stale on the landing page (the default evidence age of a profile).
STALE_AFTER = dt.timedelta(hours=24)
#: How far back "failed recently" looks.
RECENT_FAILURES = dt.timedelta(days=7)
#: Points in each inline trend (compliance snapshots, compare results per profile).
TREND_POINTS = 12
#: Rows in the running / failed / drift lists.
LIST_LIMIT = 10

#: Reasons a new secret or certificate fixes (registered codes; the console never imports graph).
CREDENTIAL_REASONS: frozenset[str] = frozenset(
    {
        "auth_invalid_secret",
        "auth_secret_expired",
        "auth_certificate_invalid",
        RunReason.CREDENTIAL_UNAVAILABLE.value,
    }
)

_ACTIVE = [s.value for s in ACTIVE_STATUSES]
_PROBLEM_OUTCOMES = [RunOutcome.FAILED.value, RunOutcome.PARTIALLY_SUCCEEDED.value]
# A sync that stored anything is evidence (as ``baselines.services.inventory_evidence`` reads it).
_USABLE_OUTCOMES = [RunOutcome.SUCCEEDED.value, RunOutcome.PARTIALLY_SUCCEEDED.value]


@dataclass(frozen=True)
class NextAction:
    """The one thing to do next about a row: a link, or a button when it starts something (POST)."""

    label: str
    url: str
    post: bool = False


@dataclass
class DriftCell:
    """One (environment, profile) pair's latest compare result and its attention trend."""

    profile_id: int
    profile_name: str
    environment_id: int
    environment_name: str
    attention: int
    compared_at: dt.datetime | None
    unverified: bool
    url: str
    chart: SafeString = field(default_factory=lambda: SafeString(""))


@dataclass
class EnvironmentStatus:
    """One environment row: connection health, inventory evidence, drift, compliance, next action."""

    environment: ManagedEnvironment
    health: str | None  # None: the member may not see connections
    has_connection: bool
    reason_code: str
    reason_label: str
    last_sync_at: dt.datetime | None
    last_sync_outcome: str | None
    evidence: str | None  # "fresh", "stale", "partial", "failed", "never"; None: not shown
    active_run_id: int | None
    active_run_label: str
    drift: list[DriftCell]
    compliance_percent: float | None
    compliance_chart: SafeString
    action: NextAction | None
    severity: str  # "bad", "warn", "ok"


@dataclass
class RunRow:
    """A running or recently failed run, with its reason and its next action."""

    run: OperationRun
    reason_label: str
    action: NextAction


@dataclass
class HomeSummary:
    """The counts of the tiles at the top (over every visible active environment)."""

    environments: int = 0
    unhealthy: int = 0
    stale: int = 0
    drifting: int = 0
    drift_items: int = 0
    running: int = 0
    failed: int = 0


@dataclass
class HomePage:
    """Everything the landing page shows; sections the member may not see are ``None``."""

    summary: HomeSummary
    rows: list[EnvironmentStatus]
    running: list[RunRow] | None
    failed: list[RunRow] | None
    drift_hotspots: list[DriftCell] | None
    show_connections: bool
    show_evidence: bool
    show_drift: bool
    show_compliance: bool


def _url(name: str, scope: Scope, **kwargs: Any) -> str:
    return reverse(name, kwargs={"workspace": scope.workspace.slug, **kwargs})


def _safe(svg: str) -> SafeString:
    # charts.* escapes every text it puts in the markup and emits only numbers otherwise.
    return mark_safe(svg)  # noqa: S308


def environments_for_home(
    *, scope: Scope, include_archived: bool = False, search: str = "", for_counting: bool = False
) -> QuerySet[ManagedEnvironment]:
    """The member's environments, annotated with what the landing page needs, most urgent first.

    Annotations (each a correlated subquery, so one query for the whole page): the default
    connection's ``conn_id``/``conn_health``/``conn_reason`` (with ``provider.view``), the newest
    completed inventory sync's ``last_sync_outcome``/``last_sync_id`` and the newest usable one's
    ``last_good_sync_at`` (with ``inventory.view``), the active run's ``active_run_id``/``active_run_type``
    (with ``operations.view``), and ``urgency`` (0: broken, 1: needs a look, 2: fine, 3: archived).
    ``for_counting`` leaves out what only the rows need (active run, urgency, order).
    """
    scope.require(Capability.ENVIRONMENT_VIEW)
    qs = scope.environments()
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(display_name__icontains=search) | Q(tenant_id__icontains=search) | Q(default_domain__icontains=search)
        )
    now = timezone.now()
    broken: list[Q] = []
    shaky: list[Q] = []
    if scope.can(Capability.PROVIDER_VIEW):
        default = ProviderConnection.objects.filter(environment=OuterRef("pk"), is_default=True)
        qs = qs.annotate(
            conn_id=Subquery(default.values("pk")[:1]),
            conn_health=Subquery(default.values("health")[:1]),
            conn_reason=Subquery(default.values("last_reason_code")[:1]),
        )
        broken += [Q(conn_id__isnull=True), Q(conn_health=ConnectionHealth.UNHEALTHY)]
        shaky += [Q(conn_health__in=[ConnectionHealth.DEGRADED, ConnectionHealth.UNKNOWN])]
    if scope.can(Capability.INVENTORY_VIEW):
        syncs = OperationRun.objects.filter(
            environment=OuterRef("pk"), type=OperationType.INVENTORY_SYNC, status=RunStatus.COMPLETED
        ).order_by("-finished_at", "-pk")
        qs = qs.annotate(
            last_sync_outcome=Subquery(syncs.values("outcome")[:1]),
            last_sync_id=Subquery(syncs.values("pk")[:1]),
            last_good_sync_at=Subquery(syncs.filter(outcome__in=_USABLE_OUTCOMES).values("finished_at")[:1]),
        )
        broken += [Q(last_sync_outcome=RunOutcome.FAILED)]
        shaky += [
            Q(last_good_sync_at__isnull=True),
            Q(last_good_sync_at__lt=now - STALE_AFTER),
            Q(last_sync_outcome=RunOutcome.PARTIALLY_SUCCEEDED),
        ]
    if for_counting:
        return qs
    if scope.can(Capability.OPERATIONS_VIEW):
        active = OperationRun.objects.filter(environment=OuterRef("pk"), status__in=_ACTIVE).order_by("-created_at")
        qs = qs.annotate(
            active_run_id=Subquery(active.values("pk")[:1]),
            active_run_type=Subquery(active.values("type")[:1]),
        )
    whens = [When(archived_at__isnull=False, then=Value(3))]
    whens += [When(q, then=Value(0)) for q in broken]
    whens += [When(q, then=Value(1)) for q in shaky]
    qs = qs.annotate(urgency=Case(*whens, default=Value(2), output_field=IntegerField()))
    return qs.order_by("urgency", "display_name", "id")


def home_page(*, scope: Scope, environments: list[ManagedEnvironment]) -> HomePage:
    """The landing page for ``environments`` (one page of :func:`environments_for_home`)."""
    show_connections = scope.can(Capability.PROVIDER_VIEW)
    show_evidence = scope.can(Capability.INVENTORY_VIEW)
    show_runs = scope.can(Capability.OPERATIONS_VIEW)
    show_drift = scope.can(Capability.BASELINES_VIEW)
    now = timezone.now()
    env_ids = [e.pk for e in environments]

    drift_by_env: dict[int, list[DriftCell]] = defaultdict(list)
    hotspots: list[DriftCell] | None = None
    summary = _summary(scope, now=now)
    if show_drift:
        for cell in _drift_trends(scope, env_ids):
            drift_by_env[cell.environment_id].append(cell)
        hotspots, summary.drifting, summary.drift_items = _drift_hotspots(scope)
    compliance = _compliance_trends(scope, environments) if show_evidence else {}
    rows = [
        _row(scope, env, now=now, drift=drift_by_env.get(env.pk, []), compliance=compliance.get(env.pk))
        for env in environments
    ]
    running = failed = None
    if show_runs:
        running, failed, summary.running, summary.failed = _runs(scope, now=now)
    return HomePage(
        summary=summary,
        rows=rows,
        running=running,
        failed=failed,
        drift_hotspots=hotspots,
        show_connections=show_connections,
        show_evidence=show_evidence,
        show_drift=show_drift,
        show_compliance=show_evidence,
    )


def _summary(scope: Scope, *, now: dt.datetime) -> HomeSummary:
    """Tile counts over every visible active environment, in one aggregate query."""
    qs = environments_for_home(scope=scope, for_counting=True)
    counts: dict[str, Any] = {"environments": Count("pk")}
    if scope.can(Capability.PROVIDER_VIEW):
        counts["unhealthy"] = Count(
            "pk",
            filter=Q(conn_id__isnull=True) | Q(conn_health__in=[ConnectionHealth.UNHEALTHY, ConnectionHealth.DEGRADED]),
        )
    if scope.can(Capability.INVENTORY_VIEW):
        counts["stale"] = Count(
            "pk",
            filter=Q(last_good_sync_at__isnull=True)
            | Q(last_good_sync_at__lt=now - STALE_AFTER)
            | Q(last_sync_outcome__in=_PROBLEM_OUTCOMES),
        )
    values = qs.order_by().aggregate(**counts)
    return HomeSummary(**{k: int(v or 0) for k, v in values.items()})


def _attention(counts: Any) -> int:
    if not isinstance(counts, dict):
        return 0
    return sum(int(counts.get(o, 0) or 0) for o in ATTENTION_OUTCOMES)


def _current_results(scope: Scope) -> QuerySet[BaselineCompareResult]:
    """Compare results of pairs still assigned, of active profiles, in environments the member may see."""
    assigned = BaselineAssignment.objects.filter(profile=OuterRef("profile"), environment=OuterRef("environment"))
    return restrict_to_visible_environments(
        BaselineCompareResult.objects.filter(profile__archived_at__isnull=True), scope, workspace_level=False
    ).filter(Exists(assigned))


def _drift_trends(scope: Scope, env_ids: list[int]) -> list[DriftCell]:
    """Per (environment, profile) on the page: the latest result and the attention trend (one query)."""
    if not env_ids:
        return []
    rows = (
        _current_results(scope)
        .filter(environment_id__in=env_ids)
        .annotate(
            rn=Window(
                RowNumber(),
                partition_by=[F("environment_id"), F("profile_id")],
                order_by=[F("created_at").desc(), F("pk").desc()],
            )
        )
        .filter(rn__lte=TREND_POINTS)
        .values(
            "environment_id",
            "environment__display_name",
            "profile_id",
            "profile__name",
            "profile__max_evidence_age_hours",
            "counts",
            "created_at",
            "evidence_at",
            "evidence_stale",
            "incomplete_types",
            "rn",
        )
    )
    series: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        series[(row["environment_id"], row["profile_id"])].append(dict(row))
    cells = []
    for results in series.values():
        results.sort(key=lambda r: r["rn"])
        latest = results[0]
        cell = _cell(scope, latest)
        history = [_attention(r["counts"]) for r in reversed(results)]
        if len(history) > 1:
            cell.chart = _safe(
                charts.sparkline(
                    history,
                    label=f"Items needing attention in {latest['environment__display_name']}, "
                    f"{latest['profile__name']}, last {len(history)} compares",
                    css_class="spark drift",
                )
            )
        cells.append(cell)
    cells.sort(key=lambda c: (c.profile_name, c.profile_id))
    return cells


def _cell(scope: Scope, row: dict[str, Any]) -> DriftCell:
    evidence_at = row.get("evidence_at")
    max_age = dt.timedelta(hours=int(row.get("profile__max_evidence_age_hours") or 24))
    unverified = bool(
        row.get("evidence_stale")
        or row.get("incomplete_types")
        or evidence_at is None
        or timezone.now() - evidence_at > max_age
    )
    return DriftCell(
        profile_id=row["profile_id"],
        profile_name=row["profile__name"],
        environment_id=row["environment_id"],
        environment_name=row["environment__display_name"],
        attention=_attention(row["counts"]),
        compared_at=row["created_at"],
        unverified=unverified,
        url=_url("console:baseline-result", scope, profile_id=row["profile_id"], environment_id=row["environment_id"]),
    )


def _drift_hotspots(scope: Scope) -> tuple[list[DriftCell], int, int]:
    """The pairs with the most items needing attention (latest result each), over every visible
    active environment; with the number of drifting environments and of items. One query."""
    latest = BaselineCompareResult.objects.filter(
        profile=OuterRef("profile"), environment=OuterRef("environment")
    ).order_by("-created_at", "-pk")
    assignments = (
        restrict_to_visible_environments(BaselineAssignment.objects.all(), scope, workspace_level=False)
        .filter(profile__archived_at__isnull=True, environment__archived_at__isnull=True)
        .annotate(
            latest_counts=Subquery(latest.values("counts")[:1]),
            latest_created_at=Subquery(latest.values("created_at")[:1]),
            latest_evidence_at=Subquery(latest.values("evidence_at")[:1]),
            latest_evidence_stale=Subquery(latest.values("evidence_stale")[:1]),
            latest_incomplete_types=Subquery(latest.values("incomplete_types")[:1]),
        )
        .filter(latest_created_at__isnull=False)
        .values(
            "environment_id",
            "environment__display_name",
            "profile_id",
            "profile__name",
            "profile__max_evidence_age_hours",
            "latest_counts",
            "latest_created_at",
            "latest_evidence_at",
            "latest_evidence_stale",
            "latest_incomplete_types",
        )
    )
    cells = [c for c in (_cell(scope, _decoded(row)) for row in assignments) if c.attention]
    drifting = len({c.environment_id for c in cells})
    items = sum(c.attention for c in cells)
    cells.sort(key=lambda c: (-c.attention, c.environment_name, c.profile_name))
    return cells[:LIST_LIMIT], drifting, items


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    """Rename the ``latest_*`` annotations to a result row's keys; JSON read through a subquery
    comes back as text on some backends."""
    row = {k.removeprefix("latest_"): v for k, v in row.items()}
    for key in ("counts", "incomplete_types"):
        if isinstance(row.get(key), str):
            try:
                row[key] = json.loads(row[key])
            except ValueError:
                row[key] = None
    return row


def _compliance_trends(
    scope: Scope, environments: list[ManagedEnvironment]
) -> dict[int, tuple[float | None, SafeString]]:
    """Per environment on the page: the latest compliant share (%) and its trend (one query)."""
    if not environments:
        return {}
    names = {e.pk: e.display_name for e in environments}
    rows = (
        restrict_to_visible_environments(ComplianceSnapshot.objects.all(), scope, workspace_level=False)
        .filter(environment_id__in=list(names))
        .annotate(
            rn=Window(
                RowNumber(),
                partition_by=[F("environment_id")],
                order_by=[F("captured_at").desc(), F("pk").desc()],
            )
        )
        .filter(rn__lte=TREND_POINTS)
        .values("environment_id", "device_total", "compliant_count", "rn")
    )
    series: dict[int, list[tuple[int, float | None]]] = defaultdict(list)
    for row in rows:
        total = row["device_total"]
        share = round(100.0 * row["compliant_count"] / total, 1) if total else None
        series[row["environment_id"]].append((row["rn"], share))
    out: dict[int, tuple[float | None, SafeString]] = {}
    for env_id, points in series.items():
        points.sort(key=lambda p: -p[0])  # oldest first
        values = [v for _, v in points]
        chart = (
            charts.sparkline(
                values,
                label=f"Compliant devices in {names[env_id]}, %",
                lower=0,
                upper=100,
                css_class="spark compliance",
            )
            if len(values) > 1
            else ""
        )
        out[env_id] = (values[-1], _safe(chart))
    return out


def _row(
    scope: Scope,
    env: Any,
    *,
    now: dt.datetime,
    drift: list[DriftCell],
    compliance: tuple[float | None, SafeString] | None,
) -> EnvironmentStatus:
    health = getattr(env, "conn_health", None) if scope.can(Capability.PROVIDER_VIEW) else None
    has_connection = getattr(env, "conn_id", None) is not None
    reason = getattr(env, "conn_reason", None) or ""
    evidence: str | None = None
    last_sync_at = getattr(env, "last_good_sync_at", None)
    last_outcome = getattr(env, "last_sync_outcome", None)
    if scope.can(Capability.INVENTORY_VIEW):
        if last_outcome == RunOutcome.FAILED:
            evidence = "failed"
        elif last_sync_at is None:
            evidence = "never"
        elif last_outcome == RunOutcome.PARTIALLY_SUCCEEDED:
            evidence = "partial"
        elif now - last_sync_at > STALE_AFTER:
            evidence = "stale"
        else:
            evidence = "fresh"
    active_run_id = getattr(env, "active_run_id", None)
    active_type = getattr(env, "active_run_type", None) or ""
    active_label = ""
    if active_run_id:
        try:
            active_label = str(OperationType(active_type).label)
        except ValueError:
            active_label = active_type
    attention = sum(c.attention for c in drift)
    severity = "ok"
    if env.archived_at is None:
        if (scope.can(Capability.PROVIDER_VIEW) and (not has_connection or health == ConnectionHealth.UNHEALTHY)) or (
            evidence == "failed"
        ):
            severity = "bad"
        elif (
            health in (ConnectionHealth.DEGRADED, ConnectionHealth.UNKNOWN)
            or evidence in ("never", "stale", "partial")
            or attention
        ):
            severity = "warn"
    status = EnvironmentStatus(
        environment=env,
        health=health if has_connection else None,
        has_connection=has_connection,
        reason_code=reason,
        reason_label=reason_label(reason) if reason else "",
        last_sync_at=last_sync_at,
        last_sync_outcome=last_outcome,
        evidence=evidence,
        active_run_id=active_run_id,
        active_run_label=active_label,
        drift=drift,
        compliance_percent=compliance[0] if compliance else None,
        compliance_chart=compliance[1] if compliance else SafeString(""),
        action=None,
        severity=severity,
    )
    if env.archived_at is None:
        status.action = _next_action(scope, status)
    return status


def _next_action(scope: Scope, row: EnvironmentStatus) -> NextAction | None:
    """The one next step for an environment row, the most urgent first; ``None`` when all is well."""
    env = row.environment
    env_id = env.pk
    conn_id = getattr(env, "conn_id", None)
    if row.active_run_id:
        return NextAction(
            f"View running {row.active_run_label.lower()}",
            _url("console:operation-detail", scope, run_id=row.active_run_id),
        )
    if scope.can(Capability.PROVIDER_VIEW):
        if not row.has_connection:
            if scope.can(Capability.PROVIDER_MANAGE):
                return NextAction("Add a connection", _url("console:connection-create", scope, environment_id=env_id))
            return NextAction("View connections", _url("console:connections", scope, environment_id=env_id))
        if row.health != ConnectionHealth.HEALTHY:
            if row.reason_code in CREDENTIAL_REASONS and scope.can(Capability.PROVIDER_MANAGE):
                return NextAction(
                    "Fix credential",
                    _url("console:connection-credential", scope, environment_id=env_id, connection_id=conn_id),
                )
            if scope.can(Capability.PROVIDER_RUN):
                return NextAction(
                    "Re-check connection",
                    _url("console:connection-check", scope, environment_id=env_id, connection_id=conn_id),
                    post=True,
                )
            return NextAction(
                "View connection",
                _url("console:connection-detail", scope, environment_id=env_id, connection_id=conn_id),
            )
    last_sync_id = getattr(env, "last_sync_id", None)
    if row.evidence == "failed" and last_sync_id and scope.can(Capability.OPERATIONS_VIEW):
        return NextAction("View failed sync", _url("console:operation-detail", scope, run_id=last_sync_id))
    if row.evidence in ("never", "stale", "partial", "failed"):
        if scope.can(Capability.PROVIDER_RUN):
            return NextAction("Sync inventory", _url("console:inventory-sync", scope, environment_id=env_id), post=True)
        return NextAction("View inventory", _url("console:inventory", scope, environment_id=env_id))
    worst = max(row.drift, key=lambda c: c.attention, default=None)
    if worst is not None and worst.attention:
        return NextAction("Open drift", worst.url)
    return None


def _runs(scope: Scope, *, now: dt.datetime) -> tuple[list[RunRow], list[RunRow], int, int]:
    """Running runs and recently failed or partial ones the member may see, and how many of
    each (three queries)."""
    visible = restrict_to_visible_environments(OperationRun.objects.all(), scope).select_related("environment")
    is_active = Q(status__in=_ACTIVE)
    is_failed = Q(status=RunStatus.COMPLETED, outcome__in=_PROBLEM_OUTCOMES, finished_at__gte=now - RECENT_FAILURES)
    active_qs = visible.filter(is_active)
    failed_qs = visible.filter(is_failed)
    totals = visible.order_by().aggregate(running=Count("pk", filter=is_active), failed=Count("pk", filter=is_failed))
    running = [
        RunRow(
            run=r, reason_label="", action=NextAction("View run", _url("console:operation-detail", scope, run_id=r.pk))
        )
        for r in active_qs.order_by("-created_at", "-pk")[:LIST_LIMIT]
    ]
    failed = [
        RunRow(run=r, reason_label=reason_label(r.reason_code) if r.reason_code else "", action=_run_action(scope, r))
        for r in failed_qs.order_by("-finished_at", "-pk")[:LIST_LIMIT]
    ]
    return running, failed, int(totals["running"] or 0), int(totals["failed"] or 0)


def _run_action(scope: Scope, run: OperationRun) -> NextAction:
    """Fix the credential when that is what failed (and the member may); else look at the run."""
    if (
        run.reason_code in CREDENTIAL_REASONS
        and run.connection_id is not None
        and run.environment_id is not None
        and scope.can(Capability.PROVIDER_MANAGE)
    ):
        return NextAction(
            "Fix credential",
            _url(
                "console:connection-credential",
                scope,
                environment_id=run.environment_id,
                connection_id=run.connection_id,
            ),
        )
    return NextAction("View run", _url("console:operation-detail", scope, run_id=run.pk))
