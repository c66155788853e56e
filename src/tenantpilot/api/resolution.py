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
from ninja import Router, Schema, Status
from pydantic import Field

from tenantpilot.authz.capabilities import Capability
from tenantpilot.baselines import selectors_resolution as rsel
from tenantpilot.baselines import services_resolution as resolution
from tenantpilot.baselines.models import BaselineCompareItem
from tenantpilot.tenancy.models import ManagedEnvironment

from .auth import actor, scope_for
from .bindings import BindingOut
from .ids import Id
from .schemas import ERRORS

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


_ROW = "/w/{workspace}/environments/{environment_id}/drift/{item_id}"


def _row(
    request: HttpRequest, workspace: str, environment_id: int, item_id: int
) -> tuple[ManagedEnvironment, BaselineCompareItem]:
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    item = rsel.resolution_item_get(scope=scope, environment=environment, item_id=item_id)
    scope.require(Capability.BASELINES_MANAGE)
    return environment, item


@router.post(_ROW + "/bind", response={201: BindingOut, **ERRORS}, url_name="drift-bind")
def bind(request: HttpRequest, workspace: str, environment_id: Id, item_id: Id, payload: ResolveBindIn) -> Any:
    """Bind the row's subject to the picked resource (a ``manual_binding``)."""
    environment, item = _row(request, workspace, environment_id, item_id)
    binding = resolution.resolve_bind(
        actor=actor(request),
        environment=environment,
        compare_item=item,
        inventory_item_id=payload.inventory_item_id,
        note=payload.note,
    )
    return Status(201, binding)


@router.post(_ROW + "/missing-expected", response={201: BindingOut, **ERRORS}, url_name="drift-missing-expected")
def missing_expected(
    request: HttpRequest, workspace: str, environment_id: Id, item_id: Id, payload: ResolveNoteIn
) -> Any:
    """Record that a missing subject is knowingly absent in this environment."""
    environment, item = _row(request, workspace, environment_id, item_id)
    binding = resolution.resolve_mark_missing_expected(
        actor=actor(request), environment=environment, compare_item=item, note=payload.note
    )
    return Status(201, binding)


@router.post(_ROW + "/exclude", response={201: BindingOut, **ERRORS}, url_name="drift-exclude")
def exclude(request: HttpRequest, workspace: str, environment_id: Id, item_id: Id, payload: ResolveReviewIn) -> Any:
    """Exclude an unexpected resource from governance (``excluded_non_governed``)."""
    environment, item = _row(request, workspace, environment_id, item_id)
    binding = resolution.resolve_exclude(
        actor=actor(request), environment=environment, compare_item=item, note=payload.note, review_by=payload.review_by
    )
    return Status(201, binding)


@router.post(_ROW + "/accept", response={201: BindingOut, **ERRORS}, url_name="drift-accept")
def accept(request: HttpRequest, workspace: str, environment_id: Id, item_id: Id, payload: ResolveReviewIn) -> Any:
    """Accept a drifted target as it is now (an ``accepted_limitation`` with its content fingerprint)."""
    environment, item = _row(request, workspace, environment_id, item_id)
    binding = resolution.resolve_accept(
        actor=actor(request), environment=environment, compare_item=item, note=payload.note, review_by=payload.review_by
    )
    return Status(201, binding)


@router.post(_ROW + "/supersede", response={201: BindingOut, **ERRORS}, url_name="drift-supersede")
def supersede(
    request: HttpRequest, workspace: str, environment_id: Id, item_id: Id, payload: ResolveSupersedeIn
) -> Any:
    """Replace the decision in force for the row's subject (the old one becomes ``superseded``)."""
    environment, item = _row(request, workspace, environment_id, item_id)
    binding = resolution.resolve_supersede(
        actor=actor(request),
        environment=environment,
        compare_item=item,
        resolution_mode=payload.resolution_mode,
        note=payload.note,
        inventory_item_id=payload.inventory_item_id,
        review_by=payload.review_by,
    )
    return Status(201, binding)


@router.post(_ROW + "/revoke", response={200: BindingOut, **ERRORS}, url_name="drift-revoke")
def revoke(request: HttpRequest, workspace: str, environment_id: Id, item_id: Id, payload: ResolveNoteIn) -> Any:
    """End the decision in force for the row's subject: the next compare decides by rule again."""
    environment, item = _row(request, workspace, environment_id, item_id)
    return resolution.resolve_revoke(
        actor=actor(request), environment=environment, compare_item=item, note=payload.note
    )
