"""Workspaces (the caller's); their members are in ``members``."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema

from tenantpilot.authz.capabilities import Capability
from tenantpilot.tenancy import selectors
from tenantpilot.tenancy.models import Workspace

from .auth import principal, scope_for
from .pagination import PageParams, paginate
from .schemas import ERRORS, Page

router = Router(tags=["workspaces"])


class WorkspaceOut(Schema):
    """A workspace the caller belongs to, with their role in it."""

    slug: str
    name: str
    role: str
    environment_count: int
    created_at: dt.datetime


@router.get("/workspaces", response={200: Page[WorkspaceOut], **ERRORS}, url_name="workspace-list")
def workspace_list(request: HttpRequest, paging: Query[PageParams]) -> dict[str, object]:
    """The workspace this token belongs to (a token is scoped to one workspace)."""
    token = principal(request).token
    rows = selectors.workspace_list_for_user(user=principal(request).user).filter(pk=token.workspace.pk)

    def out(items: object) -> list[dict[str, object]]:
        return [_workspace_out(request, w) for w in items]  # type: ignore[attr-defined]

    return paginate(rows, paging, out)


def _workspace_out(request: HttpRequest, workspace: Workspace) -> dict[str, object]:
    scope = scope_for(request, workspace.slug)
    return {
        "slug": workspace.slug,
        "name": workspace.name,
        "role": scope.role,
        "environment_count": getattr(workspace, "environment_count", 0),
        "created_at": workspace.created_at,
    }


@router.get("/w/{workspace}", response={200: WorkspaceOut, **ERRORS}, url_name="workspace-detail")
def workspace_get(request: HttpRequest, workspace: str) -> dict[str, object]:
    scope = scope_for(request, workspace)
    scope.require(Capability.WORKSPACE_VIEW)
    row = selectors.workspace_list_for_user(user=scope.user).get(pk=scope.workspace.pk)
    return _workspace_out(request, row)
