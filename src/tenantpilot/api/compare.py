"""Drift across a profile's environments: compare all assigned environments in one call, the drift
overview (one row per assigned environment), a pair's compare history and its rows (filtered), and
one baseline subject across every assigned environment — on the console's services and selectors.

Environments the caller may not see are never listed, counted or named: every list here comes
from the profile's assignments to *visible* environments (``selectors.assignment_list``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from tenantpilot.authz.capabilities import Capability
from tenantpilot.baselines import selectors, services
from tenantpilot.baselines.choices import CompareOutcome
from tenantpilot.baselines.models import BaselineCompareItem
from tenantpilot.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from tenantpilot.operations.services import ScopeBusy

from .auth import actor, scope_for
from .baselines import ResultOut
from .ids import Id
from .pagination import PageParams, paginate
from .runs import RunOut
from .schemas import ERRORS, ErrorBody, Page

router = Router(tags=["baselines"])

_ONE = "/w/{workspace}/baselines/{profile_id}"
_PAIR = _ONE + "/environments/{environment_id}"


# --------------------------------------------------------------------------------------------
# Schemas


class ChangeOut(Schema):
    """One field that differs: its path, the baseline's value and the target's value (``null``: not set)."""

    path: str
    baseline: Any = None
    target: Any = None


class CandidateOut(Schema):
    """One resource an ``ambiguous_match`` could be (never a guess: every candidate is listed)."""

    item_id: int | None = Field(None, description="The inventory item of the candidate.")
    object_id: str = Field("", description="Its provider object id.")
    label: str = ""


def _changes(item: BaselineCompareItem) -> list[dict[str, Any]]:
    return [
        {"path": str(c.get("path", "")), "baseline": c.get("baseline"), "target": c.get("target")}
        for c in (item.changes or [])
        if isinstance(c, dict)
    ]


def _candidates(item: BaselineCompareItem) -> list[dict[str, Any]]:
    rows = []
    for c in item.candidates or []:
        if not isinstance(c, dict):
            continue
        item_id = c.get("item_id")
        rows.append(
            {
                "item_id": item_id if isinstance(item_id, int) else None,
                "object_id": str(c.get("object_id") or ""),
                "label": str(c.get("label") or ""),
            }
        )
    return rows


class CompareRowOut(Schema):
    """One subject's outcome in one compare result: why (``reason``, the ``binding`` that decided),
    the field changes of a drift and the candidates of an ambiguous match."""

    id: int
    result_id: int
    policy_type: str
    canonical_subject_key: str
    baseline_label: str
    baseline_object_id: str = Field(description="The baseline source's object id ('' for an unexpected row).")
    target_item_id: int | None
    target_object_id: str
    target_label: str
    outcome: str
    reason: str
    binding_id: int | None
    binding_mode: str
    renamed: bool
    changed_since_accepted: bool
    changes: list[ChangeOut]
    candidates: list[CandidateOut]

    @staticmethod
    def resolve_baseline_object_id(obj: BaselineCompareItem) -> str:
        return obj.snapshot_item.source_object_id if obj.snapshot_item_id and obj.snapshot_item else ""

    @staticmethod
    def resolve_changes(obj: BaselineCompareItem) -> list[dict[str, Any]]:
        return _changes(obj)

    @staticmethod
    def resolve_candidates(obj: BaselineCompareItem) -> list[dict[str, Any]]:
        return _candidates(obj)


class CompareStartedOut(Schema):
    """What a compare start did in one environment.

    ``status``: ``started`` (a new run), ``deduplicated`` (the same compare was already active:
    that run), ``scope_busy`` (another operation keeps the environment busy: the active run) or
    ``refused`` (``error`` says why, e.g. an archived environment).
    """

    environment_id: int
    environment_name: str
    status: str
    run: RunOut | None = None
    error: ErrorBody | None = None


class CompareAllOut(Schema):
    """One compare start per assigned, active environment the caller may see."""

    started: int = Field(description="New compare runs.")
    deduplicated: int
    busy: int
    refused: int
    environments: list[CompareStartedOut]


class DriftRowOut(Schema):
    """One assigned environment in the drift overview.

    ``state``: ``not_compared``, ``attention`` (drift, missing, ambiguous, unexpected or unknown
    rows), ``unverified`` (clean counts on stale or incomplete evidence, or an older snapshot) or
    ``clean``.
    """

    environment_id: int
    environment_name: str
    state: str
    result_id: int | None
    compared_at: dt.datetime | None
    evidence_at: dt.datetime | None
    stale: bool
    incomplete_types: list[str]
    outdated_snapshot: bool
    counts: dict[str, int]
    attention: int
    active_run_id: int | None


class EnvironmentDriftOut(Schema):
    """One active baseline profile assigned to the environment, with its latest result there."""

    profile_id: int
    profile_name: str
    state: str
    result_id: int | None
    compared_at: dt.datetime | None
    evidence_at: dt.datetime | None
    stale: bool
    incomplete_types: list[str]
    counts: dict[str, int]
    attention: int


class SubjectItemOut(Schema):
    """The subject as the profile's newest snapshot captured it."""

    id: int
    snapshot_id: int
    policy_type: str
    subject_class: str
    canonical_subject_key: str
    display_label: str
    source_object_id: str
    content_hash: str


