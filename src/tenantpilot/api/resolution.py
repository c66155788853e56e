"""The drift resolution loop through the API: an operator's decision about one row of a compare
result (bind, mark missing as expected, exclude, accept, supersede, revoke), on the same
``baselines.services_resolution`` functions as the console's resolution page.

The row must be of the environment's latest result for its profile and the action must apply
to its outcome (a field error on ``action`` otherwise); a picked resource must be present in the
environment's inventory (a field error on ``inventory_item``). Each answer is the binding written
(the note is never returned). Re-compare with the baseline compare start route.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from tenantpilot.authz.capabilities import Capability
from tenantpilot.baselines import policies
from tenantpilot.baselines import selectors_resolution as rsel
from tenantpilot.baselines import services_resolution as resolution
from tenantpilot.baselines.models import BaselineCompareItem
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment

from .auth import actor, scope_for
from .bindings import BindingOut, one_with_review_date, with_review_dates
from .compare import CandidateOut, CompareRowOut
from .ids import Id
from .pagination import PageParams, paginate
from .schemas import ERRORS, Page

router = Router(tags=["baselines"])

_NOTE = Field(max_length=2000, description="Why: the operator's note (required; stored, never returned).")


class ResolveNoteIn(Schema):
    """The operator's note."""

    note: str = _NOTE


class ResolveBindIn(Schema):
    """The resource to bind the row's subject to: a listed candidate (ambiguous match) or any
    present resource of the same type (missing subject)."""

    inventory_item_id: Id
    note: str = _NOTE


class ResolveReviewIn(Schema):
    """The note, and optionally a date (today or later) by which the decision is reviewed."""

    note: str = _NOTE
    review_by: dt.date | None = None


class ResolveSupersedeIn(Schema):
    """The new decision replacing the one in force (``manual_binding`` needs ``inventory_item_id``)."""

    resolution_mode: str = Field(max_length=32)
    note: str = _NOTE
    inventory_item_id: Id | None = None
    review_by: dt.date | None = None


class RowCandidateOut(CandidateOut):
    """A candidate of the row, and whether it is still present in the environment's inventory."""

    present: bool


class RowDetailOut(Schema):
    """One compare row with what the resolution page knows about it.

    ``actions`` (of ``bind``, ``missing_expected``, ``exclude``, ``accept``, ``supersede``,
    ``revoke``) are those open to the caller now: empty without ``baselines.manage`` or when the
    row is not of the latest result (``is_latest``). ``active_binding`` is the decision in force
    for the subject now (it may be newer than the compare).
    """

    row: CompareRowOut
    profile_id: int
    environment_id: int
    snapshot_id: int
    subject_class: str
    is_latest: bool
    actions: list[str]
    supersede_modes: list[str]
    candidates: list[RowCandidateOut]
    active_binding: BindingOut | None


class OverdueOut(Schema):
    """An accepted limitation or exclusion past its review-by date."""

    binding: BindingOut
    environment_id: int
    environment_name: str
    review_by: dt.date
    days_overdue: int


def _candidate_rows(item: BaselineCompareItem) -> list[dict[str, Any]]:
    return CompareRowOut.resolve_candidates(item)


_ROW = "/w/{workspace}/environments/{environment_id}/drift/{row_id}"


def _row(
    request: HttpRequest, workspace: str, environment_id: int, row_id: int
) -> tuple[Scope, ManagedEnvironment, BaselineCompareItem]:
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    item = rsel.resolution_item_get(scope=scope, environment=environment, item_id=row_id)
    scope.require(Capability.BASELINES_MANAGE)
    return scope, environment, item


