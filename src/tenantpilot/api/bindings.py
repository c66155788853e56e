"""Provider resource bindings of an environment: list (filters), get, history of a subject,
create (from an inventory item), supersede and revoke (each with the operator's note)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from tenantpilot.authz.capabilities import Capability
from tenantpilot.baselines import selectors as baseline_selectors
from tenantpilot.core.errors import Conflict, ValidationFailed
from tenantpilot.resources import selectors, services
from tenantpilot.resources.models import ProviderResourceBinding
from tenantpilot.tenancy.authority import Scope

from .auth import actor, scope_for
from .ids import Id
from .pagination import PageParams, paginate
from .schemas import ERRORS, Page

router = Router(tags=["bindings"])


class BindingOut(Schema):
    """A durable decision about which provider resource a subject is (the note is never returned)."""

    id: int
    provider_key: str
    provider_connection_id: int | None
    subject_domain: str
    subject_class: str
    subject_type: str
    canonical_subject_key: str
    provider_resource_type: str
    provider_resource_id: str
    provider_resource_label: str
    binding_status: str
    resolution_mode: str
    resolution_reason: str
    has_note: bool
    decided_by: str
    decided_at: dt.datetime
    ended_at: dt.datetime | None
    superseded_by_id: int | None
    review_by: dt.date | None = Field(
        None, description="When an accepted limitation or exclusion is due for review (null: no date)."
    )

    @staticmethod
    def resolve_has_note(obj: ProviderResourceBinding) -> bool:
        return bool(obj.operator_note)

    @staticmethod
    def resolve_decided_by(obj: ProviderResourceBinding) -> str:
        return obj.decided_by_label

    @staticmethod
    def resolve_review_by(obj: ProviderResourceBinding) -> dt.date | None:
        return getattr(obj, REVIEW_ATTRIBUTE, None)


#: Where :func:`with_review_dates` puts a binding's review-by date for ``BindingOut``.
REVIEW_ATTRIBUTE = "api_review_by"


def with_review_dates(scope: Scope, bindings: Iterable[ProviderResourceBinding]) -> list[ProviderResourceBinding]:
    """The bindings, each carrying its review-by date (one query for all) for ``BindingOut``."""
    rows = list(bindings)
    dates = baseline_selectors.binding_review_dates(scope=scope, binding_ids=[row.pk for row in rows])
    for row in rows:
        setattr(row, REVIEW_ATTRIBUTE, dates.get(row.pk))
    return rows


def one_with_review_date(scope: Scope, binding: ProviderResourceBinding) -> ProviderResourceBinding:
    """``binding`` carrying its review-by date (see :func:`with_review_dates`)."""
    return with_review_dates(scope, [binding])[0]


class BindingCreateIn(Schema):
    """A new decision about the provider resource of one inventory item."""

    inventory_item_id: int = Field(ge=1, le=2_147_483_647)
    resolution_mode: str = Field(max_length=32)
    note: str = Field("", max_length=2000)
    provider_connection_id: int | None = Field(None, ge=1, le=2_147_483_647)


class SupersedeIn(Schema):
    """The new decision replacing an active binding (the resource stays unless an item is given)."""

    resolution_mode: str = Field(max_length=32)
    note: str = Field(max_length=2000)
    inventory_item_id: int | None = Field(None, ge=1, le=2_147_483_647)


class NoteIn(Schema):
    """Why: the operator's note (required)."""

    note: str = Field(max_length=2000)


_BASE = "/w/{workspace}/environments/{environment_id}/bindings"
_ONE = _BASE + "/{binding_id}"


def _env(request: HttpRequest, workspace: str, environment_id: int, capability: Capability) -> Any:
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    scope.require(capability)
    return scope, environment


def _descriptor(scope: Any, environment: Any, item_id: int) -> Any:
    item = selectors.inventory_item_get(scope=scope, environment=environment, item_id=item_id)
    return selectors.inventory_item_descriptor(item)


