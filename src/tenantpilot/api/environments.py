"""Managed environments: list, get, create, update, archive/restore (as the console allows)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from tenantpilot.authz.capabilities import Capability
from tenantpilot.core.errors import Forbidden
from tenantpilot.tenancy import policies, selectors, services
from tenantpilot.tenancy.models import ManagedEnvironment

from .auth import actor, scope_for
from .ids import Id
from .pagination import PageParams, paginate
from .schemas import ERRORS, Page

router = Router(tags=["environments"])


class EnvironmentOut(Schema):
    """A managed environment (a customer's Microsoft tenant)."""

    id: int
    display_name: str
    tenant_id: str
    default_domain: str
    archived: bool
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_archived(obj: ManagedEnvironment) -> bool:
        return obj.is_archived


class EnvironmentCreateIn(Schema):
    """A new environment: its name, Entra tenant id (a GUID) and optional default domain."""

    display_name: str = Field(max_length=120)
    tenant_id: str = Field(max_length=36)
    default_domain: str = Field("", max_length=253)


class EnvironmentUpdateIn(Schema):
    """The fields to change (omitted ones stay)."""

    display_name: str | None = Field(None, max_length=120)
    tenant_id: str | None = Field(None, max_length=36)
    default_domain: str | None = Field(None, max_length=253)


class ArchiveIn(Schema):
    """``archived``: true archives, false restores."""

    archived: bool


@router.get("/w/{workspace}/environments", response={200: Page[EnvironmentOut], **ERRORS}, url_name="environment-list")
def environment_list(
    request: HttpRequest,
    workspace: str,
    paging: Query[PageParams],
    include_archived: bool = False,
    search: str = Query("", max_length=200),
) -> dict[str, object]:
    """The environments the caller may see, by name (restricted members see only theirs)."""
    scope = scope_for(request, workspace)
    rows = selectors.environment_list(scope=scope, include_archived=include_archived, search=search)
    return paginate(rows, paging)


@router.post("/w/{workspace}/environments", response={201: EnvironmentOut, **ERRORS}, url_name="environment-create")
def environment_create(
    request: HttpRequest, workspace: str, payload: EnvironmentCreateIn
) -> Status[ManagedEnvironment]:
    scope = scope_for(request, workspace)
    scope.require(Capability.ENVIRONMENT_MANAGE)
    if not policies.can_create_environment(scope):
        raise Forbidden(policies.RESTRICTED_CREATE_MESSAGE)
    environment = services.environment_create(actor=actor(request), workspace=scope.workspace, **payload.dict())
    return Status(201, environment)


@router.get(
    "/w/{workspace}/environments/{environment_id}",
    response={200: EnvironmentOut, **ERRORS},
    url_name="environment-detail",
)
def environment_get(request: HttpRequest, workspace: str, environment_id: Id) -> ManagedEnvironment:
    scope = scope_for(request, workspace)
    return selectors.environment_get(scope=scope, environment_id=environment_id)


@router.patch(
    "/w/{workspace}/environments/{environment_id}",
    response={200: EnvironmentOut, **ERRORS},
    url_name="environment-update",
)
def environment_update(
    request: HttpRequest, workspace: str, environment_id: Id, payload: EnvironmentUpdateIn
) -> ManagedEnvironment:
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    scope.require(Capability.ENVIRONMENT_MANAGE)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return services.environment_update(actor=actor(request), environment=environment, **changes)


@router.post(
    "/w/{workspace}/environments/{environment_id}/archive",
    response={200: EnvironmentOut, **ERRORS},
    url_name="environment-archive",
)
def environment_archive(
    request: HttpRequest, workspace: str, environment_id: Id, payload: ArchiveIn
) -> ManagedEnvironment:
    """Archive (``archived: true``) or restore (``false``) an environment."""
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    scope.require(Capability.ENVIRONMENT_MANAGE)
    return services.environment_set_archived(actor=actor(request), environment=environment, archived=payload.archived)