class SubjectRowOut(Schema):
    """The subject in one assigned environment: the latest result's row (``null`` when that result
    has no row for it, or the environment was never compared)."""

    environment_id: int
    environment_name: str
    result_id: int | None
    compared_at: dt.datetime | None
    row: CompareRowOut | None


class SubjectOut(Page[SubjectRowOut]):
    """One baseline subject across the assigned environments the caller may see (paged)."""

    subject: SubjectItemOut | None = Field(description="The subject in the newest snapshot (null: not in it).")


class RowFilters(PageParams):
    """``outcome`` and ``type`` narrow the rows; ``result`` picks an older result of the pair."""

    outcome: str = Field("", max_length=32, description="One outcome: " + ", ".join(CompareOutcome.values))
    type: str = Field("", max_length=64, description="One governed policy type.")
    result: Id | None = Field(None, description="A result id of this pair (default: the latest).")


class SubjectFilters(PageParams):
    """The subject's canonical key (as in the rows and the export's ``subject_key``)."""

    subject_key: str = Field(min_length=1, max_length=512)


# --------------------------------------------------------------------------------------------
# Routes


def _profile(request: HttpRequest, workspace: str, profile_id: int, capability: Capability) -> Any:
    scope = scope_for(request, workspace)
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    scope.require(capability)
    return scope, profile


def _error(error: DomainError) -> dict[str, Any]:
    code = "conflict" if isinstance(error, Conflict) else "invalid"
    return {"code": code, "message": error.message, "field": getattr(error, "field", None)}


@router.post(
    _ONE + "/compare", response={200: CompareAllOut, 202: CompareAllOut, **ERRORS}, url_name="baseline-compare-all"
)
def compare_all(request: HttpRequest, workspace: str, profile_id: Id) -> Any:
    """Compare the profile's newest snapshot against every assigned, active environment the caller
    may see (the console's *Compare all*): one compare start per environment, each reported.

    202 when at least one new run started, else 200 (all deduplicated, busy or refused; or no
    environment to compare). An archived profile is 409, a profile without a snapshot is 400
    naming ``profile`` — nothing starts then.
    """
    scope, profile = _profile(request, workspace, profile_id, Capability.PROVIDER_RUN)
    if profile.is_archived:
        raise Conflict("The profile is archived.")
    if selectors.latest_snapshot(scope=scope, profile=profile) is None:
        raise ValidationFailed("The profile has no snapshot yet. Capture one first.", field="profile")
    environments = [a.environment for a in selectors.assignment_list(scope=scope, profile=profile)]
    entries: list[dict[str, Any]] = []
    for environment in environments:
        entry: dict[str, Any] = {"environment_id": environment.pk, "environment_name": environment.display_name}
        if environment.is_archived:
            entry.update(status="refused", error={"code": "conflict", "message": "The environment is archived."})
            entries.append(entry)
            continue
        try:
            started = services.baseline_compare_start(actor=actor(request), profile=profile, environment=environment)
        except ScopeBusy as busy:
            entry.update(
                status="scope_busy",
                run=busy.active_run,
                error={"code": "scope_busy", "message": busy.message, "field": None},
            )
        except (Conflict, ValidationFailed) as error:
            entry.update(status="refused", error=_error(error))
        else:
            entry.update(status="deduplicated" if started.deduped else "started", run=started.run)
        entries.append(entry)
    tally = {status: sum(1 for e in entries if e["status"] == status) for status in ("started", "deduplicated")}
    body = {
        "started": tally["started"],
        "deduplicated": tally["deduplicated"],
        "busy": sum(1 for e in entries if e["status"] == "scope_busy"),
        "refused": sum(1 for e in entries if e["status"] == "refused"),
        "environments": entries,
    }
    return Status(202 if body["started"] else 200, body)