@router.get(_BASE, response={200: Page[BindingOut], **ERRORS}, url_name="binding-list")
def binding_list(
    request: HttpRequest,
    workspace: str,
    environment_id: Id,
    paging: Query[PageParams],
    status: str = Query("", max_length=16),
    mode: str = Query("", max_length=32),
    subject_class: str = Query("", max_length=32),
    subject_key: str = Query("", max_length=512),
    connection_id: Id | None = None,
) -> Any:
    """The environment's bindings, newest decision first (unknown filter values: 400 naming the filter)."""
    scope, environment = _env(request, workspace, environment_id, Capability.BASELINES_VIEW)
    rows = selectors.binding_list(
        scope=scope,
        environment=environment,
        status=status or None,
        mode=mode or None,
        subject_class=subject_class or None,
        subject_key=subject_key or None,
        connection_id=connection_id,
    )
    return paginate(rows, paging, transform=lambda page: with_review_dates(scope, page))


@router.post(_BASE, response={201: BindingOut, **ERRORS}, url_name="binding-create")
def binding_create(request: HttpRequest, workspace: str, environment_id: Id, payload: BindingCreateIn) -> Any:
    scope, environment = _env(request, workspace, environment_id, Capability.BASELINES_MANAGE)
    try:
        descriptor = _descriptor(scope, environment, payload.inventory_item_id)
    except ValidationFailed as error:
        raise ValidationFailed(error.message, field="inventory_item_id") from None
    binding = services.binding_create(
        actor=actor(request),
        environment=environment,
        resolution_mode=payload.resolution_mode,
        descriptor=descriptor,
        note=payload.note,
        provider_connection_id=payload.provider_connection_id,
    )
    return Status(201, one_with_review_date(scope, binding))


@router.get(_BASE + "/history", response={200: Page[BindingOut], **ERRORS}, url_name="binding-history")
def binding_history(
    request: HttpRequest,
    workspace: str,
    environment_id: Id,
    paging: Query[PageParams],
    subject_key: str = Query(..., min_length=1, max_length=512),
    provider_key: str = Query("microsoft", max_length=64),
) -> Any:
    """Every decision ever recorded for one subject (canonical key), newest first."""
    scope, environment = _env(request, workspace, environment_id, Capability.BASELINES_VIEW)
    rows = selectors.binding_history(
        scope=scope, environment=environment, provider_key=provider_key, canonical_subject_key=subject_key
    )
    return paginate(rows, paging, transform=lambda page: with_review_dates(scope, page))


@router.get(_ONE, response={200: BindingOut, **ERRORS}, url_name="binding-detail")
def binding_get(request: HttpRequest, workspace: str, environment_id: Id, binding_id: Id) -> Any:
    scope, environment = _env(request, workspace, environment_id, Capability.BASELINES_VIEW)
    binding = selectors.binding_get(scope=scope, environment=environment, binding_id=binding_id)
    return one_with_review_date(scope, binding)


def _active(request: HttpRequest, workspace: str, environment_id: int, binding_id: int) -> Any:
    scope, environment = _env(request, workspace, environment_id, Capability.BASELINES_MANAGE)
    binding = selectors.binding_get(scope=scope, environment=environment, binding_id=binding_id)
    if not binding.is_in_force:
        raise Conflict("Only an active binding can change.")
    return scope, environment, binding


@router.post(_ONE + "/supersede", response={201: BindingOut, **ERRORS}, url_name="binding-supersede")
def binding_supersede(
    request: HttpRequest, workspace: str, environment_id: Id, binding_id: Id, payload: SupersedeIn
) -> Any:
    """Replace an active binding with a new decision (the old one becomes superseded); answers the new one."""
    scope, environment, binding = _active(request, workspace, environment_id, binding_id)
    options: dict[str, Any] = {}
    if payload.inventory_item_id is not None:
        options["descriptor"] = _descriptor(scope, environment, payload.inventory_item_id)
    successor = services.binding_supersede(
        actor=actor(request), binding=binding, resolution_mode=payload.resolution_mode, note=payload.note, **options
    )
    return Status(201, one_with_review_date(scope, successor))


@router.post(_ONE + "/revoke", response={200: BindingOut, **ERRORS}, url_name="binding-revoke")
def binding_revoke(request: HttpRequest, workspace: str, environment_id: Id, binding_id: Id, payload: NoteIn) -> Any:
    """Revoke an active binding, with the operator's note."""
    scope, _environment, binding = _active(request, workspace, environment_id, binding_id)
    revoked = services.binding_revoke(actor=actor(request), binding=binding, note=payload.note)
    return one_with_review_date(scope, revoked)