@router.get(_ROW, response={200: RowDetailOut, **ERRORS}, url_name="drift-row")
def row_get(request: HttpRequest, workspace: str, environment_id: Id, row_id: Id) -> Any:
    """One compare row as the resolution page shows it: the outcome, why, its field changes and
    candidates (each with whether it is still in the inventory), the decision in force for the
    subject now, and the actions open on it (none unless the row is of the pair's latest result)."""
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    item = rsel.resolution_item_get(scope=scope, environment=environment, item_id=row_id)
    state = rsel.resolution_state(item=item, environment=environment)
    candidates = _candidate_rows(item)
    ids = [c["item_id"] for c in candidates if c["item_id"] is not None]
    present = (
        set(
            rsel.pickable_resources(scope=scope, environment=environment, policy_type=item.policy_type)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        if ids
        else set()
    )
    can_manage = policies.can_manage_baselines(scope)
    active = state.active_binding
    return {
        "row": item,
        "profile_id": item.result.profile_id,
        "environment_id": environment.pk,
        "snapshot_id": item.result.snapshot_id,
        "subject_class": item.snapshot_item.subject_class if item.snapshot_item is not None else "",
        "is_latest": state.is_latest,
        "actions": sorted(state.actions) if can_manage else [],
        "supersede_modes": [mode.value for mode in state.supersede_modes] if can_manage else [],
        "candidates": [{**c, "present": c["item_id"] in present} for c in candidates],
        "active_binding": one_with_review_date(scope, active) if active is not None else None,
    }


@router.get(
    "/w/{workspace}/baselines/reviews/overdue", response={200: Page[OverdueOut], **ERRORS}, url_name="reviews-overdue"
)
def reviews_overdue(request: HttpRequest, workspace: str, paging: Query[PageParams]) -> Any:
    """Accepted limitations and exclusions of visible environments whose review-by date has passed
    (oldest first); a revoked or superseded decision is never listed."""
    scope = scope_for(request, workspace)
    rows = rsel.overdue_reviews(scope=scope, today=timezone.localdate())

    def page_rows(page: Any) -> list[dict[str, Any]]:
        page = list(page)
        with_review_dates(scope, [row.binding for row in page])
        return [
            {
                "binding": row.binding,
                "environment_id": row.environment.pk,
                "environment_name": row.environment.display_name,
                "review_by": row.review.review_by,
                "days_overdue": row.days_overdue,
            }
            for row in page
        ]

    return paginate(rows, paging, transform=page_rows)


@router.post(_ROW + "/bind", response={201: BindingOut, **ERRORS}, url_name="drift-bind")
def bind(request: HttpRequest, workspace: str, environment_id: Id, row_id: Id, payload: ResolveBindIn) -> Any:
    """Bind the row's subject to the picked resource (a ``manual_binding``)."""
    scope, environment, item = _row(request, workspace, environment_id, row_id)
    binding = resolution.resolve_bind(
        actor=actor(request),
        environment=environment,
        compare_item=item,
        inventory_item_id=payload.inventory_item_id,
        note=payload.note,
    )
    return Status(201, one_with_review_date(scope, binding))


@router.post(_ROW + "/missing-expected", response={201: BindingOut, **ERRORS}, url_name="drift-missing-expected")
def missing_expected(
    request: HttpRequest, workspace: str, environment_id: Id, row_id: Id, payload: ResolveNoteIn
) -> Any:
    """Record that a missing subject is knowingly absent in this environment."""
    scope, environment, item = _row(request, workspace, environment_id, row_id)
    binding = resolution.resolve_mark_missing_expected(
        actor=actor(request), environment=environment, compare_item=item, note=payload.note
    )
    return Status(201, one_with_review_date(scope, binding))


@router.post(_ROW + "/exclude", response={201: BindingOut, **ERRORS}, url_name="drift-exclude")
def exclude(request: HttpRequest, workspace: str, environment_id: Id, row_id: Id, payload: ResolveReviewIn) -> Any:
    """Exclude an unexpected resource from governance (``excluded_non_governed``)."""
    scope, environment, item = _row(request, workspace, environment_id, row_id)
    binding = resolution.resolve_exclude(
        actor=actor(request), environment=environment, compare_item=item, note=payload.note, review_by=payload.review_by
    )
    return Status(201, one_with_review_date(scope, binding))


@router.post(_ROW + "/accept", response={201: BindingOut, **ERRORS}, url_name="drift-accept")
def accept(request: HttpRequest, workspace: str, environment_id: Id, row_id: Id, payload: ResolveReviewIn) -> Any:
    """Accept a drifted target as it is now (an ``accepted_limitation`` with its content fingerprint)."""
    scope, environment, item = _row(request, workspace, environment_id, row_id)
    binding = resolution.resolve_accept(
        actor=actor(request), environment=environment, compare_item=item, note=payload.note, review_by=payload.review_by
    )
    return Status(201, one_with_review_date(scope, binding))


@router.post(_ROW + "/supersede", response={201: BindingOut, **ERRORS}, url_name="drift-supersede")
def supersede(request: HttpRequest, workspace: str, environment_id: Id, row_id: Id, payload: ResolveSupersedeIn) -> Any:
    """Replace the decision in force for the row's subject (the old one becomes ``superseded``)."""
    scope, environment, item = _row(request, workspace, environment_id, row_id)
    binding = resolution.resolve_supersede(
        actor=actor(request),
        environment=environment,
        compare_item=item,
        resolution_mode=payload.resolution_mode,
        note=payload.note,
        inventory_item_id=payload.inventory_item_id,
        review_by=payload.review_by,
    )
    return Status(201, one_with_review_date(scope, binding))


@router.post(_ROW + "/revoke", response={200: BindingOut, **ERRORS}, url_name="drift-revoke")
def revoke(request: HttpRequest, workspace: str, environment_id: Id, row_id: Id, payload: ResolveNoteIn) -> Any:
    """End the decision in force for the row's subject: the next compare decides by rule again."""
    scope, environment, item = _row(request, workspace, environment_id, row_id)
    binding = resolution.resolve_revoke(
        actor=actor(request), environment=environment, compare_item=item, note=payload.note
    )
    return one_with_review_date(scope, binding)