@router.get(_ONE + "/environments", response={200: Page[DriftRowOut], **ERRORS}, url_name="baseline-overview")
def overview(request: HttpRequest, workspace: str, profile_id: Id, paging: Query[PageParams]) -> Any:
    """The drift overview: one row per assigned environment the caller may see, by name, with the
    latest result's counts per outcome, evidence freshness and the active compare run."""
    scope, profile = _profile(request, workspace, profile_id, Capability.BASELINES_VIEW)
    rows = selectors.drift_overview(scope=scope, profile=profile)
    return paginate(rows, paging, transform=lambda page: [_drift_row(row) for row in page])


def _drift_state(row: selectors.DriftRow) -> dict[str, Any]:
    """What one (profile, environment) pair's latest compare says: the fields both drift lists share."""
    return {
        "state": row.state,
        "result_id": row.result.pk if row.result is not None else None,
        "compared_at": row.compared_at,
        "evidence_at": row.evidence_at,
        "stale": row.stale,
        "incomplete_types": row.incomplete_types,
        "counts": row.counts,
        "attention": row.attention,
    }


def _drift_row(row: selectors.DriftRow) -> dict[str, Any]:
    return {
        "environment_id": row.environment.pk,
        "environment_name": row.environment.display_name,
        **_drift_state(row),
        "outdated_snapshot": row.outdated_snapshot,
        "active_run_id": row.active_run.pk if row.active_run is not None else None,
    }


@router.get(
    "/w/{workspace}/environments/{environment_id}/baselines",
    response={200: Page[EnvironmentDriftOut], **ERRORS},
    url_name="environment-drift",
)
def environment_drift(request: HttpRequest, workspace: str, environment_id: Id, paging: Query[PageParams]) -> Any:
    """Where one environment stands against every active profile assigned to it (by profile name):
    the check a pipeline makes before a change — ``state`` ``clean`` only on complete, fresh evidence."""
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    rows = selectors.environment_drift_summary(scope=scope, environment=environment)
    return paginate(rows, paging, transform=lambda page: [_profile_row(row) for row in page])


def _profile_row(row: selectors.DriftRow) -> dict[str, Any]:
    return {"profile_id": row.profile.pk, "profile_name": row.profile.name, **_drift_state(row)}


@router.get(_PAIR + "/results", response={200: Page[ResultOut], **ERRORS}, url_name="baseline-results")
def result_list(
    request: HttpRequest, workspace: str, profile_id: Id, environment_id: Id, paging: Query[PageParams]
) -> Any:
    """Every compare result of the pair, newest first (pick one with ``?result=`` on the result,
    rows and export routes)."""
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    return paginate(selectors.result_list(scope=scope, profile=profile, environment=environment), paging)


@router.get(_PAIR + "/rows", response={200: Page[CompareRowOut], **ERRORS}, url_name="baseline-result-rows")
def result_rows(
    request: HttpRequest, workspace: str, profile_id: Id, environment_id: Id, filters: Query[RowFilters]
) -> Any:
    """The rows of the latest (or ``?result=``) result of the pair, outcomes needing attention
    first; unknown ``outcome``/``type`` values are a 400 naming the filter, a never-compared pair 404."""
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    result = selectors.result_get(scope=scope, profile=profile, environment=environment, result_id=filters.result)
    if result is None:
        raise NotFound()
    rows = selectors.result_items(scope=scope, result=result, outcome=filters.outcome, policy_type=filters.type)
    return paginate(rows, filters)


@router.get(_ONE + "/subject", response={200: SubjectOut, **ERRORS}, url_name="baseline-subject")
def subject(request: HttpRequest, workspace: str, profile_id: Id, filters: Query[SubjectFilters]) -> Any:
    """One baseline subject (``subject_key``) in every assigned environment the caller may see: its
    row in each environment's latest result (the console's cross-environment view)."""
    scope, profile = _profile(request, workspace, profile_id, Capability.BASELINES_VIEW)
    item, rows = selectors.subject_across_environments(
        scope=scope, profile=profile, canonical_subject_key=filters.subject_key
    )
    page = paginate(rows, filters)
    found = [row.item for row in page["items"] if row.item is not None]
    prefetch_related_objects(found, "snapshot_item")
    page["items"] = [
        {
            "environment_id": row.environment.pk,
            "environment_name": row.environment.display_name,
            "result_id": row.result.pk if row.result is not None else None,
            "compared_at": row.result.created_at if row.result is not None else None,
            "row": row.item,
        }
        for row in page["items"]
    ]
    return {**page, "subject": item}
